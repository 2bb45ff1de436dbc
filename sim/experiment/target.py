"""Find the smallest (or largest) value of one factor that meets a KPI target with 95 % confidence.

Every candidate value runs the same replications (common random numbers), so neighbouring candidates
differ by the factor alone. The search assumes the KPI is monotone in the factor: it checks both ends of
the factor's range, then bisects; it says so when the evidence is not monotone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import stats

from sim.errors import Problem, ScenarioError
from sim.experiment.kpis import kpi_names
from sim.experiment.manifest import sha256
from sim.experiment.spec import LoadedExperiment, fixed_overrides, override
from sim.experiment.stats import mean_ci
from sim.experiment.sweep import execute_run
from sim.scenario import load_scenario, read_scenario, resolved_yaml


@dataclass
class Evaluation:
    value: float
    values: list[float]
    mean: float
    ci95_low: float
    ci95_high: float
    bound: float  # one-sided 95 % bound on the side the target limits
    meets: bool


@dataclass
class TargetResult:
    kpi: str
    limit: float
    at_most: bool
    vary: str
    largest: bool
    low: float
    high: float
    answer: float | None
    evaluations: list[Evaluation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def sentence(self) -> str:
        rel = "at most" if self.at_most else "at least"
        which = "largest" if self.largest else "smallest"
        if self.answer is None:
            return (f"No value of {self.vary} in [{self.low:g}, {self.high:g}] keeps {self.kpi} {rel} "
                    f"{self.limit:g} with 95 % confidence.")
        ev = next(e for e in self.evaluations if e.value == self.answer)
        return (f"The {which} {self.vary} that keeps {self.kpi} {rel} {self.limit:g} with 95 % confidence is "
                f"{self.answer:g} (mean {ev.mean:.4g}, 95 % CI {ev.ci95_low:.4g} to {ev.ci95_high:.4g}).")


def _bound(vals: list[float], at_most: bool) -> tuple[float, float, float, float]:
    m, lo, hi = mean_ci(vals)
    x = np.array([v for v in vals if v == v], dtype=float)
    if len(x) < 2:
        return m, lo, hi, math.nan
    h = float(stats.t.ppf(0.95, len(x) - 1)) * float(x.std(ddof=1)) / math.sqrt(len(x))
    return m, lo, hi, (m + h if at_most else m - h)


def find_target(exp: LoadedExperiment, kpi: str, limit: float, at_most: bool = True, vary: str | None = None,
                largest: bool = False, jobs: int = 1, executor: Executor | None = None,
                tolerance: float | None = None,
                on_eval: Callable[[Evaluation], None] | None = None) -> TargetResult:
    spec = exp.spec
    if kpi not in kpi_names():
        raise ScenarioError([Problem("--kpi", None, "--kpi", kpi, "unknown KPI; allowed: "
                                     + ", ".join(kpi_names()))])
    facs = {f.key: f for f in spec.factors}
    if vary is None:
        if len(facs) != 1:
            raise ScenarioError([Problem("--vary", None, "--vary", None,
                                         "the experiment has several factors: name one with --vary; allowed: "
                                         + ", ".join(facs))])
        vary = next(iter(facs))
    if vary not in facs:
        raise ScenarioError([Problem("--vary", None, "--vary", vary,
                                     "not a factor of the experiment; allowed: " + ", ".join(facs))])
    fac = facs[vary]
    if not fac.numeric:
        raise ScenarioError([Problem("--vary", None, "--vary", vary, "a target search needs a numeric factor")])
    src = read_scenario(Path(exp.path).parent / spec.scenario)
    fixed = fixed_overrides(spec)
    grid = sorted(fac.values) if fac.values is not None else None
    low, high = (grid[0], grid[-1]) if grid else fac.bounds()
    tol = tolerance if tolerance is not None else (1.0 if fac.integer else (high - low) / 64)
    digits = 0 if fac.integer else (max(0, -math.floor(math.log10(tol))) + 1 if tol > 0 else 6)
    result = TargetResult(kpi, limit, at_most, vary, largest, float(low), float(high), None)
    cache: dict[float, Evaluation] = {}
    own = executor is None and jobs > 1
    ex = ProcessPoolExecutor(max_workers=jobs) if own else executor

    def evaluate(v: float) -> Evaluation:
        if v in cache:
            return cache[v]
        loaded = load_scenario(src, fixed + [override(vary, v)])
        sc = loaded.scenario.model_dump(mode="json")
        sha = sha256(resolved_yaml(loaded.scenario))
        args = [(k, 0, k, sc, sha) for k in range(spec.replications)]
        recs = [execute_run(*a) for a in args] if ex is None else list(ex.map(execute_run, *zip(*args)))
        bad = [r for r in recs if r["status"] != "ok"]
        if bad:
            raise ScenarioError([Problem(exp.path, None, vary, v, f"replication {bad[0]['replication']} "
                                         f"failed: {bad[0]['error']}")])
        vals = [float("nan") if r["kpis"][kpi] is None else r["kpis"][kpi] for r in recs]
        m, lo, hi, b = _bound(vals, at_most)
        ok = b == b and (b <= limit if at_most else b >= limit)
        e = cache[v] = Evaluation(float(v), vals, m, lo, hi, b, ok)
        result.evaluations.append(e)
        if on_eval:
            on_eval(e)
        return e

    try:
        a, b = evaluate(low).meets, evaluate(high).meets
        if not largest:
            if a:
                result.answer = float(low)
            elif b:
                result.answer = _bisect(evaluate, low, high, grid, tol, digits, lambda e: e.meets)
        else:
            if b:
                result.answer = float(high)
            elif a:
                result.answer = _bisect(evaluate, high, low, grid, tol, digits, lambda e: e.meets)
    finally:
        if own and ex is not None:
            ex.shutdown()
    if result.answer is None:
        result.warnings.append(f"the target cannot be met inside the factor's range [{low:g}, {high:g}]")
    elif result.answer == (high if largest else low):
        result.warnings.append(f"the target is already met at the end of the range ({result.answer:g}); "
                               "the true threshold may lie beyond it")
    ev = sorted(result.evaluations, key=lambda e: e.value)
    flips = sum(1 for x, y in zip(ev, ev[1:]) if x.meets != y.meets)
    if flips > 1:
        result.warnings.append("the evidence is not monotone in the factor: the answer is one threshold of several")
    result.evaluations.sort(key=lambda e: e.value)
    return result


def _bisect(evaluate: Callable[[float], Evaluation], bad: float, good: float, grid: list[float] | None,
            tol: float, digits: int, ok: Callable[[Evaluation], bool]) -> float:
    """Between a value that fails and one that meets, narrow down to the first that meets."""
    if grid is not None:
        i, j = grid.index(bad), grid.index(good)
        while abs(j - i) > 1:
            mid = (i + j) // 2
            if ok(evaluate(grid[mid])):
                j = mid
            else:
                i = mid
        return float(grid[j])
    while abs(good - bad) > tol:
        half = round((bad + good) / 2, digits)
        if half in (bad, good):
            break
        if ok(evaluate(half)):
            good = half
        else:
            bad = half
    return float(good)
