"""The rota: after activation each force of the rota is in two crews, on and off in turn (crew 0 from the
activation, crew 1 after the first shift). A change of shift is one event for the whole rota; which crews
are on is worked out from the clock once until the next change, and the fatigue checks put off to a change
(`Duty._stints`) are settled there. Mixed into `sim.model.duty.Duty`, whose state it reads.
"""

from __future__ import annotations

import math

import numpy as np

from sim.model.engine import Engine
from sim.model.pool import ResponderPool
from sim.model.switch import Switch
from sim.scenario.schema import Scenario

INF = math.inf


class Rota:
    """Mixed into `Duty`, which sets these."""

    eng: Engine
    sc: Scenario
    pool: ResponderPool
    switch: Switch
    crew: list[int]
    n_crews: int
    shift_unit: list[bool]
    called: list[bool]
    rest_until: list[float]
    tired: list[bool]
    on_since: np.ndarray
    rota_t0: float | None
    _crews: list[bool]
    _crews_from: float
    _crews_until: float
    _crew_units: list[list[int]]
    _turns: list[float]
    _turned: int
    _pending: list[tuple[float, list[int], float, int]]

    def _swap(self, come: list[int], go: list[int]) -> list[int]:
        raise NotImplementedError

    def _stints(self, units: list[int], now: float) -> None:
        raise NotImplementedError

    def _tire(self, units: list[int], since: float, epoch: int) -> None:
        raise NotImplementedError

    def _crews_on(self, now: float) -> list[bool]:
        """Which crews are on now, worked out once until the next change of either crew rather than once
        per person (kept to a microsecond short of the change, far beyond the rounding of the clock)."""
        if not self._crews_from <= now < self._crews_until:
            on, margin = [], INF
            for c in range(self.n_crews):
                on_now, left = self._crew_on(c, now)
                on.append(on_now)
                margin = min(margin, left)
            self._crews, self._crews_from, self._crews_until = on, now, now + margin - 1e-6
        return self._crews

    def _crew_on(self, crew: int, now: float) -> tuple[bool, float]:
        """Whether the crew is on now, and the minutes until that changes."""
        s = self.sc.shifts
        t = now - (self.rota_t0 or 0.0) - crew * s.on_min
        if t < 0:
            return False, -t
        phase = t % (s.on_min + s.off_min)
        return (True, s.on_min - phase) if phase < s.on_min else (False, s.on_min + s.off_min - phase)

    def _rota(self, epoch: int) -> None:
        """One event at every change of shift of either crew within the run."""
        s, end = self.sc.shifts, self.sc.horizon_min + self.sc.drain_min
        left = end - self.eng.now
        cycle = s.on_min + s.off_min
        times: set[float] = set()
        j = 0
        while j * cycle < left:
            times.update(t for t in (j * cycle, j * cycle + s.on_min, j * cycle + 2 * s.on_min) if 0 < t < left)
            j += 1
        units = [u for u, on in enumerate(self.shift_unit) if on]
        self._crew_units = [[u for u in units if self.crew[u] == c] for c in range(self.n_crews)]
        now, delays = self.eng.now, sorted(times)
        self._turns, self._turned, self._pending = [now + t for t in delays], 0, []
        for t in delays:
            self.eng.at(t, self._turn, epoch)

    def _next_turn(self) -> float:
        """The minute of the next change of shift not yet come (inf: none, or no rota running)."""
        if self.rota_t0 is None or self._turned >= len(self._turns):
            return INF
        return self._turns[self._turned]

    def _turn(self, epoch: int) -> None:
        """A change of shift: crews going off leave when done, crews coming on start a stint. The same as
        `refresh(units)`, with the crew's turn worked out once per crew rather than once per person."""
        if epoch != self.switch.epoch:
            return
        self._turned += 1
        now, pool = self.eng.now, self.pool
        crew_on = self._crews_on(now)
        on, free, blocked, rest, tired = pool.on, pool.is_free, pool.blocked, self.rest_until, self.tired
        called, due = self.called, pool.due
        comes, goes = [], []
        for c, members in enumerate(self._crew_units):
            if not crew_on[c]:  # the crew's idle people go off (the busy ones when done)
                goes.append([u for u in members if on[u] and free[u]])
                continue
            come, go = [], []
            for u in members:
                if called[u] and due[u] <= now and blocked[u] <= now and rest[u] <= now and not tired[u]:
                    if not on[u]:
                        come.append(u)
                elif on[u] and free[u]:
                    go.append(u)
            comes.append(come)
            goes.append(go)
        # in unit order, as one pass over everyone would have them (the crews are interleaved)
        come, go = _merged(comes), _merged(goes)
        self._stints(self._swap(come, go), now)
        if self._pending:
            self._due_checks(epoch)

    def _due_checks(self, epoch: int) -> None:
        """The fatigue checks put off to this change of shift, for those of their people still on in the
        same stint: dropped if none is, scheduled if due before the next change, else left for it."""
        on, on_since, now = self.pool.on, self.on_since, self.eng.now
        nxt = self._next_turn()
        keep = []
        for due, group, since, ep in self._pending:
            if ep != epoch:
                continue
            # only those still on in this stint (busy past their crew's turn): for the others, gone off,
            # the check would be a no-op, and their group is the crew (thousands of people); a stint that
            # starts at this change has all its people on
            if since != now:
                group = [u for u in group if on[u] and on_since[u] == since]
            if not group:
                continue
            if due > nxt:
                keep.append((due, group, since, ep))
            else:
                self.eng.at_time(due, self._tire, group, since, ep)
        self._pending = keep


def _merged(parts: list[list[int]]) -> list[int]:
    """Sorted lists of unit numbers as one sorted list."""
    full = [p for p in parts if p]
    if len(full) <= 1:
        return full[0] if full else []
    return sorted([u for p in full for u in p])
