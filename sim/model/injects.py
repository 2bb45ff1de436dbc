"""What a drill does to the district besides adding incidents: forces taken away, reporting links cut,
roads closed, activation ordered by hand. Resolved to indices of the territory and the units, so the
model can apply them without knowing about drill files."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sim.model.territory import Territory
from sim.scenario.drill import Drill
from sim.scenario.references import TraceTable
from sim.scenario.schema import FORCES


@dataclass
class Disruption:
    label: str  # the inject id
    kind: str  # unavailable | link_down | road_closed | activate
    at_min: float
    until_min: float = math.inf
    force: int | None = None
    share: float = 1.0
    grids: list[int] = field(default_factory=list)  # where it applies (empty with towns/communities: none)
    extra_min: float = 0.0
    factor: float = 1.0


def _area(terr: Territory, towns: list[str], communities: list[str], grids: list[str]) -> list[int]:
    t = {n: i for i, n in enumerate(terr.town_ids)}
    c = {n: i for i, n in enumerate(terr.community_ids)}
    g = {n: i for i, n in enumerate(terr.grid_ids)}
    out = {g[n] for n in grids}
    for n in towns:
        out |= {i for i in range(terr.n_grids) if terr.grid_town[i] == t[n]}
    for n in communities:
        out |= {i for i in range(terr.n_grids) if terr.grid_comm[i] == c[n]}
    return sorted(out)


def drill_injects(drill: Drill, terr: Territory) -> tuple[TraceTable, list[str], list[Disruption]]:
    """The drill's incidents (as trace rows, with their inject ids) and its other injects."""
    rows = TraceTable([], [], [], [], [], [], [])
    labels: list[str] = []
    out: list[Disruption] = []
    for inj in drill.injects:
        at = drill.at_min(inj)
        if inj.event == "incident":
            assert inj.grid is not None and inj.cls is not None
            rows.onset_min.append(at)
            rows.grid.append(inj.grid)
            rows.cls.append(inj.cls)
            rows.severity.append(inj.severity)
            rows.responders.append(inj.responders)
            rows.work_min.append(inj.work_min)
            assert rows.discovery_factor is not None
            rows.discovery_factor.append(0.0 if inj.discovery == "immediate" else 1.0)
            labels.append(inj.id)
            continue
        until = at + inj.duration_min if inj.duration_min else math.inf
        area = _area(terr, inj.towns, inj.communities, inj.grids)
        out.append(Disruption(inj.id, inj.event, at, until,
                              FORCES.index(inj.force) if inj.force else None, inj.share,
                              area if (inj.towns or inj.communities or inj.grids) else list(range(terr.n_grids)),
                              inj.extra_min, inj.factor))
    return rows, labels, out
