"""The SimPy model: territory, forces, incidents, reporting, the switch and dispatch, for one replication.

The model knows nothing of experiments, output or the command line.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.model.dispatch import DispatchPolicy, make_policy
from sim.model.district import PHASES, District, ReplicationResult
from sim.model.forces import agency_rows, build_forces
from sim.model.incidents import SOURCES, generate_incidents
from sim.model.injects import drill_injects
from sim.model.territory import Territory, build_territory
from sim.scenario import LoadedScenario, Scenario, TraceTable, read_trace_csv, territory_table
from sim.scenario.drill import Drill


@dataclass
class Model:
    """What stays the same across replications: the scenario, the territory and any incident trace."""

    scenario: Scenario
    territory: Territory
    trace: TraceTable | None


def build_model(loaded: LoadedScenario) -> Model:
    sc = loaded.scenario
    terr = build_territory(sc, territory_table(loaded))
    trace = read_trace_csv(sc.incidents.trace_file, set(terr.grid_ids)) if sc.incidents.trace_file else None
    return Model(sc, terr, trace)


def run_replication(model: Model, replication: int, policy: DispatchPolicy | None = None,
                    trace: bool = False) -> ReplicationResult:
    """Run replication `replication` (0-based); its random inputs depend only on the seed and this index."""
    sc = model.scenario
    incidents = generate_incidents(sc, model.territory, replication, model.trace)
    forces = build_forces(sc, model.territory, replication)
    return District(sc, model.territory, incidents, forces, replication, policy=policy, trace=trace).run()


def run_drill(model: Model, drill: Drill, until: float | None = None) -> ReplicationResult:
    """Replay a drill: its incidents on top of the scenario's (if any), its other injects, full event log."""
    sc = model.scenario
    rows, labels, disruptions = drill_injects(drill, model.territory)
    incidents = generate_incidents(sc, model.territory, 0, model.trace, injected=rows, labels=labels)
    forces = build_forces(sc, model.territory, 0)
    district = District(sc, model.territory, incidents, forces, 0, trace=True, disruptions=disruptions)
    return district.run(until=until)


__all__ = ["PHASES", "SOURCES", "District", "DispatchPolicy", "Model", "ReplicationResult", "agency_rows",
           "build_model", "make_policy", "run_drill", "run_replication"]
