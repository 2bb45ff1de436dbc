"""The dispatch desk's side of people going on and off duty: each change is counted in the mobilisation
record (`mob`: minute, force, +k on / -k off) and logged; who comes on takes a waiting job or joins the
pool, who goes off leaves the pool with their place kept for their return (`ResponderPool.park_all`).
Who should be on duty, and when, is `sim.model.duty`'s question; this answers what follows from it.
"""

from __future__ import annotations

from collections import Counter

from sim.model.duty import Duty
from sim.model.engine import Engine
from sim.model.pool import ResponderPool
from sim.model.switch import Switch
from sim.model.territory import Territory
from sim.model.waiting import WaitingIncidents
from sim.scenario.schema import FORCES


class OnDuty:
    """Mixed into the `Dispatcher`, which sets these."""

    eng: Engine
    terr: Territory
    pool: ResponderPool
    waiting: WaitingIncidents
    switch: Switch
    duty: Duty
    free_token: list[int]
    mob: list[tuple[float, int, int]]

    def unit_free(self, u: int) -> None:
        raise NotImplementedError

    def unit_on(self, u: int, epoch: int) -> None:
        pool = self.pool
        if epoch != self.switch.epoch or pool.on[u] or pool.blocked[u] > self.eng.now:
            return
        pool.on[u] = True
        pool.loc[u] = pool.home[u]
        self.mob.append((self.eng.now, pool.force[u], 1))
        if self.eng.log is not None:
            self.eng.note("on_duty", FORCES[pool.force[u]], u, self.loc_name(pool.home[u]))
        self.unit_free(u)

    def units_on(self, units: list[int], epoch: int) -> list[int]:
        """Several units come on duty at once (a shift, people back from rest), each off duty and available
        (wanted, `Duty.refresh`): those that came on (none if the epoch is over)."""
        pool, now = self.pool, self.eng.now
        if epoch != self.switch.epoch:
            return []
        on, loc, home = pool.on, pool.loc, pool.home
        for u in units:
            on[u] = True
            loc[u] = home[u]
        log = self.eng.log
        if log is not None:
            for u in units:
                self.eng.note("on_duty", FORCES[pool.force[u]], u, self.loc_name(home[u]))
        for f, k in _per_force(pool.force, units).items():
            self.mob.append((now, f, k))
        k = 0
        while k < len(units) and self.waiting.n:  # while jobs wait, each takes one or joins the pool
            self.unit_free(units[k])
            k += 1
        if k < len(units):  # nothing waits, and nothing will while they join
            pool.put_all(units[k:])
        return units

    def units_off(self, units: list[int]) -> None:
        """Several idle units go off duty at once."""
        pool, now = self.pool, self.eng.now
        pool.park_all(units)
        on, token = pool.on, self.free_token
        for u in units:
            on[u] = False
            token[u] += 1
        if self.eng.log is not None:
            for u in units:
                self.eng.note("off_duty", FORCES[pool.force[u]], u)
        self.duty.went_off_all(units)
        for f, k in _per_force(pool.force, units).items():
            self.mob.append((now, f, -k))

    def unit_off(self, u: int) -> None:
        pool = self.pool
        pool.on[u] = False
        pool.take(u)
        self.free_token[u] += 1
        self.mob.append((self.eng.now, pool.force[u], -1))
        if self.eng.log is not None:
            self.eng.note("off_duty", FORCES[pool.force[u]], u)
        self.duty.went_off(u)

    def loc_name(self, loc: int) -> str:
        t = self.terr
        if loc < t.n_grids:
            return t.grid_ids[loc]
        return t.town_ids[loc - t.n_grids] + " command post" if loc < t.district_loc else "district centre"


def _per_force(force: list[int], units: list[int]) -> dict[int, int]:
    """How many of the units are of each force, forces in the order they first come (a `Counter` for a
    crew, a plain count for the few called up at once, where building one would cost more)."""
    if len(units) > 32:
        return Counter(map(force.__getitem__, units))
    counts: dict[int, int] = {}
    for u in units:
        f = force[u]
        counts[f] = counts.get(f, 0) + 1
    return counts
