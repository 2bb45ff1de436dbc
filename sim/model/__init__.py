"""The SimPy model: territory, forces, incidents, tasks, reporting, levels and dispatch, for one replication.

The model knows nothing of experiments, output or the command line. Where each concept lives:

| module | concept |
|---|---|
| `territory` | towns → communities → grids, positions, households, key areas |
| `travel` | travel minutes from positions, closed roads, trip noise |
| `forces` | the rosters: grid workers (A and B posts), "1+1+N" teams, resident teams, agencies |
| `pool` | the responder pool: on duty, free, where, eligible (acquire and release) |
| `spatial` | nearest search by cells, for the pool and the waiting list |
| `incidents` | background issues, hazards, traces: drawn before the run |
| `reporting` | discovery channels, report routes and hops, batching, must-report, links down |
| `switch` | response levels, activation rules (threshold, scheduled, warning, never), stepping down |
| `party` | party members in place, temporary branches |
| `tasks` | evacuation, posts and warning rounds: the work that takes most of the people |
| `duty` | who is on duty when: call-up by level, rotas, rest and fatigue, peacetime hours |
| `command` | town command: units moved between towns by the district |
| `dispatch` | dispatch policies (the registry) |
| `waiting` | jobs waiting for hands, as the allocation rule and the policy rank them |
| `dispatcher` | the dispatch desk and the work on site |
| `records` | job records (incidents and tasks' jobs) and work progress |
| `injects` | a drill's disruptions |
| `engine` | the SimPy environment driven by callbacks, the event log |
| `replication` | one replication: wires the components, runs, collects |
| `streams` | named random streams |
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.dispatch import POLICIES, DispatchPolicy, make_policy
from sim.model.engine import quiet_collector
from sim.model.forces import agency_rows, build_forces
from sim.model.incidents import SOURCES, generate_incidents
from sim.model.injects import drill_injects
from sim.model.replication import PHASES, Replication, ReplicationResult
from sim.model.tasks import Plan, demand_by_town, make_plan
from sim.model.territory import Territory, build_territory
from sim.scenario import LoadedScenario, Scenario, TraceTable, read_trace_csv, territory_table
from sim.scenario.drill import Drill


@dataclass
class Model:
    """What stays the same across replications: the scenario, the territory, any incident trace, and what
    the tasks will ask for (with each town's share of it, for agency squads sent by need)."""

    scenario: Scenario
    territory: Territory
    trace: TraceTable | None
    plan: Plan
    need: np.ndarray


def build_model(loaded: LoadedScenario) -> Model:
    sc = loaded.scenario
    table = territory_table(loaded)
    terr = build_territory(sc, table)
    trace = read_trace_csv(sc.incidents.trace_file, set(terr.grid_ids)) if sc.incidents.trace_file else None
    vulnerable = np.array(table.vulnerable, dtype=np.int64) if table.vulnerable is not None else None
    plan = make_plan(sc, terr, vulnerable)
    return Model(sc, terr, trace, plan, demand_by_town(sc, terr, plan))


def run_replication(model: Model, replication: int, policy: DispatchPolicy | None = None,
                    trace: bool = False) -> ReplicationResult:
    """Run replication `replication` (0-based); its random inputs depend only on the seed and this index."""
    sc = model.scenario
    with quiet_collector():
        incidents = generate_incidents(sc, model.territory, replication, model.trace)
        forces = build_forces(sc, model.territory, replication, model.need)
        return Replication(sc, model.territory, incidents, forces, replication, model.plan, policy=policy,
                           trace=trace).run()


def run_drill(model: Model, drill: Drill, until: float | None = None) -> ReplicationResult:
    """Replay a drill: its incidents on top of the scenario's (if any), its other injects, full event log."""
    sc = model.scenario
    rows, labels, disruptions = drill_injects(drill, model.territory)
    incidents = generate_incidents(sc, model.territory, 0, model.trace, injected=rows, labels=labels)
    forces = build_forces(sc, model.territory, 0, model.need)
    rep = Replication(sc, model.territory, incidents, forces, 0, model.plan, trace=True, disruptions=disruptions)
    with quiet_collector():
        return rep.run(until=until)


__all__ = ["PHASES", "POLICIES", "SOURCES", "DispatchPolicy", "Model", "Replication", "ReplicationResult",
           "agency_rows", "build_model", "make_policy", "run_drill", "run_replication"]
