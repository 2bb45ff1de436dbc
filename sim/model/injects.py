"""What a drill does to the district besides adding incidents: forces taken away, reporting links cut,
roads closed, activation ordered by hand. Resolved to indices of the territory (`drill_injects`), then
applied and lifted during the run (`Disruptions`), so the model needs no drill files."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sim.model.engine import Engine
from sim.model.territory import Territory
from sim.scenario.drill import Drill
from sim.scenario.operations import LEVELS
from sim.scenario.references import TraceTable
from sim.scenario.schema import FORCES

if TYPE_CHECKING:
    from sim.model.dispatcher import Dispatcher
    from sim.model.switch import Switch
    from sim.model.tasks import Tasks
    from sim.model.travel import Travel

INF = math.inf


@dataclass
class Disruption:
    label: str  # the inject id
    kind: str  # unavailable | link_down | road_closed | activate | warning | level | shelter_full
    at_min: float
    until_min: float = math.inf
    force: int | None = None
    share: float = 1.0
    grids: list[int] = field(default_factory=list)  # where it applies (empty with towns/communities: none)
    extra_min: float = 0.0
    factor: float = 1.0
    level: int = 0  # warning, level: the response level (1 = IV ... 4 = I; 0: the rule's choice)
    towns: list[int] = field(default_factory=list)  # shelter_full


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
        town_ix = {n: i for i, n in enumerate(terr.town_ids)}
        out.append(Disruption(inj.id, inj.event, at, until,
                              FORCES.index(inj.force) if inj.force else None, inj.share,
                              area if (inj.towns or inj.communities or inj.grids) else list(range(terr.n_grids)),
                              inj.extra_min, inj.factor, LEVELS.index(inj.level) + 1 if inj.level else 0,
                              [town_ix[t] for t in inj.towns]))
    return rows, labels, out


class Disruptions:
    """Applies a drill's disruptions at their times and lifts them when they end."""

    def __init__(self, eng: Engine, terr: Territory, items: list[Disruption], dispatcher: Dispatcher,
                 switch: Switch, travel: Travel, tasks: Tasks):
        self.eng, self.terr, self.items = eng, terr, items
        self.dispatcher, self.switch, self.travel, self.tasks = dispatcher, switch, travel, tasks
        self.link_until = [0.0] * terr.n_grids  # a report from the grid waits until then

    def start(self) -> None:
        # at the same minute they take effect before that minute's incidents
        for d in self.items:
            self.eng.soon(d.at_min, self.apply, d)

    def apply(self, d: Disruption) -> None:
        now, note = self.eng.now, self.eng.note
        if d.kind == "activate":
            self.switch.by_hand(d.label)
            return
        if d.kind == "warning":  # a warning issued by hand: at least level IV (or the level named)
            note("warning_issued", d.label)
            self.switch.declare(d.level or 1)
            return
        if d.kind == "level":  # the response level set by hand, up or down
            note("level_ordered", d.label)
            self.switch.declare(d.level, force=True)
            return
        if d.kind == "shelter_full":
            for t in d.towns:
                self.tasks.shelter_full(t)
            return
        pool = self.dispatcher.pool
        if d.kind == "unavailable":
            units = self.units_in(d)
            note("unavailable", d.label, FORCES[d.force] if d.force is not None else "", len(units),
                 round(d.until_min, 6))
            for u in units:
                pool.blocked[u] = max(pool.blocked[u], d.until_min)
                if pool.on[u] and pool.is_free[u]:
                    self.dispatcher.unit_off(u)
            if d.until_min < INF:
                self.eng.at(d.until_min - now, self.restore, d, units)
            return
        tr = self.travel
        for g in d.grids:
            if d.kind == "link_down":
                self.link_until[g] = max(self.link_until[g], d.until_min)
            else:
                tr.closed_until[g] = max(tr.closed_until[g], d.until_min)
                tr.factor[g], tr.extra[g] = d.factor, d.extra_min
        if d.kind == "road_closed":
            tr.n_closed += 1
        note(d.kind, d.label, len(d.grids), round(d.until_min, 6))
        if d.until_min < INF:
            self.eng.at(d.until_min - now, self.restore, d, [])

    def units_in(self, d: Disruption) -> list[int]:
        """The first `share` of the force's units (by number) based in the inject's area."""
        t = self.terr
        pool = self.dispatcher.pool
        area = set(d.grids)
        towns = {int(t.grid_town[g]) for g in area}
        whole = len(area) == t.n_grids
        pick = []
        for u, f in enumerate(pool.force):
            if f != d.force:
                continue
            home = pool.home[u]
            if home < t.n_grids:
                inside = home in area
            elif home < t.district_loc:
                inside = (home - t.n_grids) in towns
            else:
                inside = whole
            if inside:
                pick.append(u)
        return pick[: math.ceil(d.share * len(pick) - 1e-9)]

    def restore(self, d: Disruption, units: list[int]) -> None:
        now = self.eng.now
        if d.kind == "unavailable":
            self.eng.note("available_again", d.label, len(units))
            # back on duty only those the duty plan wants now: not a crew off shift, nor someone resting
            self.dispatcher.duty.restored([u for u in units if self.dispatcher.pool.blocked[u] <= now])
            return
        if d.kind == "road_closed":
            tr = self.travel
            tr.n_closed -= 1
            for g in d.grids:
                if tr.closed_until[g] <= now:
                    tr.factor[g], tr.extra[g] = 1.0, 0.0
                else:  # another closure of this grid still lasts: its detour applies again
                    live = [o for o in self.items if o.kind == "road_closed" and g in o.grids
                            and o.at_min <= now < o.until_min]
                    last = max(live, key=lambda o: o.at_min)
                    tr.factor[g], tr.extra[g] = last.factor, last.extra_min
        self.eng.note("link_restored" if d.kind == "link_down" else "road_opened", d.label)
