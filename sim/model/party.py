"""Party members in place and temporary branches.

After activation each party member reports in place at the grid where they live, with a probability and
a delay of their own (`party` stream, one draw per member, so a higher report share adds members and
moves nobody else). They are counted per grid, not run as processes: who has arrived by now is read off
each grid's sorted arrival times when it matters (a discovery, a staffing decision, a branch check), and
the model wakes only for the arrivals that incidents are waiting for. A trace (drills) logs each arrival.

A temporary branch forms in a community with a key area or a major incident once `min_members` members
are in place there; it shortens reporting and speeds up work on site until the district stands down.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable

import numpy as np

from sim.model.engine import Engine
from sim.model.streams import lognormal_factor, stream
from sim.model.territory import Territory
from sim.scenario.schema import PartyMembers as PartyRules
from sim.scenario.schema import TemporaryBranches as BranchRules

INF = math.inf


class PartyMembers:
    def __init__(self, eng: Engine, terr: Territory, rules: PartyRules, seed: int, replication: int,
                 on_free: Callable[[int], None]):
        self.eng, self.terr, self.rules, self.on_free = eng, terr, rules, on_free
        G = terr.n_grids
        members = terr.party_members.astype(np.int64)
        self.total = int(members.sum())
        rng = stream(seed, replication, "party")
        self.u = rng.uniform(size=self.total)
        self.delay = rules.report_delay_mean_min * lognormal_factor(rules.report_delay_cv, rng.standard_normal(self.total))
        self.member_grid = np.repeat(np.arange(G), members)
        self.busy = [0] * G  # serving an incident
        self.extra = [0] * G  # in place from an earlier epoch, still serving
        self.comm_extra = [0] * len(terr.community_ids)
        self.wake_epoch = [-1] * G  # the epoch of a wake-up already scheduled at the grid
        self.epoch = 0
        self._clear()
        # mobilisation record: arrival times of each epoch up to its end, and departures
        self.arrivals: list[np.ndarray] = []
        self.departures: list[tuple[float, int]] = []

    def _clear(self) -> None:
        G, C = self.terr.n_grids, len(self.terr.community_ids)
        self.gt: list[float] = []
        self.g_off = [0] * (G + 1)
        self.g_ptr = [0] * G
        self.ct: list[list[float]] = [[] for _ in range(C)]
        self.epoch_arrivals = np.zeros(0)

    # ---------------------------------------------------------------- counts

    def _advance(self, g: int) -> int:
        now, gt, off = self.eng.now, self.gt, self.g_off
        p, start, end = self.g_ptr[g], off[g], off[g + 1]
        while start + p < end and gt[start + p] <= now:
            p += 1
        self.g_ptr[g] = p
        return p

    def in_place(self, g: int) -> int:
        return self._advance(g) + self.extra[g]

    def free(self, g: int) -> int:
        return self._advance(g) + self.extra[g] - self.busy[g]

    def in_community(self, c: int) -> int:
        return bisect.bisect_right(self.ct[c], self.eng.now) + self.comm_extra[c]

    def reaching(self, c: int, k: int) -> float:
        """When community c will have k members in place (inf if never in this epoch)."""
        need = k - self.comm_extra[c]
        if need <= 0:
            return self.eng.now
        times = self.ct[c]
        return times[need - 1] if need <= len(times) else INF

    # ---------------------------------------------------------------- serving

    def take(self, g: int, k: int) -> None:
        self.busy[g] += k

    def release(self, g: int, k: int, emergency: bool) -> None:
        """Members done with an incident: free again in an emergency, else they go home."""
        self.busy[g] -= k
        if emergency:
            self.on_free(g)
            return
        self.extra[g] -= k
        self.comm_extra[int(self.terr.grid_comm[g])] -= k
        self.departures.append((self.eng.now, k))

    def wait_for(self, g: int) -> None:
        """Incidents at g wait for party hands: wake at the next arrival there (none in a trace: every
        arrival is an event of its own then)."""
        if self.eng.log is not None or self.wake_epoch[g] == self.epoch:
            return
        p = self._advance(g)
        nxt = self.g_off[g] + p
        if nxt < self.g_off[g + 1]:
            self.wake_epoch[g] = self.epoch
            self.eng.at(self.gt[nxt] - self.eng.now, self._wake, g, self.epoch)

    def _wake(self, g: int, epoch: int) -> None:
        if epoch == self.epoch:
            self.wake_epoch[g] = -1
            self.on_free(g)

    def _arrive_logged(self, g: int, epoch: int) -> None:
        if epoch != self.epoch:
            return
        self.eng.note("party_member_in_place", self.terr.grid_ids[g])
        self.on_free(g)

    # ---------------------------------------------------------------- the switch

    def activate(self, epoch: int) -> None:
        self.epoch = epoch
        self._clear()
        if not self.total or self.rules.report_prob <= 0:
            return
        now = self.eng.now
        sel = np.flatnonzero(self.u < self.rules.report_prob)
        grid = self.member_grid[sel]
        t = now + self.delay[sel]
        order = np.lexsort((t, grid))
        self.gt = t[order].tolist()
        counts = np.bincount(grid, minlength=self.terr.n_grids)
        self.g_off = np.concatenate([[0], np.cumsum(counts)]).tolist()
        comm = self.terr.grid_comm[grid]
        order_c = np.lexsort((t, comm))
        cuts = np.concatenate([[0], np.cumsum(np.bincount(comm, minlength=len(self.ct)))])
        tc = t[order_c]
        self.ct = [tc[cuts[c]:cuts[c + 1]].tolist() for c in range(len(self.ct))]
        self.epoch_arrivals = np.sort(t, kind="stable")
        if self.eng.log is not None:  # a trace: one event per member, in order of arrival
            for k in np.argsort(t, kind="stable").tolist():
                self.eng.at(float(t[k] - now), self._arrive_logged, int(grid[k]), epoch)

    def deactivate(self, epoch: int) -> None:
        """Members with nothing to do go home; those serving stay until they are done."""
        now = self.eng.now
        gone = 0
        for g in range(self.terr.n_grids):
            here = self._advance(g) + self.extra[g]
            gone += here - self.busy[g]
            self.extra[g] = self.busy[g]
        self.comm_extra = np.bincount(self.terr.grid_comm, weights=np.array(self.extra, dtype=float),
                                      minlength=len(self.comm_extra)).astype(np.int64).tolist()
        self.arrivals.append(self.epoch_arrivals[self.epoch_arrivals <= now])
        if gone:
            self.departures.append((now, gone))
        self.epoch = epoch
        self._clear()

    def curve(self, end: float) -> tuple[np.ndarray, np.ndarray]:
        """People in place over time: (times, counts) from arrivals and departures."""
        arr = [*self.arrivals, self.epoch_arrivals[self.epoch_arrivals <= end]]
        times = np.concatenate([*arr, np.array([t for t, _ in self.departures], dtype=float)])
        steps = np.concatenate([np.ones(sum(len(a) for a in arr)),
                                -np.array([k for _, k in self.departures], dtype=float)])
        order = np.argsort(times, kind="stable")
        return times[order], np.cumsum(steps[order])


class TemporaryBranches:
    def __init__(self, eng: Engine, terr: Territory, rules: BranchRules, party: PartyMembers):
        self.eng, self.terr, self.rules, self.party = eng, terr, rules, party
        C = len(terr.community_ids)
        self.key = np.zeros(C, dtype=bool)
        self.key[terr.grid_comm[terr.key_area]] = True
        self.major = [False] * C
        self.formed = [False] * C
        self.pending = [False] * C
        self.check_at = [INF] * C
        self.emergency = False
        self.epoch = 0
        self.record: list[tuple[float, str]] = []

    def activate(self, epoch: int) -> None:
        self.emergency, self.epoch = True, epoch
        self.check_at = [INF] * len(self.formed)
        for c in range(len(self.formed)):
            if self.key[c] or self.major[c]:
                self.check(c)

    def major_reported(self, c: int) -> None:
        """A major incident makes the community a key site: a branch may form there once activated."""
        self.major[c] = True
        self.check(c)

    def check(self, c: int) -> None:
        tb = self.rules
        if (not tb.enabled or not self.emergency or self.formed[c] or self.pending[c]
                or not (self.key[c] or self.major[c])):
            return
        if self.party.in_community(c) >= tb.min_members:
            self.pending[c] = True
            self.eng.soon(tb.formation_delay_min, self._form, c, self.epoch)
            return
        t = self.party.reaching(c, tb.min_members)
        if t < self.check_at[c]:
            self.check_at[c] = t
            self.eng.at(t - self.eng.now, self._recheck, c, self.epoch)

    def _recheck(self, c: int, epoch: int) -> None:
        if epoch == self.epoch:
            self.check_at[c] = INF
            self.check(c)

    def _form(self, c: int, epoch: int) -> None:
        self.pending[c] = False
        if epoch != self.epoch:
            return
        self.formed[c] = True
        self.record.append((self.eng.now, self.terr.community_ids[c]))
        self.eng.note("branch_formed", self.terr.community_ids[c])

    def deactivate(self, epoch: int) -> None:
        self.emergency, self.epoch = False, epoch
        C = len(self.formed)
        self.formed = [False] * C
        self.major = [False] * C
        self.check_at = [INF] * C
