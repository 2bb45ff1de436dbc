"""Exact event traces of tiny hand-checked cases: every stage at the minute worked out by hand."""

from __future__ import annotations

import pytest

from sim.model import build_model, run_replication
from sim.scenario import load_scenario
from tests.conftest import tiny


def trace_of(path, **kw):
    model = build_model(load_scenario(path))
    return run_replication(model, 0, trace=True, **kw)


MOBILISATION = ("on_duty", "off_duty", "party_member_in_place")


def events(res, *kinds):
    """The log of incident stages (or of the kinds named), without the units going on and off duty."""
    return [e for e in res.log if (e[1] in kinds if kinds else e[1] not in MOBILISATION)]


def test_queue_for_one_worker(write_scenario):
    # 0: onset at B; reported after 2 hops of 5; ready after 10 min study; worker at A travels 8; works 30.
    # 1: onset at A at 5; waits for the worker, who comes from B (8 min) at 58.
    path = write_scenario(tiny(), "0,B,complex,minor,,\n5,A,complex,minor,,\n")
    res = trace_of(path)
    assert events(res) == [
        (0.0, "onset", 0, "B", "complex", "minor"),
        (0.0, "discovered", 0, "patrol"),
        (5.0, "onset", 1, "A", "complex", "minor"),
        (5.0, "discovered", 1, "patrol"),
        (10.0, "reported", 0),
        (15.0, "reported", 1),
        (20.0, "ready", 0),
        (20.0, "dispatched", 0, "grid_worker", 0),
        (25.0, "ready", 1),
        (28.0, "arrived", 0, "grid_worker", 0),
        (28.0, "staffed", 0),
        (58.0, "closed", 0),
        (58.0, "dispatched", 1, "grid_worker", 0),
        (66.0, "arrived", 1, "grid_worker", 0),
        (66.0, "staffed", 1),
        (96.0, "closed", 1),
    ]
    c = res.incidents
    assert c["first_arrival_min"].tolist() == [28.0, 66.0]
    assert c["closed_min"].tolist() == [58.0, 96.0]
    assert res.served_by == ["grid_worker", "grid_worker"]
    assert res.busy_min["grid_worker"] == 38.0 + 38.0


def test_batching_and_must_report(write_scenario):
    sc = tiny()
    sc["reporting"]["peacetime"]["batching_interval_min"] = 60
    sc["reporting"]["peacetime"]["must_report"] = ["urgent"]
    sc["incidents"]["classes"]["urgent"]["pre_dispatch_min"] = 0
    # complex at 7: waits for the 60-min batch, then 2 hops of 5 -> 70; urgent at 7: one direct hop of 1 -> 8.
    path = write_scenario(sc, "7,A,complex,minor,,\n7,A,urgent,minor,,\n")
    res = trace_of(path)
    assert res.incidents["reported_min"].tolist() == [70.0, 8.0]


def test_compliance_zero_leaves_incidents_unreported(write_scenario):
    sc = tiny()
    sc["reporting"]["peacetime"]["compliance"] = 0.0
    path = write_scenario(sc, "0,A,complex,minor,,\n")
    res = trace_of(path)
    assert [e[1] for e in events(res)] == ["onset", "discovered", "unreported"]
    assert events(res, "on_duty") == [(0.0, "on_duty", "grid_worker", 0, "A")]
    assert res.incidents["reported_min"][0] != res.incidents["reported_min"][0]  # NaN


def test_simple_issue_handled_on_the_spot(write_scenario):
    sc = tiny()
    sc["incidents"]["classes"]["simple"].update(on_spot=True, work_mean_min=12)
    path = write_scenario(sc, "3,A,simple,minor,,\n")
    res = trace_of(path)
    c = res.incidents
    # found on patrol by the grid worker who is there: no report chain, no travel
    assert (c["discovered_min"][0], c["reported_min"][0], c["first_arrival_min"][0], c["closed_min"][0]) == (
        3.0, 3.0, 3.0, 15.0)
    assert ("on_spot", 0) in [e[1:] for e in res.log]


def test_partial_staffing_work_speeds_up_when_help_arrives(write_scenario):
    sc = tiny()
    sc["forces"]["grid_workers"]["full_time"] = 2  # one based at A, one at B
    # needs 2 for 30 min = 60 person-minutes. Ready at 20; worker at A arrives 22, worker at B at 28.
    # 22..28 one works (6 person-min), then two: 54 left at rate 2 -> closed at 55.
    path = write_scenario(sc, "0,A,complex,minor,2,\n")
    res = trace_of(path)
    c = res.incidents
    assert c["first_arrival_min"][0] == 22.0
    assert c["staffed_min"][0] == 28.0
    assert c["closed_min"][0] == 55.0


def test_threshold_activation_switches_to_flat_reporting(write_scenario):
    sc = tiny()
    sc["switch"] = {"activation": "threshold", "threshold": {"severity": "major", "count": 2, "window_min": 30},
                    "decision_delay_min": 7, "deactivation_quiet_min": None}
    # two majors reported at 10 and 12 -> ordered at 12, activated at 19.
    # the third incident (at 20, emergency) reports flat: one hop of 2 -> 22; study 10 * 0.5 -> ready 27.
    path = write_scenario(sc, "0,A,complex,major,,\n2,A,complex,major,,\n20,A,complex,minor,,\n")
    res = trace_of(path)
    assert res.activations == [19.0]
    assert (12.0, "activation_ordered") in res.log
    assert res.phase.tolist() == [0, 0, 1]
    assert res.incidents["reported_min"][2] == 22.0
    assert (27.0, "ready", 2) in res.log


def test_reports_while_an_activation_is_pending_order_nothing_more(write_scenario):
    """Majors reported at 10, 12 and 14 with a threshold of 2 in 30 min: ordered once, at 12, and declared
    after the 7-min decision delay; the third report, within the delay, orders nothing."""
    sc = tiny()
    sc["switch"] = {"activation": "threshold", "threshold": {"severity": "major", "count": 2, "window_min": 30},
                    "decision_delay_min": 7, "deactivation_quiet_min": None}
    path = write_scenario(sc, "0,A,complex,major,,\n2,A,complex,major,,\n4,A,complex,major,,\n")
    res = trace_of(path)
    assert res.incidents["reported_min"].tolist() == [10.0, 12.0, 14.0]
    assert [e for e in res.log if e[1] in ("activation_ordered", "activated", "level_declared")] == [
        (12.0, "activation_ordered"), (19.0, "activated"), (19.0, "level_declared", "I")]


def test_a_forecast_warning_with_no_hazard_declares_nothing(write_scenario):
    sc = tiny()
    sc["switch"] = {"activation": "warning", "deactivation_quiet_min": None}
    res = trace_of(write_scenario(sc, "0,A,complex,minor,,\n"))
    assert res.levels == [] and res.activations == []
    assert res.incidents["closed_min"].tolist() == [52.0]  # peacetime throughout: 2 hops, study, 2 min, 30 min


def test_deactivation_after_quiet_period(write_scenario):
    sc = tiny()
    sc["switch"] = {"activation": "scheduled", "scheduled_min": 100, "deactivation_quiet_min": 50,
                    "step_down_min": 0}
    path = write_scenario(sc, "0,A,complex,minor,,\n")
    res = trace_of(path)
    assert res.activations == [100.0]
    assert res.deactivations == [150.0]


def test_the_district_steps_down_one_level_at_a_time(write_scenario):
    # level I at 100; quiet for 50 min: II at 150; then a level every 240 min: III, IV, peacetime
    sc = tiny()
    sc["switch"] = {"activation": "scheduled", "scheduled_min": 100, "deactivation_quiet_min": 50}
    res = trace_of(write_scenario(sc, "0,A,complex,minor,,\n"))
    assert res.levels == [(100.0, 4), (150.0, 3), (390.0, 2), (630.0, 1), (870.0, 0)]
    assert [e for e in res.log if e[1] in ("level_declared", "activated", "deactivated")] == [
        (100.0, "activated"), (100.0, "level_declared", "I"), (150.0, "level_declared", "II"),
        (390.0, "level_declared", "III"), (630.0, "level_declared", "IV"), (870.0, "deactivated")]
    assert res.deactivations == [870.0]


@pytest.mark.parametrize("staging,in_place", [("district", 40.0), ("towns", 42.0)])
def test_agency_squad_arrives_after_activation(write_scenario, staging, in_place):
    sc = tiny()
    sc["forces"]["grid_workers"]["full_time"] = 0
    sc["forces"]["agencies"] = {"count": 1, "staff_each": 10, "team_ratio": 0.2, "duty_officers_each": 0,
                                "squad_size": 5, "notify_mean_min": 0, "assemble_mean_min": 40, "assemble_cv": 0,
                                "staging": staging}
    sc["incidents"]["classes"]["complex"]["forces"] = ["agency_team"]
    sc["switch"] = {"activation": "scheduled", "scheduled_min": 0, "deactivation_quiet_min": None}
    # two agency staff (20 % of 10) assemble 40 min after activation at the district centre (x=1.5); with
    # staging at the towns they then drive to the one town's command post, also at x=1.5 (2 min set-up).
    # From there: 2 + 1.5 km * 2 min/km = 5 min to either grid.
    path = write_scenario(sc, "0,A,complex,minor,,\n")
    res = trace_of(path)
    assert res.force_size["agency_team"] == 2
    c = res.incidents
    assert c["dispatched_min"][0] == in_place
    assert c["first_arrival_min"][0] == in_place + 5.0
    times, counts = res.mobilisation["agency_team"]
    assert times.tolist() == [in_place] and counts.tolist() == [2.0]  # the squad comes on in one step


def test_party_members_report_in_place_and_form_a_branch(write_scenario):
    sc = tiny()
    sc["forces"]["grid_workers"]["full_time"] = 0
    sc["forces"]["party_members"] = {"total": 4, "report_prob": 1.0, "report_delay_mean_min": 10,
                                     "report_delay_cv": 0, "responder_share": 1.0, "local_setup_min": 3,
                                     "report_to": "grid"}
    sc["forces"]["temporary_branches"] = {"enabled": True, "min_members": 3, "formation_delay_min": 15,
                                          "report_delay_min": 0.5, "work_factor": 0.5}
    sc["incidents"]["classes"]["complex"]["forces"] = ["party_member", "grid_worker"]
    sc["switch"] = {"activation": "scheduled", "scheduled_min": 0, "deactivation_quiet_min": None}
    # 4 members at grid A (a key area) report at 10; the branch forms at 25. An incident at A at 40
    # reports through the branch (0.5 min), is ready at 45.5 (study 10 * 0.5), members arrive 48.5 and
    # work twice as fast: 30 min of work takes 15 -> closed 63.5.
    path = write_scenario(sc, "40,A,complex,minor,,\n")
    res = trace_of(path)
    assert res.branches == [(25.0, "C")]
    c = res.incidents
    assert c["reported_min"][0] == 40.5
    assert c["first_arrival_min"][0] == 48.5
    assert c["closed_min"][0] == 63.5
    assert res.served_by == ["party_member"]
