"""Does every lever act? Paired comparisons of a low and a high setting on the shipped districts.

Each lever is a pair of overrides of a shipped scenario and the KPI a planner would judge it by; both
settings run the same replications (common random numbers), and the paired difference high − low is
tested (Student t). An effect counts when it is significant (p < 0.05), material (at least 5 % of the
low setting's KPI, and at least a minute or a percentage point) and in the expected direction.
`docs/levers.md` is written from `lever_table` (`tools/levers.py`), and `tests/test_levers.py` asserts
every row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from sim.experiment.kpis import replication_kpis
from sim.model import build_model, run_replication
from sim.scenario import load_scenario

DISTRICTS = ("shatang", "gaoming", "pingcheng", "lishui")


@dataclass(frozen=True)
class Lever:
    name: str
    low: tuple[str, ...]
    high: tuple[str, ...]
    #: the KPI of each district (the one the lever works through there); a share is better higher, a time,
    #: an hour count or a head count lower
    kpi: dict[str, str]


def _same(kpi: str) -> dict[str, str]:
    return {d: kpi for d in DISTRICTS}


LEVERS = (
    Lever("agency team ratio 0.10 vs 0.30", ("forces.agencies.team_ratio=0.1",),
          ("forces.agencies.team_ratio=0.3",), _same("posts.uncovered_hours")),
    Lever("party members in key areas only vs all", ("forces.party_members.scope=key_areas",),
          ("forces.party_members.scope=all",),
          {"shatang": "evacuation.moved_by_deadline_share", "gaoming": "response_mean_min",
           "pingcheng": "response_mean_min", "lishui": "response_mean_min"}),
    Lever("grid workers 0.5 vs 1.5 per grid", ("forces.grid_workers.full_time_per_grid=0.5",),
          ("forces.grid_workers.full_time_per_grid=1.5",), _same("response_mean_min")),
    Lever("three-level vs flat reporting route",
          ("reporting.peacetime.route=[community, town]", "reporting.emergency.route=[community, town]"),
          ("reporting.peacetime.route=[]", "reporting.emergency.route=[]"), _same("reporting_mean_min")),
    Lever("threshold vs forecast-warning activation", ("switch.activation=threshold",),
          ("switch.activation=warning",), _same("evacuation.moved_by_deadline_share")),
    Lever("no rota vs a 12/12 rota over 72 h", ("shifts.enabled=false",), ("shifts.enabled=true",),
          _same("posts.uncovered_hours")),
)


@dataclass
class Effect:
    district: str
    lever: str
    kpi: str
    low: float
    high: float
    diff: float
    ci95: tuple[float, float]
    p: float
    better: int

    @property
    def material(self) -> bool:
        share = "share" in self.kpi
        floor = 0.01 if share else 1.0  # a percentage point, or a minute (or a person, an hour)
        return abs(self.diff) >= max(floor, 0.05 * abs(self.low))

    @property
    def right_way(self) -> bool:
        return self.diff * self.better > 0

    @property
    def acts(self) -> bool:
        return self.p < 0.05 and self.material and self.right_way


def kpi_values(path: Path, overrides: list[str], reps: int, kpi: str) -> np.ndarray:
    loaded = load_scenario(path, overrides)
    model = build_model(loaded)
    out = []
    for r in range(reps):
        res = run_replication(model, r)
        k = replication_kpis(loaded.scenario, res)
        out.append(k[kpi] if kpi in k else res.tasks.get(kpi, math.nan))
    return np.array(out, dtype=float)


def effect(scenarios: Path, district: str, lever: Lever, reps: int = 20) -> Effect:
    kpi = lever.kpi[district]
    better = +1 if "share" in kpi else -1
    path = scenarios / f"{district}.yaml"
    a = kpi_values(path, list(lever.low), reps, kpi)
    b = kpi_values(path, list(lever.high), reps, kpi)
    d = b - a
    n = len(d)
    m = float(d.mean())
    if np.ptp(d) == 0:
        lo = hi = m
        p = 1.0 if m == 0 else 0.0
    else:
        se = float(d.std(ddof=1)) / math.sqrt(n)
        h = float(stats.t.ppf(0.975, n - 1)) * se
        lo, hi = m - h, m + h
        p = float(stats.ttest_rel(b, a).pvalue)
    return Effect(district, lever.name, kpi, float(a.mean()), float(b.mean()), m, (lo, hi), p, better)


def lever_table(scenarios: Path, reps: int = 20) -> list[Effect]:
    return [effect(scenarios, d, lv, reps) for d in DISTRICTS for lv in LEVERS]
