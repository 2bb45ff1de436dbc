"""The model's pure parts, value by value: the territory, the rosters, the streams and their draws, trip
noise, the tasks' plan, the nearest search's ties, and the incidents' work and area, each on a case small
enough to work out by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import build_model
from sim.model import streams as st
from sim.model.forces import build_forces, visit_rate
from sim.model.incidents import generate_incidents, hazard_mask
from sim.model.spatial import Geometry, SpatialIndex
from sim.model.streams import lognormal_factor, stream
from sim.model.territory import spread
from sim.model.travel import TripNoise
from sim.scenario import load_scenario
from tests.conftest import tiny

TWO_TOWNS = """grid,town,community,kind,households,x_km,y_km,key_area,party_members
A,T1,C1,rural,100,0,0,0,0
B,T2,C2,rural,100,3,0,0,0
"""


def model_of(write_scenario, sc, trace="", **kw):
    return build_model(load_scenario(write_scenario(sc, trace, **kw)))


# --------------------------------------------------------------------------- the territory


@pytest.mark.parametrize("total,weights,expected", [
    (5, [1, 1, 1], [2, 2, 1]),  # 5/3 each: the two largest remainders (ties: first) get one more
    (7, [0.5, 0.3, 0.2], [4, 2, 1]),  # 3.5, 2.1, 1.4: the 0.5 remainder first
    (10, [1, 2, 3, 4], [1, 2, 3, 4]),  # exact: nothing to add
    (3, [0, 0], [0, 0]),  # nothing to spread over
    (0, [1, 1], [0, 0]),
])
def test_spread_gives_whole_numbers_by_the_largest_remainder(total, weights, expected):
    got = spread(total, np.array(weights, dtype=float))
    assert got.tolist() == expected
    if sum(weights):
        assert got.sum() == total


def test_a_party_members_column_is_taken_as_given(write_scenario):
    """TWO_GRIDS registers 4 party members at A and none at B: the column wins over spreading
    `party_members.total` by households (which would give 5 and 5)."""
    sc = tiny()
    sc["forces"]["party_members"]["total"] = 10
    assert model_of(write_scenario, sc).territory.party_members.tolist() == [4, 0]


def test_key_areas_named_in_the_scenario_add_to_the_files(write_scenario):
    sc = tiny()
    assert model_of(write_scenario, sc).territory.key_area.tolist() == [True, False]
    sc["territory"]["key_areas"] = ["B"]
    assert model_of(write_scenario, sc).territory.key_area.tolist() == [True, True]


def test_a_generated_territory_has_its_share_of_key_areas_and_a_consistent_hierarchy(write_scenario):
    sc = tiny()
    sc["territory"] = {"source": "generated", "generator": {"towns": 2, "communities": 4, "grids": 20,
                                                             "key_area_share": 0.25},
                       "travel": sc["territory"]["travel"]}
    sc["incidents"]["trace_file"] = None
    sc["incidents"]["background"] = {"rate_per_hour": 0}
    terr = model_of(write_scenario, sc).territory
    assert terr.n_grids == 20 and int(terr.key_area.sum()) == 5  # round(0.25 × 20)
    assert (terr.comm_town[terr.grid_comm] == terr.grid_town).all()  # a grid's community is in its town
    assert (terr.grid_comm[terr.comm_seat] == np.arange(4)).all()  # a community's seat is one of its grids
    # every town centre is the mean of its grids, the district centre the mean of all
    for t, grids in enumerate(terr.town_grids()):
        assert terr.loc_x[terr.town_loc(t)] == pytest.approx(terr.x_km[grids].mean())
    assert terr.loc_y[terr.district_loc] == pytest.approx(terr.y_km.mean())


def test_a_generated_territory_is_the_same_for_the_same_seed_from_one_version_to_the_next(write_scenario):
    """The positions and households drawn for a seed are pinned: a planner's generated district (and every
    KPI of its runs) must not move when the code changes, unless a change says so here."""
    sc = tiny()
    sc["territory"] = {"source": "generated", "generator": {"towns": 2, "communities": 4, "grids": 20},
                       "travel": sc["territory"]["travel"]}
    sc["incidents"]["trace_file"] = None
    sc["incidents"]["background"] = {"rate_per_hour": 0}
    terr = model_of(write_scenario, sc).territory
    assert terr.x_km[:3].tolist() == pytest.approx([19.71460869044079, 19.62250356282722, 20.687867636301497], abs=1e-9)
    assert terr.y_km[:3].tolist() == pytest.approx([4.866910097194416, 4.526293184238953, 4.3039294013271325], abs=1e-9)
    assert terr.households[:3].tolist() == [123, 143, 122]


# --------------------------------------------------------------------------- the rosters


def test_household_visits_find_an_incident_at_the_rate_of_the_visits(write_scenario):
    """4 visitors spread over two grids of 100 households (2 each), 4 visits a month of 10 households: a
    household is visited 2 × 4 × 10 / 100 times a month, 80 / (100 × 30 × 1440) per minute."""
    sc = tiny()
    sc["reporting"]["discovery"] = {"instant": False, "visits": [{"people": 4, "visits_per_month": 4,
                                                                  "households_per_visit": 10}]}
    m = model_of(write_scenario, sc)
    assert visit_rate(m.scenario, m.territory).tolist() == pytest.approx([80 / (100 * 30 * 1440)] * 2, rel=1e-12)


@pytest.mark.parametrize("ab_backup,coverage", [(True, [0.5, 0.5]), (False, [0.5, 0.0])])
def test_an_absent_holder_is_replaced_by_the_b_post_only_with_ab_backup(write_scenario, ab_backup, coverage):
    """One full-timer holding both grids (coverage 1/2 each), always absent; one part-timer at A, always
    available, effort 0.5. With AB posts the part-timer takes over the holder's post at full effort (both
    grids 1/2); without, the post is empty and the part-timer adds only its own effort at A."""
    sc = tiny()
    sc["forces"]["grid_workers"].update(full_time=1, part_time=1, absence_share=1.0, part_time_availability=1.0,
                                        part_time_effort=0.5, ab_backup=ab_backup)
    m = model_of(write_scenario, sc)
    f = build_forces(m.scenario, m.territory, 0, m.need)
    assert f.coverage.tolist() == coverage
    assert f.units.force == [0] and f.units.home == [0]  # one grid worker, at A, either way


def test_the_teams_of_1_1_n_are_based_at_their_town_their_community_seat_and_their_grids(write_scenario):
    """One community of three grids, A (0, 0), B (3, 0) and D (1, 2): its seat is D, the grid nearest its
    centre (4/3, 2/3). The town team sits at the town's command post (location 3), the village team at
    the seat, the two group teams at the community's first and second grids."""
    grids = """grid,town,community,kind,households,x_km,y_km,key_area,party_members
A,T,C,rural,100,0,0,0,0
B,T,C,rural,100,3,0,0,0
D,T,C,rural,100,1,2,0,0
"""
    sc = tiny()
    sc["forces"]["grid_workers"]["full_time"] = 0
    sc["forces"]["teams"] = {"town": {"per_unit": 1, "members": 1}, "village": {"per_unit": 1, "members": 2},
                             "group": {"per_unit": 2, "members": 1}}
    m = model_of(write_scenario, sc, grids=grids)
    assert m.territory.comm_seat.tolist() == [2]
    u = build_forces(m.scenario, m.territory, 0, m.need).units
    assert list(zip(u.force, u.home)) == [(1, 3), (2, 2), (2, 2), (3, 0), (3, 1)]
    assert u.town == [0] * 5


@pytest.mark.parametrize("share,part_timers", [(0.5, 2), (0.375, 2), (0.3, 1)])
def test_a_share_of_party_members_serve_as_part_time_grid_workers(write_scenario, share, part_timers):
    """Dual-network fusion: of A's 4 party members, share × 4 (rounded half up) serve as part-time grid
    workers at A, at part-time effort each; the rest report in place after activation."""
    sc = tiny()
    sc["forces"]["grid_workers"].update(full_time=0, party_part_time_share=share, part_time_effort=0.5)
    m = model_of(write_scenario, sc)
    f = build_forces(m.scenario, m.territory, 0, m.need)
    assert f.units.force == [0] * part_timers and f.units.home == [0] * part_timers
    assert f.coverage.tolist() == [0.5 * part_timers, 0.0]
    assert f.party_members.tolist() == [4 - part_timers, 0]


def test_every_role_of_a_force_has_its_own_stream():
    """Common random numbers: a role's draws must not be another role's (an on-call draw that is also the
    call-up rank would call exactly the members already on call)."""
    keys = [st.GRID_FULL_TIME, st.GRID_PART_TIME, st.GRID_CALL_UP, st.GRID_CALL_DELAY,
            *[(1 + k, role) for k in range(3) for role in (st.TEAM_DELAY, st.TEAM_ON_CALL, st.TEAM_RANK)],
            st.RESIDENT_PRESENCE, st.RESIDENT_RECALL, st.RESIDENT_RANK, st.AGENCY_NOTIFY, st.AGENCY_ASSEMBLE]
    assert len(set(keys)) == len(keys)
    first = {k: stream(1, 0, "mobilisation", *k).uniform() for k in keys}
    assert len(set(first.values())) == len(keys)


@pytest.mark.parametrize("cv", [0.2, 0.6, 1.5])
def test_lognormal_draws_have_the_mean_and_the_cv_asked_for(cv):
    z = np.random.default_rng(7).standard_normal(400_000)
    f = lognormal_factor(cv, z)
    assert f.mean() == pytest.approx(1.0, rel=0.02) and f.std() / f.mean() == pytest.approx(cv, rel=0.05)
    d = st.lognormal(np.random.default_rng(8), 30.0, cv, 400_000)
    assert d.mean() == pytest.approx(30.0, rel=0.02) and d.std() / d.mean() == pytest.approx(cv, rel=0.05)
    assert (lognormal_factor(0.0, z[:3]) == 1.0).all() and (st.lognormal(None, 30.0, 0.0, 3) == 30.0).all()


# --------------------------------------------------------------------------- trip noise


def test_trip_noise_is_keyed_by_incident_and_responder_slot():
    need = np.array([2, 1])
    noise = TripNoise(0.5, need, stream(3, 0, "travel"))
    f = lognormal_factor(0.5, stream(3, 0, "travel").standard_normal(3))
    assert noise.on and [noise.factor(0, 0), noise.factor(0, 1), noise.factor(1, 0)] == f.tolist()
    assert len(set(f.tolist())) == 3 and all(x != 1.0 for x in f)
    noise.add_job(2, [1.5, 0.5])  # a task's job: its own row, reused past its width
    assert (noise.factor(2, 0), noise.factor(2, 3)) == (1.5, 0.5)
    quiet = TripNoise(0.0, need, stream(3, 0, "travel"))
    assert not quiet.on and quiet.factor(1, 0) == 1.0


# --------------------------------------------------------------------------- the tasks' plan


def test_evacuees_over_their_towns_shelter_go_to_the_next_town_and_the_work_is_counted_by_town(write_scenario):
    """A (town T1) holds 3 vulnerable residents (3 % of 100 households); T1's shelter has 2 places, T2's 5.
    Two go to T1, the last one to T2 with the escorts' round trip between the town centres (2 × 8 min):
    nobody is left without a place. The forecast work by town: T1 has the evacuation (2 × 2 × 40 +
    1 × 2 × (40 + 16)) and the warning round of A (100 households × 4 min); T2 has the post at B, 2 people
    over a window of 60 + 120 + 60 min."""
    sc = tiny()
    sc["incidents"]["hazards"] = [{"name": "flood", "start_min": 300, "duration_min": 60, "rate_per_hour": 0,
                                   "grids": ["A"]}]
    sc["tasks"] = {"evacuation": {"vulnerable_share": 0.03, "shelter_capacity": {"T1": 2, "T2": 5}},
                   "posts": {"sites": "listed", "grids": ["B"], "people": 2, "before_onset_min": 120,
                             "until_after_hazard_min": 60}}
    m = model_of(write_scenario, sc, grids=TWO_TOWNS)
    plan = m.plan
    assert plan.grids.tolist() == [0] and plan.residents.tolist() == [3, 3]
    assert plan.shelter == [(0, 0, 2, 0.0), (0, 1, 1, 16.0)]
    assert plan.no_place == 0
    assert plan.sites == [1]
    assert m.need.tolist() == [2 * 2 * 40 + 1 * 2 * 56 + 100 * 4, 2 * 240]


def test_evacuees_with_no_shelter_anywhere_are_counted_without_a_place(write_scenario):
    sc = tiny()
    sc["incidents"]["hazards"] = [{"name": "flood", "start_min": 300, "duration_min": 60, "rate_per_hour": 0,
                                   "grids": ["A"]}]
    sc["tasks"] = {"evacuation": {"vulnerable_share": 0.03, "shelter_capacity": {"T1": 1, "T2": 0}}}
    plan = model_of(write_scenario, sc, grids=TWO_TOWNS).plan
    assert plan.shelter == [(0, 0, 1, 0.0)] and plan.no_place == 2


# --------------------------------------------------------------------------- the nearest search


def test_nearest_ties_across_sites_go_to_the_lower_member():
    """Sites 0 and 1 stand at one place, 5 km from site 2: from site 2 the second nearest of {7 at site 0,
    3 at site 1} is member 3, although its site comes later."""
    geo = Geometry([0.0, 0.0, 5.0], [0.0, 0.0, 0.0], 3, setup=1.0, per_km=1.0)
    idx = SpatialIndex(geo)
    idx.add(7, 0)
    idx.add(3, 1)
    idx.add(1, 2)
    assert idx.nearest(2, 2) == [(1.0, 1), (6.0, 3)]
    assert idx.nearest(2, 3) == [(1.0, 1), (6.0, 3), (6.0, 7)]
    assert idx.nearest(0, 1) == [(1.0, 3)]


# --------------------------------------------------------------------------- incidents


def test_a_severity_scales_the_responders_and_the_work(write_scenario):
    """A serious incident with factors 2 (responders) and 3 (work) of a complex one (1 responder, 30 min)."""
    sc = tiny()
    sc["incidents"]["severities"]["serious"] = {"responders_factor": 2, "work_factor": 3}
    m = model_of(write_scenario, sc, "0,A,complex,serious,,\n5,A,complex,minor,,\n")
    inc = generate_incidents(m.scenario, m.territory, 0, m.trace)
    assert inc.need.tolist() == [2, 1]
    assert inc.work_min.tolist() == [90.0, 30.0]


@pytest.mark.parametrize("grids,key_only,where", [
    (["A", "B"], False, [True, True]),  # the whole footprint
    (["A", "B"], True, [True, False]),  # its key area (A) only
    (["B"], True, [False, True]),  # no key area in the footprint: all of it
    ([], False, [True, True]),  # no area named: the whole district
])
def test_where_a_hazards_incidents_happen(write_scenario, grids, key_only, where):
    sc = tiny()
    sc["incidents"]["hazards"] = [{"name": "h", "start_min": 10, "duration_min": 10, "rate_per_hour": 0,
                                   "grids": grids, "key_areas_only": key_only}]
    m = model_of(write_scenario, sc)
    assert hazard_mask(m.territory, m.scenario.incidents.hazards[0]).tolist() == where
