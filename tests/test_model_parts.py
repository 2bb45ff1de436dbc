"""The model's parts on their own: the nearest search, the waiting list, and the lazy party count."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from sim.model import build_model, run_replication
from sim.model.spatial import Geometry, SpatialIndex, nearest_in
from sim.model.waiting import WaitingIncidents
from sim.scenario import load_scenario
from tests.conftest import ROOT


def brute(xs, ys, members: dict[int, int], loc: int, k: int, setup: float, per_km: float):
    out = sorted((setup + per_km * math.hypot(xs[s] - xs[loc], ys[s] - ys[loc]), m) for m, s in members.items())
    return out[:k]


@pytest.mark.parametrize("n_sites,n_members", [(5, 8), (40, 30), (400, 900), (400, 40)])
def test_nearest_search_is_exact(n_sites, n_members):
    """Against a brute-force sort of every member, for many points and k, with co-located members and
    members added, removed, parked (off duty, left in place) and back."""
    rng = random.Random(n_sites * 1000 + n_members)
    xs = [rng.uniform(0, 10) for _ in range(n_sites)]
    ys = [rng.uniform(0, 6) for _ in range(n_sites)]
    xs[1], ys[1] = xs[0], ys[0]  # two sites at one place: a tie broken by member number
    geo = Geometry(xs, ys, n_sites, setup=3.0, per_km=1.7)
    idx = SpatialIndex(geo)
    members: dict[int, int] = {}
    for m in range(n_members):
        s = rng.randrange(n_sites)
        idx.add(m, s)
        members[m] = s
    parked: dict[int, int] = {}  # off duty, their place kept
    for step in range(300):
        if step % 3 == 0 and members:  # take one away, add another
            m = rng.choice(sorted(members))
            idx.remove(m)
            del members[m]
            new = n_members + step
            s = rng.randrange(n_sites)
            idx.add(new, s)
            members[new] = s
        if step % 3 == 1 and members:  # one goes off duty where it stands
            m = rng.choice(sorted(members))
            idx.park(m)
            parked[m] = members.pop(m)
            assert m not in idx
        if step % 5 == 2 and parked:  # one comes back: where it was, elsewhere, or is gone for good
            m = rng.choice(sorted(parked))
            s = parked.pop(m)
            how = rng.randrange(3)
            if how == 2:
                idx.remove(m)
            else:
                s = s if how == 0 else rng.randrange(n_sites)
                idx.add(m, s)
                members[m] = s
        loc, k = rng.randrange(n_sites), rng.choice([1, 2, 3, 7])
        assert idx.nearest(loc, k) == brute(xs, ys, members, loc, k, 3.0, 1.7), (step, loc, k)
        site = rng.randrange(n_sites)
        assert idx.at(site) == sorted(m for m, s in members.items() if s == site)
    assert len(idx) == len(members)


def test_a_crew_back_at_once_stands_where_it_came_back():
    """`park_all` then `add_all` (a crew off duty and back): members back where they were, members back
    elsewhere (they went off away from their base) and members new to the index all end up where
    `add_all` puts them, and searches meanwhile skip the parked where they stand."""
    xs, ys = [0.0, 1.0, 2.0, 3.0, 4.0], [0.0] * 5
    idx = SpatialIndex(Geometry(xs, ys, 5, setup=1.0, per_km=1.0))
    for m, s in ((1, 0), (2, 0), (6, 0), (3, 1), (4, 4)):
        idx.add(m, s)
    idx.park_all([1, 3])
    assert idx.at(0) == [2, 6] and idx.at(1) == [] and len(idx) == 3
    assert idx.nearest(1, 2) == [(2.0, 2), (2.0, 6)]  # 3 (parked at 1) and 1 (parked at 0) skipped
    assert idx.nearest(0, 1) == [(1.0, 2)]  # the lowest member of site 0 not parked
    idx.add_all([1, 3, 5], [0, 3, 1])  # 1 back where it was, 3 back elsewhere, 5 new
    assert idx.at(0) == [1, 2, 6] and idx.at(1) == [5] and idx.at(3) == [3] and len(idx) == 6
    assert idx.nearest(3, 5) == [(1.0, 3), (2.0, 4), (3.0, 5), (4.0, 1), (4.0, 2)]


def test_waiting_list_ranks_by_band_then_place_then_ready_order():
    xs, ys = [0.0, 1.0, 3.0, 4.0], [0.0] * 4
    geo = Geometry(xs, ys, 4, setup=2.0, per_km=2.0)
    w = WaitingIncidents(n_groups=2, n_levels=3, by_place=True, town_scope=False, geo=geo)
    w.add(10, seq=0, group=0, town=0, level=2, grid=1)
    w.add(11, seq=1, group=0, town=0, level=1, grid=3)
    w.add(12, seq=2, group=1, town=1, level=1, grid=2)
    w.add(13, seq=3, group=0, town=0, level=1, grid=3)
    assert w.nearest([0], None, loc=0) == 11  # band 1 before 2; 11 and 13 at one place: ready first
    assert w.nearest([0, 1], None, loc=0) == 12  # band 1 in either group: grid 2 is nearer than grid 3
    w.set_scope(True)  # towns command: ranked again per town, from what waits
    assert w.nearest([0, 1], 0, loc=0) == 11  # town 0 only
    assert w.nearest([0, 1], 1, loc=0) == 12
    w.remove(11)
    assert w.nearest([0], 0, loc=0) == 13
    w.remove(13)
    assert w.nearest([0], 0, loc=0) == 10 and len(w) == 2
    assert w.nearest([1], 0, loc=0) is None
    assert w.nearest([0, 1], None, loc=0) == 12  # district-wide kept while towns command
    w.set_scope(False)
    assert w.nearest([0, 1], None, loc=0) == 12 and w.nearest([0], None, loc=0) == 10


def test_oldest_first_waiting_list():
    geo = Geometry([0.0, 1.0], [0.0, 0.0], 2, setup=1.0, per_km=1.0)
    w = WaitingIncidents(n_groups=2, n_levels=1, by_place=False, town_scope=False, geo=geo)
    for i, g in ((5, 0), (6, 1), (7, 0)):
        w.add(i, seq=i, group=i % 2, town=0, level=0, grid=g)
    assert w.oldest([0, 1], None) == 5 and w.oldest([0], None) == 6
    w.remove(5)
    assert w.oldest([0, 1], None) == 6 and w.oldest([1], None) == 7
    w.add(8, seq=8, group=1, town=1, level=0, grid=0)
    w.set_scope(True)  # per town, still in ready order
    assert w.oldest([0, 1], 0) == 6 and w.oldest([1], 0) == 7 and w.oldest([1], 1) == 8
    # no unit serves the whole district: while towns command, only the towns' rankings are kept
    w = WaitingIncidents(n_groups=1, n_levels=1, by_place=False, town_scope=True, geo=geo, district_units=False)
    w.add(1, seq=1, group=0, town=1, level=0, grid=0)
    w.add(2, seq=2, group=0, town=0, level=0, grid=1)
    assert w.oldest([0], 0) == 2 and w.oldest([0], 1) == 1 and w.oldest([0], None) is None
    w.set_scope(False)  # the district commands: ranked district-wide, from what waits
    assert w.oldest([0], None) == 1


def test_lazy_party_count_gives_the_same_run_as_one_event_per_member():
    """Party members are counted lazily unless a trace is asked for, when every arrival is an event of its
    own; both must give the same incidents, to the bit (Gaoming's typhoon, party members serving)."""
    loaded = load_scenario(ROOT / "scenarios" / "gaoming.yaml")
    model = build_model(loaded)
    lazy = run_replication(model, 1)
    eager = run_replication(model, 1, trace=True)
    assert lazy.activations and sum("party_member" in s for s in lazy.served_by) > 50
    for k in lazy.incidents:
        assert np.array_equal(lazy.incidents[k], eager.incidents[k], equal_nan=True), k
    assert lazy.served_by == eager.served_by and lazy.branches == eager.branches
    for f in lazy.mobilisation:
        assert np.array_equal(lazy.mobilisation[f][1], eager.mobilisation[f][1]), f
    assert eager.n_events > lazy.n_events


@pytest.mark.parametrize("district", ["shatang", "gaoming"])  # one town, and four
def test_a_crew_parked_and_unparked_at_once_leaves_the_pool_as_one_by_one(district):
    """`put_all` and `park_all` (a change of shift) must leave the pool exactly as `put` and `take`
    person by person: counts per town, the on-the-spot index and every answer."""
    from sim.model.forces import build_forces
    from sim.model.incidents import generate_incidents
    from sim.model.replication import Replication

    model = build_model(load_scenario(ROOT / "scenarios" / f"{district}.yaml"))
    sc, terr = model.scenario, model.territory

    def pool():
        rep = Replication(sc, terr, generate_incidents(sc, terr, 0, model.trace),
                          build_forces(sc, terr, 0, model.need), 0, model.plan)
        rep.pool.set_scope(True)
        return rep.pool

    one, batch = pool(), pool()
    n_groups, n_towns = len(one.built), one.n_towns

    def same():
        assert one.n_free == batch.n_free and one.free_town == batch.free_town
        assert one.free_units == batch.free_units
        assert {k: v for k, v in one.spot.items() if v} == {k: v for k, v in batch.spot.items() if v}
        for g in range(n_groups):
            for t in range(n_towns):
                assert one.free_for(g, t) == batch.free_for(g, t)
                for grid in (0, terr.n_grids // 2, terr.n_grids - 1):
                    assert one.nearest(g, t, grid, 3) == batch.nearest(g, t, grid, 3), (g, t, grid)

    crew = list(range(0, len(one.force), 2))
    for u in crew:
        one.put(u)
    batch.put_all(crew)
    same()
    moved = crew[1:60:7]  # taken, moved to another town's command, and back: batched under their new town
    for p in (one, batch):
        for u in moved:
            p.take(u)
            t = (p.town[u] + 1) % n_towns
            p.rebase(u, t, terr.town_loc(t))
    for u in moved:
        one.put(u)
    batch.put_all(moved)
    same()
    going = sorted({*crew[::3], *moved})
    for u in going:
        one.take(u)
    batch.park_all(going)
    assert batch.n_free == len(crew) - len(going)
    same()
    for u in going:
        one.put(u)
    batch.put_all(going)
    same()


def test_a_search_over_several_indexes_is_the_search_of_their_union():
    """`nearest_in` (a group's atoms, or a town's units with the district's own) must answer as one index
    holding all their members: against a brute-force sort, with members parked in some and ties across
    indexes (one site in two of them)."""
    rng = random.Random(7)
    n_sites = 300
    xs = [rng.uniform(0, 10) for _ in range(n_sites)]
    ys = [rng.uniform(0, 6) for _ in range(n_sites)]
    geo = Geometry(xs, ys, n_sites, setup=3.0, per_km=1.7)
    idxs = [SpatialIndex(geo) for _ in range(3)]
    members: dict[int, int] = {}
    for m in range(600):
        s = rng.randrange(n_sites) if m % 50 else 0  # site 0 holds members of every index
        idxs[m % 3].add(m, s)
        members[m] = s
    for m in rng.sample(sorted(members), 200):
        idxs[m % 3].park(m)
        del members[m]
    for which in ([0], [0, 1], [2, 0], [0, 1, 2]):
        held = {m: s for m, s in members.items() if m % 3 in which}
        for loc in (0, *rng.sample(range(n_sites), 40)):
            for k in (1, 2, 5):
                assert nearest_in([idxs[j] for j in which], loc, k) == brute(xs, ys, held, loc, k, 3.0, 1.7)
    few = [SpatialIndex(geo) for _ in range(2)]  # few sites in all: the plain scan
    few[0].add(4, 10)
    few[1].add(2, 10)
    few[1].add(9, 20)
    assert nearest_in(few, 10, 2) == [(3.0, 2), (3.0, 4)]
    assert nearest_in(few, 10, 1) == [(3.0, 2)]
    few[1].park(2)
    assert nearest_in(few, 10, 1) == [(3.0, 4)]
    assert nearest_in([few[1]], 10, 3) == [(3.0 + 1.7 * math.hypot(xs[20] - xs[10], ys[20] - ys[10]), 9)]


def test_a_pools_answer_is_the_nearest_of_every_force_of_the_group():
    """The pool keeps one index per atom (forces in the same groups); a group's query must still be the
    nearest free units of all its forces, the town's own and the district's, as a brute force finds them."""
    from sim.model.forces import build_forces
    from sim.model.incidents import generate_incidents
    from sim.model.replication import Replication

    model = build_model(load_scenario(ROOT / "scenarios" / "gaoming.yaml"))
    sc, terr = model.scenario, model.territory
    rep = Replication(sc, terr, generate_incidents(sc, terr, 0, model.trace), build_forces(sc, terr, 0, model.need),
                      0, model.plan)
    pool = rep.pool
    rng = random.Random(3)
    free = sorted(rng.sample(range(len(pool.force)), len(pool.force) // 3))
    pool.put_all(free)
    assert len(pool.atoms) < sum(len(fs) for fs in pool.groups)  # atoms are shared between groups
    tr = rep.travel
    for g, fs in enumerate(pool.groups):
        for town in (None, 0, pool.n_towns - 1):
            for grid in rng.sample(range(terr.n_grids), 5):
                want = sorted((tr.setup + tr.per_km * math.hypot(tr.x[pool.loc[u]] - tr.x[grid],
                                                                  tr.y[pool.loc[u]] - tr.y[grid]), u)
                              for u in free if pool.force[u] in fs
                              and (town is None or pool.town[u] in (town, -1)))
                pool.set_scope(town is not None)
                assert pool.nearest(g, town, grid, 4) == [u for _, u in want[:4]], (g, town, grid)


def test_the_edge_of_a_search_is_never_beyond_a_place_outside_it():
    """A search stops when its k-th best is nearer than the edge of the square of cells it has looked in;
    the edge must therefore be no farther than any place outside that square, on every side."""
    rng = random.Random(5)
    xs = [rng.uniform(0, 8) for _ in range(300)]
    ys = [rng.uniform(0, 5) for _ in range(300)]
    geo = Geometry(xs, ys, 300, setup=0.0, per_km=1.0)
    assert geo.nx > 6 and geo.ny > 6
    for loc in rng.sample(range(300), 60):
        for r in range(4):
            edge = geo.edge(loc, r)
            outside = [s for s in range(300)
                       if abs(geo.ix[s] - geo.ix[loc]) > r or abs(geo.iy[s] - geo.iy[loc]) > r]
            nearest = min(math.hypot(xs[s] - xs[loc], ys[s] - ys[loc]) for s in outside)
            assert edge <= nearest + 1e-12, (loc, r)


def test_a_crews_stint_sums_in_arrays_are_the_sums_person_by_person():
    """`Duty._stints_bulk` (a crew at a change of shift) must give what `_stints_each` gives person by
    person: sleep debt repaid, stints started, and the fatigue checks by due time in the order of their first
    member, with those holding anyone not of the rota; `went_off_all` likewise, above and below `BULK`."""
    from sim.model.duty import BULK
    from sim.model.forces import build_forces
    from sim.model.incidents import generate_incidents
    from sim.model.replication import Replication
    from sim.model.switch import EMERG

    # the agency teams tire but keep no rota: their checks are never put off to a change of shift
    model = build_model(load_scenario(ROOT / "scenarios" / "pingcheng.yaml",
                                      ["shifts.forces=[grid_worker,town_team,village_team,group_team]"]))
    sc, terr = model.scenario, model.territory
    duty = Replication(sc, terr, generate_incidents(sc, terr, 0, model.trace), build_forces(sc, terr, 0, model.need),
                       0, model.plan).duty
    duty.switch.phase = EMERG
    n = len(duty.debt)
    rng = np.random.default_rng(5)
    debt = rng.choice([0.0, 30.0, 95.5, 400.0, 950.0], n) + rng.choice([0.0, rng.uniform(0, 60)], n)
    off = np.where(rng.random(n) < 0.3, np.nan, rng.uniform(1000, 2990, n))
    on = rng.uniform(0, 2000, n)
    units = rng.permutation(n)[:700].tolist()  # not in unit order: the checks keep the order units come in
    fa = sc.fatigue
    for j, u in enumerate(units[:40]):  # on the edges: a check due 60.5 or 59.5 min on (60 at least), a
        debt[u] = fa.max_on_min - (60.5 if j % 2 else 59.5)  # stint 0.5 min past its onset
        on[u] = 3000.0 - max(0.0, fa.onset_min - debt[u]) - 0.5
        off[u] = np.nan
    for u in units[40:60]:  # time off 0.5 min past the rest needed
        off[u] = 3000.0 - fa.rest_min - 0.5
    assert sum(duty.fatigue_unit[u] for u in units) > 100 and not all(duty.shift_unit[u] for u in units)
    got = []
    for stints in (duty._stints_each, duty._stints_bulk):
        duty.debt, duty.off_since, duty.on_since = debt.copy(), off.copy(), on.copy()
        due, mixed = stints(units, 3000.0, True)
        got.append((duty.debt.tolist(), duty.on_since.tolist(), list(due.items()), mixed))
        assert all(type(t) is float for t in due) and all(type(u) is int for g in due.values() for u in g)
    assert got[0] == got[1]
    assert 1 < len(got[0][2]) < len(units) and got[0][3]  # checks shared, and some holding others
    ends = []
    for group in (units, units[:BULK - 1]):
        for whole in (True, False):
            duty.debt, duty.off_since, duty.on_since = debt.copy(), off.copy(), on.copy()
            duty.eng.now = 3000.0
            if whole:
                duty.went_off_all(group)
            else:
                for u in group:
                    duty.went_off(u)
            ends.append(np.concatenate([duty.debt, duty.off_since]))
    assert np.array_equal(ends[0], ends[1], equal_nan=True) and np.array_equal(ends[2], ends[3], equal_nan=True)
    assert not np.array_equal(ends[0], ends[2], equal_nan=True)


def test_work_slows_from_an_onset_that_sleep_debt_brings_forward():
    """`Duty.speed`: 1 / (1 + slowdown per hour × hours on beyond the onset, less the debt owed, never
    below 0); with a debt beyond the onset the whole stint counts."""
    from sim.model.forces import build_forces
    from sim.model.incidents import generate_incidents
    from sim.model.replication import Replication
    from sim.model.switch import EMERG

    model = build_model(load_scenario(ROOT / "scenarios" / "pingcheng.yaml"))
    sc, terr = model.scenario, model.territory
    duty = Replication(sc, terr, generate_incidents(sc, terr, 0, model.trace), build_forces(sc, terr, 0, model.need),
                       0, model.plan).duty
    duty.switch.phase = EMERG
    fa = sc.fatigue
    assert fa.slowdown_per_hour > 0 and fa.onset_min > 120
    u = duty.fatigue_unit.index(True)
    duty.on_since[u], duty.eng.now = 100.0, 100.0 + fa.onset_min + 90.0
    for debt, over in ((0.0, 90.0), (fa.onset_min - 30.0, fa.onset_min + 60.0), (fa.onset_min + 50.0, fa.onset_min + 90.0),
                       (fa.onset_min + 200.0, fa.onset_min + 90.0)):
        duty.debt[u] = debt
        assert duty.speed(u) == pytest.approx(1.0 / (1.0 + fa.slowdown_per_hour * over / 60.0), rel=1e-12), debt
    duty.debt[u], duty.eng.now = 0.0, 100.0 + fa.onset_min - 1.0
    assert duty.speed(u) == 1.0  # before the onset
