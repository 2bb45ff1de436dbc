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
from sim.model.dispatch import DispatchPolicy, make_policy
from sim.model.dispatcher import Dispatcher
from sim.model.engine import Engine
from sim.model.forces import Forces
from sim.model.incidents import IncidentTable
from sim.model.injects import Disruption, Disruptions
from sim.model.party import PartyMembers, TemporaryBranches
from sim.model.pool import ResponderPool
from sim.model.records import IncidentRecords
from sim.model.reporting import CHANNELS, INFORMANT, PATROL, Chain
from sim.model.spatial import Geometry
from sim.model.streams import lognormal_factor, stream
from sim.model.switch import EMERG, Switch, make_rule
from sim.model.territory import Territory
from sim.model.travel import Travel, TripNoise
from sim.model.waiting import WaitingIncidents
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


class Replication:
    def __init__(self, sc: Scenario, terr: Territory, inc: IncidentTable, forces: Forces, replication: int,
                 policy: DispatchPolicy | None = None, trace: bool = False,
                 disruptions: list[Disruption] | None = None):
        self.sc, self.terr, self.inc, self.replication = sc, terr, inc, replication
        self.eng = eng = Engine(trace)
        self.policy = policy or make_policy(sc.dispatch.policy)
        self.rec = rec = IncidentRecords(inc, terr)
        n = rec.n

        rules = [sc.incidents.classes[c] for c in CLASSES]
        self.class_pre = [r.pre_dispatch_min for r in rules]
        self.class_on_spot = [r.on_spot for r in rules]
        self.class_forces = [tuple(sorted(FORCES.index(f) for f in r.forces if f != "party_member")) for r in rules]
        groups = list(dict.fromkeys(self.class_forces))
        self.chains = (Chain.of(sc.reporting.peacetime), Chain.of(sc.reporting.emergency))

        # per-incident random inputs, drawn in blocks, keyed by incident
        drng = stream(sc.seed, replication, "discovery")
        e = drng.standard_exponential((3, n))
        self.d_patrol, self.d_inform, self.d_hot_e = e[0].tolist(), e[1].tolist(), e[2].tolist()
        self.d_hot = drng.uniform(size=n).tolist()
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

        self.travel = travel = Travel(terr, sc.territory.travel)
        noise = TripNoise(travel.cv, inc.need, stream(sc.seed, replication, "travel"))
        town_scope = sc.dispatch.peacetime_scope == "town"
        self.pool = pool = ResponderPool(forces.units, groups, travel, len(terr.town_ids), town_scope,
                                         self.policy.idle_order, GW)
        geo = Geometry(travel.x, travel.y, terr.n_grids, travel.setup, travel.per_km)
        waiting = WaitingIncidents(len(groups), self.policy.levels, self.policy.by_place, town_scope, geo)
        self.switch = Switch(eng, sc.switch, make_rule(sc.switch), self._activated, self._deactivated)
        self.party = PartyMembers(eng, terr, sc.forces.party_members, sc.seed, replication, self._party_free)
        self.branches = TemporaryBranches(eng, terr, sc.forces.temporary_branches, self.party)
        self.desk = Dispatcher(eng, sc, terr, rec, pool, waiting, self.policy, travel, noise, self.switch,
                               self.party, self.branches, [groups.index(fs) for fs in self.class_forces],
                               ["party_member" in r.forces for r in rules], [r.priority for r in rules])
        self.disruptions = Disruptions(eng, terr, list(disruptions or []), self.desk, self.switch, travel)
        self.link_until = self.disruptions.link_until
        self.discovery = sc.reporting.discovery
        self.branch_delay = sc.forces.temporary_branches.report_delay_min
        self.party_cover_each = sc.forces.party_members.coverage_each
        self.peace_on = forces.units.peace_on
        self.size = dict(forces.units.size)
        self.size["party_member"] = self.party.total

    def _party_free(self, g: int) -> None:
        self.desk.party_free(g)

    # ---------------------------------------------------------------- run

    def run(self, until: float | None = None) -> ReplicationResult:
        """Run to the end of the horizon and drain, or to `until` (a drill stopped at a scenario time)."""
        desk = self.desk
        for u, on in enumerate(self.peace_on):
            if on:
                desk.unit_on(u, 0)
        self.disruptions.start()
        if self.rec.n:
            self.eng.at(self.rec.onset[0], self._arrival, 0)
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
        party_cover = self.party.in_place(g) * self.party_cover_each if self.party.total else 0.0
        delay, ch = reporting.discovery(d, phase == EMERG, self.coverage[g], party_cover, self.d_patrol[i],
                                        self.d_inform[i], self.d_hot_e[i], self.d_hot[i])
        eng.soon(delay * self.disc_factor[i], self._discover, i, ch)

    def _discover(self, i: int, ch: int) -> None:
        rec, eng = self.rec, self.eng
        now = eng.now
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
        branch = self.branch_delay if phase == EMERG and self.branches.formed[rec.comm[i]] else None
        delay = reporting.route(self.chains[phase], c, rec.sev[i], self.r_comply[i], now, self.hop_first[phase][i],
                                self.hop_sum[phase][i], branch, self.link_until[g])
        if delay is None:
            eng.note("unreported", i)
            return
        eng.soon(delay, self._reported, i)

    def _reported(self, i: int) -> None:
        rec, eng = self.rec, self.eng
        rec.t_rep[i] = eng.now
        if eng.log is not None:
            eng.note("reported", i)
        if rec.sev[i] >= self.switch.trigger_severity:
            self.switch.reported(rec.sev[i], eng.now)
        if rec.sev[i] == MAJOR:
            self.branches.major_reported(rec.comm[i])
        chain = self.chains[self.switch.phase]
        eng.soon(chain.decision_delay + self.class_pre[rec.cls[i]] * chain.pre_dispatch_factor, self.desk.ready, i)

    # ---------------------------------------------------------------- the switch

    def _activated(self) -> None:
        ep = self.switch.epoch
        self.pool.set_scope(emergency=True)
        self.desk.call_up(ep)
        self.party.activate(ep)
        if self.desk.waiting.n:
            self.desk.widen()
        self.branches.activate(ep)

    def _deactivated(self) -> None:
        ep = self.switch.epoch
        self.pool.set_scope(emergency=False)
        self.desk.stand_down()
        self.party.deactivate(ep)
        self.branches.deactivate(ep)

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
        return ReplicationResult(
            replication=self.replication, incidents=self.rec.columns(), served_by=self.rec.served_by(),
            phase=np.array(self.rec.phase), activations=[float(t) for t in sw.activations],
            deactivations=[float(t) for t in sw.deactivations], branches=self.branches.record,
            mobilisation=mob, force_size=self.size, busy_min=busy, on_duty_min=on_duty, n_events=self.eng.n_events,
            end_min=end, log=self.eng.log, extra={"labels": self.inc.label}, flags=self._flags(on_duty),
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
            forces = [FORCES[f] for f in self.class_forces[c]]
            if self.sc.incidents.classes[name].forces.count("party_member"):
                forces.append("party_member")
            if not any(on_duty[f] > 0 for f in forces):
                out.append(f"{name} incidents had no force on duty that may serve them "
                           f"(incidents.classes.{name}.forces: {', '.join(forces)})")
        return out
