"""The dispatch desk and the work on site: hands for ready incidents, next incidents for free hands.

A ready incident first takes party members free at its grid (after activation, up to its party share),
then the units its policy chooses; what it still lacks it waits for. A unit that comes free (on duty,
done, back from leave) takes the waiting incident its policy ranks first, or joins the free pool. Units
travel, work at the rate of those on site, and are released when the incident closes.
"""

from __future__ import annotations

import math

from sim.model.dispatch import DispatchPolicy
from sim.model.engine import Engine
from sim.model.party import PartyMembers, TemporaryBranches
from sim.model.pool import ResponderPool
from sim.model.records import IncidentRecords
from sim.model.switch import EMERG, PEACE, Switch
from sim.model.territory import Territory
from sim.model.travel import Travel, TripNoise
from sim.model.waiting import WaitingIncidents
from sim.scenario.schema import FORCES, Scenario

PARTY = FORCES.index("party_member")


class Dispatcher:
    def __init__(self, eng: Engine, sc: Scenario, terr: Territory, rec: IncidentRecords, pool: ResponderPool,
                 waiting: WaitingIncidents, policy: DispatchPolicy, travel: Travel, noise: TripNoise,
                 switch: Switch, party: PartyMembers, branches: TemporaryBranches, class_group: list[int],
                 class_party: list[bool], class_priority: list[int]):
        self.eng, self.sc, self.terr, self.rec, self.pool = eng, sc, terr, rec, pool
        self.waiting, self.policy, self.travel, self.noise = waiting, policy, travel, noise
        self.switch, self.party, self.branches = switch, party, branches
        self.class_group, self.class_party, self.class_priority = class_group, class_party, class_priority
        self.town_scope = sc.dispatch.peacetime_scope == "town"
        self.responder_share = sc.forces.party_members.responder_share
        self.local_setup = sc.forces.party_members.local_setup_min
        self.work_factor = sc.forces.temporary_branches.work_factor
        self.party_wait: list[list[int]] = [[] for _ in range(terr.n_grids)]  # incidents wanting party hands
        self.busy = [0.0] * len(FORCES)
        self.mob: list[tuple[float, int, int]] = []  # (minute, force, +1 on duty / -1 off)
        self.next_seq = 0
        # the party share of each incident's hands, fixed by its class and size
        share = self.responder_share
        rec.party_cap = [math.ceil(n * share - 1e-9) if class_party[c] else 0 for n, c in zip(rec.need, rec.cls)]

    # ---------------------------------------------------------------- ready incidents

    def ready(self, i: int) -> None:
        rec = self.rec
        rec.seq[i] = self.next_seq
        self.next_seq += 1
        if self.eng.log is not None:
            self.eng.note("ready", i)
        c = rec.cls[i]
        self.staff(i)
        if rec.assigned[i] < rec.need[i]:
            g = rec.grid[i]
            self.waiting.add(i, rec.seq[i], self.class_group[c], rec.town[i],
                             self.policy.level(self.class_priority[c], rec.sev[i]), g)
            if rec.party_cap[i]:
                self.party_wait[g].append(i)
                self.party.wait_for(g)

    def staff(self, i: int) -> None:
        """Give a ready incident what free hands there are: party members on the spot, then units."""
        rec = self.rec
        short = rec.need[i] - rec.assigned[i]
        g = rec.grid[i]
        emergency = self.switch.phase == EMERG
        if short > 0 and emergency and rec.party_cap[i]:
            k = min(self.party.free(g), rec.party_cap[i] - rec.party_n[i], short)
            if k > 0:
                self.assign_party(i, k)
                short -= k
        if short <= 0 or self.pool.n_free == 0:
            return
        town = rec.town[i] if (not emergency and self.town_scope) else None
        for u in self.policy.units_for(self.pool, self.class_group[rec.cls[i]], town, g, short):
            self.assign(u, i)

    def assign(self, u: int, i: int, on_spot: bool = False) -> None:
        rec, pool, eng = self.rec, self.pool, self.eng
        now = eng.now
        pool.take(u)
        rec.assigned[i] += 1
        if rec.t_disp[i] != rec.t_disp[i]:
            rec.t_disp[i] = now
        pool.busy_since[u] = now
        f = pool.force[u]
        rec.served[i] |= 1 << f
        if eng.log is not None:
            eng.note("dispatched", i, FORCES[f], u)
        if rec.assigned[i] >= rec.need[i] and i in self.waiting:
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
            rec.enroute[i].append(now + tt)
            eng.at(tt, self.arrive, u, i)
        else:
            self.arrive(u, i)

    def assign_party(self, i: int, k: int) -> None:
        rec = self.rec
        self.party.take(rec.grid[i], k)
        rec.party_n[i] += k
        rec.assigned[i] += k
        if rec.t_disp[i] != rec.t_disp[i]:
            rec.t_disp[i] = self.eng.now
        rec.served[i] |= 1 << PARTY
        self.eng.note("dispatched", i, "party_member", k)
        if self.local_setup > 0:
            rec.enroute[i].append(self.eng.now + self.local_setup)
            self.eng.at(self.local_setup, self.arrive_party, i, k)
        else:
            self.arrive_party(i, k)
        if rec.assigned[i] >= rec.need[i] and i in self.waiting:
            self.unwait(i)

    def unwait(self, i: int) -> None:
        self.waiting.remove(i)
        if self.rec.party_cap[i]:
            pw = self.party_wait[self.rec.grid[i]]
            if i in pw:
                pw.remove(i)

    # ---------------------------------------------------------------- free hands

    def unit_free(self, u: int) -> None:
        """A unit with nothing to do takes the waiting incident its policy ranks first, or waits."""
        pool = self.pool
        if self.waiting.n:
            t = pool.town[u]
            town = t if (self.switch.phase == PEACE and self.town_scope and t >= 0) else None
            i = self.policy.incident_for(self.waiting, pool.unit_groups[u], town, pool.loc[u])
            if i is not None:
                self.assign(u, i)
                return
        pool.put(u)

    def party_free(self, g: int) -> None:
        """Party members free at grid g join incidents there that still need hands."""
        free = self.party.free(g)
        rec, waiting = self.rec, self.party_wait[g]
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
            self.party.wait_for(g)

    def widen(self) -> None:
        """Flat command: the scope becomes the district, so idle units look at what waits elsewhere."""
        for u in sorted(self.pool.free_units):
            if not self.waiting.n:
                break
            self.pool.take(u)
            self.unit_free(u)

    # ---------------------------------------------------------------- on site

    def arrive(self, u: int, i: int) -> None:
        rec = self.rec
        self.pool.loc[u] = rec.grid[i]
        if rec.enroute[i]:
            rec.enroute[i].remove(self.eng.now)
        if rec.t_close[i] == rec.t_close[i]:
            self.release(u)
            return
        rec.crew[i].append(u)
        if self.eng.log is not None:
            self.eng.note("arrived", i, FORCES[self.pool.force[u]], u)
        self.progress(i, 1)

    def arrive_party(self, i: int, k: int) -> None:
        if self.rec.enroute[i]:
            self.rec.enroute[i].remove(self.eng.now)
        if self.rec.t_close[i] == self.rec.t_close[i]:
            self.release_party(self.rec.grid[i], k)
            return
        self.eng.note("arrived", i, "party_member", k)
        self.progress(i, k)

    def progress(self, i: int, k: int) -> None:
        rec, eng = self.rec, self.eng
        speed = 1.0 / self.work_factor if self.switch.phase == EMERG and self.branches.formed[rec.comm[i]] else 1.0
        left = rec.work(i, k, speed, eng.now)
        if rec.on_site[i] >= rec.need[i] and rec.t_staff[i] != rec.t_staff[i]:
            rec.t_staff[i] = eng.now
            eng.note("staffed", i)
        if left > 0:
            # hands still on their way before it would be done: their arrival reschedules the completion
            way = rec.enroute[i]
            if not way or min(way) >= eng.now + left:
                eng.at(left, self.complete, i, rec.token[i])
        else:
            self.complete(i, rec.token[i])

    def complete(self, i: int, token: int) -> None:
        rec = self.rec
        if token != rec.token[i]:
            return
        rec.t_close[i] = self.eng.now
        self.eng.note("closed", i)
        if i in self.waiting:
            self.unwait(i)
        crew, rec.crew[i] = rec.crew[i], []
        for u in crew:
            self.release(u)
        if rec.party_n[i]:
            self.release_party(rec.grid[i], rec.on_site[i] - len(crew))  # the rest of those on site

    def release(self, u: int) -> None:
        pool = self.pool
        now = self.eng.now
        self.busy[pool.force[u]] += now - pool.busy_since[u]
        if (self.switch.phase == PEACE and pool.emergency_only[u]) or pool.blocked[u] > now:
            self.unit_off(u)
            return
        self.unit_free(u)

    def release_party(self, g: int, k: int) -> None:
        if k > 0:
            self.party.release(g, k, self.switch.phase == EMERG)

    # ---------------------------------------------------------------- on and off duty

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

    def units_on(self, units: list[int], epoch: int) -> None:
        """Members of a team or squad sharing one delay come on duty in one event."""
        for u in units:
            self.unit_on(u, epoch)

    def unit_off(self, u: int) -> None:
        pool = self.pool
        pool.on[u] = False
        pool.take(u)
        self.mob.append((self.eng.now, pool.force[u], -1))
        if self.eng.log is not None:
            self.eng.note("off_duty", FORCES[pool.force[u]], u)

    def call_up(self, epoch: int) -> None:
        """Activation: everyone with a finite delay comes on duty after it; a shared delay is one event."""
        pool, now = self.pool, self.eng.now
        groups: dict[float, list[int]] = {}
        for u, d in enumerate(pool.act_delay):
            if d < math.inf and not pool.on[u]:
                pool.due[u] = now + d
                groups.setdefault(d, []).append(u)
        for d, units in groups.items():
            self.eng.soon(d, self.units_on, units, epoch)

    def stand_down(self) -> None:
        """Deactivation: emergency-only units with nothing to do go off duty (the rest when done)."""
        pool = self.pool
        for u, only in enumerate(pool.emergency_only):
            if only:
                pool.due[u] = math.inf
                if pool.on[u] and pool.is_free[u]:
                    self.unit_off(u)

    def loc_name(self, loc: int) -> str:
        t = self.terr
        if loc < t.n_grids:
            return t.grid_ids[loc]
        return t.town_ids[loc - t.n_grids] + " command post" if loc < t.district_loc else "district centre"
