"""Tasks: the work of an emergency that is not an incident report and takes most of the people.

- **Evacuation**: each grid of the footprint has vulnerable residents (a share of its households, or the
  territory's `vulnerable` column); each needs `escorts` people for `minutes_each` to reach a shelter.
  The village or community organises it: one job per community and shelter, at the community's seat,
  worked by up to `crew` people at once. Residents go to their own town's shelter while it has places,
  else to the nearest town with places (the escorts' round trip added), else nowhere (counted as without
  a place).
- **Posts**: key sites staffed by `people` on post continuously through a window around the hazard,
  one job per post and shift; the relief is called `relief_lead_min` before the shift ends, and a holder
  stays until relieved (or leaves at the end of the shift).
- **Warning rounds**: every household of the footprint visited, `minutes_per_household` each, one job
  per grid worked by up to `crew` people.

A task starts when a level that lists it is declared (posts not before their window). Its jobs are
ready at once and go to the dispatch desk like incidents, in the allocation band of their task. The
progress at the deadlines is read off the jobs' work in progress.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sim.model.engine import Engine
from sim.model.incidents import footprint
from sim.model.records import IncidentRecords
from sim.model.streams import lognormal_factor, slot_width, stream
from sim.model.territory import Territory
from sim.model.travel import Travel, TripNoise
from sim.scenario.operations import TASKS
from sim.scenario.schema import CLASSES, Scenario

INF = math.inf
EVACUATION, POSTS, WARNINGS = 1, 2, 3  # job kinds (0 is an incident)
KINDS = ("incident", *TASKS)


def _unset(i: int) -> None:  # pragma: no cover - replaced before the run
    raise RuntimeError("the tasks are not wired to a dispatch desk")


@dataclass
class Plan:
    """What the tasks will ask for, fixed by the scenario and the territory (not by staffing)."""

    grids: np.ndarray  # the footprint's grids
    onset: float  # the hazard's onset and end (inf: no hazard)
    end: float
    residents: np.ndarray  # vulnerable residents per grid
    shelter: list[tuple[int, int, int, float]] = field(default_factory=list)  # (grid, town, residents, extra min)
    no_place: int = 0
    sites: list[int] = field(default_factory=list)  # post grids
    households: np.ndarray = field(default_factory=lambda: np.zeros(0))


def make_plan(sc: Scenario, terr: Territory, vulnerable: np.ndarray | None = None) -> Plan:
    """What the tasks ask for. Built once per scenario: it depends on the territory, not on staffing."""
    hz = sc.incidents.hazards[sc.tasks.hazard] if sc.tasks.hazard < len(sc.incidents.hazards) else None
    if hz is None:
        return Plan(np.zeros(0, dtype=np.int64), INF, INF, np.zeros(0, dtype=np.int64))
    travel = Travel(terr, sc.territory.travel)
    mask = footprint(terr, hz)
    grids = np.flatnonzero(mask)
    ev = sc.tasks.evacuation
    hh = terr.households.astype(np.int64)
    if vulnerable is not None:
        res = vulnerable.astype(np.int64)
    else:
        res = np.floor(hh * ev.vulnerable_share + 0.5).astype(np.int64)
    plan = Plan(grids, hz.start_min, hz.start_min + hz.duration_min, res, households=hh)
    # shelter places per town; each village's residents fill their own town's first, then the nearest
    # town with room
    T = len(terr.town_ids)
    need = np.bincount(terr.grid_town[grids], weights=res[grids], minlength=T)
    places = [int(ev.shelter_capacity.get(terr.town_ids[t], math.floor(need[t] * ev.shelter_places_per_resident)))
              for t in range(T)]
    hop = [[travel.between(terr.town_loc(a), terr.town_loc(b)) for b in range(T)] for a in range(T)]
    nearest = [sorted(range(T), key=lambda b, a=a: (b != a, hop[a][b], b)) for a in range(T)]  # type: ignore[misc]
    per_comm = np.bincount(terr.grid_comm[grids], weights=res[grids], minlength=len(terr.community_ids))
    for c in np.flatnonzero(per_comm).tolist():
        left = int(per_comm[c])
        t0 = int(terr.comm_town[c])
        for t in nearest[t0]:
            if left == 0:
                break
            k = min(left, places[t])
            if k:
                plan.shelter.append((int(terr.comm_seat[c]), t, k, 0.0 if t == t0 else 2 * hop[t0][t]))
                places[t] -= k
                left -= k
        plan.no_place += left
    ps = sc.tasks.posts
    if ps.sites == "listed":
        gid = {name: i for i, name in enumerate(terr.grid_ids)}
        plan.sites = [gid[name] for name in ps.grids]
    else:
        key = np.flatnonzero(terr.key_area & mask)
        plan.sites = (key if len(key) else np.flatnonzero(terr.key_area)).tolist()
    return plan


def demand_by_town(sc: Scenario, terr: Territory, plan: Plan) -> np.ndarray:
    """Each town's share of the tasks' forecast work (person-minutes), for sending agency squads by need;
    the footprint's households where there are no tasks, all households where there is no hazard."""
    T = len(terr.town_ids)
    if not len(plan.grids):
        return np.bincount(terr.grid_town, weights=terr.households.astype(float), minlength=T)
    t = sc.tasks
    w = np.zeros(T)
    for g, _town, k, extra in plan.shelter:
        w[terr.grid_town[g]] += k * t.evacuation.escorts * (t.evacuation.minutes_each + extra)
    hh = plan.households[plan.grids]
    np.add.at(w, terr.grid_town[plan.grids], hh * t.warnings.minutes_per_household)
    window = plan.end - plan.onset + t.posts.before_onset_min + t.posts.until_after_hazard_min
    for s in plan.sites:
        w[terr.grid_town[s]] += t.posts.people * window
    if w.sum() == 0:
        np.add.at(w, terr.grid_town[plan.grids], hh.astype(float))
    return w


class Tasks:
    def __init__(self, eng: Engine, sc: Scenario, terr: Territory, rec: IncidentRecords, travel: Travel,
                 noise: TripNoise, plan: Plan, seed: int, replication: int):
        self.eng, self.sc, self.terr, self.rec, self.plan, self.noise = eng, sc, terr, rec, plan, noise
        self.travel = travel
        self.ready: Callable[[int], None] = _unset  # the dispatch desk's `ready`, set by the replication
        self.finish: Callable[[int], None] = _unset  # the dispatch desk's `finish` (a post's holder relieved)
        self.replan: Callable[[int], None] = _unset  # the desk's `replan` (a job's work changed)
        self.started: dict[int, float] = {}
        self.planned = {KINDS.index(t) for lv in sc.levels.values() for t in lv.tasks}  # what any level starts
        self.jobs: dict[int, list[int]] = {EVACUATION: [], POSTS: [], WARNINGS: []}
        self.snap: dict[str, float] = {}
        ps = sc.tasks.posts
        self.window = (max(0.0, plan.onset - ps.before_onset_min), plan.end + ps.until_after_hazard_min)
        self.slot_of: dict[int, int] = {}  # post job -> slot
        self.slot_jobs: list[list[int]] = []
        self.relief_called: set[int] = set()
        self.evac: dict[int, tuple[float, float, float]] = {}
        # trip noise of the tasks' jobs, keyed by task and place (row) and responder (column)
        cv = travel.cv
        n_slots = len(plan.sites) * ps.people
        self.shifts = int(math.ceil((sc.horizon_min + sc.drain_min) / ps.shift_min)) + 2
        self.noise_rows = {}
        for kind, rows, width in ((EVACUATION, len(plan.shelter), sc.tasks.evacuation.crew),
                                  (POSTS, n_slots, self.shifts), (WARNINGS, len(plan.grids), sc.tasks.warnings.crew)):
            w = slot_width(width)
            z = stream(seed, replication, "travel", kind).standard_normal((rows, w)) if rows else np.zeros((0, w))
            self.noise_rows[kind] = lognormal_factor(cv, z)
        # the deadlines, fixed by the plan where they count from the onset
        self.deadline: dict[int, float] = {}
        ev, wr = sc.tasks.evacuation, sc.tasks.warnings
        if ev.deadline_from == "onset":
            self.deadline[EVACUATION] = max(0.0, plan.onset - ev.deadline_min)
        if wr.deadline_from == "onset":
            self.deadline[WARNINGS] = max(0.0, plan.onset - wr.deadline_min)

    def begin(self) -> None:
        """Schedule what the plan fixes: snapshots at deadlines that count from the onset, and at the onset."""
        if not len(self.plan.grids):
            return
        for kind, t in self.deadline.items():
            if t <= self.sc.horizon_min + self.sc.drain_min:
                self.eng.at(t, self._snapshot, kind, "deadline")
        if self.plan.onset < INF:
            self.eng.at(self.plan.onset, self._snapshot, EVACUATION, "onset")
        if self.window[1] < self.sc.horizon_min + self.sc.drain_min:
            self.eng.at(self.window[1], self._posts_over)

    # ---------------------------------------------------------------- starting

    def start(self, names: list[str]) -> None:
        """A level that lists these tasks was declared: start those not yet started."""
        for name in names:
            kind = KINDS.index(name)
            if kind in self.started or not len(self.plan.grids):
                continue
            self.started[kind] = self.eng.now
            if kind == POSTS:
                self.eng.soon(self.window[0] - self.eng.now, self._start_posts)
                continue
            if kind == EVACUATION:
                self._start_evacuation()
            else:
                self._start_warnings()
            rules = self.sc.tasks.evacuation if kind == EVACUATION else self.sc.tasks.warnings
            if rules.deadline_from == "start":
                self.eng.at(rules.deadline_min, self._snapshot, kind, "deadline")

    def _job(self, kind: int, grid: int, need: int, work: float, factors: np.ndarray) -> int:
        t = self.terr
        i = self.rec.add(kind, grid, len(CLASSES) + kind - 1, need, work, self.eng.now, int(t.grid_town[grid]),
                         int(t.grid_comm[grid]))
        self.noise.add_job(i, factors.tolist())
        self.jobs[kind].append(i)
        return i

    def _start_evacuation(self) -> None:
        ev = self.sc.tasks.evacuation
        new = []
        for row, (g, _town, k, extra) in enumerate(self.plan.shelter):
            # person-minutes: k residents × escorts × minutes each (the crew shares them)
            per = ev.escorts * (ev.minutes_each + extra)
            i = self._job(EVACUATION, g, ev.crew, k * per / ev.crew, self.noise_rows[EVACUATION][row])
            self.evac[i] = (0.0, float(k), per)  # moved before the last redirect, residents after it, each's work
            new.append(i)
        self.eng.note("task_started", "evacuation", len(new))
        for i in new:
            self.ready(i)

    def _start_warnings(self) -> None:
        wr = self.sc.tasks.warnings
        new = []
        for row, g in enumerate(self.plan.grids.tolist()):
            hh = int(self.plan.households[g])
            if hh:
                work = hh * wr.minutes_per_household / wr.crew
                new.append(self._job(WARNINGS, g, wr.crew, work, self.noise_rows[WARNINGS][row]))
        self.eng.note("task_started", "warnings", len(new))
        for i in new:
            self.ready(i)

    def _start_posts(self) -> None:
        if self.eng.now >= self.window[1]:
            return
        ps = self.sc.tasks.posts
        new = []
        for site in self.plan.sites:
            for _ in range(ps.people):
                slot = len(self.slot_jobs)
                self.slot_jobs.append([])
                new.append(self._post_job(site, slot))
        self.eng.note("task_started", "posts", len(new))
        for i in new:
            self.ready(i)

    def _post_job(self, site: int, slot: int) -> int:
        row = self.noise_rows[POSTS][slot]
        k = len(self.slot_jobs[slot])
        i = self._job(POSTS, site, 1, INF, row[k % len(row):k % len(row) + 1])
        self.slot_of[i] = slot
        self.slot_jobs[slot].append(i)
        return i

    # ---------------------------------------------------------------- posts: holders and reliefs

    def arrived(self, i: int) -> None:
        """Someone reached a post: they relieve its previous holder and a relief is called for them."""
        slot = self.slot_of.get(i)
        if slot is None or i in self.relief_called:
            return
        jobs = self.slot_jobs[slot]
        k = jobs.index(i)
        if k and self.rec.t_close[jobs[k - 1]] != self.rec.t_close[jobs[k - 1]]:
            self.finish(jobs[k - 1])
        self.relief_called.add(i)
        ps = self.sc.tasks.posts
        end = self.eng.now + ps.shift_min
        if not ps.stay_until_relieved:
            self.eng.at(ps.shift_min, self._leave, i)
        if end - ps.relief_lead_min < self.window[1]:
            self.eng.soon(end - ps.relief_lead_min - self.eng.now, self._relief, slot)

    def _relief(self, slot: int) -> None:
        if self.eng.now >= self.window[1]:
            return
        i = self._post_job(self.rec.grid[self.slot_jobs[slot][-1]], slot)
        self.ready(i)

    def _leave(self, i: int) -> None:
        if self.rec.t_close[i] != self.rec.t_close[i]:
            self.finish(i)

    def tired(self, i: int) -> None:
        """The holder of post job i must rest: they leave now, and a relief is called if none is yet."""
        slot = self.slot_of.get(i)
        if slot is None or self.rec.t_close[i] == self.rec.t_close[i]:
            return
        self.finish(i)
        jobs = self.slot_jobs[slot]
        if jobs[-1] == i and self.eng.now < self.window[1]:
            self._relief(slot)

    def _posts_over(self) -> None:
        """The window is over: everyone on post goes, and reliefs still wanted are called off."""
        for jobs in self.slot_jobs:
            for i in jobs:
                if self.rec.t_close[i] != self.rec.t_close[i]:
                    self.finish(i)

    # ---------------------------------------------------------------- drills

    def shelter_full(self, town: int) -> None:
        """A drill's inject: the town's shelter takes nobody more; residents not yet moved there go on to
        the nearest town with room (or nowhere), their escorts' extra minutes added."""
        ev = self.sc.tasks.evacuation
        others = [u for u in range(len(self.terr.town_ids)) if u != town]
        for i, (_g, t, _k, _extra) in zip(self.jobs[EVACUATION], self.plan.shelter):
            if t != town or self.rec.t_close[i] == self.rec.t_close[i] or not others:
                continue
            moved0, res, per = self.evac[i]
            now = self.eng.now
            left = self.rec.left_at(i, now) / per  # residents still to move
            to = min(others, key=lambda u: (self.travel.between(self.terr.town_loc(t), self.terr.town_loc(u)), u))
            per2 = per + ev.escorts * 2 * self.travel.between(self.terr.town_loc(t), self.terr.town_loc(to))
            self.rec.remaining[i] = self.rec.left_at(i, now) / per * per2
            self.rec.last[i] = now
            self.evac[i] = (moved0 + res - left, left, per2)
            self.replan(i)
        self.eng.note("shelter_full", self.terr.town_ids[town])

    # ---------------------------------------------------------------- results

    def _moved(self, t: float) -> float:
        out = 0.0
        for i in self.jobs[EVACUATION]:
            moved0, res, per = self.evac[i]
            out += moved0 + max(0.0, res - self.rec.left_at(i, t) / per)
        return out

    def _warned(self, t: float) -> float:
        wr = self.sc.tasks.warnings
        out = 0.0
        for i in self.jobs[WARNINGS]:
            hh = self.plan.households[self.rec.grid[i]]
            out += max(0.0, hh - self.rec.left_at(i, t) / wr.minutes_per_household)
        return out

    def _snapshot(self, kind: int, what: str) -> None:
        now = self.eng.now
        if kind == EVACUATION and what == "onset":
            self.snap["evacuation.moved_at_onset"] = self._moved(now)
        elif kind == EVACUATION:
            self.snap["evacuation.moved_by_deadline"] = self._moved(now)
        else:
            self.snap["warnings.warned_by_deadline"] = self._warned(now)

    def results(self, end: float) -> dict[str, float]:
        """The tasks' KPIs of this replication (NaN where the scenario has no such task)."""
        nan = math.nan
        plan = self.plan
        out: dict[str, float] = {}
        residents = float(plan.residents[plan.grids].sum()) if len(plan.grids) and EVACUATION in self.planned else 0.0
        out["evacuation.residents"] = residents
        if residents:
            out["evacuation.moved_by_deadline_share"] = self.snap.get("evacuation.moved_by_deadline", 0.0) / residents
            out["evacuation.in_place_at_onset"] = residents - self.snap.get("evacuation.moved_at_onset", 0.0)
            out["evacuation.without_place"] = float(plan.no_place)
            done = [self.rec.t_close[i] for i in self.jobs[EVACUATION]]
            out["evacuation.done_min"] = (max(done) if done and all(d == d for d in done) else nan)
        else:
            for k in ("moved_by_deadline_share", "in_place_at_onset", "without_place", "done_min"):
                out[f"evacuation.{k}"] = nan
        hh = float(plan.households[plan.grids].sum()) if len(plan.grids) and WARNINGS in self.planned else 0.0
        out["warnings.households"] = hh
        out["warnings.warned_by_deadline_share"] = (self.snap.get("warnings.warned_by_deadline", 0.0) / hh
                                                    if hh else nan)
        w0, w1 = self.window[0], min(self.window[1], end)
        people = len(plan.sites) * self.sc.tasks.posts.people
        need = people * max(0.0, w1 - w0) / 60.0 if len(plan.grids) and POSTS in self.planned else 0.0
        out["posts.post_hours"] = need
        if need:
            covered = sum(self._covered(jobs, w0, w1) for jobs in self.slot_jobs) / 60.0
            out["posts.uncovered_hours"] = need - covered
            out["posts.uncovered_share"] = (need - covered) / need
        else:
            out["posts.uncovered_hours"] = out["posts.uncovered_share"] = nan
        return out

    def _covered(self, jobs: list[int], w0: float, w1: float) -> float:
        """Minutes of the window with someone on this post (the union of the holders' time there)."""
        spans = []
        for i in jobs:
            a, b = self.rec.t_first[i], self.rec.t_close[i]
            if a == a:
                spans.append((max(a, w0), min(b if b == b else w1, w1)))
        spans.sort()
        total, cur_a, cur_b = 0.0, 0.0, -INF
        for a, b in spans:
            if b <= a:
                continue
            if a > cur_b:
                total += max(0.0, cur_b - cur_a)
                cur_a, cur_b = a, b
            else:
                cur_b = max(cur_b, b)
        total += max(0.0, cur_b - cur_a)
        return total
