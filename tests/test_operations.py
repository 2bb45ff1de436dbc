"""Exact traces of the emergency operations: evacuation, posts, levels, town command, call-up, the hotline.

All on the two-grid scenario of tests/conftest.py (grids A and B 3 km apart in one community; travel A→A
2 min, A→B 8 min; grid workers at A and B; no noise), with the level declared at minute 0 and the
hazard's onset later, so that every minute can be worked out by hand.
"""

from __future__ import annotations

import math

import pytest

from sim.model import build_model, run_replication
from sim.model.streams import GRID_CALL_DELAY, stream
from sim.scenario import load_scenario
from tests.conftest import tiny

TWO_TOWNS = """grid,town,community,kind,households,x_km,y_km,key_area,party_members
A,T1,C1,rural,100,0,0,0,0
B,T2,C2,rural,100,3,0,0,0
"""


def ops(**tasks) -> dict:
    """The tiny scenario with two grid workers, level I declared at 0 with the tasks named, a hazard at A
    from 300 to 360 (no incidents of its own), and every task served by grid workers."""
    sc = tiny()
    sc["forces"]["grid_workers"]["full_time"] = 2
    sc["forces"]["party_members"]["report_prob"] = 0.0
    sc["switch"] = {"activation": "scheduled", "scheduled_min": 0, "scheduled_level": "I",
                    "deactivation_quiet_min": None}
    sc["levels"] = {"I": {"tasks": list(tasks)}}
    sc["incidents"]["hazards"] = [{"name": "flood", "start_min": 300, "duration_min": 60, "rate_per_hour": 0,
                                   "grids": ["A"]}]
    sc["tasks"] = {k: {"forces": ["grid_worker"], **v} for k, v in tasks.items()}
    return sc


def run(write_scenario, sc, trace="", grids=None, name="sc.yaml"):
    kw = {"grids": grids} if grids else {}
    return run_replication(build_model(load_scenario(write_scenario(sc, trace, name=name, **kw))), 0, trace=True)


def kinds(res, *names):
    return [e for e in res.log if e[1] in names]


def test_one_grid_evacuated_by_two_escorts(write_scenario):
    """A's 100 households hold 2 vulnerable residents (share 0.02); each needs 2 escorts for 30 min: 120
    person-minutes for a crew of 2. The workers from A (2 min) and B (8 min) work alone 2..8 (6
    person-minutes), then together: 114 left at 2 a minute, done at 65. The deadline is 120 min before the
    onset at 300, at 180: everyone moved."""
    sc = ops(evacuation={"vulnerable_share": 0.02, "escorts": 2, "minutes_each": 30, "crew": 2,
                         "deadline_min": 120})
    res = run(write_scenario, sc)
    assert kinds(res, "task_started", "dispatched", "arrived", "staffed", "closed") == [
        (0.0, "task_started", "evacuation", 1),
        (0.0, "dispatched", 0, "grid_worker", 0), (0.0, "dispatched", 0, "grid_worker", 1),
        (2.0, "arrived", 0, "grid_worker", 0), (8.0, "arrived", 0, "grid_worker", 1),
        (8.0, "staffed", 0), (65.0, "closed", 0)]
    t = res.tasks
    assert t["evacuation.residents"] == 2 and t["evacuation.moved_by_deadline_share"] == 1.0
    assert t["evacuation.in_place_at_onset"] == 0 and t["evacuation.done_min"] == 65.0
    assert t["busy_min.evacuation"] == 65 + 65  # both from dispatch (0) to closure


def test_residents_left_at_the_deadline_and_at_the_onset(write_scenario):
    """One escort team of 2 for 10 residents of 30 min each: 600 person-minutes, at 2 a minute from 8 on
    (6 before): done at 305. At the deadline (180) (6 + 2 × 172) / 60 = 5.83 moved; at the onset (300)
    (6 + 2 × 292) / 60 = 9.83."""
    sc = ops(evacuation={"vulnerable_share": 0.1, "escorts": 2, "minutes_each": 30, "crew": 2,
                         "deadline_min": 120})
    t = run(write_scenario, sc).tasks
    assert t["evacuation.residents"] == 10
    assert t["evacuation.moved_by_deadline_share"] == pytest.approx((6 + 2 * 172) / 60 / 10)
    assert t["evacuation.in_place_at_onset"] == pytest.approx(10 - (6 + 2 * 292) / 60)
    assert t["evacuation.done_min"] == pytest.approx(305.0)


def test_a_warning_round_of_one_grid(write_scenario):
    """A's 100 households, 2 min each, by a crew of 2: 200 person-minutes. The workers from A (2 min) and B
    (8 min): 6 person-minutes by 8, then 2 a minute, done at 8 + 194 / 2. The deadline, 30 min after the
    start: 6 + 2 × 22 = 50 person-minutes, 25 households warned."""
    sc = ops(warnings={"minutes_per_household": 2, "crew": 2, "deadline_min": 30, "deadline_from": "start"})
    sc["levels"].update({lv: {"tasks": []} for lv in ("IV", "III", "II")})  # no level plans another task
    res = run(write_scenario, sc)
    assert kinds(res, "task_started", "dispatched", "arrived", "closed") == [
        (0.0, "task_started", "warnings", 1),
        (0.0, "dispatched", 0, "grid_worker", 0), (0.0, "dispatched", 0, "grid_worker", 1),
        (2.0, "arrived", 0, "grid_worker", 0), (8.0, "arrived", 0, "grid_worker", 1), (105.0, "closed", 0)]
    t = res.tasks
    assert t["warnings.households"] == 100 and t["warnings.warned_by_deadline_share"] == 0.25
    # the tasks no level plans ask for nothing
    assert t["posts.post_hours"] == 0.0 and math.isnan(t["posts.uncovered_hours"])
    assert t["evacuation.residents"] == 0.0 and math.isnan(t["evacuation.done_min"])


def test_a_post_relieved_at_shift_change(write_scenario):
    """A key site at A (its key area), one person on post from 0 (300 min before the onset) to the hazard's
    end at 360, in shifts of 120 min, the relief called 10 min before a shift ends."""
    sc = ops(posts={"people": 1, "shift_min": 120, "relief_lead_min": 10, "before_onset_min": 300,
                    "until_after_hazard_min": 0})
    res = run(write_scenario, sc)
    # the worker at A is on post at 2; his relief is called at 112; the worker from B arrives at 120 and
    # relieves him; the next relief, called at 230, is the worker at A again (2 min); the one after, called
    # at 342, the worker from B (back at his base at 240): on post at 350; the last shift ends with the window.
    assert kinds(res, "dispatched", "closed") == [
        (0.0, "dispatched", 0, "grid_worker", 0),
        (112.0, "dispatched", 1, "grid_worker", 1), (120.0, "closed", 0),
        (230.0, "dispatched", 2, "grid_worker", 0), (232.0, "closed", 1),
        (342.0, "dispatched", 3, "grid_worker", 1), (350.0, "closed", 2), (360.0, "closed", 3)]
    t = res.tasks
    assert t["posts.post_hours"] == 6.0
    assert t["posts.uncovered_hours"] == pytest.approx(2 / 60)  # 0..2, before the first holder arrived


def test_a_run_that_ends_before_the_posts_window_owes_no_post_hours(write_scenario):
    """The window opens 100 min before the onset at 300; the run ends at 150 (the hazard's own incidents
    off, so it may start after the horizon)."""
    sc = ops(posts={"people": 1, "before_onset_min": 100, "until_after_hazard_min": 0})
    sc["horizon_min"], sc["drain_min"] = 150, 0
    sc["incidents"]["hazard_incidents"] = False
    t = run(write_scenario, sc).tasks
    assert t["posts.post_hours"] == 0.0
    assert math.isnan(t["posts.uncovered_hours"]) and math.isnan(t["posts.uncovered_share"])


def test_a_post_left_uncovered_when_nobody_comes(write_scenario):
    """Only one worker, who must leave at the end of his shift (stay_until_relieved false) and is the only
    one who could relieve himself: he serves 2..122, the relief called at 112 has nobody until he is free
    at 122, comes back on post at 124 (2 min), and so on: 2 uncovered minutes a shift."""
    sc = ops(posts={"people": 1, "shift_min": 120, "relief_lead_min": 10, "before_onset_min": 300,
                    "until_after_hazard_min": 0, "stay_until_relieved": False})
    sc["forces"]["grid_workers"]["full_time"] = 1
    t = run(write_scenario, sc).tasks
    assert t["posts.uncovered_hours"] == pytest.approx((2 + 2 + 2) / 60)  # 0..2, 122..124, 244..246


def test_a_forecast_warning_escalates_the_level(write_scenario):
    """Warnings 480 and 0 min before the onset at 600: level III at 120, level I at 600. One agency of 20
    staff at ratio 0.5 sends 2 squads of 5; level III sends a quarter of its squads (squad 0), level I all:
    squad 0 is in place 40 min after 120, squad 1 40 min after 600."""
    sc = tiny()
    sc["incidents"]["hazards"] = [{"name": "typhoon", "start_min": 600, "duration_min": 60, "rate_per_hour": 0}]
    sc["switch"] = {"activation": "warning", "deactivation_quiet_min": None,
                    "forecast": {"steps": [{"before_onset_min": 480, "level": "III"},
                                           {"before_onset_min": 0, "level": "I"}]}}
    sc["forces"]["agencies"] = {"count": 1, "staff_each": 20, "team_ratio": 0.5, "duty_officers_each": 0,
                                "squad_size": 5, "notify_mean_min": 0, "assemble_mean_min": 40, "assemble_cv": 0,
                                "staging": "district"}
    sc["levels"] = {"III": {"tasks": []}, "I": {"tasks": []}}
    res = run(write_scenario, sc)
    assert res.levels == [(120.0, 2), (600.0, 4)]
    assert (120.0, "level_declared", "III") in res.log and (600.0, "level_declared", "I") in res.log
    times, counts = res.mobilisation["agency_team"]
    assert times.tolist() == [160.0, 640.0] and counts.tolist() == [5, 10]


def town_command(full_time: int, max_units: int) -> dict:
    """Level I from 0 with town command; the district reviews every 60 min and moves up to `max_units`
    free units (30 min plus the trip) to a town with a job waiting and nobody free."""
    sc = tiny()
    sc["forces"]["grid_workers"]["full_time"] = full_time
    sc["switch"] = {"activation": "scheduled", "scheduled_min": 0, "deactivation_quiet_min": None}
    sc["levels"] = {"I": {"tasks": [], "command": "town"}}
    sc["dispatch"]["transfers"] = {"review_min": 60, "delay_min": 30, "min_backlog": 1, "max_units": max_units}
    return sc


def test_a_unit_moved_across_towns_by_the_district(write_scenario):
    """Town command: the incident at B (town T2, ready at 15) may not take the worker of T1. At the review
    at 60, T2 has one waiting and nobody free, T1 nothing waiting and one free: the district moves him,
    30 min plus the 8-min trip to T2's post (at B): there at 98, at the incident at 100."""
    sc = town_command(full_time=1, max_units=1)
    res = run(write_scenario, sc, "0,B,complex,minor,,\n", grids=TWO_TOWNS)
    assert kinds(res, "transferred", "dispatched") == [
        (60.0, "transferred", "grid_worker", 0, "T1", "T2"), (98.0, "dispatched", 0, "grid_worker", 0)]
    assert res.incidents["first_arrival_min"].tolist() == [100.0]
    assert res.tasks["transfers"] == 1


def test_the_district_moves_a_unit_only_from_a_town_with_nothing_waiting(write_scenario):
    """Three towns; grid workers at A1 and A2 (town T1) and at C (T3), none in T2. T1 has an incident no
    grid worker may serve (agency teams only: it waits for ever) and two free workers; T2 has one waiting
    for a grid worker; T3 nothing waiting and one free. At the review at 60 T2 is short, and the worker
    comes from T3, not from T1 with more free hands but work of its own waiting."""
    grids = """grid,town,community,kind,households,x_km,y_km,key_area,party_members
A1,T1,C1,rural,100,0,0,0,0
A2,T1,C1,rural,100,1,0,0,0
C,T3,C3,rural,100,6,0,0,0
B,T2,C2,rural,100,3,0,0,0
"""
    sc = town_command(full_time=3, max_units=1)  # one worker at each of the first three grids
    sc["incidents"]["classes"]["departmental"]["forces"] = ["agency_team"]
    res = run(write_scenario, sc, "1,A1,departmental,minor,,\n1,B,complex,minor,,\n", grids=grids)
    assert kinds(res, "transferred") == [(60.0, "transferred", "grid_worker", 2, "T3", "T2")]
    assert res.tasks["transfers"] == 1


def test_a_town_is_short_of_the_force_its_jobs_wait_for_though_others_there_are_free(write_scenario):
    """Two jobs at B (town T2) for village teams; T2's one village team member takes the first (600 min), so
    the second waits while T2's grid worker stands idle: T2 is short of village teams. At the review at 60
    the district moves T1's village team member (free, nothing waiting in T1), not T1's grid worker."""
    sc = town_command(full_time=2, max_units=3)  # grid workers at A (T1) and B (T2)
    sc["forces"]["teams"]["village"] = {"members": 1}  # one per community: at A (C1, T1) and B (C2, T2)
    sc["incidents"]["classes"]["complex"]["forces"] = ["village_team"]
    res = run(write_scenario, sc, "0,B,complex,minor,,600\n0,B,complex,minor,,\n", grids=TWO_TOWNS)
    moves = kinds(res, "transferred")
    assert [(t, what, force, frm, to) for t, what, force, _u, frm, to in moves] == [
        (60.0, "transferred", "village_team", "T1", "T2")]
    assert res.tasks["transfers"] == 1


def test_one_review_moves_as_many_units_as_jobs_wait_up_to_its_limit(write_scenario):
    """Two jobs wait at B (town T2) and T1 has three free workers: one review moves two of them (the limit,
    max_units 3, is not reached: the third stays, since nothing more waits), and later reviews find T2 short
    of nobody."""
    grids = """grid,town,community,kind,households,x_km,y_km,key_area,party_members
A1,T1,C1,rural,100,0,0,0,0
A2,T1,C1,rural,100,1,0,0,0
A3,T1,C1,rural,100,2,0,0,0
B,T2,C2,rural,100,3,0,0,0
"""
    sc = town_command(full_time=3, max_units=3)  # workers at A1, A2 and A3
    res = run(write_scenario, sc, "0,B,complex,minor,,\n0,B,complex,minor,,\n", grids=grids)
    assert kinds(res, "transferred") == [(60.0, "transferred", "grid_worker", 0, "T1", "T2"),
                                         (60.0, "transferred", "grid_worker", 1, "T1", "T2")]
    assert res.tasks["transfers"] == 2


@pytest.mark.parametrize("share,level_share,called", [(1.0, 1.0, True), (0.0, 1.0, False), (1.0, 0.0, False)])
def test_a_part_timer_called_up_at_activation(write_scenario, share, level_share, called):
    """The one part-timer is not on duty in peacetime (availability 0); at activation (minute 100) she is
    called up if her draw is under call_up_share × the level's grid-worker share, and comes on duty after
    her own exponential delay (mean 30)."""
    sc = tiny()
    sc["forces"]["grid_workers"].update(full_time=0, part_time=1, part_time_availability=0.0,
                                        call_up_share=share, call_up_delay_mean_min=30)
    sc["switch"] = {"activation": "scheduled", "scheduled_min": 100, "deactivation_quiet_min": None}
    sc["levels"] = {"I": {"tasks": [], "mobilise": {"grid_worker": level_share}}}
    res = run(write_scenario, sc)
    delay = 30 * float(stream(1, 0, "mobilisation", *GRID_CALL_DELAY).standard_exponential(1)[0])
    on = kinds(res, "on_duty")
    assert on == ([(round(100 + delay, 6), "on_duty", "grid_worker", 0, "A")] if called else [])


def test_a_hotline_call_reaches_the_command_directly(write_scenario):
    """Compliance 0: the grid worker reports nothing. A call to the hotline (share 1, found at once in
    effect) goes straight to the command in one direct hop of 1 min, not through compliance."""
    sc = tiny()
    sc["reporting"]["peacetime"]["compliance"] = 0.0
    sc["forces"]["grid_workers"]["full_time"] = 0
    sc["forces"]["agencies"] = {"count": 1, "duty_officers_each": 1}
    sc["incidents"]["classes"]["complex"]["forces"] = ["agency_duty"]
    sc["reporting"]["discovery"] = {"instant": False, "informant_mean_min": 1e6, "hotline_share": 1.0,
                                    "hotline_mean_min": 1e-6}
    res = run(write_scenario, sc, "10,A,complex,minor,,\n")
    c = res.incidents
    assert [e[3] for e in res.log if e[1] == "discovered"] == ["hotline"]
    assert c["reported_min"][0] == pytest.approx(11.0)


def test_an_unreported_incident_is_found_later_by_the_hotline(write_scenario):
    """Compliance 0 and an informant who finds it first: unreported at discovery. The resident's call
    (its own hotline delay) comes later and is reported directly."""
    sc = tiny()
    sc["reporting"]["peacetime"]["compliance"] = 0.0
    sc["reporting"]["discovery"] = {"instant": False, "informant_mean_min": 1e-6, "hotline_share": 1.0,
                                    "hotline_mean_min": 50}
    sc["forces"]["grid_workers"]["full_time"] = 0  # no patrol: the informant is first
    res = run(write_scenario, sc, "10,A,complex,minor,,\n")
    seen = [e for e in res.log if e[1] in ("discovered", "unreported", "reported")]
    assert [e[1:] for e in seen] == [("discovered", 0, "informant"), ("unreported", 0), ("discovered", 0, "hotline"),
                                     ("reported", 0)]
    assert seen[2][0] > 10 and res.incidents["reported_min"][0] == pytest.approx(seen[2][0] + 1)
    assert res.incidents["discovered_min"][0] == pytest.approx(10.0, abs=1e-3)  # the first discovery counts


def test_shelter_full_sends_the_rest_to_the_next_town(write_scenario, tmp_path):
    """A drill's shelter_full inject: residents not yet moved go to the next town's shelter, with the escorts'
    round trip between the towns added to each (2 × 8 min)."""
    from sim.model import run_drill
    from sim.scenario.drill import load_drill

    grids = """grid,town,community,kind,households,x_km,y_km,key_area,party_members
A,T1,C1,rural,100,0,0,0,0
B,T2,C2,rural,100,3,0,0,0
"""
    sc = ops(evacuation={"vulnerable_share": 0.1, "escorts": 1, "minutes_each": 30, "crew": 1,
                         "deadline_min": 0, "shelter_places_per_resident": 2})
    sc["forces"]["grid_workers"]["full_time"] = 1
    write_scenario(sc, "", grids=grids)
    import yaml
    drill = {"name": "d", "scenario": "sc.yaml", "injects": [{"id": "S", "at": 62, "event": "shelter_full",
                                                                "towns": ["T1"]}]}
    (tmp_path / "d.yaml").write_text(yaml.safe_dump(drill))
    loaded = load_drill(tmp_path / "d.yaml")
    res = run_drill(build_model(loaded.scenario), loaded.drill)
    # 10 residents × 30 min by one person from 2: 2 moved by 62; the other 8 take 30 + 16 min each
    assert res.tasks["evacuation.done_min"] == pytest.approx(62 + 8 * 46)
    assert (62.0, "shelter_full", "T1") in res.log
    assert math.isclose(res.tasks["evacuation.in_place_at_onset"], 10 - 2 - (300 - 62) / 46)


def test_each_level_reports_by_its_own_rules(write_scenario):
    """Level IV (from 100) keeps the peacetime route (grid → community → command: 2 hops of 5 min); level I
    (from 500) reports flat (1 hop of 2 min). An incident at 200 is reported at 210, one at 600 at 602, and
    one before any level (at 50) at 60; the first two are emergency-phase incidents all the same."""
    sc = tiny()
    sc["incidents"]["hazards"] = [{"name": "typhoon", "start_min": 500, "duration_min": 60, "rate_per_hour": 0}]
    sc["switch"] = {"activation": "warning", "deactivation_quiet_min": None,
                    "forecast": {"steps": [{"before_onset_min": 400, "level": "IV"},
                                           {"before_onset_min": 0, "level": "I"}]}}
    sc["levels"] = {"IV": {"tasks": [], "reporting": "peacetime"}, "I": {"tasks": [], "reporting": "emergency"}}
    res = run(write_scenario, sc, "50,A,complex,minor,,\n200,A,complex,minor,,\n600,A,complex,minor,,\n")
    assert res.levels == [(100.0, 1), (500.0, 4)]
    assert res.incidents["reported_min"].tolist() == [60.0, 210.0, 602.0]
    assert res.phase.tolist() == [0, 1, 1]


def test_a_stint_ends_in_rest_and_sleep_debt_shortens_the_next(write_scenario):
    """One squad of 5 called up at 0, on duty at 40. The longest stint is 120 min: off at 160, rest 60 min
    to the next 10-minute mark, back at 220. The first stint ran 60 min past the 60-min onset of tiredness:
    sleep debt 0.5 × 60 = 30 min, not repaid by a rest of just rest_min, so the next stint is 120 − 30 = 90
    min: off at 310, back at 370."""
    sc = tiny()
    sc["switch"] = {"activation": "scheduled", "scheduled_min": 0, "deactivation_quiet_min": None}
    sc["levels"] = {"I": {"tasks": []}}
    sc["forces"]["agencies"] = {"count": 1, "staff_each": 5, "team_ratio": 1.0, "duty_officers_each": 0,
                                "squad_size": 5, "notify_mean_min": 0, "assemble_mean_min": 40, "assemble_cv": 0,
                                "staging": "district"}
    sc["fatigue"] = {"max_on_min": 120, "rest_min": 60, "onset_min": 60, "slowdown_per_hour": 0, "debt_per_hour": 0.5}
    sc["horizon_min"], sc["drain_min"] = 400, 0
    res = run(write_scenario, sc)
    squad = [(e[0], e[1]) for e in res.log if e[1] in ("on_duty", "off_duty") and e[2] == "agency_team" and e[3] == 1]
    assert squad == [(40.0, "on_duty"), (160.0, "off_duty"), (220.0, "on_duty"), (310.0, "off_duty"),
                     (370.0, "on_duty")]


def test_peacetime_hours_keep_a_worker_off_until_his_day_starts(write_scenario):
    """The clock starts at 06:00 and grid workers work from 08:00 (minute 120) to midnight. An incident at
    06:10 is reported at 20 (2 hops of 5) and waits: the worker comes on at 120 and is there at 122; he goes
    off at midnight (1080) and is back at 08:00 the next day (1560)."""
    sc = tiny()
    sc["clock"] = {"start": "06:00"}
    sc["forces"]["availability"] = {"grid_worker": [0.0] * 8 + [1.0] * 16}
    res = run(write_scenario, sc, "10,A,complex,minor,,\n")
    duty = [(e[0], e[1]) for e in res.log if e[1] in ("on_duty", "off_duty") and e[0] > 0]
    assert duty == [(120.0, "on_duty"), (1080.0, "off_duty"), (1560.0, "on_duty")]
    assert res.incidents["reported_min"][0] == 20.0 and res.incidents["first_arrival_min"][0] == 122.0


def test_an_evacuation_rescheduled_by_a_full_shelter_closes_once_when_help_arrives(write_scenario, tmp_path):
    """Level I at 50 starts the evacuation of A's 10 residents (30 min each, one escort, a crew of 2: 300
    person-minutes). The worker at A is there at 52 (alone, done at 352 if nobody came); the worker at B is
    busy with an incident at B until 122. T1's shelter is full at 60: the 292 person-minutes left become
    292 / 30 × 46 (the round trip to T2 added). The worker from B is there at 130; at two hands the rest
    is done at 130 + (292 / 30 × 46 - 70) / 2, and the job closes then, once."""
    from sim.model import run_drill
    from sim.scenario.drill import load_drill

    sc = ops(evacuation={"vulnerable_share": 0.1, "escorts": 1, "minutes_each": 30, "crew": 2,
                         "deadline_min": 0, "shelter_places_per_resident": 2})
    sc["switch"]["scheduled_min"] = 50
    sc["levels"]["I"]["command"] = "district"  # the worker of T2 may help in T1
    write_scenario(sc, "", grids=TWO_TOWNS)
    import yaml
    drill = {"name": "d", "scenario": "sc.yaml", "injects": [
        {"id": "X", "at": 0, "event": "incident", "grid": "B", "class": "complex", "work_min": 100},
        {"id": "S", "at": 60, "event": "shelter_full", "towns": ["T1"]}]}
    (tmp_path / "d.yaml").write_text(yaml.safe_dump(drill))
    loaded = load_drill(tmp_path / "d.yaml")
    res = run_drill(build_model(loaded.scenario), loaded.drill)
    done = 130 + (292 / 30 * 46 - 70) / 2
    assert kinds(res, "dispatched", "closed") == [
        (20.0, "dispatched", 0, "grid_worker", 1), (50.0, "dispatched", 1, "grid_worker", 0),
        (122.0, "closed", 0), (122.0, "dispatched", 1, "grid_worker", 1), (round(done, 6), "closed", 1)]
    assert res.tasks["evacuation.done_min"] == pytest.approx(done)
