"""Party members in place and temporary branches, as exact traces on the grids of tests/conftest.py.

Members report in place after activation, each 10 min after being called (no noise), to their own grid;
they serve jobs there (3 min to set up), as many as a job needs. In an emergency a report takes one hop
of 2 min and a complex incident is studied 10 × 0.5 min, so it is ready 7 min after its onset.
"""

from __future__ import annotations

import pytest

from sim.model import build_model, run_replication
from sim.scenario import load_scenario
from tests.conftest import tiny

GRIDS = """grid,town,community,kind,households,x_km,y_km,key_area,party_members
A,T,C1,rural,100,0,0,{key_a},{party_a}
B,T,C2,rural,100,3,0,0,{party_b}
"""


def grids(party_a: int, party_b: int = 0, key_a: int = 1) -> str:
    return GRIDS.format(party_a=party_a, party_b=party_b, key_a=key_a)


def party(branches: bool = False, **switch) -> dict:
    sc = tiny()
    sc["forces"]["grid_workers"]["full_time"] = 0
    sc["forces"]["party_members"] = {"total": 0, "report_prob": 1.0, "report_delay_mean_min": 10,
                                     "report_delay_cv": 0, "responder_share": 1.0, "local_setup_min": 3,
                                     "report_to": "grid"}
    sc["forces"]["temporary_branches"] = {"enabled": branches, "min_members": 3, "formation_delay_min": 15,
                                          "report_delay_min": 0.5, "work_factor": 0.5}
    sc["incidents"]["classes"]["complex"]["forces"] = ["party_member"]
    sc["switch"] = {"activation": "scheduled", "scheduled_min": 0, "deactivation_quiet_min": None, **switch}
    sc["levels"] = {"I": {"tasks": []}}
    return sc


def run(write_scenario, sc, trace="", grid_csv=None):
    path = write_scenario(sc, trace, grids=grid_csv or grids(1))
    return run_replication(build_model(load_scenario(path)), 0, trace=True)


def stages(res):
    return [e for e in res.log if e[1] in ("dispatched", "arrived", "closed")]


def test_a_member_done_with_one_job_serves_the_next(write_scenario):
    """One member at A, in place at 10. i0 (ready 27) takes her: there at 30, done at 60. i1, ready at 32,
    waits for her: sent at 60 when she is free again, done at 93."""
    res = run(write_scenario, party(), "20,A,complex,minor,,\n25,A,complex,minor,,\n")
    assert stages(res) == [
        (27.0, "dispatched", 0, "party_member", 1), (30.0, "arrived", 0, "party_member", 1), (60.0, "closed", 0),
        (60.0, "dispatched", 1, "party_member", 1), (63.0, "arrived", 1, "party_member", 1), (93.0, "closed", 1)]


def test_a_job_filled_by_party_members_no_longer_waits_for_a_unit(write_scenario):
    """The grid worker at A is busy with i0 (simple, grid workers only, onset 0.5) from 7.5 to 39.5. i1
    (party members or grid workers, onset 1), ready at 8, waits; the member in place at 10 takes it whole.
    When the worker comes free at 39.5 nothing waits: i1 is the member's alone, done at 13 + 30."""
    sc = party()
    sc["forces"]["grid_workers"]["full_time"] = 1
    sc["incidents"]["classes"]["simple"].update(forces=["grid_worker"], on_spot=False)
    sc["incidents"]["classes"]["complex"]["forces"] = ["party_member", "grid_worker"]
    res = run(write_scenario, sc, "0.5,A,simple,minor,,\n1,A,complex,minor,,\n")
    assert stages(res) == [
        (7.5, "dispatched", 0, "grid_worker", 0), (9.5, "arrived", 0, "grid_worker", 0),
        (10.0, "dispatched", 1, "party_member", 1), (13.0, "arrived", 1, "party_member", 1),
        (39.5, "closed", 0), (43.0, "closed", 1)]
    assert res.served_by == ["grid_worker", "party_member"]


@pytest.mark.parametrize("quiet", [50, 10], ids=["later", "at-their-arrival"])
def test_members_go_home_when_the_district_stands_down(write_scenario, quiet):
    """Four members at A in place at 10; the district steps straight down to peacetime after `quiet`
    minutes: all four leave then (also when that is the minute they arrived)."""
    sc = party(deactivation_quiet_min=quiet, step_down_min=0)
    res = run(write_scenario, sc, grid_csv=grids(4))
    assert res.deactivations == [quiet]
    times, counts = res.mobilisation["party_member"]
    assert times.tolist() == [10, 10, 10, 10, quiet] and counts.tolist() == [1, 2, 3, 4, 0]
    assert res.on_duty_min["party_member"] == 4 * (quiet - 10)


def test_a_branch_forms_again_in_the_next_emergency(write_scenario, tmp_path):
    """A drill: activated at 0 and at 100 by hand, standing down after 50 quiet minutes each time. A's four
    members report 10 min after each call; A is a key area: its community's branch forms 15 min after the
    third is in place, in each emergency."""
    import yaml

    from sim.model import run_drill
    from sim.scenario.drill import load_drill

    sc = party(branches=True, activation="never", deactivation_quiet_min=50, step_down_min=0)
    write_scenario(sc, grids=grids(4))
    drill = {"name": "d", "scenario": "sc.yaml", "injects": [{"id": "A1", "at": 0, "event": "activate"},
                                                             {"id": "A2", "at": 100, "event": "activate"}]}
    (tmp_path / "d.yaml").write_text(yaml.safe_dump(drill))
    loaded = load_drill(tmp_path / "d.yaml")
    res = run_drill(build_model(loaded.scenario), loaded.drill)
    assert res.activations == [0.0, 100.0] and res.deactivations == [50.0, 150.0]
    assert res.branches == [(25.0, "C1"), (125.0, "C1")]


def test_a_level_calls_its_share_of_members_and_a_higher_one_the_rest(write_scenario):
    """A forecast: level III at 0 (party members' share 0.5), level I at 100 (all). Of the four members at A
    (their draws 0.88, 0.63, 0.02 and 0.29 for seed 1) the two under 0.5 report at 10, the other two at 110.
    A is a key area: the branch of its community needs 3 members in place, so it is formed at 110 + 15."""
    sc = party(branches=True)
    sc["switch"] = {"activation": "warning", "deactivation_quiet_min": None,
                    "forecast": {"steps": [{"before_onset_min": 100, "level": "III"},
                                           {"before_onset_min": 0, "level": "I"}]}}
    sc["incidents"]["hazards"] = [{"name": "storm", "start_min": 100, "duration_min": 10, "rate_per_hour": 0}]
    sc["levels"] = {"III": {"tasks": [], "mobilise": {"party_member": 0.5}}, "I": {"tasks": []}}
    res = run(write_scenario, sc, grid_csv=grids(4))
    assert res.levels == [(0.0, 2), (100.0, 4)]
    assert [e for e in res.log if e[1] == "party_member_in_place"] == [
        (10.0, "party_member_in_place", "A"), (10.0, "party_member_in_place", "A"),
        (110.0, "party_member_in_place", "A"), (110.0, "party_member_in_place", "A")]
    assert res.branches == [(125.0, "C1")]
    assert res.mobilisation["party_member"][1].tolist() == [1, 2, 3, 4]


@pytest.mark.parametrize("scope,hazard_grids,where", [
    ("key_areas", ["B"], ["A", "A"]),  # A is the key area
    ("footprint", ["B"], ["B", "B", "B"]),  # the hazard's grids
    ("all", ["B"], ["A", "A", "B", "B", "B"]),
])
def test_the_members_in_scope_report(write_scenario, scope, hazard_grids, where):
    sc = party()
    sc["forces"]["party_members"]["scope"] = scope
    sc["incidents"]["hazards"] = [{"name": "flood", "start_min": 500, "duration_min": 10, "rate_per_hour": 0,
                                   "grids": hazard_grids}]
    res = run(write_scenario, sc, grid_csv=grids(2, 3))
    assert [e[2] for e in res.log if e[1] == "party_member_in_place"] == where


def test_a_major_incident_makes_its_community_a_key_site_for_a_branch(write_scenario):
    """No key areas; three members in place at 10 in each community. A major incident at A (community C1),
    a must-report (one direct hop of 1 min: reported at 21), gives C1 a branch at 21 + 15; a minor one at B
    (C2, reported at 22) gives none."""
    res = run(write_scenario, party(branches=True), "20,A,complex,major,,\n20,B,complex,minor,,\n",
              grid_csv=grids(3, 3, key_a=0))
    assert res.incidents["reported_min"].tolist() == [21.0, 22.0]
    assert res.branches == [(36.0, "C1")]
