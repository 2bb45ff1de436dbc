"""Who is on duty when, as exact traces: a rota's two crews, fatigue with sleep debt and slowing down, a
tired post holder, peacetime hours, and resident teams' days in the village.

The subjects are agency squads (people called up for the emergency, so rotas and fatigue apply to them):
one agency at the district centre of the two-grid scenario of tests/conftest.py, notified at once and
assembled in exactly 40 min, activated (level I) at minute 0.
"""

from __future__ import annotations

import pytest

from sim.model import build_model, run_replication
from sim.model.streams import RESIDENT_RECALL, slot_width, stream
from sim.scenario import load_scenario
from tests.conftest import tiny


def squads(staff: int, squad_size: int, end: float, **switch) -> dict:
    sc = tiny()
    sc["horizon_min"], sc["drain_min"] = end, 0
    sc["forces"]["grid_workers"]["full_time"] = 0
    sc["forces"]["party_members"]["report_prob"] = 0.0  # A's four stay at home: no branch
    sc["forces"]["agencies"] = {"count": 1, "staff_each": staff, "team_ratio": 1.0, "duty_officers_each": 0,
                                "squad_size": squad_size, "notify_mean_min": 0, "assemble_mean_min": 40,
                                "assemble_cv": 0, "staging": "district"}
    sc["switch"] = {"activation": "scheduled", "scheduled_min": 0, "deactivation_quiet_min": None, **switch}
    sc["levels"] = {"I": {"tasks": []}}
    return sc


def run(write_scenario, sc, trace=""):
    return run_replication(build_model(load_scenario(write_scenario(sc, trace))), 0, trace=True)


def duty_changes(res) -> list[tuple[float, str, list[int]]]:
    """On and off duty, the units of one minute and kind together."""
    out: list[tuple[float, str, list[int]]] = []
    for e in res.log:
        if e[1] in ("on_duty", "off_duty"):
            if out and out[-1][:2] == (e[0], e[1]):
                out[-1][2].append(e[3])
            else:
                out.append((e[0], e[1], [e[3]]))
    return out


def test_a_rota_turns_the_two_crews_on_and_off(write_scenario):
    """Two squads of 5 (crew 0: units 0-4, crew 1: units 5-9), in place at 40. Shifts of 100 on and 150
    off from the activation at 0: crew 0 on 0..100, 250..350, 500..; crew 1 on 100..200, 350..450."""
    sc = squads(10, 5, 520)
    sc["shifts"] = {"enabled": True, "on_min": 100, "off_min": 150}
    res = run(write_scenario, sc)
    c0, c1 = [0, 1, 2, 3, 4], [5, 6, 7, 8, 9]
    assert duty_changes(res) == [
        (40.0, "on_duty", c0),
        (100.0, "off_duty", c0), (100.0, "on_duty", c1),
        (200.0, "off_duty", c1),
        (250.0, "on_duty", c0),
        (350.0, "off_duty", c0), (350.0, "on_duty", c1),
        (450.0, "off_duty", c1),
        (500.0, "on_duty", c0)]
    times, counts = res.mobilisation["agency_team"]
    assert list(zip(times.tolist(), counts.tolist())) == [
        (40, 5), (100, 0), (100, 5), (200, 0), (250, 5), (350, 0), (350, 5), (450, 0), (500, 5)]


def test_people_available_again_during_their_crews_time_off_wait_for_its_turn(write_scenario, tmp_path):
    """A drill makes the whole agency unavailable 60..160 (the rota of the test above): crew 0 leaves at
    60, crew 1 misses its turn at 100; at 160 crew 1 (on 100..200) comes on, crew 0 (off 100..250) does
    not: it waits for its turn at 250."""
    import yaml

    from sim.model import run_drill
    from sim.scenario.drill import load_drill

    sc = squads(10, 5, 400)
    sc["shifts"] = {"enabled": True, "on_min": 100, "off_min": 150}
    scenario = write_scenario(sc)
    drill = {"name": "gone", "scenario": scenario.name, "injects": [
        {"id": "U", "at": 60, "event": "unavailable", "force": "agency_team", "duration_min": 100}]}
    path = tmp_path / "gone.yaml"
    path.write_text(yaml.safe_dump(drill, sort_keys=False))
    loaded = load_drill(path)
    res = run_drill(build_model(loaded.scenario), loaded.drill)
    c0, c1 = [0, 1, 2, 3, 4], [5, 6, 7, 8, 9]
    assert duty_changes(res) == [
        (40.0, "on_duty", c0), (60.0, "off_duty", c0), (160.0, "on_duty", c1), (200.0, "off_duty", c1),
        (250.0, "on_duty", c0), (350.0, "off_duty", c0), (350.0, "on_duty", c1)]


def test_fatigue_rest_and_sleep_debt_shorten_the_stints(write_scenario):
    """One person, in place at 40; at most 120 min on, then 95 min of rest (to the next 10-minute mark);
    every hour worked beyond the first 60 of a stint adds half an hour of sleep debt, rest beyond the 95
    repays it, and the debt brings the end of the next stint forward (never below 60 min):

    - 40..160: 60 min beyond the onset, debt 30; rest 160 + 95 = 255, to 260 (5 min repaid: debt 25)
    - 260..355 (120 - 25 = 95 min): beyond the onset (60 - 25 = 35) by 60, debt 55; back at 450
    - 450..515 (120 - 55 = 65 min): beyond 5 by 60, debt 85; back at 610
    - 610..670 (120 - 85 = 35, at least 60)."""
    sc = squads(1, 1, 700)
    sc["fatigue"] = {"onset_min": 60, "slowdown_per_hour": 0, "max_on_min": 120, "rest_min": 95,
                     "debt_per_hour": 0.5}
    res = run(write_scenario, sc)
    assert duty_changes(res) == [
        (40.0, "on_duty", [0]), (160.0, "off_duty", [0]), (260.0, "on_duty", [0]), (355.0, "off_duty", [0]),
        (450.0, "on_duty", [0]), (515.0, "off_duty", [0]), (610.0, "on_duty", [0]), (670.0, "off_duty", [0])]


def test_a_stint_past_the_end_of_its_shift_still_tires(write_scenario):
    """One person of a 100-on, 150-off rota, in place at 40, at most 120 min on, then 200 of rest. An
    incident keeps her busy past her crew's end of shift (100) and past her longest stint (160): she is
    tired at 160, goes off when done, and rests to 390, so she misses her crew's turn at 250 (and is not
    wanted at 390, her crew being off 350..500): next on at 500. Without the check at 160 she would be
    back at 250."""
    sc = squads(1, 1, 600)
    sc["shifts"] = {"enabled": True, "on_min": 100, "off_min": 150}
    sc["fatigue"] = {"onset_min": 60, "slowdown_per_hour": 0, "max_on_min": 120, "rest_min": 200,
                     "debt_per_hour": 0}
    sc["incidents"]["classes"]["complex"]["forces"] = ["agency_team"]
    res = run(write_scenario, sc, "85,A,complex,minor,1,90\n")
    done = float(res.incidents["closed_min"][0])
    assert 160 < done < 190
    assert duty_changes(res) == [(40.0, "on_duty", [0]), (done, "off_duty", [0]), (500.0, "on_duty", [0])]


def test_work_slows_late_in_a_stint(write_scenario):
    """The agency person, on duty from 40, slows down by half for every hour of a stint beyond its first
    60 min: she reaches an incident at A at 160 (ready at 155, 5 min from the district centre), one hour
    past the onset, and works at 1 / 1.5: its 30 min take 45."""
    sc = squads(1, 1, 400)
    sc["fatigue"] = {"onset_min": 60, "slowdown_per_hour": 0.5, "max_on_min": None}
    sc["incidents"]["classes"]["complex"]["forces"] = ["agency_team"]
    res = run(write_scenario, sc, "148,A,complex,minor,,\n")
    c = res.incidents
    assert (c["dispatched_min"][0], c["first_arrival_min"][0], c["closed_min"][0]) == (155.0, 160.0, 205.0)


def test_peacetime_hours_bring_each_force_on_and_off_by_the_clock(write_scenario):
    """Grid workers' hours: none on 00:00-08:00, all 08:00-18:00, half 18:00-24:00 (worker 0 stays on: his
    place in the spread is 0, worker 1's 0.618). The run starts at 06:30: all go off at once, come on at
    08:00 (minute 90), worker 1 goes at 18:00 (690), worker 0 at midnight (1050)."""
    sc = tiny()
    sc["horizon_min"], sc["drain_min"] = 1500, 0
    sc["clock"] = {"start": "06:30"}
    sc["forces"]["grid_workers"]["full_time"] = 2
    sc["forces"]["availability"] = {"grid_worker": [0.0] * 8 + [1.0] * 10 + [0.5] * 6}
    res = run(write_scenario, sc)
    assert [e for e in duty_changes(res) if e[0] > 0] == [
        (90.0, "on_duty", [0, 1]), (690.0, "off_duty", [1]), (1050.0, "off_duty", [0])]
    assert res.on_duty_min["grid_worker"] == (1050 - 90) + (690 - 90)


def test_a_tired_post_holder_leaves_at_once_and_a_relief_is_called(write_scenario):
    """A post at A (its key area) from 0 to the hazard's end at 360, shifts of 480 (no relief in the window);
    the one agency person, in place at 40, is there at 45 (5 min from the district centre) and must rest
    after 120 min on: at 160 she leaves the post, a relief is called, and she takes it herself when back
    at 260 (160 + 95, on the next 10-minute mark), there at 265 until the window closes."""
    sc = squads(1, 1, 400)
    sc["fatigue"] = {"onset_min": 600, "slowdown_per_hour": 0, "max_on_min": 120, "rest_min": 95}
    sc["incidents"]["hazards"] = [{"name": "flood", "start_min": 300, "duration_min": 60, "rate_per_hour": 0,
                                   "grids": ["A"]}]
    sc["levels"] = {"I": {"tasks": ["posts"]}}
    sc["tasks"] = {"posts": {"people": 1, "shift_min": 480, "relief_lead_min": 10, "before_onset_min": 300,
                             "until_after_hazard_min": 0, "forces": ["agency_team"]}}
    res = run(write_scenario, sc)
    assert [e for e in res.log if e[1] in ("ready", "dispatched", "arrived", "closed")] == [
        (0.0, "ready", 0), (40.0, "dispatched", 0, "agency_team", 0), (45.0, "arrived", 0, "agency_team", 0),
        (160.0, "closed", 0), (160.0, "ready", 1),
        (260.0, "dispatched", 1, "agency_team", 0), (265.0, "arrived", 1, "agency_team", 0), (360.0, "closed", 1)]
    assert res.tasks["posts.post_hours"] == 6.0
    assert res.tasks["posts.uncovered_hours"] == pytest.approx((45 + 105) / 60)  # 0..45 and 160..265


def residents(days: list[str], **switch) -> dict:
    """One resident team member for the one community of TWO_GRIDS (seat A), nobody else; the run starts
    at 00:00 on a Monday and lasts to Tuesday 23:20."""
    sc = tiny()
    sc["horizon_min"], sc["drain_min"] = 2840, 0
    sc["forces"]["grid_workers"]["full_time"] = 0
    sc["forces"]["resident_teams"] = {"members_per_village": 1, "days": days, "day_start": "08:00",
                                      "day_end": "10:00", "recall_mean_min": 30}
    if switch:
        sc["switch"] = {"deactivation_quiet_min": None, **switch}
        sc["levels"] = {"I": {"tasks": []}}
    return sc


def test_a_resident_team_is_on_duty_in_the_village_on_its_days(write_scenario):
    """Days: Tuesday, 08:00 to 10:00: on duty from minute 1440 + 480 to 1440 + 600, off the rest of the run
    (not on Monday)."""
    res = run(write_scenario, residents(["tue"]))
    assert duty_changes(res) == [(1920.0, "on_duty", [0]), (2040.0, "off_duty", [0])]
    assert res.on_duty_min["resident_team"] == 120.0


def test_a_resident_team_in_the_village_stays_at_activation_one_away_is_recalled(write_scenario):
    """Activation (level I) on Tuesday at 09:00: the member in the village stays on duty (no recall) and
    is not stood down at 10:00. On Monday at 09:00 the member is away: recalled after her own delay."""
    here = run(write_scenario, residents(["tue"], activation="scheduled", scheduled_min=1440 + 540))
    assert duty_changes(here) == [(1920.0, "on_duty", [0])]
    away = run(write_scenario, residents(["tue"], activation="scheduled", scheduled_min=540))
    recall = 30 * float(stream(1, 0, "mobilisation", *RESIDENT_RECALL).standard_exponential((1, slot_width(1)))[0, 0])
    assert duty_changes(away) == [(round(540 + recall, 6), "on_duty", [0])]


def test_a_resident_team_member_is_stood_down_by_a_lower_level_whatever_her_days(write_scenario, tmp_path):
    """Level I on Monday at 09:00 (she is away: recalled, on duty after her own delay); level IV at 14:00,
    which mobilises no resident team: she goes off at once, days or no days (her days only keep her on in
    the village when the emergency starts)."""
    import yaml

    from sim.model import run_drill
    from sim.scenario.drill import load_drill

    recall = 30 * float(stream(1, 0, "mobilisation", *RESIDENT_RECALL).standard_exponential((1, slot_width(1)))[0, 0])
    for days in ([], ["tue"]):
        sc = residents(days, activation="never")
        sc["forces"]["resident_teams"]["presence_share"] = 0.0  # without days: not on duty in peacetime
        sc["levels"]["IV"] = {"tasks": [], "mobilise": {"resident_team": 0.0}}
        write_scenario(sc, "")
        drill = {"name": "d", "scenario": "sc.yaml", "injects": [
            {"id": "I", "at": 540, "event": "level", "level": "I"},
            {"id": "IV", "at": 840, "event": "level", "level": "IV"}]}
        (tmp_path / "d.yaml").write_text(yaml.safe_dump(drill))
        loaded = load_drill(tmp_path / "d.yaml")
        res = run_drill(build_model(loaded.scenario), loaded.drill)
        on = [(t, what) for t, what, _ in duty_changes(res)]
        assert on[:2] == [(round(540 + recall, 6), "on_duty"), (840.0, "off_duty")], (days, on)


def test_a_rota_counts_its_shifts_from_the_activation(write_scenario):
    """The rota of the test above, activated at 30 instead of 0 (squads in place at 70): crew 0 on
    30..130 and 280..380, crew 1 on 130..230 and 380..480."""
    sc = squads(10, 5, 400, scheduled_min=30)
    sc["shifts"] = {"enabled": True, "on_min": 100, "off_min": 150}
    res = run(write_scenario, sc)
    c0, c1 = [0, 1, 2, 3, 4], [5, 6, 7, 8, 9]
    assert duty_changes(res) == [
        (70.0, "on_duty", c0), (130.0, "off_duty", c0), (130.0, "on_duty", c1), (230.0, "off_duty", c1),
        (280.0, "on_duty", c0), (380.0, "off_duty", c0), (380.0, "on_duty", c1)]
