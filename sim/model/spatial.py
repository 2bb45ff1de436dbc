"""Nearest search by square cells, so that finding the nearest free responder (or waiting incident) does
not touch every one of them.

Members (unit or incident numbers) sit in the cell of their position. A query visits rings of cells
around the point until the k best travel times found are strictly shorter than anything a farther ring
could hold; where members are few for the cells a search would visit, it scans them all instead. Either
way the answer is exact: the k smallest (travel minutes, member) pairs, ties broken by member number.
"""

from __future__ import annotations

import bisect
import math

#: at or below this many members a plain scan beats visiting cells
LINEAR = 12


class Geometry:
    """The cell layout of one kind of index over the district's locations, the cell of every location, and
    the travel formula the indexes rank by (set-up + minutes per km × distance)."""

    def __init__(self, xs: list[float], ys: list[float], n_sites: int, setup: float, per_km: float,
                 per_cell: float = 2.0):
        """Cells sized for about `per_cell` of `n_sites` places (where members sit) each."""
        self.xs, self.ys, self.setup, self.per_km = xs, ys, setup, per_km
        self.x0, self.y0 = min(xs), min(ys)
        w, h = max(xs) - self.x0, max(ys) - self.y0
        cell = math.sqrt(max(w * h, 1e-6) * per_cell / max(n_sites, 1))
        self.cell_km = cs = max(cell, max(w, h) / 4096, 1e-3)
        self.nx, self.ny = int(w / cs) + 1, int(h / cs) + 1
        self.ix = [min(int((x - self.x0) / cs), self.nx - 1) for x in xs]
        self.iy = [min(int((y - self.y0) / cs), self.ny - 1) for y in ys]
        self.key = [ix * self.ny + iy for ix, iy in zip(self.ix, self.iy)]

    def edge(self, loc: int, r: int) -> float:
        """Distance from a location to the nearest side of the square of cells within r rings of its cell
        that has cells beyond it (inf when the square covers the layout)."""
        x, y, cs = self.xs[loc], self.ys[loc], self.cell_km
        ix, iy = self.ix[loc], self.iy[loc]
        out = math.inf
        if ix - r > 0:
            out = x - (self.x0 + (ix - r) * cs)
        if ix + r < self.nx - 1:
            out = min(out, self.x0 + (ix + r + 1) * cs - x)
        if iy - r > 0:
            out = min(out, y - (self.y0 + (iy - r) * cs))
        if iy + r < self.ny - 1:
            out = min(out, self.y0 + (iy + r + 1) * cs - y)
        return out


class SpatialIndex:
    """Members at sites (locations), sites in cells: co-located members (a squad at a command post, a team
    at its seat) cost one distance between them."""

    __slots__ = ("geo", "cells", "sites", "site_of", "n", "parked", "parked_at")

    def __init__(self, geo: Geometry):
        self.geo = geo
        self.cells: dict[int, set[int]] = {}  # cell key -> sites with members
        self.sites: dict[int, list[int]] = {}  # site -> its members, in order
        self.site_of: dict[int, int] = {}  # member -> site
        self.n = 0
        # members set aside (`park`) but not yet removed, and how many per site: a crew that goes off duty
        # and comes back where it was costs a flag each way; a search skips them where they stand
        self.parked: set[int] = set()
        self.parked_at: dict[int, int] = {}

    def park(self, m: int) -> None:
        """Leave m out of every answer from now on, as `remove` would, but keep its place for `add`."""
        self.park_all([m])

    def park_all(self, ms: list[int]) -> None:
        """`park` for several members at once (a crew going off at a change of shift)."""
        parked, site_of, parked_at = self.parked, self.site_of, self.parked_at
        for m in ms:
            if m not in parked:
                parked.add(m)
                site = site_of[m]
                parked_at[site] = parked_at.get(site, 0) + 1

    def add_all(self, ms: list[int], sites: list[int]) -> None:
        """`add` for several members (a crew coming on): those parked where they are only lose the flag."""
        parked, site_of, parked_at = self.parked, self.site_of, self.parked_at
        for m, site in zip(ms, sites):
            if m in parked and site_of[m] == site:  # `_unpark`, written out: a crew is thousands of them
                parked.discard(m)
                left = parked_at[site] - 1
                if left:
                    parked_at[site] = left
                else:
                    del parked_at[site]
            else:
                self.add(m, site)

    def _unpark(self, m: int) -> None:
        self.parked.discard(m)
        site = self.site_of[m]
        left = self.parked_at[site] - 1
        if left:
            self.parked_at[site] = left
        else:
            del self.parked_at[site]

    def add(self, m: int, site: int) -> None:
        if m in self.parked:
            if self.site_of[m] == site:
                self._unpark(m)
                return
            self.remove(m)
        members = self.sites.get(site)
        if members is None:
            self.sites[site] = [m]
            key = self.geo.key[site]
            cell = self.cells.get(key)
            if cell is None:
                self.cells[key] = {site}
            else:
                cell.add(site)
        elif m > members[-1]:
            members.append(m)
        else:
            bisect.insort(members, m)
        self.site_of[m] = site
        self.n += 1

    def remove(self, m: int) -> None:
        if m in self.parked:
            self._unpark(m)
        elif m not in self.site_of:  # parked, and since dropped by a search
            return
        site = self.site_of.pop(m)
        members = self.sites[site]
        if len(members) == 1:
            members.clear()
        else:
            del members[bisect.bisect_left(members, m)]
        if not members:
            del self.sites[site]
            key = self.geo.key[site]
            cell = self.cells[key]
            cell.discard(site)
            if not cell:
                del self.cells[key]
        self.n -= 1

    def live_members(self) -> list[int]:
        return [m for m in self.site_of if m not in self.parked]

    def __contains__(self, m: int) -> bool:
        return m in self.site_of and m not in self.parked

    def __len__(self) -> int:
        return self.n - len(self.parked)

    def at(self, site: int) -> list[int]:
        """The members at one site, in order (not the parked)."""
        return self._live(site) if site in self.sites else []

    def nearest(self, loc: int, k: int) -> list[tuple[float, int]]:
        """The k smallest (travel minutes, member) from a location, in order. Parked members are skipped
        where they stand, never removed by a search: their crew's return only lifts the flag."""
        return nearest_in([self], loc, k)

    def _live(self, site: int) -> list[int]:
        members = self.sites[site]
        if site in self.parked_at:
            parked = self.parked
            return [m for m in members if m not in parked]
        return members

    def _first_live(self, site: int, k: int) -> list[int]:
        """The first k members of a site not parked (a crew's base holds many, half of them off duty)."""
        parked, out = self.parked, []
        for m in self.sites[site]:
            if m not in parked:
                out.append(m)
                if len(out) == k:
                    break
        return out


def nearest_in(indexes: list[SpatialIndex], loc: int, k: int) -> list[tuple[float, int]]:
    """The k smallest (travel minutes, member) from a location over several indexes of one layout (the
    atoms of a group of forces), in one pass over the cells: as if their members were in one index."""
    idxs = [ix for ix in indexes if ix.n > len(ix.parked)]
    if not idxs or k <= 0:
        return []
    g = idxs[0].geo
    n_sites = 0
    for ix in idxs:
        n_sites += len(ix.sites)
    if n_sites <= LINEAR:
        return _take(idxs, _scan(idxs, loc), k)
    setup, per_km, hypot, xs, ys = g.setup, g.per_km, math.hypot, g.xs, g.ys
    x, y = xs[loc], ys[loc]
    ix0, iy0 = g.ix[loc], g.iy[loc]
    nx, ny = g.nx, g.ny
    budget = 2 * n_sites + 16
    found: list[tuple[float, int, int]] = []  # (travel, site, index)
    have = 0
    r = 0
    while True:
        if (2 * r + 1) ** 2 > budget:  # sparse for the area still to search: scanning is cheaper
            return _take(idxs, _scan(idxs, loc), k)
        for key in _ring(ix0, iy0, r, nx, ny):
            for j, ix in enumerate(idxs):
                cell = ix.cells.get(key)
                if not cell:
                    continue
                sites, parked_at = ix.sites, ix.parked_at
                if parked_at:
                    for site in cell:
                        live = len(sites[site]) - parked_at.get(site, 0)
                        if live:
                            found.append((setup + per_km * hypot(xs[site] - x, ys[site] - y), site, j))
                            have += live
                else:
                    for site in cell:
                        found.append((setup + per_km * hypot(xs[site] - x, ys[site] - y), site, j))
                        have += len(sites[site])
        edge = g.edge(loc, r)
        if edge == math.inf:
            found.sort()
            return _take(idxs, found, k)
        if have >= k:
            found.sort()
            # members outside the square searched are at least `edge` away (a hair less, for rounding)
            if _kth(idxs, found, k) < setup + per_km * edge * (1 - 1e-12):
                return _take(idxs, found, k)
        r += 1


def _scan(idxs: list[SpatialIndex], loc: int) -> list[tuple[float, int, int]]:
    g = idxs[0].geo
    setup, per_km, hypot, xs, ys = g.setup, g.per_km, math.hypot, g.xs, g.ys
    x, y = xs[loc], ys[loc]
    out = []
    for j, ix in enumerate(idxs):
        sites, parked_at = ix.sites, ix.parked_at
        out += [(setup + per_km * hypot(xs[site] - x, ys[site] - y), site, j) for site in sites
                if site not in parked_at or len(sites[site]) > parked_at[site]]
    out.sort()
    return out


def _kth(idxs: list[SpatialIndex], found: list[tuple[float, int, int]], k: int) -> float:
    """The travel time of the k-th member, sites taken in order (found is sorted)."""
    have = 0
    for t, site, j in found:
        ix = idxs[j]
        have += len(ix.sites[site]) - ix.parked_at.get(site, 0)
        if have >= k:
            return t
    return math.inf


def _take(idxs: list[SpatialIndex], found: list[tuple[float, int, int]], k: int) -> list[tuple[float, int]]:
    """The k best (travel, member) from sites sorted by travel: every site as near as the k-th member's
    is expanded, so ties across sites go to the lower member number."""
    if not found:
        return []
    if k == 1:  # the lowest member among the sites tied for nearest
        t0, best = found[0][0], -1
        for t, site, j in found:
            if t > t0:
                break
            ix = idxs[j]
            m = ix._first_live(site, 1)[0] if site in ix.parked_at else ix.sites[site][0]
            if best < 0 or m < best:
                best = m
        return [(t0, best)]
    out: list[tuple[float, int]] = []
    for t, site, j in found:
        if len(out) >= k and t > out[k - 1][0]:
            break
        ix = idxs[j]
        members = ix._first_live(site, k) if site in ix.parked_at else ix.sites[site]
        out.extend((t, m) for m in members[:k])
        if len(out) >= k:
            out.sort()
    out.sort()
    return out[:k]


def _ring(ix0: int, iy0: int, r: int, nx: int, ny: int) -> list[int]:
    """Keys of the cells at Chebyshev distance r from (ix0, iy0), inside the layout."""
    if r == 0:
        return [ix0 * ny + iy0]
    keys = []
    lo_y, hi_y = iy0 - r, iy0 + r
    for ix in range(max(ix0 - r, 0), min(ix0 + r, nx - 1) + 1):
        if lo_y >= 0:
            keys.append(ix * ny + lo_y)
        if hi_y < ny:
            keys.append(ix * ny + hi_y)
    for iy in range(max(iy0 - r + 1, 0), min(iy0 + r - 1, ny - 1) + 1):
        if ix0 - r >= 0:
            keys.append((ix0 - r) * ny + iy)
        if ix0 + r < nx:
            keys.append((ix0 + r) * ny + iy)
    return keys
