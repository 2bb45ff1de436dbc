"""Forces: who is there before anything happens, and who comes after the switch and how fast.

Each responder is one unit (a person); members of a team or agency squad share one assembly delay, so
they arrive together. Each force draws from its own sub-stream of `mobilisation`, so a change in the
agency team ratio does not reshuffle the grid workers' absences (common random numbers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.model.streams import lognormal, stream
from sim.model.territory import Territory, spread
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
        self.force.append(FORCES.index(force))
        self.home.append(home)
        self.town.append(town)
        self.peace_on.append(on)
        self.act_delay.append(delay)
        self.emergency_only.append(emergency_only)
        self.size[force] = self.size.get(force, 0) + 1

    def __len__(self) -> int:
        return len(self.force)


@dataclass
class Forces:
    units: Units
    coverage: np.ndarray  # patrol coverage per grid in full-time-worker equivalents


def agency_rows(sc: Scenario) -> list[tuple[str, int, float]]:
    ag = sc.forces.agencies
    rows = [(a.name, a.staff, ag.team_ratio if a.team_ratio is None else a.team_ratio) for a in ag.listed]
    width = max(2, len(str(ag.count)))
    rows += [(f"agency-{i + 1:0{width}d}", ag.staff_each, ag.team_ratio) for i in range(ag.count)]
    return rows


def build_forces(sc: Scenario, terr: Territory, replication: int) -> Forces:
    f = sc.forces
    G = terr.n_grids
    units = Units()
    coverage = np.zeros(G)

    # Grid workers: full-time holders (post A) and part-time backups (post B), spread over the grids.
    gw = f.grid_workers
    if gw.full_time_per_grid is not None:  # a staffing level stated per grid, for sweeps across districts
        gw = gw.model_copy(update={"full_time": int(round(gw.full_time_per_grid * G))})
    rng = stream(sc.seed, replication, "mobilisation", 0)
    absent = rng.uniform(size=gw.full_time) < gw.absence_share
    pt_on = rng.uniform(size=gw.part_time) < gw.part_time_availability
    pt_home = [(w * G // gw.part_time) if gw.part_time else 0 for w in range(gw.part_time)]
    backup_free: dict[int, list[int]] = {}
    for w in range(gw.part_time):
        backup_free.setdefault(pt_home[w], []).append(w)
    covered_by_b = np.zeros(gw.part_time, dtype=bool)
    for w in range(gw.full_time):
        grids = list(range(w, G, gw.full_time)) if gw.full_time < G else [w % G]
        home = grids[0]
        share = 1.0 / len(grids)
        if not absent[w]:
            units.add("grid_worker", home, int(terr.grid_town[home]), True, INF, False)
            coverage[grids] += share
        elif gw.ab_backup and backup_free.get(home):
            b = backup_free[home].pop(0)  # the B holder takes over the post at full effort
            covered_by_b[b] = True
            units.add("grid_worker", home, int(terr.grid_town[home]), True, INF, False)
            coverage[grids] += share
    for w in range(gw.part_time):
        if pt_on[w] and not covered_by_b[w]:
            home = pt_home[w]
            units.add("grid_worker", home, int(terr.grid_town[home]), True, INF, False)
            coverage[home] += gw.part_time_effort
    coverage += gw.deputy_leaders_per_grid * gw.deputy_effort
    units.size["grid_worker"] = gw.full_time + gw.part_time  # shares in place are of the whole roster

    # "1+1+N" teams: one per town, one per village/community, N group teams per community.
    for k, (name, team) in enumerate((("town_team", f.teams.town), ("village_team", f.teams.village),
                                      ("group_team", f.teams.group))):
        rng = stream(sc.seed, replication, "mobilisation", 1 + k)
        if name == "town_team":
            bases = [(terr.town_loc(t), t) for t in range(len(terr.town_ids))]
        elif name == "village_team":
            bases = [(int(s), int(terr.comm_town[c])) for c, s in enumerate(terr.comm_seat)]
        else:
            bases = []
            for c in range(len(terr.community_ids)):
                in_comm = np.flatnonzero(terr.grid_comm == c)
                for j in range(team.per_unit):
                    g = int(in_comm[j % len(in_comm)])
                    bases.append((g, int(terr.grid_town[g])))
        per = team.per_unit if name != "group_team" else 1
        for loc, town in bases:
            for _ in range(per):
                delay = float(lognormal(rng, team.assemble_mean_min, team.assemble_cv, 1)[0])
                on = rng.uniform(size=team.members) < team.peacetime_share
                for m in range(team.members):
                    units.add(name, loc, town, bool(on[m]), 0.0 if on[m] else delay, not on[m])

    # Resident teams: in the village two days a week; recalled for every emergency.
    rt = f.resident_teams
    rng = stream(sc.seed, replication, "mobilisation", 4)
    for c, seat in enumerate(terr.comm_seat):
        present = rng.uniform(size=rt.members_per_village) < rt.presence_share
        recall = rng.exponential(rt.recall_mean_min, rt.members_per_village) if rt.recall_mean_min > 0 \
            else np.zeros(rt.members_per_village)
        for m in range(rt.members_per_village):
            units.add("resident_team", int(seat), int(terr.comm_town[c]), bool(present[m]),
                      0.0 if present[m] else float(recall[m]), not present[m])

    # Agencies: duty officers in peacetime; after activation a standing team of ratio × staff, in squads.
    ag = f.agencies
    rng = stream(sc.seed, replication, "mobilisation", 5)
    rows = agency_rows(sc)
    sizes = [math.ceil(ratio * staff - 1e-9) for _name, staff, ratio in rows]
    posts = _staging_posts(terr, sum(math.ceil(n / ag.squad_size) for n in sizes), ag.staging)
    squad = 0
    for size in sizes:
        for _ in range(ag.duty_officers_each):
            units.add("agency_duty", terr.district_loc, -1, True, INF, False)
        n_squads = math.ceil(size / ag.squad_size) if size else 0
        notify = rng.exponential(ag.notify_mean_min, n_squads) if ag.notify_mean_min > 0 else np.zeros(n_squads)
        assemble = lognormal(rng, ag.assemble_mean_min, ag.assemble_cv, n_squads)
        for s in range(n_squads):
            post = posts[squad]
            squad += 1
            trip = terr.loc_travel(terr.district_loc, post) if post != terr.district_loc else 0.0
            for _ in range(min(ag.squad_size, size - s * ag.squad_size)):
                units.add("agency_team", post, -1, False, float(notify[s] + assemble[s] + trip), True)
    return Forces(units=units, coverage=coverage)


def _staging_posts(terr: Territory, n_squads: int, staging: str) -> list[int]:
    """Where each agency squad reports: the district centre, or the towns' command posts in turn, each
    town's share of squads in proportion to its households (the town then allocates them)."""
    if staging == "district" or n_squads == 0:
        return [terr.district_loc] * n_squads
    hh = np.array([terr.households[terr.grid_town == t].sum() for t in range(len(terr.town_ids))], dtype=float)
    quota = spread(n_squads, hh).tolist()
    order: list[int] = []
    while len(order) < n_squads:
        for t in range(len(quota)):
            if quota[t] > 0:
                order.append(terr.town_loc(t))
                quota[t] -= 1
    return order
