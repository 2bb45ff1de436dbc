"""The dispatch desk and the work on site: hands for ready jobs, next jobs for free hands.

A job is an incident or a task's job (a grid's evacuation, a post's shift, a grid's warning round). A
ready job first takes party members free at its place (after activation, up to its party share), then
the units its policy chooses; what it still lacks it waits for, in the band of the allocation rule. A
unit that comes free takes the waiting job its policy ranks first in the first band with work for it,
or joins the free pool (and, if it is away, goes back to its base, dispatchable on the way, counted at
base from the first 10-minute mark after it gets there). Units
travel, work at the rate of those on site (slower late in a long stint), and are released when the job
closes; whoever is no longer wanted on duty then goes off (`sim.model.onduty`).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.model.dispatch import DispatchPolicy
from sim.model.duty import Duty
from sim.model.engine import Engine
from sim.model.onduty import OnDuty
from sim.model.party import PartyMembers, TemporaryBranches
from sim.model.pool import ResponderPool
from sim.model.records import INCIDENT, IncidentRecords
from sim.model.switch import EMERG, PEACE, Switch, level_rules
from sim.model.territory import Territory
from sim.model.travel import Travel, TripNoise
from sim.model.waiting import WaitingIncidents
from sim.scenario.schema import FORCES, Scenario

PARTY = FORCES.index("party_member")
INF = math.inf
RETURN_STEP = 10.0  # minutes: units on their way back are put at base on these marks


@dataclass
class JobClasses:
    """Per job class (the incident classes, then the tasks): who may serve it and how it ranks."""

    group: list[int]  # index of its group of forces
    party: list[bool]  # party members may serve it
    party_share: list[float]  # at most this share of its hands
    priority: list[int]
    band: list[int]  # allocation band (for incidents: the band of a non-urgent one)
    urgent_band: int  # the band of urgent incidents (class urgent)
    urgent_class: int


class Dispatcher(OnDuty):
    def __init__(self, eng: Engine, sc: Scenario, terr: Territory, rec: IncidentRecords, pool: ResponderPool,
                 waiting: WaitingIncidents, policy: DispatchPolicy, travel: Travel, noise: TripNoise,
                 switch: Switch, party: PartyMembers, branches: TemporaryBranches, duty: Duty,
                 classes: JobClasses):
        self.eng, self.sc, self.terr, self.rec, self.pool = eng, sc, terr, rec, pool
        self.waiting, self.policy, self.travel, self.noise = waiting, policy, travel, noise
        self.switch, self.party, self.branches, self.duty, self.jc = switch, party, branches, duty, classes
        self.peace_town = sc.dispatch.peacetime_scope == "town"
        self.local_setup = sc.forces.party_members.local_setup_min
        self.work_factor = sc.forces.temporary_branches.work_factor
        self.back_home = sc.dispatch.return_to_base
        self.party_wait: list[list[int]] = [[] for _ in range(party.n_places)]  # jobs wanting party hands
        self.busy = [0.0] * len(FORCES)
        self.busy_kind = [0.0] * 4  # person-minutes on incidents and on each task
        self.job_of = [-1] * len(pool.force)  # the job a unit is sent to
        self.free_token = [0] * len(pool.force)  # changes whenever a unit is taken (a return trip checks it)
        self.mob: list[tuple[float, int, int]] = []  # (minute, force, +1 on duty / -1 off)
        self.next_seq = 0
        self.returning: list[tuple[float, int, int]] = []  # (back at base, unit, token) of units going back
        self.next_sweep = INF
        self.hooks_arrive: Callable[[int], None] | None = None  # the tasks: someone reached a task's job
        if rec.n:  # `_party_cap` for every incident at once
            cls, need = rec.table.cls, rec.table.need
            share = np.asarray(classes.party_share, dtype=float)[cls]
            cap = np.where(np.asarray(classes.party, dtype=bool)[cls], np.ceil(need * share - 1e-9), 0.0)
            rec.party_cap[:rec.n] = cap.astype(np.int64).tolist()

    def _party_cap(self, i: int) -> int:
        c = self.rec.cls[i]
        return math.ceil(self.rec.need[i] * self.jc.party_share[c] - 1e-9) if self.jc.party[c] else 0

    def scoped(self) -> bool:
        """Whether dispatch is by town now: the peacetime scope, or the level's command after activation."""
        if self.switch.phase == PEACE:
            return self.peace_town
        return level_rules(self.sc, self.switch.level).command == "town"

    # ---------------------------------------------------------------- ready jobs

    def ready(self, i: int) -> None:
        rec = self.rec
        rec.seq[i] = self.next_seq
        self.next_seq += 1
        if self.eng.log is not None:
            self.eng.note("ready", i)
        if i >= rec.n:
            rec.party_cap[i] = self._party_cap(i)
        self.staff(i)
        if rec.assigned[i] < rec.need[i]:
            c, jc = rec.cls[i], self.jc
            if rec.kind[i] == INCIDENT and c == jc.urgent_class:
                band = jc.urgent_band
            else:
                band = jc.band[c]
            level = band * self.policy.levels + self.policy.level(jc.priority[c], rec.sev[i])
            g = rec.grid[i]
            self.waiting.add(i, rec.seq[i], jc.group[c], rec.town[i], level, g)
            if rec.party_cap[i]:
                p = self.party.place(g)
                self.party_wait[p].append(i)
                self.party.wait_for(p)

    def staff(self, i: int) -> None:
        """Give a ready job what free hands there are: party members on the spot, then units."""
        rec = self.rec
        short = rec.need[i] - rec.assigned[i]
        if short > 0 and self.switch.phase == EMERG and rec.party_cap[i]:
            k = min(self.party.free(self.party.place(rec.grid[i])), rec.party_cap[i] - rec.party_n[i], short)
            if k > 0:
                self.assign_party(i, k)
                short -= k
        if short <= 0 or self.pool.n_free == 0:
            return
        town = rec.town[i] if self.pool.towns_live else None  # the scope in force (`scoped`)
        for u in self.policy.units_for(self.pool, self.jc.group[rec.cls[i]], town, rec.grid[i], short):
            self.assign(u, i)

    def assign(self, u: int, i: int, on_spot: bool = False) -> None:
        rec, pool, eng = self.rec, self.pool, self.eng
        now = eng.now
        pool.take(u)
        self.free_token[u] += 1
        self.job_of[u] = i
        rec.assigned[i] += 1
        if rec.t_disp[i] != rec.t_disp[i]:
            rec.t_disp[i] = now
        pool.busy_since[u] = now
        f = pool.force[u]
        rec.served[i] |= 1 << f
        if eng.log is not None:
            eng.note("dispatched", i, FORCES[f], u)
        if rec.assigned[i] >= rec.need[i] and i in self.waiting.seq_of:
            self.unwait(i)
        if on_spot:
            tt = 0.0
        else:
            tt = self.travel.to_grid(pool.loc[u], rec.grid[i], now)
            slot = rec.trips[i]
            rec.trips[i] = slot + 1
            if tt > 0 and self.noise.on:
                tt *= self.noise.factor(i, slot)
        if tt > 0:
            rec.enroute.setdefault(i, []).append(now + tt)
            eng.at(tt, self.arrive, u, i)
        else:
            self.arrive(u, i)

    def assign_party(self, i: int, k: int) -> None:
        rec, party = self.rec, self.party
        g = rec.grid[i]
        p = party.place(g)
        party.take(p, k)
        rec.party_n[i] += k
        rec.assigned[i] += k
        if rec.t_disp[i] != rec.t_disp[i]:
            rec.t_disp[i] = self.eng.now
        rec.served[i] |= 1 << PARTY
        if self.eng.log is not None:
            self.eng.note("dispatched", i, "party_member", k)
        if party.by_community:  # from the community's seat, as a group
            tt = self.travel.between(int(self.terr.comm_seat[p]), g)
            slot = rec.trips[i]
            rec.trips[i] = slot + 1
            if self.noise.on:
                tt *= self.noise.factor(i, slot)
        else:
            tt = self.local_setup
        if tt > 0:
            rec.enroute.setdefault(i, []).append(self.eng.now + tt)
            self.eng.at(tt, self.arrive_party, i, k)
        else:
            self.arrive_party(i, k)
        if rec.assigned[i] >= rec.need[i] and i in self.waiting.seq_of:
            self.unwait(i)

    def unwait(self, i: int) -> None:
        self.waiting.remove(i)
        if self.rec.party_cap[i]:
            pw = self.party_wait[self.party.place(self.rec.grid[i])]
            if i in pw:
                pw.remove(i)

    # ---------------------------------------------------------------- free hands

    def unit_free(self, u: int) -> None:
        """A unit with nothing to do takes the waiting job its policy ranks first, or waits (going back to
        its base if it is away)."""
        pool = self.pool
        if self.waiting.n:
            t = pool.town[u]
            town = t if (t >= 0 and pool.towns_live) else None
            i = self.policy.incident_for(self.waiting, pool.unit_groups[u], town, pool.loc[u])
            if i is not None:
                self.assign(u, i)
                return
        pool.put(u)
        home = pool.home[u]
        if self.back_home and pool.loc[u] != home:
            back = self.eng.now + self.travel.between(pool.loc[u], home)
            heapq.heappush(self.returning, (back, u, self.free_token[u]))
            self._sweep_at(back)

    def _sweep_at(self, t: float) -> None:
        mark = math.ceil(t / RETURN_STEP) * RETURN_STEP
        if mark < self.next_sweep:
            self.next_sweep = mark
            self.eng.at(mark - self.eng.now, self._sweep, mark)

    def _sweep(self, mark: float) -> None:
        """Units on their way back that have arrived are at base (checked on 10-minute marks, one event for
        all; until then a returning unit counts as where it last was)."""
        if mark != self.next_sweep:
            return
        self.next_sweep = INF
        pool, now, q = self.pool, self.eng.now, self.returning
        while q and q[0][0] <= now:
            _, u, token = heapq.heappop(q)
            if token == self.free_token[u] and pool.is_free[u]:
                pool.take(u)
                pool.loc[u] = pool.home[u]
                pool.put(u)
        if q:
            self._sweep_at(q[0][0])

    def party_free(self, p: int) -> None:
        """Party members free at place p join jobs there that still need hands."""
        free = self.party.free(p)
        rec, waiting = self.rec, self.party_wait[p]
        for i in list(waiting):
            if free <= 0:
                break
            room = min(rec.party_cap[i] - rec.party_n[i], rec.need[i] - rec.assigned[i], free)
            if room > 0:
                self.assign_party(i, room)
                free -= room
            if rec.party_n[i] >= rec.party_cap[i] and i in waiting:
                waiting.remove(i)
        if waiting:
            self.party.wait_for(p)

    def widen(self) -> None:
        """The scope became the district: idle units look at what waits elsewhere."""
        for u in sorted(self.pool.free_units):
            if not self.waiting.n:
                break
            self.pool.take(u)
            self.free_token[u] += 1
            self.unit_free(u)

    # ---------------------------------------------------------------- on site

    def arrive(self, u: int, i: int) -> None:
        rec = self.rec
        self.pool.loc[u] = rec.grid[i]
        way = rec.enroute.get(i)
        if way:
            way.remove(self.eng.now)
            if not way:
                del rec.enroute[i]
        if rec.t_close[i] == rec.t_close[i]:
            self.release(u)
            return
        crew = rec.crew.get(i)
        if crew is None:
            rec.crew[i] = [u]
        else:
            crew.append(u)
        if self.eng.log is not None:
            self.eng.note("arrived", i, FORCES[self.pool.force[u]], u)
        self.progress(i, 1, self.duty.speed(u) if self.duty.slowing else 1.0)
        if rec.kind[i] != INCIDENT and self.hooks_arrive is not None:
            self.hooks_arrive(i)

    def arrive_party(self, i: int, k: int) -> None:
        rec = self.rec
        way = rec.enroute.get(i)
        if way:
            way.remove(self.eng.now)
            if not way:
                del rec.enroute[i]
        if rec.t_close[i] == rec.t_close[i]:
            self.release_party(rec.grid[i], k)
            return
        if self.eng.log is not None:
            self.eng.note("arrived", i, "party_member", k)
        self.progress(i, k, 1.0)
        if rec.kind[i] != INCIDENT and self.hooks_arrive is not None:
            self.hooks_arrive(i)

    def progress(self, i: int, k: int, speed: float) -> None:
        rec, eng = self.rec, self.eng
        if self.switch.phase == EMERG and self.branches.formed[rec.comm[i]]:
            speed /= self.work_factor
        left = rec.work(i, k, speed, eng.now)
        if rec.on_site[i] >= rec.need[i] and rec.t_staff[i] != rec.t_staff[i]:
            rec.t_staff[i] = eng.now
            if eng.log is not None:
                eng.note("staffed", i)
        self._schedule(i, left)

    def _schedule(self, i: int, left: float) -> None:
        rec, eng = self.rec, self.eng
        if left == INF:  # a post: it ends when relieved or when its window closes
            return
        if left > 0:
            # hands still on their way before it would be done: their arrival reschedules the completion
            way = rec.enroute.get(i)
            if not way or min(way) >= eng.now + left:
                eng.at(left, self.complete, i, rec.token[i])
        else:
            self.complete(i, rec.token[i])

    def replan(self, i: int) -> None:
        """A job's work changed (a drill's shelter full): reschedule its completion."""
        rec = self.rec
        if rec.t_close[i] != rec.t_close[i] and rec.rate[i] > 0:
            rec.token[i] += 1
            self._schedule(i, rec.remaining[i] / rec.rate[i])

    def finish(self, i: int) -> None:
        """Close a job whatever its work (a post relieved, or its window over); a job still waiting is
        called off."""
        rec = self.rec
        rec.token[i] += 1
        if i in self.waiting.seq_of:  # waiting (`in self.waiting`, without the call)
            self.unwait(i)
        if rec.on_site[i] or rec.assigned[i]:
            self.complete(i, rec.token[i])
        else:
            rec.t_close[i] = self.eng.now

    def complete(self, i: int, token: int) -> None:
        rec = self.rec
        if token != rec.token[i]:
            return
        rec.t_close[i] = self.eng.now
        if self.eng.log is not None:
            self.eng.note("closed", i)
        if i in self.waiting.seq_of:  # waiting (`in self.waiting`, without the call)
            self.unwait(i)
        crew = rec.crew.pop(i, [])
        for u in crew:
            self.release(u)
        if rec.party_n[i]:
            self.release_party(rec.grid[i], rec.on_site[i] - len(crew))  # the rest of those on site

    def release(self, u: int) -> None:
        pool = self.pool
        now = self.eng.now
        spent = now - pool.busy_since[u]
        self.busy[pool.force[u]] += spent
        i = self.job_of[u]
        self.busy_kind[self.rec.kind[i]] += spent
        self.job_of[u] = -1
        if not self.duty.wanted(u):
            self.unit_off(u)
            return
        self.unit_free(u)

    def release_party(self, g: int, k: int) -> None:
        if k > 0:
            self.party.release(self.party.place(g), k, self.switch.phase == EMERG)
