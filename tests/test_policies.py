"""Dispatch policies, one exact trace each where they choose differently, and the greedy anomaly.

Four grids on a line in one town: A at 0 km, C at 1 km, B at 3 km, D at 4 km (travel: 2 min set-up +
2 min/km). Discovery is instant; a peacetime report takes 2 hops of 5 min and a 10-min study, so an
incident is ready 20 min after its onset; each takes one responder 30 min.
"""

from __future__ import annotations

import pytest

from sim.model import POLICIES, build_model, run_replication
from sim.scenario import load_scenario
from tests.conftest import tiny

LINE = """grid,town,community,kind,households,x_km,y_km,key_area,party_members
A,T,C,rural,100,0,0,0,0
B,T,C,rural,100,3,0,0,0
C,T,C,rural,100,1,0,0,0
D,T,C,rural,100,4,0,0,0
"""

PRIORITY = {"simple": 3, "complex": 2, "cross_cutting": 1, "departmental": 4, "urgent": 0}


def dispatches(path, policy: str):
    sc = load_scenario(path, [f"dispatch.policy={policy}"])
    res = run_replication(build_model(sc), 0, trace=True)
    return [e for e in res.log if e[1] == "dispatched"]


def scenario(**changes):
    sc = tiny(**changes)
    for c, p in PRIORITY.items():
        sc["incidents"]["classes"][c]["priority"] = p
    return sc


# One worker at A, busy with i0 (at A) from 20 to 52. Meanwhile four incidents become ready:
# i1 at B (complex, priority 2) at 21; i2 at C (simple, priority 3) at 22; i3 at D (cross-cutting,
# priority 1) at 23; i4 at B (departmental, priority 4, but major) at 24. At 52 the worker, at A, takes:
FREED = {
    "fcfs": 1,  # the first ready
    "roster": 1,  # the first ready too (its difference is in the units it picks: below)
    "nearest": 2,  # C is 1 km away; B 3, D 4
    "priority_nearest": 3,  # priority 1 beats 2, 3, 4
    "severity_priority_nearest": 4,  # major beats minor, whatever the class
}
TRACE = "0,A,complex,minor,,\n1,B,complex,minor,,\n2,C,simple,minor,,\n3,D,cross_cutting,minor,,\n" \
        "4,B,departmental,major,,\n"


@pytest.mark.parametrize("policy", sorted(FREED))
def test_a_freed_unit_takes_what_its_policy_ranks_first(write_scenario, policy):
    path = write_scenario(scenario(), TRACE, grids=LINE)
    got = dispatches(path, policy)
    assert got[0] == (20.0, "dispatched", 0, "grid_worker", 0)
    assert got[1] == (52.0, "dispatched", FREED[policy], "grid_worker", 0)


def test_every_registered_policy_is_exercised():
    assert set(FREED) == set(POLICIES)


def test_the_policies_order_all_four_waiting_incidents(write_scenario):
    # the whole service order, each next one chosen from where the worker last was
    path = write_scenario(scenario(), TRACE, grids=LINE)
    order = {p: [e[2] for e in dispatches(path, p)] for p in FREED}
    assert order["fcfs"] == [0, 1, 2, 3, 4]
    assert order["roster"] == [0, 1, 2, 3, 4]
    assert order["nearest"] == [0, 2, 1, 4, 3]  # A→C, then B (2 km) before D; at B, i4 is there; then D
    assert order["priority_nearest"] == [0, 3, 1, 2, 4]  # priorities 1, 2, 3, 4
    assert order["severity_priority_nearest"] == [0, 4, 3, 1, 2]  # major first, then priorities 1, 2, 3


# Two workers, w0 at A and w1 at B, both on duty from the start (w0 first). j0 at B is ready at 20, j1 at
# B at 60. Nearest units: w1 (2 min) takes j0, is free again at 52, and takes j1 too. A duty roster sends
# whoever has been idle longest: w0 (from A, 8 min: busy until 58) for j0, then w1 for j1.
def test_roster_sends_the_longest_idle_unit_not_the_nearest(write_scenario):
    sc = scenario()
    sc["forces"]["grid_workers"]["full_time"] = 2
    path = write_scenario(sc, "0,B,complex,minor,,\n40,B,complex,minor,,\n", grids=LINE)
    assert dispatches(path, "fcfs") == [(20.0, "dispatched", 0, "grid_worker", 1),
                                        (60.0, "dispatched", 1, "grid_worker", 1)]
    assert dispatches(path, "roster") == [(20.0, "dispatched", 0, "grid_worker", 0),
                                          (60.0, "dispatched", 1, "grid_worker", 1)]


FAR = """grid,town,community,kind,households,x_km,y_km,key_area,party_members
A,T,C,rural,100,0,0,0,0
B,T,C,rural,100,30,0,0,0
"""


def test_greedy_dispatch_can_make_one_more_worker_worse(write_scenario):
    """The residual non-monotonicity of greedy nearest dispatch, on a trace.

    i0 at A (ready 20) keeps the worker at A busy until 52. i1 at A is ready at 35. With one worker it
    waits for him: he is free at 52 on the spot (2 min) and arrives at 54. With a second worker based at
    B, 30 km away, the policy sends that free worker at once: 2 + 60 min, arriving at 97. The model does
    not re-task the nearer worker when he comes free, so the extra worker makes i1's response 43 min
    longer. The paired-replication tests allow for this (tests/test_pairing.py)."""
    inc = "0,A,complex,minor,,\n15,A,complex,minor,,\n"
    one = run_replication(build_model(load_scenario(write_scenario(scenario(), inc, grids=FAR))), 0)
    sc = scenario()
    sc["forces"]["grid_workers"]["full_time"] = 2
    two = run_replication(build_model(load_scenario(write_scenario(sc, inc, grids=FAR, name="two.yaml"))), 0)
    assert one.incidents["first_arrival_min"].tolist() == [22.0, 54.0]
    assert two.incidents["first_arrival_min"].tolist() == [22.0, 97.0]
