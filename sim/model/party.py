"""Party members in place and temporary branches.

After activation the party members in scope (those living in the hazard's footprint, or in key areas,
or all) report in place, each with a probability and a delay of their own (`party` stream, one draw per
member: a higher report share or a higher level adds members and moves nobody else). They report to
their village or community (or, as a choice, stay at their own grid) and serve what it assigns there,
travelling from the community's seat. They are counted per place, not run as processes: who has arrived
by now is read off each place's sorted arrival times when it matters, and the model wakes only for the
arrivals that jobs are waiting for. A trace (drills) logs each arrival.

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
                 on_free: Callable[[int], None], members: np.ndarray, in_scope: np.ndarray):
        """`members`: party members per grid (after any who serve as part-time grid workers); `in_scope`:
        which grids' members report after activation."""
        self.eng, self.terr, self.rules, self.on_free = eng, terr, rules, on_free
        G, C = terr.n_grids, len(terr.community_ids)
        self.by_community = rules.report_to == "community"
        self.n_places = C if self.by_community else G
        self.place_of_grid = terr.grid_comm if self.by_community else np.arange(G)
        members = members.astype(np.int64)
        self.members = members
        self.total = int(members.sum())
        rng = stream(seed, replication, "party")
        self.u = rng.uniform(size=self.total)
        self.delay = rules.report_delay_mean_min * lognormal_factor(rules.report_delay_cv, rng.standard_normal(self.total))
        self.member_grid = np.repeat(np.arange(G), members)
        self.scope = in_scope[self.member_grid] if self.total else np.zeros(0, dtype=bool)
        self.called_at = np.full(self.total, INF)  # when each member was called in this epoch
        n = self.n_places
        self.busy = [0] * n  # serving a job
        self.extra = [0] * n  # in place from an earlier epoch, still serving
        self.comm_extra = [0] * C
        self.wake_epoch = [-1] * n  # the epoch of a wake-up already scheduled for the place
        self.epoch = 0
        self.share = 0.0
        self._clear()
        # mobilisation record: arrival times of each epoch up to its end, and departures
        self.arrivals: list[np.ndarray] = []
        self.departures: list[tuple[float, int]] = []

    def _clear(self) -> None:
        self.gt: list[float] = []
        self.g_off = [0] * (self.n_places + 1)
        self.g_ptr = [0] * self.n_places
        self.ct: list[list[float]] = [[] for _ in self.terr.community_ids]
        self.epoch_arrivals = np.zeros(0)

    def place(self, g: int) -> int:
        """The place (community or grid) whose members serve jobs at grid g."""
        return int(self.place_of_grid[g])

    # ---------------------------------------------------------------- counts

    def _advance(self, p: int) -> int:
        now, gt, off = self.eng.now, self.gt, self.g_off
        k, start, end = self.g_ptr[p], off[p], off[p + 1]
        while start + k < end and gt[start + k] <= now:
            k += 1
        self.g_ptr[p] = k
        return k

    def in_place(self, p: int) -> int:
        return self._advance(p) + self.extra[p]

    def free(self, p: int) -> int:
        return self._advance(p) + self.extra[p] - self.busy[p]

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

    def take(self, p: int, k: int) -> None:
        self.busy[p] += k

    def release(self, p: int, k: int, emergency: bool) -> None:
        """Members done with a job: free again in an emergency, else they go home."""
        self.busy[p] -= k
        if emergency:
            self.on_free(p)
            return
        self.extra[p] -= k
        self._comm_extra_add(p, -k)
        self.departures.append((self.eng.now, k))

    def _comm_extra_add(self, p: int, k: int) -> None:
        if self.by_community:
            self.comm_extra[p] += k
        else:
            self.comm_extra[int(self.terr.grid_comm[p])] += k

    def wait_for(self, p: int) -> None:
        """Jobs at place p wait for party hands: wake at the next arrival there (none in a trace: every
        arrival is an event of its own then)."""
        if self.eng.log is not None or self.wake_epoch[p] == self.epoch:
            return
        k = self._advance(p)
        nxt = self.g_off[p] + k
        if nxt < self.g_off[p + 1]:
            self.wake_epoch[p] = self.epoch
            self.eng.at(self.gt[nxt] - self.eng.now, self._wake, p, self.epoch)

    def _wake(self, p: int, epoch: int) -> None:
        if epoch == self.epoch:
            self.wake_epoch[p] = -1
            self.on_free(p)

    def _arrive_logged(self, p: int, epoch: int, grid: int) -> None:
        if epoch != self.epoch:
            return
        if self.eng.log is not None:
            self.eng.note("party_member_in_place", self.terr.grid_ids[grid])
        self.on_free(p)

    # ---------------------------------------------------------------- the switch

    def call(self, epoch: int, share: float) -> None:
        """Activation or escalation: members in scope whose draw is under report_prob × share report (the
        ones already called keep their time)."""
        if epoch != self.epoch:  # a new emergency
            self.epoch = epoch
            self.called_at[:] = INF
            self.share = 0.0
        if not self.total or share <= self.share:
            return
        self.share = share
        now = self.eng.now
        new = np.flatnonzero(self.scope & (self.u < self.rules.report_prob * share) & (self.called_at == INF))
        if not len(new):
            return
        self.called_at[new] = now
        sel = np.flatnonzero(self.called_at < INF)
        t = self.called_at[sel] + self.delay[sel]
        place = self.place_of_grid[self.member_grid[sel]]
        order = np.lexsort((t, place))
        self.gt = t[order].tolist()
        counts = np.bincount(place, minlength=self.n_places)
        self.g_off = np.concatenate([[0], np.cumsum(counts)]).tolist()
        self.g_ptr = [bisect.bisect_right(self.gt, now, self.g_off[p], self.g_off[p + 1]) - self.g_off[p]
                      for p in range(self.n_places)]
        comm = self.terr.grid_comm[self.member_grid[sel]]
        order_c = np.lexsort((t, comm))
        cuts = np.concatenate([[0], np.cumsum(np.bincount(comm, minlength=len(self.ct)))])
        tc = t[order_c]
        self.ct = [tc[cuts[c]:cuts[c + 1]].tolist() for c in range(len(self.ct))]
        self.epoch_arrivals = np.sort(t, kind="stable")
        if self.eng.log is not None:  # a trace: one event per newly called member, in order of arrival
            tn = self.called_at[new] + self.delay[new]
            for k in np.argsort(tn, kind="stable").tolist():
                g = int(self.member_grid[new[k]])
                self.eng.at(float(tn[k] - now), self._arrive_logged, self.place(g), epoch, g)

    def deactivate(self, epoch: int) -> None:
        """Members with nothing to do go home; those serving stay until they are done."""
        now = self.eng.now
        gone = 0
        for p in range(self.n_places):
            here = self._advance(p) + self.extra[p]
            gone += here - self.busy[p]
            self.extra[p] = self.busy[p]
        C = len(self.comm_extra)
        if self.by_community:
            self.comm_extra = list(self.extra)
        else:
            self.comm_extra = np.bincount(self.terr.grid_comm, weights=np.array(self.extra, dtype=float),
                                          minlength=C).astype(np.int64).tolist()
        self.arrivals.append(self.epoch_arrivals[self.epoch_arrivals <= now])
        if gone:
            self.departures.append((now, gone))
        self.epoch = epoch
        self.share = 0.0
        self.called_at[:] = INF
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
        """Activation or escalation (more members may be on their way): look again where a branch may form."""
        if epoch != self.epoch:
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
