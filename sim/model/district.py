"""One replication of a district: the SimPy model of discovery, reporting, the switch and dispatch.

The hot path is written as SimPy timeouts with callbacks rather than one process per incident: an
incident costs one timeout per stage that takes time, zero-length stages are skipped, random inputs are
drawn in blocks before the run, and records go into preallocated columns.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from sim.model.dispatch import DispatchPolicy, make_policy
from sim.model.forces import Forces
from sim.model.incidents import IncidentTable
from sim.model.injects import Disruption
from sim.model.streams import lognormal, lognormal_factor, stream
from sim.model.territory import Territory
from sim.scenario.schema import CLASSES, FORCES, SEVERITIES, Scenario

PEACE, EMERG = 0, 1
PHASES = ("peacetime", "emergency")
PATROL, INFORMANT, HOTLINE = 0, 1, 2
CHANNELS = ("patrol", "informant", "hotline")
GW = FORCES.index("grid_worker")
PARTY = FORCES.index("party_member")
MAJOR = SEVERITIES.index("major")
NAN = math.nan
INF = math.inf


@dataclass
class ReplicationResult:
    """What one replication hands back: incident columns and run-level records; no model objects."""

    replication: int
    incidents: dict[str, np.ndarray]
    served_by: list[str]
    phase: np.ndarray
    activations: list[float]
    deactivations: list[float]
    branches: list[tuple[float, str]]
    mobilisation: dict[str, tuple[np.ndarray, np.ndarray]]  # force -> (times, people in place)
    force_size: dict[str, int]
    busy_min: dict[str, float]
    on_duty_min: dict[str, float]
    n_events: int
    end_min: float
    log: list[tuple] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class District:
    """Build → run → collect, for one replication."""

    def __init__(self, sc: Scenario, terr: Territory, inc: IncidentTable, forces: Forces, replication: int,
                 policy: DispatchPolicy | None = None, trace: bool = False,
                 disruptions: list[Disruption] | None = None):
        self.sc, self.terr, self.inc, self.replication = sc, terr, inc, replication
        self.policy = policy or make_policy(sc.dispatch.policy)
        self.env = simpy.Environment()
        self.log: list[tuple] | None = [] if trace else None
        self.n_events = 0
        self.phase = PEACE
        self.epoch = 0
        self.rules = (sc.reporting.peacetime, sc.reporting.emergency)
        self.disc = sc.reporting.discovery
        n = len(inc)
        self.n = n

        # class tables
        rules = [sc.incidents.classes[c] for c in CLASSES]
        self.cls_prio = [r.priority for r in rules]
        self.cls_pre = [r.pre_dispatch_min for r in rules]
        self.cls_on_spot = [r.on_spot for r in rules]
        force_sets = []
        self.cls_group = []
        for r in rules:
            fs = tuple(sorted(FORCES.index(f) for f in r.forces if f != "party_member"))
            if fs not in force_sets:
                force_sets.append(fs)
            self.cls_group.append(force_sets.index(fs))
        self.cls_party = ["party_member" in r.forces for r in rules]
        self.must = [({CLASSES.index(c) for c in r.must_report}, {SEVERITIES.index(s) for s in r.must_report_severities})
                     for r in self.rules]

        # per-incident random inputs, drawn in blocks
        drng = stream(sc.seed, replication, "discovery")
        e = drng.standard_exponential((3, n))
        self.d_patrol, self.d_inform, self.d_hot_e = e[0].tolist(), e[1].tolist(), e[2].tolist()
        self.d_hot = drng.uniform(size=n).tolist()
        rrng = stream(sc.seed, replication, "reporting")
        self.r_comply = rrng.uniform(size=n).tolist()
        z = rrng.standard_normal((n, 3))
        # per phase: the first hop's factor (direct reports) and the running sum over hops
        self.hop_first: list[list[float]] = []
        self.hop_sum: list[list[float]] = []
        for rr in self.rules:
            fac = lognormal_factor(rr.hop_cv, z)
            self.hop_first.append(fac[:, 0].tolist())
            self.hop_sum.append(fac[:, : len(rr.route) + 1].sum(axis=1).tolist())
        self.disc_factor = inc.discovery_factor.tolist()
        self.trigger_sev = SEVERITIES.index(sc.switch.threshold.severity)
        self.trng = stream(sc.seed, replication, "travel")
        self.t_block: list[float] = []
        self.prng = stream(sc.seed, replication, "party")

        # incident state and records
        self.grid = inc.grid.tolist()
        self.cls = inc.cls.tolist()
        self.sev = inc.severity.tolist()
        self.need = inc.need.tolist()
        self.town = terr.grid_town[inc.grid].tolist()
        self.comm = terr.grid_comm[inc.grid].tolist()
        self.t_disc = [NAN] * n
        self.t_rep = [NAN] * n
        self.t_disp = [NAN] * n
        self.t_first = [NAN] * n
        self.t_staff = [NAN] * n
        self.t_close = [NAN] * n
        self.inc_phase = [PEACE] * n
        self.channel = [-1] * n
        self.assigned = [0] * n
        self.on_site = [0] * n
        self.party_n = [0] * n
        self.party_cap = [0] * n
        self.remaining = (inc.work_min * inc.need).tolist()  # person-minutes
        self.rate = [0.0] * n
        self.last = [0.0] * n
        self.token = [0] * n
        self.crew: list[list[int]] = [[] for _ in range(n)]
        self.served = [0] * n
        self.seq = [0] * n
        self.waiting_flag = [False] * n
        self.next_seq = 0

        # units
        u = forces.units
        self.coverage = forces.coverage
        self.u_force = np.array(u.force, dtype=np.int64)
        self.u_force_l = u.force
        self.u_bit = [1 << f for f in u.force]
        self.u_town_l = u.town
        self.u_loc = np.array(u.home, dtype=np.int64)
        self.u_loc_l = list(u.home)
        self.u_free = np.zeros(len(u), dtype=bool)
        self.free_set: set[int] = set()
        self.u_on = [False] * len(u)
        self.u_start = [0.0] * len(u)
        self.act_delay = u.act_delay
        self.peace_on = u.peace_on
        self.home = u.home
        self.emerg_only = u.emergency_only
        self.n_free = 0
        self.group_mask = [np.isin(self.u_force, fs) for fs in force_sets]
        self.group_ok = [m.tolist() for m in self.group_mask]
        u_town = np.array(u.town, dtype=np.int64)
        self.scope_mask = [(u_town == t) | (u_town == -1) for t in range(len(terr.town_ids))]
        self.force_groups = [[g for g, fs in enumerate(force_sets) if f in fs] for f in range(len(FORCES))]
        self.scope_town = sc.dispatch.peacetime_scope == "town"
        self.waiting: list[list[list[int]]] = [[[] for _ in terr.town_ids] for _ in force_sets]
        self.n_waiting = 0
        self.busy = [0.0] * len(FORCES)
        self.travel = terr.travel_min
        self.travel_cv = sc.territory.travel.cv
        self.size = dict(u.size)
        self.size["party_member"] = int(terr.party_members.sum())

        # party members in place and temporary branches
        G, C = terr.n_grids, len(terr.community_ids)
        self.party_free = [0] * G
        self.party_in = [0] * G
        self.party_wait: list[list[int]] = [[] for _ in range(G)]
        self.comm_party = [0] * C
        self.comm_key = np.zeros(C, dtype=bool)
        self.comm_key[terr.grid_comm[terr.key_area]] = True
        self.comm_major = [False] * C
        self.branch = [False] * C
        self.branch_pending = [False] * C
        self.branches: list[tuple[float, str]] = []

        # the switch
        self.activations: list[float] = []
        self.deactivations: list[float] = []
        self.trigger_times: deque[float] = deque()
        self.last_trigger = -INF
        self.activation_pending = False
        self.mob: list[tuple[float, int, int]] = []

        # drill injects: forces taken away, reporting links cut, roads closed, activation by hand
        self.disruptions = list(disruptions or [])
        self.blocked = [0.0] * len(u)  # unavailable until
        self.due = [0.0 if on else INF for on in u.peace_on]  # when a unit should be on duty
        self.link_until = [0.0] * G
        self.road_until = [0.0] * G
        self.road_factor = [1.0] * G
        self.road_extra = [0.0] * G
        self.n_roads = 0

    # ------------------------------------------------------------------ plumbing

    def _at(self, delay: float, fn: Callable[..., None], *args: Any) -> None:
        self.n_events += 1
        ev = self.env.timeout(delay)
        ev.callbacks.append(lambda _e: fn(*args))

    def _soon(self, delay: float, fn: Callable[..., None], *args: Any) -> None:
        """Run now when there is no delay: a zero-length timeout would only cost an event."""
        if delay > 0:
            self._at(delay, fn, *args)
        else:
            fn(*args)

    def _note(self, what: str, *detail: Any) -> None:
        if self.log is not None:
            self.log.append((round(self.env.now, 6), what, *detail))

    def _travel_factor(self) -> float:
        if self.travel_cv <= 0:
            return 1.0
        if not self.t_block:
            self.t_block = lognormal_factor(self.travel_cv, self.trng.standard_normal(4096)).tolist()
            self.t_block.reverse()
        return self.t_block.pop()

    # ------------------------------------------------------------------ run

    def run(self, until: float | None = None) -> ReplicationResult:
        """Run to the end of the horizon and drain, or to `until` (a drill stopped at a scenario time)."""
        env, sc = self.env, self.sc
        for u, on in enumerate(self.peace_on):
            if on:
                self._unit_on(u, self.epoch)
        self.onset_l = self.inc.onset.tolist()
        # a drill's injects first: at the same minute they take effect before that minute's incidents,
        # whether or not an incident came before (the first arrival would otherwise be scheduled ahead)
        for d in self.disruptions:
            self._soon(d.at_min, self._disrupt, d)
        if self.n:
            self._at(self.onset_l[0], self._arrival, 0)
        if sc.switch.activation == "scheduled":
            self._at(sc.switch.scheduled_min, self._activate)
        end = sc.horizon_min + sc.drain_min
        if until is not None:
            end = min(end, until)
        env.run(until=end)
        return self._collect(end)

    def _arrival(self, i: int) -> None:
        """Incidents arrive by a chain of timeouts, one pending at a time (a callback is cheaper than a process)."""
        onset, n, now = self.onset_l, self.n, self.env.now
        while True:
            self._onset(i)
            i += 1
            if i >= n:
                return
            if onset[i] > now:
                self._at(onset[i] - now, self._arrival, i)
                return

    # ------------------------------------------------------------------ stages

    def _onset(self, i: int) -> None:
        ph = self.phase
        self.inc_phase[i] = ph
        if self.log is not None:
            self._note("onset", i, self.terr.grid_ids[self.grid[i]], CLASSES[self.cls[i]], SEVERITIES[self.sev[i]])
        if self.disc.instant:
            self._soon(0.0, self._discover, i, PATROL)
            return
        if self.disc_factor[i] == 0.0:  # known at once: a drill's inject is a message to the players
            self._discover(i, INFORMANT)
            return
        g = self.grid[i]
        d = self.disc
        cov = self.coverage[g] * (d.emergency_patrol_factor if ph == EMERG else 1.0)
        cov += self.party_in[g] * self.sc.forces.party_members.coverage_each
        delays = (self.d_patrol[i] * d.patrol_revisit_min / cov if cov > 0 else INF,
                  self.d_inform[i] * d.informant_mean_min,
                  self.d_hot_e[i] * d.hotline_mean_min if self.d_hot[i] < d.hotline_share else INF)
        ch = min(range(3), key=delays.__getitem__)
        self._soon(delays[ch] * self.disc_factor[i], self._discover, i, ch)

    def _discover(self, i: int, ch: int) -> None:
        now = self.env.now
        self.t_disc[i] = now
        self.channel[i] = ch
        if self.log is not None:
            self._note("discovered", i, CHANNELS[ch])
        c, g = self.cls[i], self.grid[i]
        if self.cls_on_spot[c] and ch == PATROL and self.need[i] == 1:
            here = [u for u in self.free_set if self.u_force_l[u] == GW and self.u_loc_l[u] == g]
            if here:
                self.t_rep[i] = now
                self._note("on_spot", i)
                self._assign(min(here), i, on_spot=True)
                return
        rules = self.rules[self.phase]
        must_c, must_s = self.must[self.phase]
        must = c in must_c or self.sev[i] in must_s
        if not must and self.r_comply[i] >= rules.compliance:
            self._note("unreported", i)
            return
        if self.phase == EMERG and self.branch[self.comm[i]]:
            delay = self.sc.forces.temporary_branches.report_delay_min
        elif must:
            delay = rules.direct_delay_min * self.hop_first[self.phase][i]
        else:
            delay = rules.hop_delay_min * self.hop_sum[self.phase][i] if rules.hop_delay_min else 0.0
            b = rules.batching_interval_min
            if b > 0:
                delay += math.ceil(now / b) * b - now
        if self.link_until[g] > now:  # the reporting link is down: the report waits until it is back
            delay += self.link_until[g] - now
        self._soon(delay, self._reported, i)

    def _reported(self, i: int) -> None:
        now = self.env.now
        self.t_rep[i] = now
        if self.log is not None:
            self._note("reported", i)
        sw = self.sc.switch
        if self.sev[i] >= self.trigger_sev:
            self.last_trigger = now
            if sw.activation == "threshold" and self.phase == PEACE and not self.activation_pending:
                q = self.trigger_times
                q.append(now)
                while q and q[0] < now - sw.threshold.window_min:
                    q.popleft()
                if len(q) >= sw.threshold.count:
                    self.activation_pending = True
                    self._note("activation_ordered")
                    self._soon(sw.decision_delay_min, self._activate)
        if self.sev[i] == MAJOR:  # a major incident is a key site: a branch may form there once activated
            c = self.comm[i]
            self.comm_major[c] = True
            self._check_branch(c)
        rules = self.rules[self.phase]
        self._soon(rules.decision_delay_min + self.cls_pre[self.cls[i]] * rules.pre_dispatch_factor, self._ready, i)

    def _ready(self, i: int) -> None:
        self.seq[i] = self.next_seq
        self.next_seq += 1
        if self.log is not None:
            self._note("ready", i)
        self.party_cap[i] = (math.ceil(self.need[i] * self.sc.forces.party_members.responder_share - 1e-9)
                             if self.cls_party[self.cls[i]] else 0)
        self._staff(i)
        if self.assigned[i] < self.need[i]:
            self.waiting_flag[i] = True
            self.n_waiting += 1
            self.waiting[self.cls_group[self.cls[i]]][self.town[i]].append(i)
            if self.party_cap[i]:
                self.party_wait[self.grid[i]].append(i)

    # ------------------------------------------------------------------ dispatch

    def _staff(self, i: int) -> None:
        """Give a ready incident what free hands there are: party members on the spot, then nearest units."""
        short = self.need[i] - self.assigned[i]
        g = self.grid[i]
        if short > 0 and self.party_free[g] and self.phase == EMERG:
            k = min(self.party_free[g], self.party_cap[i] - self.party_n[i], short)
            if k > 0:
                self._assign_party(i, k)
                short -= k
        if short <= 0 or self.n_free == 0:
            return
        grp = self.cls_group[self.cls[i]]
        scoped = self.phase == PEACE and self.scope_town
        if self.n_free <= 32:
            # few free units: plain Python beats building numpy masks
            ok, town, tl, loc = self.group_ok[grp], self.town[i], self.u_town_l, self.u_loc_l
            cands = sorted((self.travel[loc[u], g], u) for u in self.free_set
                           if ok[u] and (not scoped or tl[u] == town or tl[u] < 0))
            for _, u in cands[:short]:
                self._assign(u, i)
            return
        m = self.u_free & self.group_mask[grp]
        if scoped:
            m &= self.scope_mask[self.town[i]]
        idx = np.flatnonzero(m)
        if len(idx) == 0:
            return
        tt = self.travel[self.u_loc[idx], g]
        if len(idx) > short:
            part = np.argpartition(tt, short - 1)[:short]
            part = part[np.argsort(tt[part], kind="stable")]
            idx = idx[part]
        else:
            idx = idx[np.argsort(tt, kind="stable")]
        for u in idx.tolist():
            self._assign(u, i)

    def _assign(self, u: int, i: int, on_spot: bool = False) -> None:
        now = self.env.now
        free = self.free_set
        if u in free:
            free.discard(u)
            self.u_free[u] = False
            self.n_free -= 1
        self.assigned[i] += 1
        if self.t_disp[i] != self.t_disp[i]:
            self.t_disp[i] = now
        self.u_start[u] = now
        self.served[i] |= self.u_bit[u]
        if self.log is not None:
            self._note("dispatched", i, FORCES[self.u_force_l[u]], u)
        if self.assigned[i] >= self.need[i] and self.waiting_flag[i]:
            self._unwait(i)
        tt = 0.0 if on_spot else self.travel[self.u_loc_l[u], self.grid[i]]
        if self.n_roads and not on_spot and self.road_until[self.grid[i]] > now:  # a closed road: detour or wait
            g = self.grid[i]
            tt = tt * self.road_factor[g] + self.road_extra[g]
        if tt > 0:
            if self.travel_cv > 0:
                tt *= self._travel_factor()
            self._at(float(tt), self._arrive, u, i)
        else:
            self._arrive(u, i)

    def _assign_party(self, i: int, k: int) -> None:
        g = self.grid[i]
        self.party_free[g] -= k
        self.party_n[i] += k
        self.assigned[i] += k
        if self.t_disp[i] != self.t_disp[i]:
            self.t_disp[i] = self.env.now
        self.served[i] |= 1 << PARTY
        self._note("dispatched", i, "party_member", k)
        self._soon(self.sc.forces.party_members.local_setup_min, self._arrive_party, i, k)
        if self.assigned[i] >= self.need[i] and self.waiting_flag[i]:
            self._unwait(i)

    def _unwait(self, i: int) -> None:
        self.waiting_flag[i] = False
        self.n_waiting -= 1
        self.waiting[self.cls_group[self.cls[i]]][self.town[i]].remove(i)
        if self.party_cap[i]:
            pw = self.party_wait[self.grid[i]]
            if i in pw:
                pw.remove(i)

    def _unit_free(self, u: int) -> None:
        """A unit with nothing to do takes the waiting incident its policy ranks first, or waits."""
        if self.n_waiting:
            f = self.u_force_l[u]
            t = self.u_town_l[u]
            towns = [t] if (self.phase == PEACE and self.scope_town and t >= 0) else range(len(self.terr.town_ids))
            pol = self.policy
            best: int | None = None
            best_key: Any = None
            if pol.heads_only:  # lists are in ready order: the oldest head wins
                for grp in self.force_groups[f]:
                    lists = self.waiting[grp]
                    for town in towns:
                        lst = lists[town]
                        if lst and (best is None or self.seq[lst[0]] < best_key):
                            best, best_key = lst[0], self.seq[lst[0]]
            else:
                row = self.travel[self.u_loc_l[u]]
                grid, prio, cls, seq = self.grid, self.cls_prio, self.cls, self.seq
                for grp in self.force_groups[f]:
                    lists = self.waiting[grp]
                    for town in towns:
                        for j in lists[town]:
                            key = pol.key(row, grid[j], prio[cls[j]], seq[j])
                            if best_key is None or key < best_key:
                                best, best_key = j, key
            if best is not None:
                self._assign(u, best)
                return
        self.u_free[u] = True
        self.free_set.add(u)
        self.n_free += 1

    def _party_free(self, g: int, k: int) -> None:
        """Party members with nothing to do join incidents at their own grid that still need hands."""
        self.party_free[g] += k
        for i in list(self.party_wait[g]):
            if not self.party_free[g]:
                break
            short = self.need[i] - self.assigned[i]
            room = min(self.party_cap[i] - self.party_n[i], short, self.party_free[g])
            if room > 0:
                self._assign_party(i, room)
            if self.party_n[i] >= self.party_cap[i] and i in self.party_wait[g]:
                self.party_wait[g].remove(i)

    # ------------------------------------------------------------------ on site

    def _arrive(self, u: int, i: int) -> None:
        self.u_loc[u] = self.u_loc_l[u] = self.grid[i]
        if self.t_close[i] == self.t_close[i]:
            self._release(u)
            return
        self.crew[i].append(u)
        if self.log is not None:
            self._note("arrived", i, FORCES[self.u_force_l[u]], u)
        self._progress(i, 1)

    def _arrive_party(self, i: int, k: int) -> None:
        if self.t_close[i] == self.t_close[i]:
            self._release_party(self.grid[i], k)
            return
        self._note("arrived", i, "party_member", k)
        self._progress(i, k)

    def _progress(self, i: int, k: int) -> None:
        now = self.env.now
        speed = 1.0
        if self.phase == EMERG and self.branch[self.comm[i]]:
            speed = 1.0 / self.sc.forces.temporary_branches.work_factor
        self.remaining[i] -= self.rate[i] * (now - self.last[i])
        self.last[i] = now
        self.rate[i] += k * speed
        self.on_site[i] += k
        if self.t_first[i] != self.t_first[i]:
            self.t_first[i] = now
        if self.on_site[i] >= self.need[i] and self.t_staff[i] != self.t_staff[i]:
            self.t_staff[i] = now
            if self.log is not None:
                self._note("staffed", i)
        self.token[i] += 1
        left = self.remaining[i]
        if left > 0:
            self._at(left / self.rate[i], self._complete, i, self.token[i])
        else:
            self._complete(i, self.token[i])

    def _complete(self, i: int, token: int) -> None:
        if token != self.token[i]:
            return
        self.t_close[i] = self.env.now
        if self.log is not None:
            self._note("closed", i)
        if self.waiting_flag[i]:
            self._unwait(i)
        crew, self.crew[i] = self.crew[i], []
        for u in crew:
            self._release(u)
        if self.party_n[i]:
            self._release_party(self.grid[i], self.on_site[i] - len(crew))  # the rest of those on site

    def _release(self, u: int) -> None:
        now = self.env.now
        f = self.u_force_l[u]
        self.busy[f] += now - self.u_start[u]
        if (self.phase == PEACE and self.emerg_only[u]) or self.blocked[u] > now:
            self._unit_off(u)
            return
        self._unit_free(u)

    def _release_party(self, g: int, k: int) -> None:
        if k <= 0:
            return
        if self.phase == PEACE:
            self.party_in[g] -= k
            self.comm_party[self.terr.grid_comm[g]] -= k
            self.mob.append((self.env.now, PARTY, -k))
            return
        self._party_free(g, k)

    # ------------------------------------------------------------------ mobilisation and the switch

    def _unit_on(self, u: int, epoch: int) -> None:
        if epoch != self.epoch or self.u_on[u] or self.blocked[u] > self.env.now:
            return
        self.u_on[u] = True
        self.u_loc[u] = self.u_loc_l[u] = self.home[u]
        self.mob.append((self.env.now, self.u_force_l[u], 1))
        if self.log is not None:
            self._note("on_duty", FORCES[self.u_force_l[u]], u, self._loc_name(self.home[u]))
        self._unit_free(u)

    def _unit_off(self, u: int) -> None:
        self.u_on[u] = False
        if u in self.free_set:
            self.free_set.discard(u)
            self.u_free[u] = False
            self.n_free -= 1
        self.mob.append((self.env.now, self.u_force_l[u], -1))
        if self.log is not None:
            self._note("off_duty", FORCES[self.u_force_l[u]], u)

    def _loc_name(self, loc: int) -> str:
        t = self.terr
        if loc < t.n_grids:
            return t.grid_ids[loc]
        return t.town_ids[loc - t.n_grids] + " command post" if loc < t.district_loc else "district centre"

    def _disrupt(self, d: Disruption) -> None:
        now = self.env.now
        if d.kind == "activate":
            self._note("activation_ordered", d.label)
            self._activate()
            return
        if d.kind == "unavailable":
            units = self._units_in(d)
            self._note("unavailable", d.label, FORCES[d.force] if d.force is not None else "", len(units),
                       round(d.until_min, 6))
            for u in units:
                self.blocked[u] = max(self.blocked[u], d.until_min)
                if self.u_on[u] and u in self.free_set:
                    self._unit_off(u)
            if d.until_min < INF:
                self._at(d.until_min - now, self._restore, d, units)
            return
        for g in d.grids:
            if d.kind == "link_down":
                self.link_until[g] = max(self.link_until[g], d.until_min)
            else:
                self.road_until[g] = max(self.road_until[g], d.until_min)
                self.road_factor[g], self.road_extra[g] = d.factor, d.extra_min
        if d.kind == "road_closed":
            self.n_roads += 1
        self._note(d.kind, d.label, len(d.grids), round(d.until_min, 6))
        if d.until_min < INF:
            self._at(d.until_min - now, self._restore, d, [])

    def _units_in(self, d: Disruption) -> list[int]:
        """The first `share` of the force's units (by index) based in the inject's area."""
        t = self.terr
        area = set(d.grids)
        towns = {int(t.grid_town[g]) for g in area}
        whole = len(area) == t.n_grids
        pick = []
        for u, f in enumerate(self.u_force_l):
            if f != d.force:
                continue
            home = self.home[u]
            if home < t.n_grids:
                inside = home in area
            elif home < t.district_loc:
                inside = (home - t.n_grids) in towns
            else:
                inside = whole
            if inside:
                pick.append(u)
        return pick[: math.ceil(d.share * len(pick) - 1e-9)]

    def _restore(self, d: Disruption, units: list[int]) -> None:
        now = self.env.now
        if d.kind == "unavailable":
            self._note("available_again", d.label, len(units))
            for u in units:
                if self.blocked[u] <= now and not self.u_on[u] and self.due[u] <= now:
                    self._unit_on(u, self.epoch)
            return
        if d.kind == "road_closed":
            self.n_roads -= 1
            for g in d.grids:
                if self.road_until[g] <= now:
                    self.road_factor[g], self.road_extra[g] = 1.0, 0.0
                else:  # another closure of this grid still lasts: its detour applies again
                    live = [o for o in self.disruptions if o.kind == "road_closed" and g in o.grids
                            and o.at_min <= now < o.until_min]
                    last = max(live, key=lambda o: o.at_min)
                    self.road_factor[g], self.road_extra[g] = last.factor, last.extra_min
        self._note("link_restored" if d.kind == "link_down" else "road_opened", d.label)

    def _activate(self) -> None:
        if self.phase == EMERG:
            return
        now = self.env.now
        self.phase = EMERG
        self.epoch += 1
        self.activation_pending = False
        self.activations.append(now)
        self._note("activated")
        ep = self.epoch
        for u, d in enumerate(self.act_delay):
            if not self.u_on[u] and d < INF:
                self.due[u] = now + d
                self._soon(d, self._unit_on, u, ep)
        pm = self.sc.forces.party_members
        members = self.terr.party_members
        if members.sum() and pm.report_prob > 0:
            k = self.prng.binomial(members, pm.report_prob)
            grids = np.repeat(np.arange(len(k)), k)
            delay = lognormal(self.prng, pm.report_delay_mean_min, pm.report_delay_cv, len(grids))
            order = np.argsort(delay, kind="stable")
            self.env.process(self._party_reporting(delay[order].tolist(), grids[order].tolist(), ep))
        # flat command: the scope widens, so idle units look at what waits elsewhere
        if self.n_waiting:
            for u in sorted(self.free_set):
                if self.n_waiting == 0:
                    break
                self.free_set.discard(u)
                self.u_free[u] = False
                self.n_free -= 1
                self._unit_free(u)
        for c in range(len(self.comm_party)):
            self._check_branch(c)
        if self.sc.switch.deactivation_quiet_min is not None:
            self.env.process(self._watch_quiet(ep))

    def _party_reporting(self, delays: list[float], grids: list[int], ep: int):
        start = self.env.now
        for d, g in zip(delays, grids):
            wait = start + d - self.env.now
            if wait > 0:
                self.n_events += 1
                yield self.env.timeout(wait)
            if ep != self.epoch:
                return
            self.party_in[g] += 1
            self.mob.append((self.env.now, PARTY, 1))
            if self.log is not None:
                self._note("party_member_in_place", self.terr.grid_ids[g])
            c = int(self.terr.grid_comm[g])
            self.comm_party[c] += 1
            self._party_free(g, 1)
            self._check_branch(c)

    def _check_branch(self, c: int) -> None:
        tb = self.sc.forces.temporary_branches
        if (not tb.enabled or self.phase != EMERG or self.branch[c] or self.branch_pending[c]
                or self.comm_party[c] < tb.min_members or not (self.comm_key[c] or self.comm_major[c])):
            return
        self.branch_pending[c] = True
        self._soon(tb.formation_delay_min, self._form_branch, c, self.epoch)

    def _form_branch(self, c: int, ep: int) -> None:
        self.branch_pending[c] = False
        if ep != self.epoch:
            return
        self.branch[c] = True
        self.branches.append((self.env.now, self.terr.community_ids[c]))
        self._note("branch_formed", self.terr.community_ids[c])

    def _watch_quiet(self, ep: int):
        quiet = self.sc.switch.deactivation_quiet_min
        assert quiet is not None
        while ep == self.epoch:
            due = max(self.last_trigger, self.activations[-1]) + quiet
            if self.env.now >= due:
                self._deactivate()
                return
            self.n_events += 1
            yield self.env.timeout(due - self.env.now)

    def _deactivate(self) -> None:
        now = self.env.now
        self.phase = PEACE
        self.epoch += 1
        self.deactivations.append(now)
        self.trigger_times.clear()
        self._note("deactivated")
        for u in range(len(self.u_on)):
            if self.emerg_only[u]:
                self.due[u] = INF
            if self.u_on[u] and self.emerg_only[u] and u in self.free_set:
                self._unit_off(u)
        for g in range(len(self.party_free)):
            k = self.party_free[g]
            if k:
                self.party_free[g] = 0
                self.party_in[g] -= k
                self.mob.append((now, PARTY, -k))
        for c in range(len(self.branch)):
            self.comm_party[c] = 0
            self.branch[c] = False
            self.comm_major[c] = False
        for g in range(len(self.party_in)):
            self.comm_party[self.terr.grid_comm[g]] += self.party_in[g]

    # ------------------------------------------------------------------ collect

    def _collect(self, end: float) -> ReplicationResult:
        inc = self.inc
        cols = {
            "grid": inc.grid,
            "class": inc.cls,
            "severity": inc.severity,
            "source": inc.source,
            "responders": inc.need,
            "onset_min": inc.onset,
            "discovered_min": np.array(self.t_disc),
            "reported_min": np.array(self.t_rep),
            "dispatched_min": np.array(self.t_disp),
            "first_arrival_min": np.array(self.t_first),
            "staffed_min": np.array(self.t_staff),
            "closed_min": np.array(self.t_close),
        }
        names: dict[int, str] = {}
        served = []
        for mask in self.served:
            if mask not in names:
                names[mask] = "+".join(FORCES[f] for f in range(len(FORCES)) if mask >> f & 1)
            served.append(names[mask])
        # mobilisation: people in place per force over time, from the on/off log
        mob: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        on_duty: dict[str, float] = {}
        for f, name in enumerate(FORCES):
            rows = [(t, d) for t, ff, d in self.mob if ff == f]
            times = np.array([t for t, _ in rows], dtype=float)
            counts = np.cumsum([d for _, d in rows]).astype(float) if rows else np.zeros(0)
            mob[name] = (times, counts)
            if len(times):
                spans = np.diff(np.append(times, end))
                on_duty[name] = float((counts * spans).sum())
            else:
                on_duty[name] = 0.0
        busy: dict[str, float] = {FORCES[f]: self.busy[f] for f in range(len(FORCES))}
        return ReplicationResult(
            replication=self.replication, incidents=cols, served_by=served, phase=np.array(self.inc_phase),
            activations=[float(t) for t in self.activations],
            deactivations=[float(t) for t in self.deactivations], branches=self.branches,
            mobilisation=mob, force_size=self.size, busy_min=busy, on_duty_min=on_duty, n_events=self.n_events,
            end_min=end, log=self.log, extra={"labels": self.inc.label},
        )
