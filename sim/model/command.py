"""Town command: after activation each town commands its own units and the squads sent to it, and the
district moves units between towns.

Every `review_min` while towns command, the district looks at each town: one with at least `min_backlog`
jobs waiting is short of a group of forces when some of those jobs wait for that group and no free unit
there (the town's own or the district's) may serve them; a town with nothing waiting and people free can
spare them. Up to `max_units` free units a review go from the towns with most to spare (lowest unit
number first, of a force the short group has) to the short towns, most waiting first, one for each job
nobody there can take. A moved unit travels for `delay_min` plus the trip to the town's command post,
then belongs to that town (its new base).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.model.engine import Engine
from sim.model.pool import ResponderPool
from sim.model.switch import Switch
from sim.model.territory import Territory
from sim.model.travel import Travel
from sim.model.waiting import WaitingIncidents
from sim.scenario.schema import FORCES, Scenario

if TYPE_CHECKING:
    from sim.model.dispatcher import Dispatcher


class TownCommand:
    def __init__(self, eng: Engine, sc: Scenario, terr: Territory, pool: ResponderPool, waiting: WaitingIncidents,
                 switch: Switch, travel: Travel):
        self.eng, self.sc, self.terr, self.pool, self.waiting = eng, sc, terr, pool, waiting
        self.switch, self.travel = switch, travel
        self.rules = sc.dispatch.transfers
        self.desk: Dispatcher | None = None
        self.moving: dict[int, int] = {}  # unit -> the desk's token when it set off
        self.moves: list[tuple[float, int, int, int]] = []  # (minute, unit, from town, to town)

    def activated(self) -> None:
        if self.rules.enabled and self.rules.max_units > 0:
            self.eng.at(self.rules.review_min, self._review, self.switch.epoch)

    def _review(self, epoch: int) -> None:
        if epoch != self.switch.epoch:
            return
        desk = self.desk
        assert desk is not None
        self.eng.at(self.rules.review_min, self._review, epoch)
        if not desk.scoped():
            return
        T = len(self.terr.town_ids)
        pool, waiting_jobs = self.pool, self.waiting
        waiting = [waiting_jobs.town_n.get(t, 0) for t in range(T)]
        # a town is short of a group when jobs wait there for it and no free unit may serve them
        lacking = {t: {g for g in waiting_jobs.groups_in(t) if not pool.free_for(g, t)}
                   for t in range(T) if waiting[t] >= self.rules.min_backlog}
        short = sorted((t for t, gs in lacking.items() if gs), key=lambda t: (-waiting[t], t))
        free_town = pool.free_town
        if not short or not pool.towns_live or not any(free_town[d] for d in range(T) if waiting[d] == 0):
            return  # no town short, or nobody could be spared
        spare = list(free_town[:T])  # free units per town, as the review hands them out
        taken: set[int] = set()
        moved = 0
        for t in short:
            groups = lacking[t]
            need = sum(waiting_jobs.town_groups.get((t, g), 0) for g in groups)  # the jobs nobody there can take
            offer: dict[int, list[int]] = {}  # donor town -> its free units of these groups, lowest first
            while moved < self.rules.max_units and need > 0:
                pick = None
                for d in sorted((d for d in range(T) if waiting[d] == 0 and spare[d] > 0), key=lambda d: (-spare[d], d)):
                    if d not in offer:
                        offer[d] = pool.free_in_town(groups, d)
                    pick = next((u for u in offer[d] if u not in taken), None)
                    if pick is not None:
                        spare[d] -= 1
                        break
                if pick is None:
                    break
                taken.add(pick)
                self._move(pick, t)
                moved += 1
                need -= 1

    def _move(self, u: int, t: int) -> None:
        desk, pool = self.desk, self.pool
        assert desk is not None
        pool.take(u)
        desk.free_token[u] += 1
        old = pool.town[u]
        post = self.terr.town_loc(t)
        trip = self.rules.delay_min + self.travel.between(pool.loc[u], post)
        pool.rebase(u, t, post)
        self.moving[u] = desk.free_token[u]
        self.moves.append((self.eng.now, u, old, t))
        self.eng.note("transferred", FORCES[pool.force[u]], u, self.terr.town_ids[old], self.terr.town_ids[t])
        self.eng.at(trip, self._arrive, u)

    def _arrive(self, u: int) -> None:
        desk, pool = self.desk, self.pool
        assert desk is not None
        if self.moving.pop(u, None) != desk.free_token[u] or not pool.on[u]:
            return
        pool.loc[u] = pool.home[u]
        if desk.duty.wanted(u):
            desk.unit_free(u)
        else:
            desk.unit_off(u)
