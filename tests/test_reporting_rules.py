"""The reporting chain and the switch's scope, pinned: pure functions of the rules, then exact traces.

The traces use the two-grid scenario of tests/conftest.py (A and B 3 km apart; travel A→A 2 min, A→B
8 min; one full-time grid worker at A; peacetime reports take 2 hops of 5 min and a 10-min study).
"""

from __future__ import annotations

import math

import pytest

from sim.model import build_model, reporting, run_replication
from sim.scenario import load_scenario
from sim.scenario.schema import Discovery, ReportingRules
from tests.conftest import tiny

# --------------------------------------------------------------------------- pure functions


def test_discovery_takes_the_first_channel_and_scales_patrol_in_an_emergency():
    d = Discovery(patrol_revisit_min=240, informant_mean_min=300, hotline_share=0.3, hotline_mean_min=90,
                  emergency_patrol_factor=2.0)
    # patrol: 1 × 240 / 0.5 = 480; informant 0.5 × 300 = 150; hotline reached (u 0.2 < 0.3): 1 × 90
    assert reporting.discovery(d, 1.0, 0.5, 0.0, 0.0, 1.0, 0.5, 1.0, 0.2) == (90.0, reporting.HOTLINE)
    # u 0.3 is not below the share: no hotline call; the informant is first
    assert reporting.discovery(d, 1.0, 0.5, 0.0, 0.0, 1.0, 0.5, 1.0, 0.3) == (150.0, reporting.INFORMANT)
    # a patrol factor of 2 doubles the coverage (240 / 1.0); party members on patrol add to it
    assert reporting.discovery(d, 2.0, 0.5, 0.0, 0.0, 0.5, 1.0, 9.0, 0.9) == (120.0, reporting.PATROL)
    assert reporting.discovery(d, 1.0, 0.5, 0.0, 0.0, 0.5, 1.0, 9.0, 0.9) == (240.0, reporting.PATROL)
    assert reporting.discovery(d, 1.0, 0.5, 0.5, 0.0, 0.5, 1.0, 9.0, 0.9) == (120.0, reporting.PATROL)
    # household visits add their rate: 1/240 + 1/240 per minute -> 0.5 × 120
    assert reporting.discovery(d, 1.0, 1.0, 0.0, 1 / 240, 0.5, 1.0, 9.0, 0.9) == pytest.approx(
        (60.0, reporting.PATROL))
    # no patrol coverage at all: never by patrol
    assert reporting.discovery(d, 2.0, 0.0, 0.0, 0.0, 0.0, 1.0, 9.0, 0.9) == (300.0, reporting.INFORMANT)


def chain(**kw):
    base = {"route": ["community", "town"], "hop_delay_min": 20, "direct_delay_min": 5, "compliance": 0.9,
            "must_report": ["urgent"], "must_report_severities": ["major"], "batching_interval_min": 0}
    return reporting.Chain.of(ReportingRules(**{**base, **kw}))


def test_hops_are_named_by_level():
    assert chain().hops == ("grid → community", "community → town", "town → command")
    assert chain(route=[]).hops == ("grid → command",)


def test_must_report_skips_compliance_and_levels():
    c = chain()
    urgent, complex_, major, minor = 4, 1, 2, 0
    assert reporting.must_report(c, urgent, minor) and reporting.must_report(c, complex_, major)
    assert not reporting.must_report(c, complex_, minor)
    assert reporting.is_reported(c, True, 0.99)  # a must-report is reported whatever its compliance draw
    assert reporting.is_reported(c, False, 0.89) and not reporting.is_reported(c, False, 0.9)
    # one direct hop (5 × its factor) against three hops (20 × the sum of their factors)
    assert reporting.report_delay(c, True, 7.0, 1.5, 3.3, None, 0.0) == 7.5
    assert reporting.report_delay(c, False, 7.0, 1.5, 3.3, None, 0.0) == pytest.approx(66.0)


def test_batching_branch_and_link_down():
    c = chain(batching_interval_min=60)
    assert reporting.report_delay(c, False, 7.0, 1.0, 3.0, None, 0.0) == 60 + 53  # wait for 60, then hops
    assert reporting.report_delay(c, False, 60.0, 1.0, 3.0, None, 0.0) == 60  # on the batch: no wait
    assert reporting.report_delay(c, True, 7.0, 1.0, 3.0, None, 0.0) == 5  # must-report: no batch
    assert reporting.report_delay(c, False, 7.0, 1.0, 3.0, 0.5, 0.0) == 0.5  # a branch on site
    assert reporting.report_delay(c, True, 7.0, 1.0, 3.0, None, 30.0) == 5 + 23  # the link is back at 30


# --------------------------------------------------------------------------- traces


def run(write_scenario, sc, trace, name="sc.yaml"):
    return run_replication(build_model(load_scenario(write_scenario(sc, trace, name=name))), 0, trace=True)


def test_must_report_is_reported_when_nothing_else_is(write_scenario):
    sc = tiny()
    sc["reporting"]["peacetime"].update(compliance=0.0, must_report=["urgent"])
    sc["incidents"]["classes"]["urgent"]["pre_dispatch_min"] = 0
    res = run(write_scenario, sc, "0,A,complex,minor,,\n0,A,urgent,minor,,\n")
    assert ("unreported", 0) in [e[1:] for e in res.log]
    # the urgent one: one direct hop of 1 min, ready at once, the worker from A arrives at 3
    assert res.incidents["reported_min"].tolist()[1] == 1.0
    assert math.isnan(res.incidents["reported_min"][0])
    assert res.incidents["first_arrival_min"].tolist()[1] == 3.0


@pytest.mark.parametrize("factor", [1.0, 2.0, 3.0])
def test_the_emergency_patrol_factor_divides_the_patrol_delay(write_scenario, factor):
    sc = tiny()
    sc["reporting"]["discovery"] = {"instant": False, "patrol_revisit_min": 240, "informant_mean_min": 1e9,
                                    "hotline_share": 0.0, "emergency_patrol_factor": factor}
    sc["switch"] = {"activation": "scheduled", "scheduled_min": 0, "deactivation_quiet_min": None}
    sc["forces"]["party_members"]["report_prob"] = 0.0  # no party patrol in place to muddle the factor
    sc["horizon_min"] = 10_000
    peace = tiny()
    peace["reporting"]["discovery"] = dict(sc["reporting"]["discovery"])
    peace["horizon_min"] = 10_000
    trace = "10,A,complex,minor,,\n"
    emerg = run(write_scenario, sc, trace).incidents
    calm = run(write_scenario, peace, trace, name="peace.yaml").incidents
    d_emerg = emerg["discovered_min"][0] - 10
    d_calm = calm["discovered_min"][0] - 10
    assert d_calm > 0 and d_emerg == pytest.approx(d_calm / factor, rel=1e-12)


@pytest.mark.parametrize("share,channel", [(1.0, "hotline"), (0.0, "informant")])
def test_the_hotline_share_decides_who_calls(write_scenario, share, channel):
    sc = tiny()
    sc["forces"]["grid_workers"]["full_time"] = 0  # no patrol coverage
    # the hotline, when it is called, is a million times faster than any informant
    sc["reporting"]["discovery"] = {"instant": False, "informant_mean_min": 1000, "hotline_share": share,
                                    "hotline_mean_min": 0.001}
    sc["horizon_min"] = 100_000
    trace = "".join(f"{t},A,complex,minor,,\n" for t in range(0, 50, 5))
    res = run(write_scenario, sc, trace)
    found = [e[3] for e in res.log if e[1] == "discovered"]
    assert found == [channel] * 10


@pytest.mark.parametrize("responders,on_spot", [(1, True), (2, False)])
def test_only_a_one_person_job_is_handled_on_the_spot(write_scenario, responders, on_spot):
    sc = tiny()
    sc["incidents"]["classes"]["simple"].update(on_spot=True, responders=responders, work_mean_min=12)
    sc["forces"]["grid_workers"]["full_time"] = 2  # one at A, one at B
    res = run(write_scenario, sc, "3,A,simple,minor,,\n")
    c = res.incidents
    assert (("on_spot", 0) in [e[1:] for e in res.log]) is on_spot
    if on_spot:  # no report chain, no travel
        assert (c["reported_min"][0], c["first_arrival_min"][0], c["closed_min"][0]) == (3.0, 3.0, 15.0)
    else:  # two hops of 5, a 10-min study, then the workers at A (2 min) and B (8 min)
        assert (c["reported_min"][0], c["first_arrival_min"][0], c["staffed_min"][0]) == (13.0, 25.0, 31.0)


TWO_TOWNS = """grid,town,community,kind,households,x_km,y_km,key_area,party_members
A,T1,C1,rural,100,0,0,0,0
B,T2,C2,rural,100,3,0,0,0
"""


@pytest.mark.parametrize("scope", ["town", "district"])
def test_the_town_scope_holds_in_peacetime_and_lifts_at_activation(write_scenario, scope):
    """The worker of town T1 may not serve T2 in peacetime under the town scope: the incident at B waits
    until the activation at 100 to a level whose command is district-wide; a second one, at 150 (ready at
    157 after one hop of 2 min and a study of 10 × 0.5), is served at once. Under the district scope the
    worker goes at once."""
    sc = tiny()
    sc["dispatch"]["peacetime_scope"] = scope
    sc["switch"] = {"activation": "scheduled", "scheduled_min": 100, "deactivation_quiet_min": None}
    sc["levels"] = {"I": {"command": "district"}}
    path = write_scenario(sc, "0,B,complex,minor,,\n150,B,complex,minor,,\n", grids=TWO_TOWNS)
    res = run_replication(build_model(load_scenario(path)), 0, trace=True)
    sent = [e for e in res.log if e[1] == "dispatched"]
    first = 100.0 if scope == "town" else 20.0
    assert sent == [(first, "dispatched", 0, "grid_worker", 0), (157.0, "dispatched", 1, "grid_worker", 0)]


def test_a_run_where_nobody_can_serve_is_flagged(write_scenario, tmp_path, capsys):
    from sim.cli import main

    sc = tiny()
    sc["forces"]["grid_workers"]["full_time"] = 0
    path = write_scenario(sc, "0,A,complex,minor,,\n")
    res = run_replication(build_model(load_scenario(path)), 0)
    assert res.flags == ["nobody could serve: no responder of any force was on duty"]
    out = tmp_path / "run"
    assert main(["run", str(path), "--quiet", "--out", str(out)]) == 0
    assert "FLAG: nobody could serve: no responder of any force was on duty: in replication 0" in capsys.readouterr().out
    # the page's first lines say nobody was reached, not "half of the incidents ... within" the end of the run
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "No incident had a responder on site before the end of the run." in page
    assert "Half of the incidents had a responder on site within 2" not in page  # (2,000 min: the end)
    assert main(["run", str(path), "--quiet", "--lang", "zh", "--out", str(tmp_path / "zh")]) == 0
    page = (tmp_path / "zh" / "report.html").read_text(encoding="utf-8")
    assert "运行结束前没有任何事件有人员到场。" in page and "一半事件在 2" not in page


def test_a_class_whose_forces_are_never_on_duty_is_flagged(write_scenario):
    sc = tiny()
    sc["incidents"]["classes"]["urgent"]["forces"] = ["agency_team"]  # only after an activation that never comes
    res = run_replication(build_model(load_scenario(write_scenario(sc, "0,A,urgent,minor,,\n0,A,complex,minor,,\n"))),
                          0)
    assert res.flags == ["urgent incidents had no force on duty that may serve them "
                         "(incidents.classes.urgent.forces: agency_team)"]
    assert res.incidents["first_arrival_min"][1] == 22.0  # the complex one is served as usual
