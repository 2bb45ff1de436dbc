"""The SimPy model: territory, forces, incidents, reporting, the switch and dispatch, for one replication.

The model knows nothing of experiments, output or the command line.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.model.dispatch import DispatchPolicy, make_policy
from sim.model.district import PHASES, District, ReplicationResult
from sim.model.forces import agency_rows, build_forces
from sim.model.incidents import SOURCES, generate_incidents
from sim.model.territory import Territory, build_territory
from sim.scenario import LoadedScenario, Scenario, TraceTable, read_trace_csv, territory_table


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


__all__ = ["PHASES", "SOURCES", "District", "DispatchPolicy", "Model", "ReplicationResult", "agency_rows",
           "build_model", "make_policy", "run_replication"]
