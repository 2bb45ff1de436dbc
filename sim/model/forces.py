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
    rank: list[float] = field(default_factory=list)  # called up at a level whose share of the force is above
    crew: list[int] = field(default_factory=list)  # 0 or 1: which half of a rota
    size: dict[str, int] = field(default_factory=dict)  # people per force, for mobilisation shares

    def add(self, force: str, home: int, town: int, on: bool, delay: float, emergency_only: bool,
            rank: float = 0.0, crew: int = 0) -> None:
        self.extend(force, [home], [town], [on], [delay], [emergency_only], [rank], [crew])

    def extend(self, force: str, home: list[int], town: list[int], on: list[bool], delay: list[float],
               emergency_only: list[bool], rank: list[float] | None = None, crew: list[int] | None = None) -> None:
        n = len(home)
        self.force.extend([FORCES.index(force)] * n)
        self.home.extend(home)
        self.town.extend(town)
        self.peace_on.extend(on)
        self.act_delay.extend(delay)
        self.emergency_only.extend(emergency_only)
        self.rank.extend(rank if rank is not None else [0.0] * n)
        self.crew.extend(crew if crew is not None else [k % 2 for k in range(n)])
        self.size[force] = self.size.get(force, 0) + n

    def __len__(self) -> int:
        return len(self.force)


@dataclass
class Forces:
    units: Units
    coverage: np.ndarray  # patrol coverage per grid in full-time-worker equivalents
    part_time_on: np.ndarray  # which part-time grid workers are available (for tests of the pairing)
    party_members: np.ndarray  # party members per grid who report in place (not serving as grid workers)
    party_cover_peace: np.ndarray  # patrol coverage of party members active in peacetime (双报到)
    visit_rate: np.ndarray  # household visits finding an incident, per minute, per grid (visit rules)


def agency_rows(sc: Scenario) -> list[tuple[str, int, float]]:
    ag = sc.forces.agencies
    rows = [(a.name, a.staff, ag.team_ratio if a.team_ratio is None else a.team_ratio) for a in ag.listed]
    width = max(2, len(str(ag.count)))
    rows += [(f"agency-{i + 1:0{width}d}", ag.staff_each, ag.team_ratio) for i in range(ag.count)]
    return rows


def full_time_count(sc: Scenario, n_grids: int) -> int:
    gw = sc.forces.grid_workers
    return int(round(gw.full_time_per_grid * n_grids)) if gw.full_time_per_grid is not None else gw.full_time


def build_forces(sc: Scenario, terr: Territory, replication: int, need: np.ndarray | None = None) -> Forces:
    """The rosters of one replication; `need`: each town's forecast work, for agency squads sent by need."""
    units = Units()
    coverage, pt_on = _grid_workers(sc, terr, replication, units)
    party = _party_grid_workers(sc, terr, units, coverage)
    _teams(sc, terr, replication, units)
    _resident_teams(sc, terr, replication, units)
    _agencies(sc, terr, replication, units, need)
    pm = sc.forces.party_members
    return Forces(units=units, coverage=coverage, part_time_on=pt_on, party_members=party,
                  party_cover_peace=party * pm.peacetime_active_share * pm.coverage_each,
                  visit_rate=visit_rate(sc, terr))


def visit_rate(sc: Scenario, terr: Territory) -> np.ndarray:
    """Per grid, the rate (per minute) at which household visits find an incident in one household: each
    role's people, spread over the grids by households, make `visits_per_month` visits of
    `households_per_visit` households; a household's visit rate is that over the grid's households."""
    hh = terr.households.astype(float)
    out = np.zeros(terr.n_grids)
    for rule in sc.reporting.discovery.visits:
        people = spread(rule.people, hh).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            out += np.where(hh > 0, people * rule.visits_per_month * rule.households_per_visit / (hh * 30 * 1440), 0.0)
    return out


def _party_grid_workers(sc: Scenario, terr: Territory, units: Units, coverage: np.ndarray) -> np.ndarray:
    """Dual-network fusion (Lishui, seed 004): a share of each grid's party members serve as part-time grid
    workers; the rest report in place after activation. Returns the rest, per grid."""
    members = terr.party_members.astype(np.int64)
    share = sc.forces.grid_workers.party_part_time_share
    if share <= 0 or not members.sum():
        return members
    k = np.floor(members * share + 0.5).astype(np.int64)
    homes = np.repeat(np.arange(terr.n_grids), k).tolist()
    n = len(homes)
    units.extend("grid_worker", homes, terr.grid_town[homes].tolist() if n else [], [True] * n, [INF] * n,
                 [False] * n)
    coverage += k * sc.forces.grid_workers.part_time_effort
    return members - k


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
    covered = np.zeros(ft, dtype=bool)
    for w in range(ft):
        home = w if ft < G else w % G
        if absent[w]:
            if not (gw.ab_backup and backup_free.get(home)):
                continue
            covered_by_b[backup_free[home].pop(0)] = True  # the B holder takes over the post at full effort
            covered[w] = True
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
    if gw.deputy_leaders_per_group:  # per village group (the N of "1+1+N"), spread over the village's grids
        groups = sc.forces.teams.group.per_unit
        for members in terr.community_grids():
            if len(members):
                coverage[members] += groups * gw.deputy_leaders_per_group * gw.deputy_effort / len(members)
    crews = [w % 2 for w in range(ft) if not absent[w] or covered[w]]
    crews += [w % 2 for w in range(pt) if pt_on[w] and not covered_by_b[w]]
    all_homes = present + pt_units
    n = len(all_homes)
    units.extend("grid_worker", all_homes, terr.grid_town[all_homes].tolist() if n else [], [True] * n,
                 [INF] * n, [False] * n, [0.0] * n, crews)
    # part-timers not on duty may be called up after activation: each answers with probability
    # call_up_share (times the level's share), after an exponential delay of their own
    call = stream(sc.seed, replication, "mobilisation", *st.GRID_CALL_UP).uniform(size=pt)
    delay = gw.call_up_delay_mean_min * stream(sc.seed, replication, "mobilisation", *st.GRID_CALL_DELAY) \
        .standard_exponential(pt)
    off = [w for w in range(pt) if not pt_on[w] and not covered_by_b[w]]
    if off and gw.call_up_share > 0:
        homes_off = [pt_home[w] for w in off]
        units.extend("grid_worker", homes_off, terr.grid_town[homes_off].tolist(), [False] * len(off),
                     [float(delay[w]) for w in off], [True] * len(off),
                     [float(call[w]) / gw.call_up_share for w in off], [w % 2 for w in off])
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
        rank = stream(sc.seed, replication, "mobilisation", 1 + k, st.TEAM_RANK).uniform(size=(n, slot_width(m)))
        homes = [loc for loc, _ in bases for _ in range(m)]
        towns = [t for _, t in bases for _ in range(m)]
        on_l = on.ravel().tolist()
        d = np.where(on, 0.0, delay[:, None]).ravel().tolist()
        units.extend(name, homes, towns, on_l, d, [not o for o in on_l],
                     np.where(on, 0.0, rank[:, :m]).ravel().tolist(), [j % 2 for _ in bases for j in range(m)])


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
    rank = stream(sc.seed, replication, "mobilisation", *st.RESIDENT_RANK).uniform(size=(C, w))[:, :m]
    if rt.days:  # in the village on their days only: the duty schedule brings them on and off
        present[:] = False
    on = present.ravel().tolist()
    units.extend("resident_team", np.repeat(terr.comm_seat, m).tolist(), np.repeat(terr.comm_town, m).tolist(), on,
                 np.where(present, 0.0, recall).ravel().tolist(), [not o for o in on],
                 np.where(present, 0.0, rank).ravel().tolist(), [j % 2 for _ in range(C) for j in range(m)])


def _agencies(sc: Scenario, terr: Territory, replication: int, units: Units, need: np.ndarray | None) -> None:
    """Duty officers in peacetime; after activation a standing team of ratio × staff, in squads."""
    ag = sc.forces.agencies
    rows = agency_rows(sc)
    sizes = [math.ceil(ratio * staff - 1e-9) for _name, staff, ratio in rows]
    n_squads = [math.ceil(n / ag.squad_size) for n in sizes]
    travel = Travel(terr, sc.territory.travel)
    posts = staging_posts(terr, sum(n_squads), ag.staging, need if ag.staging == "need" else None)
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
    for a, size in enumerate(sizes):
        for s in range(n_squads[a]):
            post = posts[squad]
            squad += 1
            trip = travel.between(dist, post) if post != dist else 0.0
            k = min(ag.squad_size, size - s * ag.squad_size)
            delay = float(notify[a, s] + assemble[a, s] + trip)
            # a squad sent to a town is the town's to command; the s-th squad goes at a level sending
            # more than s of the agency's squads
            town = post - terr.n_grids if post != dist else -1
            units.extend("agency_team", [post] * k, [town] * k, [False] * k, [delay] * k, [True] * k,
                         [s / n_squads[a]] * k, [s % 2] * k)


def staging_posts(terr: Territory, n_squads: int, staging: str, weights: np.ndarray | None = None) -> list[int]:
    """Where each agency squad reports: the district centre, or the towns' command posts in turn, each
    town's share of squads in proportion to its need (`need`: the tasks' forecast work) or its households
    (`towns`); the town then commands them."""
    if staging == "district" or n_squads == 0:
        return [terr.district_loc] * n_squads
    hh = (np.asarray(weights, dtype=float) if weights is not None
          else np.array([terr.households[g].sum() for g in terr.town_grids()], dtype=float))
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
