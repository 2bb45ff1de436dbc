"""Incidents waiting for hands, kept the way the dispatch policy ranks them.

Each waiting incident sits in a band (`DispatchPolicy.level`: a class priority, a severity, or one band
for all) and, within the band, in ready order or by place. A unit that comes free asks for the oldest, or
for the nearest in the lowest band it may serve; both are answered without scanning every waiting
incident. Everything is kept district-wide and, where the peacetime scope is the town, per town.
"""

from __future__ import annotations

from collections import OrderedDict

from sim.model.spatial import Geometry, SpatialIndex


class WaitingIncidents:
    def __init__(self, n_groups: int, n_levels: int, by_place: bool, town_scope: bool, geo: Geometry):
        self.by_place, self.town_scope, self.geo = by_place, town_scope, geo
        self.n_levels = n_levels
        self.n = 0
        self.seq_of: dict[int, tuple[int, int, int, int]] = {}  # incident -> (seq, group, town, level)
        self.incident: dict[int, int] = {}  # seq -> incident
        # district-wide (key: group) and per town (key: (group, town))
        self.count: dict[object, list[int]] = {g: [0] * n_levels for g in range(n_groups)}
        self.fifo: dict[object, OrderedDict[int, None]] = {}
        self.place: dict[tuple[object, int], SpatialIndex] = {}

    def __len__(self) -> int:
        return self.n

    def __contains__(self, i: int) -> bool:
        return i in self.seq_of

    def _keys(self, group: int, town: int) -> tuple[object, ...]:
        return (group, (group, town)) if self.town_scope else (group,)

    def add(self, i: int, seq: int, group: int, town: int, level: int, grid: int) -> None:
        self.seq_of[i] = (seq, group, town, level)
        self.incident[seq] = i
        self.n += 1
        for key in self._keys(group, town):
            counts = self.count.get(key)
            if counts is None:
                counts = self.count[key] = [0] * self.n_levels
            counts[level] += 1
            if self.by_place:
                idx = self.place.get((key, level))
                if idx is None:
                    idx = self.place[(key, level)] = SpatialIndex(self.geo)
                idx.add(seq, grid)
            else:
                fifo = self.fifo.get(key)
                if fifo is None:
                    fifo = self.fifo[key] = OrderedDict()
                fifo[seq] = None

    def remove(self, i: int) -> None:
        seq, group, town, level = self.seq_of.pop(i)
        del self.incident[seq]
        self.n -= 1
        for key in self._keys(group, town):
            self.count[key][level] -= 1
            if self.by_place:
                self.place[(key, level)].remove(seq)
            else:
                del self.fifo[key][seq]

    def oldest(self, groups: list[int], town: int | None) -> int | None:
        """The incident that became ready first among the groups (in the town, or district-wide)."""
        best = None
        for g in groups:
            fifo = self.fifo.get(g if town is None else (g, town))
            if fifo:
                seq = next(iter(fifo))
                if best is None or seq < best:
                    best = seq
        return None if best is None else self.incident[best]

    def nearest(self, groups: list[int], town: int | None, loc: int) -> int | None:
        """In the lowest band any of the groups has waiting, the incident nearest the location (ties: the
        one ready first)."""
        best: tuple[int, float, int] | None = None
        for g in groups:
            key: object = g if town is None else (g, town)
            counts = self.count.get(key)
            if counts is None:
                continue
            level = next((k for k, c in enumerate(counts) if c), None)
            if level is None or (best is not None and level > best[0]):
                continue
            t, seq = self.place[(key, level)].nearest(loc, 1)[0]
            if best is None or (level, t, seq) < best:
                best = (level, t, seq)
        return None if best is None else self.incident[best[2]]
