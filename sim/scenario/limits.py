"""Estimates of a run's size from the validated scenario, checked against `limits` before any work.

A value can be valid and still impossible to run (ten million grids, a hundred million grid workers, a
mobilisation step of a microsecond): rather than hang or exhaust the memory, the run is refused with the
figures and the key that drives them, which the user can lower, or raise the limit if the machine can
take it. The estimates are deliberately simple (expected counts and a per-item memory cost measured on
the model) and err on the high side; `mobsim validate` prints them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sim.errors import Problem, ScenarioError
from sim.scenario.schema import FORCES, Scenario

if TYPE_CHECKING:
    from sim.scenario.loader import LoadedScenario
    from sim.scenario.references import TerritoryTable

MIB = 1024 * 1024
#: bytes per item, measured (peak RSS of `mobsim run`) on districts of 1,500 to 200,000 grids: the
#: interpreter and libraries, and what the model and the run folder keep per grid, unit, incident and
#: curve point (travel times are computed from positions: no grid x grid matrix)
BASE_BYTES = 230 * MIB
GRID_BYTES = 2_000
UNIT_BYTES = 1_000
INCIDENT_BYTES = 1_200
PARTY_MEMBER_BYTES = 200
POINT_BYTES = 200


@dataclass
class Estimate:
    """Expected size of one replication, with what each key contributes (dotted key -> amount)."""

    grids: int
    towns: int
    communities: int
    units: float = 0.0
    units_by: dict[str, float] = field(default_factory=dict)
    incidents: float = 0.0
    incidents_by: dict[str, float] = field(default_factory=dict)
    memory_mb: float = 0.0
    memory_by: dict[str, float] = field(default_factory=dict)

    def text(self) -> str:
        return (f"estimate: {self.units:,.0f} units (responders and party members), about {self.incidents:,.0f} "
                f"incidents per replication, about {self.memory_mb:,.0f} MiB per process")


def _add(d: dict[str, float], key: str, amount: float) -> None:
    d[key] = d.get(key, 0.0) + amount


def check_static(sc: Scenario) -> None:
    """The bounds that need no territory, checked while validating (before grid ids are made)."""
    lim, gen = sc.limits, sc.territory.generator
    if sc.territory.source == "generated" and gen.grids > lim.grids:
        raise ValueError(f"territory.generator.grids ({gen.grids:,}) is over limits.grids ({lim.grids:,}); "
                         "lower it, or raise limits.grids if the machine can take it")
    if sc.replications > lim.replications:
        raise ValueError(f"replications ({sc.replications:,}) is over limits.replications ({lim.replications:,}); "
                         "lower it, or raise limits.replications")
    points = mobilisation_points(sc)
    if points > lim.mobilisation_points:
        key = ("mobilisation_step_min" if sc.mobilisation_step_min < 1
               else "drain_min" if sc.drain_min > sc.horizon_min else "horizon_min")
        raise ValueError(f"{key} ({getattr(sc, key):g}) makes {points:,.0f} mobilisation points per force "
                         "((horizon_min + drain_min) / mobilisation_step_min + 1), over limits.mobilisation_points "
                         f"({lim.mobilisation_points:,}); shorten the run or lengthen mobilisation_step_min")


def mobilisation_points(sc: Scenario) -> float:
    return (sc.horizon_min + sc.drain_min) / sc.mobilisation_step_min + 1


def estimate(sc: Scenario, table: TerritoryTable, trace_rows: int | None = None) -> Estimate:
    """Expected units, incidents and memory of one replication of `sc` on `table`'s territory."""
    G, T, C = len(table.grid), len(set(table.town)), len(set(table.community))
    est = Estimate(G, T, C)
    f = sc.forces
    gw = f.grid_workers
    full = gw.full_time if gw.full_time_per_grid is None else round(gw.full_time_per_grid * G)
    _add(est.units_by, "forces.grid_workers." + ("full_time" if gw.full_time_per_grid is None
                                                 else "full_time_per_grid"), full)
    _add(est.units_by, "forces.grid_workers.part_time", gw.part_time)
    for level, bases in (("town", T), ("village", C), ("group", C)):
        team = getattr(f.teams, level)
        _add(est.units_by, f"forces.teams.{level}.members", team.per_unit * team.members * bases)
    _add(est.units_by, "forces.resident_teams.members_per_village", f.resident_teams.members_per_village * C)
    ag = f.agencies
    for a in ag.listed:
        ratio = ag.team_ratio if a.team_ratio is None else a.team_ratio
        _add(est.units_by, "forces.agencies.listed", ag.duty_officers_each + math.ceil(ratio * a.staff))
    each = ag.duty_officers_each + math.ceil(ag.team_ratio * ag.staff_each)
    _add(est.units_by, "forces.agencies.count" if ag.count >= ag.staff_each else "forces.agencies.staff_each",
         ag.count * each)
    if table.party_members is not None:
        _add(est.units_by, "territory.csv_file", sum(table.party_members))
    else:
        _add(est.units_by, "forces.party_members.total", f.party_members.total)
    est.units = sum(est.units_by.values())

    H = sc.horizon_min
    inc = sc.incidents
    if inc.trace_file:
        _add(est.incidents_by, "incidents.trace_file", trace_rows or 0)
    else:
        if table.households:
            households = float(sum(table.households))
        else:
            gen = sc.territory.generator
            households = G * sum(share * (gen.households[k].min + gen.households[k].max) / 2
                                 for k, share in gen.kind_mix.items())
        bg = inc.background
        if bg.rate_per_hour is not None:
            _add(est.incidents_by, "incidents.background.rate_per_hour", bg.rate_per_hour * H / 60)
        else:
            _add(est.incidents_by, "incidents.background.rate_per_household_per_day",
                 bg.rate_per_household_per_day * households * H / 1440)
        for i, hz in enumerate(inc.hazards):
            span = max(0.0, min(hz.start_min + hz.duration_min, H) - hz.start_min)
            _add(est.incidents_by, f"incidents.hazards.{i}.rate_per_hour", hz.rate_per_hour * span / 60)
    est.incidents = sum(est.incidents_by.values())

    terr_key = "territory.generator.grids" if sc.territory.source == "generated" else "territory.csv_file"
    unit_key = max(est.units_by, key=est.units_by.__getitem__)
    inc_key = max(est.incidents_by, key=est.incidents_by.__getitem__) if est.incidents_by else "horizon_min"
    party = est.units_by.get("forces.party_members.total", 0.0) * f.party_members.report_prob
    mem = est.memory_by
    _add(mem, "", BASE_BYTES)
    _add(mem, terr_key, G * GRID_BYTES)
    _add(mem, unit_key, (est.units - est.units_by.get("forces.party_members.total", 0.0)) * UNIT_BYTES)
    _add(mem, "forces.party_members.total", party * PARTY_MEMBER_BYTES)
    _add(mem, inc_key, est.incidents * INCIDENT_BYTES * (1 + sc.replications / 50))
    _add(mem, "mobilisation_step_min", mobilisation_points(sc) * len(FORCES) * POINT_BYTES)
    est.memory_by = {k: v / MIB for k, v in mem.items()}
    est.memory_mb = sum(est.memory_by.values())
    return est


def _value(loaded: LoadedScenario, key: str) -> Any:
    node: Any = loaded.scenario.model_dump(mode="json")
    for part in key.split("."):
        node = node[int(part)] if isinstance(node, list) else node.get(part) if isinstance(node, dict) else None
    return None if isinstance(node, (list, dict)) else node


def _loc(key: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in key.split("."))


def check_estimate(loaded: LoadedScenario, est: Estimate) -> None:
    """Refuse, all at once, every estimate over its limit, each at the line of the key that drives it."""
    lim = loaded.scenario.limits
    problems = []
    checks = ((est.units, lim.units, est.units_by, "units", "units (responders and party members)", "{:,.0f}"),
              (est.incidents, lim.incidents_per_replication, est.incidents_by, "incidents_per_replication",
               "incidents per replication", "{:,.0f}"),
              (est.memory_mb, lim.memory_mb, est.memory_by, "memory_mb", "MiB of memory per process", "{:,.0f}"))
    for amount, limit, by, name, what, fmt in checks:
        if amount <= limit:
            continue
        key = max((k for k in by if k), key=by.__getitem__)
        share = by[key] / amount
        file, line = loaded.where(_loc(key))
        lower = (f"its {est.grids:,} grids" if key == "territory.csv_file" else
                 "its rows" if key.endswith("_file") else "it")
        problems.append(Problem(file, line, key, _value(loaded, key),
                                f"the run would need about {fmt.format(amount)} {what}, over limits.{name} "
                                f"({fmt.format(limit)}); {share:.0%} of it comes from {key}: lower {lower}, or "
                                f"raise limits.{name} if the machine can take it"))
    if problems:
        raise ScenarioError(problems)
