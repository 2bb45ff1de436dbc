"""The responder pool: who is on duty, who is free, where, and for what.

One object owns it, with acquire (`take`) and release (`put`), as a SimPy resource owns its queue. Free
units are indexed by place (`sim.model.spatial`), district-wide and per town, so the nearest free eligible
units are found without touching every unit. The indexes are per atom, the forces that serve the same
groups (a group: the forces that may serve an incident class or a task): a unit sits in one index, so a
job or a change of shift moves it once, and a group's query searches its atoms' indexes together, cell by
cell. Free grid workers are also indexed by the exact grid they stand on, for on-the-spot handling. A
group's atoms are built the first time it is asked for, so groups whose jobs never come cost nothing.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from itertools import islice

from sim.model.forces import Units
from sim.model.spatial import Geometry, SpatialIndex, nearest_in
from sim.model.travel import Travel

INF = math.inf


class ResponderPool:
    def __init__(self, units: Units, groups: list[tuple[int, ...]], travel: Travel, n_towns: int,
                 town_scope: bool, idle_order: bool, spot_force: int):
        n = len(units)
        self.force = units.force
        self.town = units.town
        self.home = units.home
        self.emergency_only = units.emergency_only
        self.act_delay = units.act_delay
        self.loc = list(units.home)
        self.on = [False] * n
        self.is_free = [False] * n
        self.blocked = [0.0] * n  # unavailable until (a drill inject)
        self.due = [0.0 if on else INF for on in units.peace_on]  # when the unit should be on duty
        self.busy_since = [0.0] * n
        self.x, self.y = travel.x, travel.y
        self.n_towns = n_towns
        self.town_scope = town_scope
        self.spot_force = spot_force
        n_forces = max([max(units.force, default=-1), *(max(fs, default=-1) for fs in groups)]) + 1
        by_force = [[g for g, fs in enumerate(groups) if f in fs] for f in range(n_forces)]
        self.unit_groups = [by_force[f] for f in units.force]
        # the indexes are per atom, not per group: forces that are in the same groups share one, so a unit
        # sits in one index whatever the number of groups it serves (a change of shift or a job moves it
        # once), and a group's query searches its atoms' indexes together
        atoms: dict[tuple[int, ...], list[int]] = {}
        for f in range(n_forces):
            if by_force[f]:
                atoms.setdefault(tuple(by_force[f]), []).append(f)
        self.atoms = list(atoms.values())
        self.group_atoms = [[a for a, fs in enumerate(self.atoms) if fs[0] in groups[g]] for g in range(len(groups))]
        # a group's atoms are built when the group is first asked for (`_build`) and kept from then on: a
        # group whose jobs never come (a class with no share, a task at no level) costs nothing; per force,
        # its atom once built
        self.groups = groups
        self.built = [False] * len(groups)
        self.atom_built = [False] * len(self.atoms)
        self.indexed: list[list[int]] = [[] for _ in range(n_forces)]
        self.indexed_of = [self.indexed[f] for f in units.force]  # per unit, its force's list (shared)
        self.district: list[SpatialIndex] = []
        self.by_town: list[list[SpatialIndex]] = []
        homes_of: dict[int, set[int]] = {}  # force -> where its units are based
        for f, home in zip(units.force, units.home):
            homes_of.setdefault(f, set()).add(home)
        # one cell layout for all, sized for the places where units are based: a group's atoms are searched
        # together, cell by cell (`nearest_in`)
        homes = set().union(*(homes_of.get(f, set()) for fs in self.atoms for f in fs))
        geo = Geometry(travel.x, travel.y, len(homes) or 1, travel.setup, travel.per_km)
        for _ in self.atoms:
            self.district.append(SpatialIndex(geo))
            # town scope: one index per town and one (last) for units that serve the whole district
            self.by_town.append([SpatialIndex(geo) for _ in range(n_towns + 1)] if town_scope else [])
        # a duty roster: free units in the order they came free (stamp), district-wide and per town
        self.idle: list[OrderedDict[int, int]] | None = [OrderedDict() for _ in groups] if idle_order else None
        self.idle_town: list[list[OrderedDict[int, int]]] = (
            [[OrderedDict() for _ in range(n_towns + 1)] for _ in groups] if idle_order and town_scope else [])
        self.stamp = 0
        self.spot: dict[int, set[int]] = {}  # location -> free units of the on-the-spot force there
        self.n_free = 0
        self.free_units: set[int] = set()
        self.free_town = [0] * (n_towns + 1)  # free units per town, the last for the district's own
        self.key_of = [self._key(f, t) for f, t in zip(units.force, units.town)]  # the batches' key, per unit
        # only the indexes of the scope in force are kept, the per-town ones while towns command and the
        # district's otherwise (`set_scope`): each query needs just one of them
        self.towns_live = town_scope

    def set_scope(self, town: bool) -> None:
        """The dispatch scope changed (the switch, or a level's command): rebuild the indexes it needs from
        the free units."""
        live = self.town_scope and town
        if live == self.towns_live:
            return
        self.towns_live = live
        for a in range(len(self.district)):
            self.district[a] = SpatialIndex(self.district[a].geo)
            self.by_town[a] = [SpatialIndex(i.geo) for i in self.by_town[a]]
        for u in sorted(self.free_units):
            self._index(u)

    def rebase(self, u: int, town: int, home: int) -> None:
        """A unit not free moves to another town's command, based at `home` there."""
        assert not self.is_free[u]
        self.town[u], self.home[u] = town, home
        self.key_of[u] = self._key(self.force[u], town)

    def _key(self, force: int, town: int) -> int:
        """Force and town in one number (`_indexes` takes it apart): town n_towns for the district's own."""
        return force * (self.n_towns + 1) + (town if town >= 0 else self.n_towns)

    # ---------------------------------------------------------------- acquire and release

    def put(self, u: int) -> None:
        """Make an on-duty unit with nothing to do available where it stands."""
        self.is_free[u] = True
        self.n_free += 1
        self.free_units.add(u)
        self.free_town[self.town[u]] += 1
        self._index(u)
        if self.idle is not None:
            self._stamp(u)
        loc = self.loc[u]
        if self.force[u] == self.spot_force:
            here = self.spot.get(loc)
            if here is None:
                self.spot[loc] = {u}
            else:
                here.add(u)

    def take(self, u: int) -> None:
        """Acquire a unit (it stays on duty, now busy); a unit not free is left alone."""
        if not self.is_free[u]:
            return
        self.is_free[u] = False
        self.n_free -= 1
        self.free_units.discard(u)
        t = self.town[u]
        self.free_town[t] -= 1
        towns_live = self.towns_live
        for a in self.indexed_of[u]:
            idx = self.by_town[a][t if t >= 0 else self.n_towns] if towns_live else self.district[a]
            idx.remove(u)
        if self.idle is not None:
            self._unstamp(u)
        if self.force[u] == self.spot_force:
            self.spot[self.loc[u]].discard(u)

    def put_all(self, units: list[int]) -> None:
        """`put` for several units (a crew coming on duty), each index given its members in one call."""
        free_town, loc, per = self.free_town, self.loc, self.n_towns + 1
        batches = self._batches(units, True)
        self.free_units.update(units)
        self.n_free += len(units)
        for key, ms in batches.items():
            free_town[key % per] += len(ms)
            sites = [loc[u] for u in ms]
            for idx in self._indexes(key):
                idx.add_all(ms, sites)
            if key // per == self.spot_force:
                for u, site in zip(ms, sites):
                    self.spot.setdefault(site, set()).add(u)
        if self.idle is not None:
            for u in units:
                self._stamp(u)

    def park_all(self, units: list[int]) -> None:
        """`take` for several free units going off duty (a crew at the end of its shift: every one of them
        free), each index in one call; their places in the indexes are kept (parked) for their return."""
        free_town, per = self.free_town, self.n_towns + 1
        batches = self._batches(units, False)
        self.free_units.difference_update(units)
        self.n_free -= len(units)
        for key, ms in batches.items():
            free_town[key % per] -= len(ms)
            for idx in self._indexes(key):
                idx.park_all(ms)
            if key // per == self.spot_force:
                for u in ms:
                    self.spot[self.loc[u]].discard(u)
        if self.idle is not None:
            for u in units:
                self._unstamp(u)

    def _batches(self, units: list[int], free: bool) -> dict[int, list[int]]:
        """Mark the units free (or not) and group them by force and town (`key_of`), each group in unit
        order: the batches `put_all` and `park_all` hand to the indexes."""
        is_free, key_of = self.is_free, self.key_of
        batches: dict[int, list[int]] = {}
        for u in units:
            is_free[u] = free
            key = key_of[u]
            ms = batches.get(key)
            if ms is None:
                batches[key] = [u]
            else:
                ms.append(u)
        return batches

    def _indexes(self, key: int) -> list[SpatialIndex]:
        """The live indexes the units of a batch key (force and town, `key_of`) sit in."""
        f, k = divmod(key, self.n_towns + 1)
        if self.towns_live:
            return [self.by_town[a][k] for a in self.indexed[f]]
        return [self.district[a] for a in self.indexed[f]]

    def _stamp(self, u: int) -> None:
        """The unit joins the duty rosters (kept for every group from the start: the order is its point)."""
        assert self.idle is not None
        t = self.town[u]
        for g in self.unit_groups[u]:
            self.stamp += 1
            self.idle[g][u] = self.stamp
            if self.town_scope:
                self.idle_town[g][t if t >= 0 else self.n_towns][u] = self.stamp

    def _unstamp(self, u: int) -> None:
        assert self.idle is not None
        t = self.town[u]
        for g in self.unit_groups[u]:
            del self.idle[g][u]
            if self.town_scope:
                del self.idle_town[g][t if t >= 0 else self.n_towns][u]

    def _index(self, u: int) -> None:
        loc, t = self.loc[u], self.town[u]
        if self.towns_live:
            for a in self.indexed_of[u]:
                self.by_town[a][t if t >= 0 else self.n_towns].add(u, loc)
        else:
            for a in self.indexed_of[u]:
                self.district[a].add(u, loc)

    def _build(self, g: int) -> None:
        """The group, first asked for: its atoms not yet built get their free units, from now on kept as
        they come and go."""
        self.built[g] = True
        live, nt = self.towns_live, self.n_towns
        for a in self.group_atoms[g]:
            if self.atom_built[a]:
                continue
            self.atom_built[a] = True
            fs = self.atoms[a]
            for f in fs:
                self.indexed[f].append(a)
            for u in sorted(self.free_units):
                if self.force[u] in fs:
                    t = self.town[u]
                    idx = self.by_town[a][t if t >= 0 else nt] if live else self.district[a]
                    idx.add(u, self.loc[u])

    # ---------------------------------------------------------------- queries

    def nearest(self, group: int, town: int | None, grid: int, k: int) -> list[int]:
        """Up to k free units of the group nearest the grid (ties: lower unit number); `town` None for the
        whole district, else that town's units and the district's own."""
        if not self.built[group]:
            self._build(group)
        atoms = self.group_atoms[group]
        if town is None:
            found = nearest_in([self.district[a] for a in atoms], grid, k)
        else:
            nt = self.n_towns  # the town's units and those that serve the whole district, in one search
            found = nearest_in([idx for a in atoms for idx in (self.by_town[a][town], self.by_town[a][nt])], grid, k)
        return [found[0][1]] if k == 1 and found else [u for _, u in found]

    def longest_idle(self, group: int, town: int | None, k: int) -> list[int]:
        """Up to k free units of the group in the order they came free (a duty roster)."""
        assert self.idle is not None
        if town is None:
            return list(islice(self.idle[group], k))
        a, b = (islice(self.idle_town[group][t].items(), k) for t in (town, self.n_towns))
        both = sorted([*a, *b], key=lambda item: item[1])
        return [u for u, _ in both[:k]]

    def free_for(self, group: int, town: int) -> int:
        """Free units that may serve the group's jobs in the town under town command: the town's own and the
        district's; every free unit of the group when towns do not command."""
        if not self.built[group]:
            self._build(group)
        atoms = self.group_atoms[group]
        if not self.towns_live:
            return sum(len(self.district[a]) for a in atoms)
        return sum(len(self.by_town[a][town]) + len(self.by_town[a][self.n_towns]) for a in atoms)

    def free_in_town(self, groups: set[int], town: int) -> list[int]:
        """The town's own free units (not the district's) of any of the groups, lowest number first; only
        while towns command."""
        out: set[int] = set()
        for g in groups:
            if not self.built[g]:
                self._build(g)
        for a in {a for g in groups for a in self.group_atoms[g]}:
            out.update(self.by_town[a][town].live_members())
        return sorted(out)

    def free_at(self, loc: int) -> int | None:
        """The lowest-numbered free unit of the on-the-spot force standing at this location."""
        here = self.spot.get(loc)
        return min(here) if here else None
