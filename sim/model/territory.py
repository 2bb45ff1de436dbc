"""The territory: towns → communities → grids, with positions.

Built once per scenario (the generator draws from the fixed `territory` stream, not per replication):
a planner's district does not change between replications. There is no grid × grid travel matrix: travel
times come from positions on demand (`sim.model.travel`), so memory and build time grow with the grids,
not with their square.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.streams import FIXED, stream
from sim.scenario.references import TerritoryTable
from sim.scenario.schema import GRID_KINDS, Scenario


@dataclass
class Territory:
    grid_ids: list[str]
    town_ids: list[str]
    community_ids: list[str]
    grid_town: np.ndarray  # town index per grid
    grid_comm: np.ndarray  # community index per grid
    comm_town: np.ndarray  # town index per community
    comm_seat: np.ndarray  # grid index where a community's teams are based
    kind: np.ndarray  # index into GRID_KINDS
    households: np.ndarray
    x_km: np.ndarray
    y_km: np.ndarray
    key_area: np.ndarray  # bool per grid
    party_members: np.ndarray  # in-service party members registered per grid
    #: locations are grids 0..G-1, then town centres G..G+T-1, then the district centre G+T
    loc_x: np.ndarray
    loc_y: np.ndarray

    @property
    def n_grids(self) -> int:
        return len(self.grid_ids)

    def town_loc(self, t: int) -> int:
        return self.n_grids + t

    @property
    def district_loc(self) -> int:
        return self.n_grids + len(self.town_ids)

    def town_grids(self) -> list[np.ndarray]:
        """The grids of each town, in grid order (one pass, not one scan per town)."""
        return _groups(self.grid_town, len(self.town_ids))

    def community_grids(self) -> list[np.ndarray]:
        return _groups(self.grid_comm, len(self.community_ids))


def _groups(labels: np.ndarray, n: int) -> list[np.ndarray]:
    order = np.argsort(labels, kind="stable")
    cuts = np.searchsorted(labels[order], np.arange(n + 1))
    return [order[cuts[k]:cuts[k + 1]] for k in range(n)]


def spread(total: int, weights: np.ndarray) -> np.ndarray:
    """Whole numbers proportional to weights that add up to total (largest remainder, no randomness)."""
    if total == 0 or weights.sum() == 0:
        return np.zeros(len(weights), dtype=np.int64)
    exact = total * weights / weights.sum()
    base = np.floor(exact).astype(np.int64)
    rest = total - base.sum()
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:rest]] += 1
    return base


def build_territory(sc: Scenario, table: TerritoryTable) -> Territory:
    gen = sc.territory.generator
    towns = list(dict.fromkeys(table.town))
    comms = list(dict.fromkeys(table.community))
    t_index = {t: i for i, t in enumerate(towns)}
    c_index = {c: i for i, c in enumerate(comms)}
    grid_town = np.array([t_index[t] for t in table.town], dtype=np.int64)
    grid_comm = np.array([c_index[c] for c in table.community], dtype=np.int64)
    comm_town = np.zeros(len(comms), dtype=np.int64)
    comm_town[grid_comm] = grid_town
    G = len(table.grid)

    if sc.territory.source == "generated":
        rng = stream(sc.seed, FIXED, "territory")
        town_xy = rng.uniform(0, gen.extent_km, (len(towns), 2))
        comm_xy = town_xy[comm_town] + rng.normal(0, gen.town_radius_km, (len(comms), 2))
        xy = comm_xy[grid_comm] + rng.normal(0, gen.community_radius_km, (G, 2))
        kinds = list(gen.kind_mix)
        p = np.array([gen.kind_mix[k] for k in kinds])
        kind_names = [kinds[i] for i in rng.choice(len(kinds), G, p=p / p.sum())]
        lo = np.array([gen.households[k].min for k in kind_names])
        hi = np.array([gen.households[k].max for k in kind_names])
        households = rng.integers(lo, hi + 1)
        key = np.zeros(G, dtype=bool)
        n_key = int(round(gen.key_area_share * G))
        if n_key:
            key[rng.choice(G, n_key, replace=False)] = True
        x, y = xy[:, 0], xy[:, 1]
        party = spread(sc.forces.party_members.total, households.astype(float))
    else:
        assert table.x_km is not None and table.y_km is not None
        kind_names = table.kind
        households = np.array(table.households, dtype=np.int64)
        x, y = np.array(table.x_km), np.array(table.y_km)
        key = np.array(table.key_area, dtype=bool)
        if table.party_members is not None:
            party = np.array(table.party_members, dtype=np.int64)
        else:
            party = spread(sc.forces.party_members.total, households.astype(float))
    gid = {g: i for i, g in enumerate(table.grid)}
    for g in sc.territory.key_areas:
        key[gid[g]] = True

    # Teams of a community sit at its grid nearest the community's centre.
    seat = np.zeros(len(comms), dtype=np.int64)
    for c, members in enumerate(_groups(grid_comm, len(comms))):
        cx, cy = x[members].mean(), y[members].mean()
        seat[c] = members[np.argmin((x[members] - cx) ** 2 + (y[members] - cy) ** 2)]
    by_town = _groups(grid_town, len(towns))
    town_x = np.array([x[g].mean() for g in by_town])
    town_y = np.array([y[g].mean() for g in by_town])
    loc_x = np.concatenate([x, town_x, [x.mean()]])
    loc_y = np.concatenate([y, town_y, [y.mean()]])

    return Territory(
        grid_ids=list(table.grid), town_ids=towns, community_ids=comms,
        grid_town=grid_town, grid_comm=grid_comm, comm_town=comm_town, comm_seat=seat,
        kind=np.array([GRID_KINDS.index(k) for k in kind_names], dtype=np.int64),
        households=households, x_km=np.asarray(x, float), y_km=np.asarray(y, float), key_area=key,
        party_members=party, loc_x=loc_x, loc_y=loc_y,
    )
