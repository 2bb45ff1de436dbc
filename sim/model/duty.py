"""Who is on duty when: the response level's call-up, rotas and rest over days, fatigue, and the peacetime
hours of each force.

- **Call-up**: at each level the first `share` of each force's call-up roster (by each person's own rank
  draw; whole squads for agencies) is called, each after their own delay; a higher level calls more, a
  lower one stands down the rest (at once if idle, else when done).
- **Rota** (`shifts`, `sim.model.rota`): after activation each force of the rota is in two crews, on and
  off in turn; crew 0 starts on, crew 1 after the first shift.
- **Fatigue** (`fatigue`): a person called up for the emergency works slower by `slowdown_per_hour` for
  every hour of a stint beyond `onset_min`, and after `max_on_min` on duty must rest `rest_min` (when done
  with the job in hand; a post they leave at once, relieved or not). Rest ends on the next 10-minute mark,
  so people resting together return together. Each hour worked beyond the onset adds `debt_per_hour`
  hours of sleep debt; time off beyond `rest_min` repays it; the debt brings the onset and the longest
  stint forward (so 18-hour stints with 8 hours' rest wear people down over days, a 12/12 rota does not).
  Rotas and fatigue are for the people called up; the standing staff on duty in peacetime keep their own
  hours.
- **Peacetime hours**: `forces.availability` gives each force's share on duty by hour of day; resident
  teams with `days` are in the village on those weekdays between `day_start` and `day_end`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from sim.model.engine import Engine
from sim.model.forces import Units
from sim.model.pool import ResponderPool
from sim.model.rota import Rota
from sim.model.switch import PEACE, Switch, level_rules
from sim.scenario.operations import WEEKDAYS, clock_minutes
from sim.scenario.schema import FORCES, Scenario

if TYPE_CHECKING:
    from sim.model.dispatcher import Dispatcher

INF = math.inf
REST_STEP = 10.0
BULK = 64  # people at once from which the sums of a stint are done in arrays
RESIDENT = FORCES.index("resident_team")


class Duty(Rota):
    def __init__(self, eng: Engine, sc: Scenario, units: Units, pool: ResponderPool, switch: Switch):
        self.eng, self.sc, self.pool, self.switch = eng, sc, pool, switch
        n = len(units)
        self.desk: Dispatcher | None = None
        self.rank, self.crew, self.peace_on = units.rank, units.crew, units.peace_on
        self.called = list(units.peace_on)  # wanted by the level plan
        self.rest_until = [0.0] * n
        self.tired = [False] * n
        # arrays, not lists: a change of shift works them out for a whole crew at once (`BULK`)
        self.on_since = np.zeros(n)
        self.off_since = np.full(n, math.nan)  # when the unit last went off duty in this emergency
        self.debt = np.zeros(n)  # sleep debt, minutes
        self.avail = [True] * n  # peacetime hours allow
        # resident teams with days: on duty in peacetime while in the village, on their days
        self.village = [f == RESIDENT for f in units.force] if sc.forces.resident_teams.days else [False] * n
        # rotas and fatigue are for the people called up for the emergency; the standing staff on duty in
        # peacetime keep their own hours
        self.shift_unit = [FORCES[f] in sc.shifts.forces and only for f, only in zip(units.force, units.emergency_only)]
        self.fatigue_unit = [FORCES[f] in sc.fatigue.forces and only
                             for f, only in zip(units.force, units.emergency_only)]
        # the same as arrays, to pick a crew's people in one step (the lists are quicker one person at a time)
        self._fatigue = np.array(self.fatigue_unit, dtype=bool)
        self._shift = np.array(self.shift_unit, dtype=bool)
        self.slowing = sc.fatigue.slowdown_per_hour > 0  # `speed` can be below 1
        self.on_post: Callable[[int], None] | None = None  # the tasks: a tired holder leaves a post
        self.rota_t0: float | None = None
        self._crew_units: list[list[int]] = []  # the rota's people of each crew
        self._turns: list[float] = []  # the minutes of the changes of shift, and how many have come
        self._turned = 0
        # fatigue checks put off to the next change of shift: (minute due, group, stint start, epoch)
        self._pending: list[tuple[float, list[int], float, int]] = []
        self._rested: dict[float, list[int]] = {}  # rest ending at a minute -> who
        self.n_crews = max(units.crew, default=0) + 1
        # `_crews_on`, worked out when asked and kept while no crew can have turned: [from, until)
        self._crews_from, self._crews_until, self._crews = INF, -INF, [False] * self.n_crews
        by_force: dict[int, list[int]] = {}
        for u, f in enumerate(units.force):
            by_force.setdefault(f, []).append(u)
        self.by_force = by_force
        self.sched = self._schedule()

    # ---------------------------------------------------------------- peacetime hours

    def _schedule(self) -> list[tuple[float, int, float]]:
        """(minute, force, share on duty) at every change of the peacetime hours within the run."""
        sc = self.sc
        end = sc.horizon_min + sc.drain_min
        start = clock_minutes(sc.clock.start)[1]
        out: list[tuple[float, int, float]] = []
        for name, hours in sc.forces.availability.items():
            f = FORCES.index(name)
            h0 = start // 60
            t = -(start % 60)
            k = 0
            while t < end:
                share = hours[(h0 + k) % 24]
                if not out or out[-1][1] != f or out[-1][2] != share:
                    out.append((max(0.0, float(t)), f, share))
                t += 60
                k += 1
        rt = sc.forces.resident_teams
        if rt.days:
            day0 = WEEKDAYS.index(sc.clock.weekday)
            a, b = clock_minutes(rt.day_start)[1], clock_minutes(rt.day_end)[1]
            out.append((0.0, RESIDENT, 0.0))
            for d in range(int(end // 1440) + 2):
                if WEEKDAYS[(day0 + d) % 7] in rt.days:
                    out.append((d * 1440 + a - start, RESIDENT, 1.0))
                    out.append((d * 1440 + b - start, RESIDENT, 0.0))
        out = [(max(0.0, t), f, s) for t, f, s in out if t < end]
        out.sort(key=lambda x: x[0])
        return out

    def begin(self) -> None:
        """Peacetime hours from the start: each change point is one event for its force."""
        for t, f, share in self.sched:
            self.eng.soon(t, self._hours, f, share)

    def _hours(self, f: int, share: float) -> None:
        units = self.by_force.get(f, [])
        for u in units:
            self.avail[u] = (self.avail_rank(u) < share) if f != RESIDENT else share > 0
        if self.switch.phase == PEACE:
            self.refresh(units)

    def avail_rank(self, u: int) -> float:
        """Who is on in peacetime hours when only a share is: a fixed spread over the force's units."""
        return (u * 0.6180339887498949) % 1.0

    # ---------------------------------------------------------------- wanted or not

    def wanted(self, u: int) -> bool:
        now = self.eng.now
        pool = self.pool
        if pool.blocked[u] > now or self.rest_until[u] > now or self.tired[u]:
            return False
        if self.switch.phase == PEACE:
            return (self.peace_on[u] or self.village[u]) and self.avail[u]
        if not self.called[u] or pool.due[u] > now:  # not called, or still on the way
            return False
        if self.rota_t0 is not None and self.shift_unit[u]:
            return self._crews_on(now)[self.crew[u]]
        return True

    def refresh(self, units: list[int]) -> list[int]:
        """Bring on duty the units now wanted and take off the idle ones no longer wanted (the busy ones go
        when they are done: the desk asks `wanted` at release). Returns those that came on."""
        pool, wanted = self.pool, self.wanted
        on, free = pool.on, pool.is_free
        come, go = [], []
        if self.switch.phase != PEACE:  # off duty and not (yet) due: not wanted, and nothing to take off
            called, due, now = self.called, pool.due, self.eng.now
            units = [u for u in units if on[u] or (called[u] and due[u] <= now)]
        for u in units:
            if wanted(u):
                if not on[u]:
                    come.append(u)
            elif on[u] and free[u]:
                go.append(u)
        return self._swap(come, go)

    def _swap(self, come: list[int], go: list[int]) -> list[int]:
        """Idle units no longer wanted go off, wanted ones come on: those that came on."""
        desk = self.desk
        assert desk is not None
        if go:
            desk.units_off(go)
        return desk.units_on(come, self.switch.epoch) if come else []

    def speed(self, u: int) -> float:
        """Work speed late in a stint (1 before the onset, which sleep debt brings forward)."""
        fa = self.sc.fatigue
        if self.switch.phase == PEACE or not self.fatigue_unit[u] or fa.slowdown_per_hour <= 0:
            return 1.0
        over = (self.eng.now - float(self.on_since[u]) - max(0.0, fa.onset_min - float(self.debt[u]))) / 60.0
        return 1.0 / (1.0 + fa.slowdown_per_hour * over) if over > 0 else 1.0

    # ---------------------------------------------------------------- levels

    def level(self, old: int, new: int) -> None:
        """The level changed: call up or stand down; at activation start the rota and the stints."""
        sc, pool, now = self.sc, self.pool, self.eng.now
        if new == 0:
            self.rota_t0 = None
            self._crews_until = -INF
            self.called = list(self.peace_on)
            self.tired = [False] * len(self.tired)
            self.debt = np.zeros(len(self.debt))
            self.off_since = np.full(len(self.off_since), math.nan)
            self.refresh(list(range(len(self.called))))
            return
        lv = level_rules(sc, new)
        share = [lv.mobilise.share(name) for name in FORCES]  # by force code: looked up once, not per person
        called_now: dict[float, list[int]] = {}
        gone = []
        first, on, village, peace_on, rank, act = old == 0, pool.on, self.village, self.peace_on, self.rank, pool.act_delay
        called, due = self.called, pool.due
        for u, f in enumerate(pool.force):
            here = first and village[u] and on[u]  # in the village at activation: no recall
            want = peace_on[u] or here or (act[u] < INF and rank[u] < share[f])
            if want == called[u]:
                continue
            called[u] = want
            if want:
                delay = 0.0 if here else act[u]
                due[u] = now + delay
                called_now.setdefault(delay, []).append(u)
            else:
                gone.append(u)
        if old == 0:
            self.rota_t0 = now if sc.shifts.enabled else None
            self._crews_until = -INF
            if sc.shifts.enabled:
                self._rota(self.switch.epoch)
            everyone = list(range(len(pool.on)))
            self.refresh(everyone)
            self._stints([u for u in everyone if pool.on[u]], now)
        for d, units in called_now.items():
            self.eng.soon(d, self._arrive, units, self.switch.epoch)
        self.refresh(gone)

    def _arrive(self, units: list[int], epoch: int) -> None:
        """Called-up people reach their base: those still wanted come on duty."""
        if epoch == self.switch.epoch:
            self._stints(self.refresh(units), self.eng.now)

    def restored(self, units: list[int]) -> None:
        """People available again after a drill's disruption: those wanted come on and start a stint."""
        self._stints(self.refresh(units), self.eng.now)

    # ---------------------------------------------------------------- stints and rest

    def _stints(self, units: list[int], now: float) -> None:
        """A stint starts for these units now: fatigue counts from here, rest beyond `rest_min` repays sleep
        debt, and rest falls due after max_on (less the debt still owed)."""
        fa = self.sc.fatigue
        checks = fa.max_on_min is not None and self.switch.phase != PEACE
        if len(units) >= BULK:
            due, mixed = self._stints_bulk(units, now, checks)
        else:
            due, mixed = self._stints_each(units, now, checks)
        if not due:
            return
        # a check due after the next change of shift, for people of the rota only, waits for that change:
        # most of them go off there (their stint over) and the check is dropped
        nxt = self._next_turn()
        epoch = self.switch.epoch
        for after, group in due.items():
            if now + after > nxt and after not in mixed:
                self._pending.append((now + after, group, now, epoch))
            else:
                self.eng.at(after, self._tire, group, now, epoch)

    def _stints_each(self, units: list[int], now: float, checks: bool) -> tuple[dict[float, list[int]], set[float]]:
        """`_stints`' sums person by person: the fatigue checks by when they fall due (first come, first),
        and those with anyone not of the rota."""
        fa = self.sc.fatigue
        rest, off_since, debt, on_since = fa.rest_min, self.off_since, self.debt, self.on_since
        longest, fatigue, shift = fa.max_on_min or 0.0, self.fatigue_unit, self.shift_unit
        due: dict[float, list[int]] = {}
        mixed: set[float] = set()  # checks with anyone not of the rota
        for u in units:  # (floats read out of the arrays: their numpy scalars stay in here)
            off = float(off_since[u])
            if off == off:  # back from time off: what it gave beyond the rest needed repays the debt
                spare = now - off - rest
                if spare > 0:
                    d = float(debt[u])
                    debt[u] = d - spare if d > spare else 0.0
            on_since[u] = now
            if checks and fatigue[u]:
                after = longest - float(debt[u])
                if after < 60.0:
                    after = 60.0
                group = due.get(after)
                if group is None:
                    due[after] = [u]
                else:
                    group.append(u)
                if not shift[u]:
                    mixed.add(after)
        return due, mixed

    def _stints_bulk(self, units: list[int], now: float, checks: bool) -> tuple[dict[float, list[int]], set[float]]:
        """`_stints_each` for a crew, in arrays: the same sums in the same order, so the same figures."""
        fa = self.sc.fatigue
        idx = np.array(units, dtype=np.intp)
        off, d = self.off_since[idx], self.debt[idx]
        spare = now - off - fa.rest_min  # nan for those not back from time off
        self.debt[idx] = np.where(spare > 0, np.where(d > spare, d - spare, 0.0), d)
        self.on_since[idx] = now
        due: dict[float, list[int]] = {}
        mixed: set[float] = set()
        if not checks:
            return due, mixed
        tired = idx[self._fatigue[idx]]
        after = (fa.max_on_min or 0.0) - self.debt[tired]
        after = np.where(after < 60.0, 60.0, after)
        values, first, which = np.unique(after, return_index=True, return_inverse=True)
        order = np.argsort(first)  # the checks in the order their first member comes
        members = np.argsort(which, kind="stable")  # each check's members in the order they come
        ends = np.cumsum(np.bincount(which, minlength=len(values)))
        outside = ~self._shift[tired]
        for k in order.tolist():
            take = members[ends[k - 1] if k else 0:ends[k]]
            value = float(values[k])
            due[value] = tired[take].tolist()
            if outside[take].any():
                mixed.add(value)
        return due, mixed

    def _tire(self, units: list[int], since: float, epoch: int) -> None:
        if epoch != self.switch.epoch:
            return
        tired = [u for u in units if self.pool.on[u] and self.on_since[u] == since]
        if not tired:  # mostly so (their stint ended first): nothing else of theirs changes now
            return
        for u in tired:
            self.tired[u] = True
        if self.on_post is not None:
            for u in tired:  # nobody stands post past the longest stint: they leave, relieved or not
                self.on_post(u)
        self.refresh(units)

    def went_off_all(self, units: list[int]) -> None:
        """`went_off` for several units at once (a crew at the end of its shift: its sums in arrays)."""
        if len(units) < BULK or self.switch.phase == PEACE:
            for u in units:
                self.went_off(u)
            return
        fa, now = self.sc.fatigue, self.eng.now
        idx = np.array(units, dtype=np.intp)
        idx = idx[self._fatigue[idx]]
        d = self.debt[idx]
        late = fa.onset_min - d
        beyond = now - self.on_since[idx] - np.where(late > 0.0, late, 0.0)
        self.debt[idx] = d + fa.debt_per_hour * np.where(beyond > 0.0, beyond, 0.0)
        self.off_since[idx] = now
        tired = self.tired
        for u in units:
            if tired[u]:
                self._rest(u)

    def went_off(self, u: int) -> None:
        """A unit went off duty: the stint's time beyond the onset adds sleep debt; if tired, its rest
        starts now and ends on the next 10-minute mark."""
        if self.fatigue_unit[u] and self.switch.phase != PEACE:
            fa, now = self.sc.fatigue, self.eng.now
            d = float(self.debt[u])
            late = fa.onset_min - d
            beyond = now - float(self.on_since[u]) - (late if late > 0.0 else 0.0)
            self.debt[u] = d + fa.debt_per_hour * (beyond if beyond > 0.0 else 0.0)
            self.off_since[u] = now
        if self.tired[u]:
            self._rest(u)

    def _rest(self, u: int) -> None:
        """A tired unit off duty rests, to the next 10-minute mark after `rest_min`."""
        self.tired[u] = False
        back = math.ceil((self.eng.now + self.sc.fatigue.rest_min) / REST_STEP) * REST_STEP
        self.rest_until[u] = back
        self._rested.setdefault(back, []).append(u)
        if len(self._rested[back]) == 1:
            self.eng.at(back - self.eng.now, self._back, back, self.switch.epoch)

    def _back(self, back: float, epoch: int) -> None:
        units = self._rested.pop(back, [])
        if epoch == self.switch.epoch:
            self._stints(self.refresh(units), self.eng.now)
