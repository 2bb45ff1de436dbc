"""Forces: who is there before anything happens, and who comes after the switch and how fast.

Each responder is one unit (a person); members of a team or agency squad share one assembly delay, so
they come on duty together. Every random input is keyed by the force, the role and the member it belongs
to (`sim.model.streams`): more full-time grid workers leave the part-timers' availability alone, a bigger
team or a higher agency ratio adds members and squads without moving the others' draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.model import streams as st
from sim.model.streams import lognormal_factor, slot_width, stream
from sim.model.territory import Territory, spread
from sim.model.travel import Travel
from sim.scenario.schema import FORCES, Scenario

INF = math.inf


@dataclass
class Units:
    force: list[int] = field(default_factory=list)  # index into FORCES
    home: list[int] = field(default_factory=list)  # location index
    town: list[int] = field(default_factory=list)  # -1: serves the whole district
    peace_on: list[bool] = field(default_factory=list)  # on duty from the start
    act_delay: list[float] = field(default_factory=list)  # minutes after activation to be in place
    emergency_only: list[bool] = field(default_factory=list)  # stood down at deactivation
    size: dict[str, int] = field(default_factory=dict)  # people per force, for mobilisation shares

    def add(self, force: str, home: int, town: int, on: bool, delay: float, emergency_only: bool) -> None:
        self.extend(force, [home], [town], [on], [delay], [emergency_only])

    def extend(self, force: str, home: list[int], town: list[int], on: list[bool], delay: list[float],
               emergency_only: list[bool]) -> None:
        self.force.extend([FORCES.index(force)] * len(home))
        self.home.extend(home)
        self.town.extend(town)
        self.peace_on.extend(on)
        self.act_delay.extend(delay)
        self.emergency_only.extend(emergency_only)
        self.size[force] = self.size.get(force, 0) + len(home)

    def __len__(self) -> int:
        return len(self.force)


@dataclass
class Forces:
    units: Units
    coverage: np.ndarray  # patrol coverage per grid in full-time-worker equivalents
    part_time_on: np.ndarray  # which part-time grid workers are available (for tests of the pairing)


def agency_rows(sc: Scenario) -> list[tuple[str, int, float]]:
    ag = sc.forces.agencies
    rows = [(a.name, a.staff, ag.team_ratio if a.team_ratio is None else a.team_ratio) for a in ag.listed]
    width = max(2, len(str(ag.count)))
    rows += [(f"agency-{i + 1:0{width}d}", ag.staff_each, ag.team_ratio) for i in range(ag.count)]
    return rows


def full_time_count(sc: Scenario, n_grids: int) -> int:
    gw = sc.forces.grid_workers
    return int(round(gw.full_time_per_grid * n_grids)) if gw.full_time_per_grid is not None else gw.full_time


def build_forces(sc: Scenario, terr: Territory, replication: int) -> Forces:
    units = Units()
    coverage, pt_on = _grid_workers(sc, terr, replication, units)
    _teams(sc, terr, replication, units)
    _resident_teams(sc, terr, replication, units)
    _agencies(sc, terr, replication, units)
    return Forces(units=units, coverage=coverage, part_time_on=pt_on)


def _grid_workers(sc: Scenario, terr: Territory, replication: int, units: Units) -> tuple[np.ndarray, np.ndarray]:
    """Full-time holders (post A) and part-time backups (post B), spread over the grids."""
    gw = sc.forces.grid_workers
    G = terr.n_grids
    ft, pt = full_time_count(sc, G), gw.part_time
    absent = stream(sc.seed, replication, "mobilisation", *st.GRID_FULL_TIME).uniform(size=ft) < gw.absence_share
    pt_on = stream(sc.seed, replication, "mobilisation", *st.GRID_PART_TIME).uniform(size=pt) \
        < gw.part_time_availability
    pt_home = [w * G // pt for w in range(pt)]
    backup_free: dict[int, list[int]] = {}
    for w in range(pt):
        backup_free.setdefault(pt_home[w], []).append(w)
    covered_by_b = np.zeros(pt, dtype=bool)
    coverage = np.zeros(G)
    # worker w holds grids w, w + ft, w + 2 ft, ... (one grid, w mod G, when there are more workers than grids)
    post_grids = np.array([len(range(w, G, ft)) for w in range(min(ft, G))], dtype=float)
    present = []
    for w in range(ft):
        home = w if ft < G else w % G
        if absent[w]:
            if not (gw.ab_backup and backup_free.get(home)):
                continue
            covered_by_b[backup_free[home].pop(0)] = True  # the B holder takes over the post at full effort
        present.append(home)
    homes = np.array(present, dtype=np.int64)
    if 0 < ft < G:
        held = np.zeros(ft, dtype=bool)
        held[homes] = True
        g = np.arange(G)
        coverage += np.where(held[g % ft], 1.0 / post_grids[g % ft], 0.0)
    elif ft:
        np.add.at(coverage, homes, 1.0)
    pt_units = [pt_home[w] for w in range(pt) if pt_on[w] and not covered_by_b[w]]
    np.add.at(coverage, np.array(pt_units, dtype=np.int64), gw.part_time_effort)
    coverage += gw.deputy_leaders_per_grid * gw.deputy_effort
    all_homes = present + pt_units
    n = len(all_homes)
    units.extend("grid_worker", all_homes, terr.grid_town[all_homes].tolist() if n else [], [True] * n,
                 [INF] * n, [False] * n)
    units.size["grid_worker"] = ft + pt  # shares in place are of the whole roster
    return coverage, pt_on


def _teams(sc: Scenario, terr: Territory, replication: int, units: Units) -> None:
    """"1+1+N" teams: per town, per village/community, and N group teams per community."""
    f = sc.forces
    comm_grids = terr.community_grids()
    for k, (name, team) in enumerate((("town_team", f.teams.town), ("village_team", f.teams.village),
                                      ("group_team", f.teams.group))):
        if name == "town_team":
            bases = [(terr.town_loc(t), t) for t in range(len(terr.town_ids)) for _ in range(team.per_unit)]
        elif name == "village_team":
            bases = [(int(s), int(terr.comm_town[c])) for c, s in enumerate(terr.comm_seat)
                     for _ in range(team.per_unit)]
        else:
            bases = [(int(g[j % len(g)]), int(terr.grid_town[g[j % len(g)]]))
                     for g in comm_grids for j in range(team.per_unit)]
        if not bases or team.members == 0:
            continue
        n, m = len(bases), team.members
        z = stream(sc.seed, replication, "mobilisation", 1 + k, st.TEAM_DELAY).standard_normal(n)
        delay = team.assemble_mean_min * lognormal_factor(team.assemble_cv, z)
        on = (stream(sc.seed, replication, "mobilisation", 1 + k, st.TEAM_ON_CALL)
              .uniform(size=(n, slot_width(m)))[:, :m] < team.peacetime_share)
        homes = [loc for loc, _ in bases for _ in range(m)]
        towns = [t for _, t in bases for _ in range(m)]
        on_l = on.ravel().tolist()
        d = np.where(on, 0.0, delay[:, None]).ravel().tolist()
        units.extend(name, homes, towns, on_l, d, [not o for o in on_l])


def _resident_teams(sc: Scenario, terr: Territory, replication: int, units: Units) -> None:
    """In the village two days a week; recalled for every emergency."""
    rt = sc.forces.resident_teams
    m, C = rt.members_per_village, len(terr.community_ids)
    if m == 0 or C == 0:
        return
    w = slot_width(m)
    present = stream(sc.seed, replication, "mobilisation", *st.RESIDENT_PRESENCE).uniform(size=(C, w))[:, :m] \
        < rt.presence_share
    recall = rt.recall_mean_min * stream(sc.seed, replication, "mobilisation", *st.RESIDENT_RECALL) \
        .standard_exponential((C, w))[:, :m]
    on = present.ravel().tolist()
    units.extend("resident_team", np.repeat(terr.comm_seat, m).tolist(), np.repeat(terr.comm_town, m).tolist(), on,
                 np.where(present, 0.0, recall).ravel().tolist(), [not o for o in on])


def _agencies(sc: Scenario, terr: Territory, replication: int, units: Units) -> None:
    """Duty officers in peacetime; after activation a standing team of ratio × staff, in squads."""
    ag = sc.forces.agencies
    rows = agency_rows(sc)
    sizes = [math.ceil(ratio * staff - 1e-9) for _name, staff, ratio in rows]
    n_squads = [math.ceil(n / ag.squad_size) for n in sizes]
    posts = staging_posts(terr, sum(n_squads), ag.staging)
    w = slot_width(max(n_squads, default=0))
    notify = ag.notify_mean_min * stream(sc.seed, replication, "mobilisation", *st.AGENCY_NOTIFY) \
        .standard_exponential((len(rows), w))
    assemble = ag.assemble_mean_min * lognormal_factor(
        ag.assemble_cv, stream(sc.seed, replication, "mobilisation", *st.AGENCY_ASSEMBLE).standard_normal((len(rows), w)))
    dist = terr.district_loc
    if ag.duty_officers_each:
        k = ag.duty_officers_each * len(rows)
        units.extend("agency_duty", [dist] * k, [-1] * k, [True] * k, [INF] * k, [False] * k)
    squad = 0
    travel = Travel(terr, sc.territory.travel)
    for a, size in enumerate(sizes):
        for s in range(n_squads[a]):
            post = posts[squad]
            squad += 1
            trip = travel.between(dist, post) if post != dist else 0.0
            k = min(ag.squad_size, size - s * ag.squad_size)
            delay = float(notify[a, s] + assemble[a, s] + trip)
            units.extend("agency_team", [post] * k, [-1] * k, [False] * k, [delay] * k, [True] * k)


def staging_posts(terr: Territory, n_squads: int, staging: str) -> list[int]:
    """Where each agency squad reports: the district centre, or the towns' command posts in turn, each
    town's share of squads in proportion to its households (the town then allocates them)."""
    if staging == "district" or n_squads == 0:
        return [terr.district_loc] * n_squads
    hh = np.array([terr.households[g].sum() for g in terr.town_grids()], dtype=float)
    if hh.sum() == 0:  # no households anywhere: share the squads equally
        hh = np.ones(len(hh))
    quota = spread(n_squads, hh).tolist()
    order: list[int] = []
    while len(order) < n_squads:  # each pass places at least one squad: spread() gives n_squads in all
        for t in range(len(quota)):
            if quota[t] > 0:
                order.append(terr.town_loc(t))
                quota[t] -= 1
    return order
