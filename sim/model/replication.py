"""One replication: wires the components, owns the event engine, follows each incident to the dispatch
desk, and collects the records.

Build → run → collect, as desmod's `simulate`. The hot path is callbacks on SimPy timeouts rather than a
process per incident: an incident costs one timeout per stage that takes time; random inputs are drawn in
blocks before the run, keyed by incident; records go into columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.model import reporting
from sim.model.command import TownCommand
from sim.model.dispatch import DispatchPolicy, make_policy
from sim.model.dispatcher import Dispatcher, JobClasses
from sim.model.duty import Duty
from sim.model.engine import Engine
from sim.model.forces import Forces
from sim.model.incidents import IncidentTable, footprint
from sim.model.injects import Disruption, Disruptions
from sim.model.party import PartyMembers, TemporaryBranches
from sim.model.pool import ResponderPool
from sim.model.records import IncidentRecords
from sim.model.reporting import CHANNELS, HOTLINE, INFORMANT, PATROL, Chain
from sim.model.spatial import Geometry
from sim.model.streams import lognormal_factor, stream
from sim.model.switch import EMERG, Switch, level_name, level_rules, make_rule
from sim.model.tasks import KINDS, POSTS, Plan, Tasks
from sim.model.territory import Territory
from sim.model.travel import Travel, TripNoise
from sim.model.waiting import WaitingIncidents
from sim.scenario.operations import BANDS, TASKS
from sim.scenario.schema import CLASSES, FORCES, SEVERITIES, Scenario

PHASES = ("peacetime", "emergency")
GW = FORCES.index("grid_worker")
PARTY = FORCES.index("party_member")
MAJOR = SEVERITIES.index("major")


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
    #: what in this replication makes its figures unreliable (a class nobody could serve, say)
    flags: list[str] = field(default_factory=list)
    #: the tasks' figures (evacuation, posts, warnings), busy person-minutes by job kind, the levels
    tasks: dict[str, float] = field(default_factory=dict)
    levels: list[tuple[float, int]] = field(default_factory=list)


class Replication:
    def __init__(self, sc: Scenario, terr: Territory, inc: IncidentTable, forces: Forces, replication: int,
                 plan: Plan, policy: DispatchPolicy | None = None, trace: bool = False,
                 disruptions: list[Disruption] | None = None):
        self.sc, self.terr, self.inc, self.replication = sc, terr, inc, replication
        self.eng = eng = Engine(trace)
        self.policy = policy or make_policy(sc.dispatch.policy)
        self.rec = rec = IncidentRecords(inc, terr)
        n = rec.n

        rules = [sc.incidents.classes[c] for c in CLASSES]
        task_rules = [getattr(sc.tasks, t) for t in TASKS]
        self.class_pre = [r.pre_dispatch_min for r in rules]
        self.class_on_spot = [r.on_spot for r in rules]
        forces_of = [r.forces for r in rules] + [t.forces for t in task_rules]
        self.class_forces = [tuple(sorted(FORCES.index(f) for f in fs if f != "party_member")) for fs in forces_of]
        groups = list(dict.fromkeys(self.class_forces))
        self.chains = (Chain.of(sc.reporting.peacetime), Chain.of(sc.reporting.emergency))

        # per-incident random inputs, drawn in blocks, keyed by incident
        drng = stream(sc.seed, replication, "discovery")
        e = drng.standard_exponential((3, n))
        u = drng.uniform(size=n)
        if sc.reporting.discovery.instant:  # never read: every incident is known at onset
            self.d_patrol = self.d_inform = self.d_hot_e = self.d_hot = []
        else:
            self.d_patrol, self.d_inform, self.d_hot_e = e[0].tolist(), e[1].tolist(), e[2].tolist()
            self.d_hot = u.tolist()
        rrng = stream(sc.seed, replication, "reporting")
        self.r_comply = rrng.uniform(size=n).tolist()
        z = rrng.standard_normal((n, 3))
        self.hop_first: list[list[float]] = []
        self.hop_sum: list[list[float]] = []
        for r in (sc.reporting.peacetime, sc.reporting.emergency):
            fac = lognormal_factor(r.hop_cv, z)
            self.hop_first.append(fac[:, 0].tolist())
            self.hop_sum.append(fac[:, : len(r.route) + 1].sum(axis=1).tolist())
        self.disc_factor = inc.discovery_factor.tolist()
        self.coverage = forces.coverage.tolist()
        self.visit_rate = forces.visit_rate.tolist()
        self.party_peace = forces.party_cover_peace.tolist()

        self.travel = travel = Travel(terr, sc.territory.travel)
        noise = TripNoise(travel.cv, inc.need, stream(sc.seed, replication, "travel"))
        self.pool = pool = ResponderPool(forces.units, groups, travel, len(terr.town_ids), True,
                                         self.policy.idle_order, GW)
        pool.set_scope(sc.dispatch.peacetime_scope == "town")
        geo = Geometry(travel.x, travel.y, terr.n_grids, travel.setup, travel.per_km)
        waiting = WaitingIncidents(len(groups), len(BANDS) * self.policy.levels, self.policy.by_place,
                                   sc.dispatch.peacetime_scope == "town", geo,
                                   district_units=any(t < 0 for t in forces.units.town))
        self.switch = Switch(eng, sc.switch, make_rule(sc), self._level)
        self.party = PartyMembers(eng, terr, sc.forces.party_members, sc.seed, replication, self._party_free,
                                  forces.party_members, self._party_scope())
        self.branches = TemporaryBranches(eng, terr, sc.forces.temporary_branches, self.party)
        self.duty = Duty(eng, sc, forces.units, pool, self.switch)
        order = list(sc.allocation.order)
        classes = JobClasses(
            group=[groups.index(fs) for fs in self.class_forces],
            party=["party_member" in fs for fs in forces_of],
            party_share=[sc.forces.party_members.responder_share] * len(CLASSES) + [t.party_share for t in task_rules],
            priority=[r.priority for r in rules] + [0] * len(TASKS),
            band=[order.index("incidents")] * len(CLASSES) + [order.index(t) for t in TASKS],
            urgent_band=order.index("urgent_incidents"), urgent_class=CLASSES.index("urgent"))
        self.desk = desk = Dispatcher(eng, sc, terr, rec, pool, waiting, self.policy, travel, noise, self.switch,
                                      self.party, self.branches, self.duty, classes)
        self.duty.desk = desk
        self.command = TownCommand(eng, sc, terr, pool, waiting, self.switch, travel)
        self.command.desk = desk
        self.tasks = Tasks(eng, sc, terr, rec, travel, noise, plan, sc.seed, replication)
        self.tasks.ready, self.tasks.finish, self.tasks.replan = desk.ready, desk.finish, desk.replan
        desk.hooks_arrive = self.tasks.arrived
        self.duty.on_post = self._tired_on_post
        self.disruptions = Disruptions(eng, terr, list(disruptions or []), desk, self.switch, travel, self.tasks)
        self.link_until = self.disruptions.link_until
        self.discovery = sc.reporting.discovery
        self.branch_delay = sc.forces.temporary_branches.report_delay_min
        self.party_cover_each = sc.forces.party_members.coverage_each
        self.peace_on = forces.units.peace_on
        self.size = dict(forces.units.size)
        self.size["party_member"] = self.party.total

    def _party_scope(self) -> np.ndarray:
        """Which grids' party members report after activation (seed 000: those in the key areas)."""
        pm, terr = self.sc.forces.party_members, self.terr
        if pm.scope == "all":
            return np.ones(terr.n_grids, dtype=bool)
        if pm.scope == "key_areas":
            return terr.key_area.copy()
        hz = self.sc.incidents.hazards
        mask = np.zeros(terr.n_grids, dtype=bool)
        for h in hz:
            mask |= footprint(terr, h)
        return mask if hz else np.ones(terr.n_grids, dtype=bool)

    def _party_free(self, p: int) -> None:
        self.desk.party_free(p)

    def _tired_on_post(self, u: int) -> None:
        i = self.desk.job_of[u]
        if i >= 0 and self.rec.kind[i] == POSTS:
            self.tasks.tired(i)

    # ---------------------------------------------------------------- run

    def run(self, until: float | None = None) -> ReplicationResult:
        """Run to the end of the horizon and drain, or to `until` (a drill stopped at a scenario time)."""
        desk = self.desk
        for u, on in enumerate(self.peace_on):
            if on:
                desk.unit_on(u, 0)
        self.duty.begin()
        self.disruptions.start()
        if self.rec.n:
            self.eng.at(self.rec.onset[0], self._arrival, 0)
        self.tasks.begin()
        self.switch.start()
        end = self.sc.horizon_min + self.sc.drain_min
        if until is not None:
            end = min(end, until)
        self.eng.run(until=end)
        return self._collect(end)

    def _arrival(self, i: int) -> None:
        """Incidents arrive by a chain of timeouts, one pending at a time (a callback is cheaper than a process)."""
        onset, n, now = self.rec.onset, self.rec.n, self.eng.now
        while True:
            self._onset(i)
            i += 1
            if i >= n:
                return
            if onset[i] > now:
                self.eng.at(onset[i] - now, self._arrival, i)
                return

    # ---------------------------------------------------------------- the reporting chain

    def _onset(self, i: int) -> None:
        rec, eng = self.rec, self.eng
        phase = self.switch.phase
        rec.phase[i] = phase
        if eng.log is not None:
            eng.note("onset", i, self.terr.grid_ids[rec.grid[i]], CLASSES[rec.cls[i]], SEVERITIES[rec.sev[i]])
        d = self.discovery
        if d.instant:
            self._discover(i, PATROL)
            return
        if self.disc_factor[i] == 0.0:  # known at once: a drill's inject is a message to the players
            self._discover(i, INFORMANT)
            return
        g = rec.grid[i]
        if phase == EMERG:
            party = self.party.in_place(self.party.place(g)) * self.party_cover_each if self.party.total else 0.0
            factor = 1.0 + level_rules(self.sc, self.switch.level).patrol_share * (d.emergency_patrol_factor - 1)
        else:
            party, factor = self.party_peace[g], 1.0
        delay, ch = reporting.discovery(d, factor, self.coverage[g], party, self.visit_rate[g], self.d_patrol[i],
                                        self.d_inform[i], self.d_hot_e[i], self.d_hot[i])
        eng.soon(delay * self.disc_factor[i], self._discover, i, ch)

    def _discover(self, i: int, ch: int) -> None:
        rec, eng = self.rec, self.eng
        now = eng.now
        if rec.t_disc[i] == rec.t_disc[i]:  # found again by the hotline after going unreported
            if rec.t_rep[i] == rec.t_rep[i]:
                return
        else:
            rec.t_disc[i] = now
            rec.channel[i] = ch
        if eng.log is not None:
            eng.note("discovered", i, CHANNELS[ch])
        c, g = rec.cls[i], rec.grid[i]
        if self.class_on_spot[c] and ch == PATROL and rec.need[i] == 1:
            u = self.pool.free_at(g)
            if u is not None:  # found on patrol by the grid worker who is there: handled at once
                rec.t_rep[i] = now
                eng.note("on_spot", i)
                self.desk.assign(u, i, on_spot=True)
                return
        phase = self.switch.phase
        k = self._chain(phase) if phase == EMERG else 0  # the rules in force, and the hop draws of that route
        chain = self.chains[k]
        d = self.discovery
        branch = self.branch_delay if phase == EMERG and self.branches.formed[rec.comm[i]] else None
        if ch == HOTLINE and d.hotline_direct:  # a call reaches the command directly
            delay: float | None = reporting.report_delay(chain, True, now, self.hop_first[k][i], 0.0, branch,
                                                         self.link_until[g])
        else:
            delay = reporting.route(chain, c, rec.sev[i], self.r_comply[i], now, self.hop_first[k][i],
                                    self.hop_sum[k][i], branch, self.link_until[g])
        if delay is None:
            eng.note("unreported", i)
            # the hotline may still be called: a resident rings later than the grid worker kept quiet
            if (d.hotline_after_unreported and not d.instant and ch != HOTLINE
                    and self.d_hot[i] < d.hotline_share):
                t = rec.onset[i] + self.d_hot_e[i] * d.hotline_mean_min * self.disc_factor[i]
                if t > now:
                    eng.at(t - now, self._discover, i, HOTLINE)
            return
        if delay > 0:  # `eng.soon`, written out on the path every incident takes
            eng.at(delay, self._reported, i)
        else:
            self._reported(i)

    def _chain(self, phase: int) -> int:
        """Which reporting rules apply: peacetime's, or the level's (a low level may keep peacetime's)."""
        if phase != EMERG:
            return 0
        return 1 if level_rules(self.sc, self.switch.level).reporting == "emergency" else 0

    def _reported(self, i: int) -> None:
        rec, eng = self.rec, self.eng
        rec.t_rep[i] = eng.now
        if eng.log is not None:
            eng.note("reported", i)
        if rec.sev[i] >= self.switch.trigger_severity:
            self.switch.reported(rec.sev[i], eng.now)
        if rec.sev[i] == MAJOR:
            self.branches.major_reported(rec.comm[i])
        phase = self.switch.phase
        chain = self.chains[self._chain(phase) if phase == EMERG else 0]
        delay = chain.decision_delay + self.class_pre[rec.cls[i]] * chain.pre_dispatch_factor
        if delay > 0:
            eng.at(delay, self.desk.ready, i)
        else:
            self.desk.ready(i)

    # ---------------------------------------------------------------- levels

    def _level(self, old: int, new: int) -> None:
        sw, desk = self.switch, self.desk
        ep = sw.epoch
        town = desk.scoped()
        was_town = self.pool.towns_live
        self.pool.set_scope(town)
        desk.waiting.set_scope(town)
        self.duty.level(old, new)
        if new:
            lv = level_rules(self.sc, new)
            self.party.call(ep, lv.mobilise.party_member)
            self.branches.activate(ep)
            self.tasks.start(list(lv.tasks))
            if old == 0:
                self.command.activated()
        else:
            self.party.deactivate(ep)
            self.branches.deactivate(ep)
        if was_town and not town and desk.waiting.n:
            desk.widen()

    # ---------------------------------------------------------------- collect

    def _collect(self, end: float) -> ReplicationResult:
        mob: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        on_duty: dict[str, float] = {}
        rows: dict[int, list[tuple[float, int]]] = {f: [] for f in range(len(FORCES))}
        for t, f, d in self.desk.mob:
            rows[f].append((t, d))
        for f, name in enumerate(FORCES):
            if f == PARTY:
                times, counts = self.party.curve(end)
            else:
                times = np.array([t for t, _ in rows[f]], dtype=float)
                counts = np.cumsum([d for _, d in rows[f]]).astype(float) if rows[f] else np.zeros(0)
            mob[name] = (times, counts)
            on_duty[name] = float((counts * np.diff(np.append(times, end))).sum()) if len(times) else 0.0
        busy: dict[str, float] = {FORCES[f]: self.desk.busy[f] for f in range(len(FORCES))}
        sw = self.switch
        tasks = self.tasks.results(end)
        for k, kind in enumerate(KINDS):
            tasks[f"busy_min.{kind}"] = self.desk.busy_kind[k]
        tasks["transfers"] = float(len(self.command.moves))
        tasks["level_max"] = float(max((lv for _, lv in sw.levels), default=0))
        return ReplicationResult(
            replication=self.replication, incidents=self.rec.columns(), served_by=self.rec.served_by(),
            phase=np.array(self.rec.phase[:self.rec.n]), activations=[float(t) for t in sw.activations],
            deactivations=[float(t) for t in sw.deactivations], branches=self.branches.record,
            mobilisation=mob, force_size=self.size, busy_min=busy, on_duty_min=on_duty, n_events=self.eng.n_events,
            end_min=end, log=self.eng.log, flags=self._flags(on_duty),
            extra={"labels": self.inc.label,
                   "jobs": [(KINDS[self.rec.kind[i]], self.rec.grid[i]) for i in range(self.rec.n, len(self.rec.grid))]},
            tasks=tasks, levels=[(float(t), lv) for t, lv in sw.levels],
        )

    def _flags(self, on_duty: dict[str, float]) -> list[str]:
        """Classes whose incidents no force on duty could serve, and runs where nobody could serve."""
        if not any(on_duty.values()):
            return ["nobody could serve: no responder of any force was on duty"] if self.rec.n else []
        out = []
        counts = np.bincount(self.inc.cls, minlength=len(CLASSES))
        for c, name in enumerate(CLASSES):
            if not counts[c]:
                continue
            forces: list[str] = [FORCES[f] for f in self.class_forces[c]]
            if self.sc.incidents.classes[name].forces.count("party_member"):
                forces.append("party_member")
            if not any(on_duty[f] > 0 for f in forces):
                out.append(f"{name} incidents had no force on duty that may serve them "
                           f"(incidents.classes.{name}.forces: {', '.join(forces)})")
        return out


__all__ = ["PHASES", "Replication", "ReplicationResult", "level_name"]
