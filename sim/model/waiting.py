"""Jobs waiting for hands, kept the way the allocation rule and the dispatch policy rank them.

Each waiting job sits in a level: its allocation band (urgent incidents, posts, evacuation, warnings,
other incidents, in the scenario's order) times the policy's levels plus the policy's own level (a class
priority, a severity, or one for all); within a level, in ready order or by place. A unit that comes free
asks for the oldest, or the nearest, in the lowest level it may serve; both are answered without
scanning every waiting job. The ranking is kept per town while towns command (`set_scope`), and
district-wide while the district commands or while any unit serves the whole district.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict

from sim.model.spatial import Geometry, SpatialIndex


class WaitingIncidents:
    def __init__(self, n_groups: int, n_levels: int, by_place: bool, town_scope: bool, geo: Geometry,
                 district_units: bool = True):
        self.by_place, self.towns_live, self.geo = by_place, town_scope, geo
        # units that serve the whole district look district-wide even while towns command; without any,
        # the district-wide ranking is kept only while the district commands
        self.district_units = district_units
        self.district_kept = district_units or not town_scope
        self.n_levels = n_levels
        self.n = 0
        self.town_n: dict[int, int] = {}  # waiting per town
        self.town_groups: dict[tuple[int, int], int] = {}  # waiting per (town, group)
        self.seq_of: dict[int, tuple[int, int, int, int, int]] = {}  # job -> (seq, group, town, level, grid)
        self.incident: dict[int, int] = {}  # seq -> job
        # district-wide (key: group) and per town (key: (group, town)); per key and level, the jobs in
        # ready order or by place, and the levels that have any, lowest first
        self.count: dict[tuple[object, int], int] = {}
        self.levels: dict[object, list[int]] = {}
        self.fifo: dict[tuple[object, int], OrderedDict[int, None]] = {}
        self.place: dict[tuple[object, int], SpatialIndex] = {}

    def __len__(self) -> int:
        return self.n

    def __contains__(self, i: int) -> bool:
        return i in self.seq_of

    def set_scope(self, town: bool) -> None:
        """The dispatch scope changed: rank the waiting jobs per town as well (True), or district-wide only."""
        if town == self.towns_live:
            return
        self.towns_live = town
        self.district_kept = self.district_units or not town
        self.count, self.levels, self.fifo, self.place = {}, {}, {}, {}
        for seq, group, town_, level, grid in sorted(self.seq_of.values()):
            self._rank(seq, group, town_, level, grid)

    def add(self, i: int, seq: int, group: int, town: int, level: int, grid: int) -> None:
        self.seq_of[i] = (seq, group, town, level, grid)
        self.incident[seq] = i
        self.n += 1
        self.town_n[town] = self.town_n.get(town, 0) + 1
        self.town_groups[(town, group)] = self.town_groups.get((town, group), 0) + 1
        self._rank(seq, group, town, level, grid)

    def _rank(self, seq: int, group: int, town: int, level: int, grid: int) -> None:
        if self.district_kept:
            self._rank_in(group, seq, level, grid)
        if self.towns_live:
            self._rank_in((group, town), seq, level, grid)

    def _rank_in(self, key: object, seq: int, level: int, grid: int) -> None:
        kl = (key, level)
        c = self.count.get(kl, 0)
        self.count[kl] = c + 1
        if c == 0:
            bisect.insort(self.levels.setdefault(key, []), level)
        if self.by_place:
            idx = self.place.get(kl)
            if idx is None:
                idx = self.place[kl] = SpatialIndex(self.geo)
            idx.add(seq, grid)
        else:
            fifo = self.fifo.get(kl)
            if fifo is None:
                fifo = self.fifo[kl] = OrderedDict()
            fifo[seq] = None

    def remove(self, i: int) -> None:
        seq, group, town, level, _ = self.seq_of.pop(i)
        del self.incident[seq]
        self.n -= 1
        self.town_n[town] -= 1
        self.town_groups[(town, group)] -= 1
        if self.district_kept:
            self._unrank(group, seq, level)
        if self.towns_live:
            self._unrank((group, town), seq, level)

    def _unrank(self, key: object, seq: int, level: int) -> None:
        kl = (key, level)
        self.count[kl] -= 1
        if self.count[kl] == 0:
            self.levels[key].remove(level)
        if self.by_place:
            self.place[kl].remove(seq)
        else:
            del self.fifo[kl][seq]

    def groups_in(self, town: int) -> set[int]:
        """The force groups with jobs waiting in a town."""
        return {g for (t, g), k in self.town_groups.items() if t == town and k > 0}

    def oldest(self, groups: list[int], town: int | None) -> int | None:
        """In the lowest band any of the groups has waiting, the job that became ready first (in the town,
        or district-wide: the scope in force)."""
        best: tuple[int, int] | None = None
        for g in groups:
            key: object = g if town is None else (g, town)
            lv = self.levels.get(key)
            if not lv or (best is not None and lv[0] > best[0]):
                continue
            seq = next(iter(self.fifo[(key, lv[0])]))
            if best is None or (lv[0], seq) < best:
                best = (lv[0], seq)
        return None if best is None else self.incident[best[1]]

    def nearest(self, groups: list[int], town: int | None, loc: int) -> int | None:
        """In the lowest band any of the groups has waiting, the job nearest the location (ties: the one
        ready first)."""
        best: tuple[int, float, int] | None = None
        for g in groups:
            key: object = g if town is None else (g, town)
            lv = self.levels.get(key)
            if not lv or (best is not None and lv[0] > best[0]):
                continue
            level = lv[0]
            t, seq = self.place[(key, level)].nearest(loc, 1)[0]
            if best is None or (level, t, seq) < best:
                best = (level, t, seq)
        return None if best is None else self.incident[best[2]]
