"""Experiment files: a base scenario, factors, a design, replications and the KPIs of interest.

Validated with the same care as scenarios: every error names the file, the line, the field, the bad value
and what is allowed. A factor must name a scenario key that exists, and every value it can take must be
accepted by the scenario schema (checked by loading the base scenario with that value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, model_validator

from sim.errors import Problem, ScenarioError
from sim.experiment.kpis import kpi_names
from sim.files import named_file_problem, path_problem
from sim.scenario import LoadedScenario, load_scenario
from sim.scenario.loader import Origins, flow_override, fmt_loc, known_key, locate, problems_from_validation, read_yaml
from sim.scenario.schema import Strict


class Range(Strict):
    low: float
    high: float
    steps: Annotated[int, Field(ge=2)] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.high <= self.low:
            raise ValueError(f"high ({self.high:g}) must be above low ({self.low:g})")
        return self


class Distribution(Strict):
    """A continuous distribution for Latin hypercube and Sobol designs (sampled through its quantiles)."""

    kind: Literal["uniform", "loguniform", "triangular", "normal"]
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    mean: float | None = None
    sd: Annotated[float, Field(gt=0)] | None = None

    @model_validator(mode="after")
    def _params(self) -> Distribution:
        need = {"uniform": ("low", "high"), "loguniform": ("low", "high"), "triangular": ("low", "mode", "high"),
                "normal": ("mean", "sd")}[self.kind]
        missing = [p for p in need if getattr(self, p) is None]
        if missing:
            raise ValueError(f"a {self.kind} distribution needs {', '.join(need)}; missing {', '.join(missing)}")
        if self.kind != "normal":
            assert self.low is not None and self.high is not None
            if self.high <= self.low:
                raise ValueError(f"high ({self.high:g}) must be above low ({self.low:g})")
            if self.kind == "loguniform" and self.low <= 0:
                raise ValueError("a loguniform distribution needs low > 0")
            if self.kind == "triangular" and not (self.low <= (self.mode or 0) <= self.high):
                raise ValueError("mode must lie between low and high")
        return self

    def ppf(self, u: Any) -> Any:
        from scipy import stats

        if self.kind == "uniform":
            return stats.uniform(self.low, self.high - self.low).ppf(u)  # type: ignore[operator]
        if self.kind == "loguniform":
            return stats.loguniform(self.low, self.high).ppf(u)
        if self.kind == "triangular":
            lo, hi = self.low, self.high
            return stats.triang((self.mode - lo) / (hi - lo), lo, hi - lo).ppf(u)  # type: ignore[operator]
        return stats.norm(self.mean, self.sd).ppf(u)

    def bounds(self) -> tuple[float, float]:
        if self.kind == "normal":
            assert self.mean is not None and self.sd is not None
            return self.mean - 3 * self.sd, self.mean + 3 * self.sd
        assert self.low is not None and self.high is not None
        return self.low, self.high


class Factor(Strict):
    key: str
    values: list[Any] | None = None
    range: Range | None = None
    distribution: Distribution | None = None
    integer: bool = False

    @model_validator(mode="after")
    def _one_kind(self) -> Factor:
        given = [k for k in ("values", "range", "distribution") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"a factor needs exactly one of values, range or distribution; got "
                             f"{', '.join(given) or 'none'}")
        if self.values is not None and not self.values:
            raise ValueError("values must list at least one value")
        return self

    @property
    def numeric(self) -> bool:
        return self.values is None or all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in self.values)

    def levels(self) -> list[Any]:
        """The values of a full factorial design."""
        if self.values is not None:
            return list(self.values)
        if self.range is not None and self.range.steps:
            xs = [self.range.low + (self.range.high - self.range.low) * k / (self.range.steps - 1)
                  for k in range(self.range.steps)]
            return [self.cast(x) for x in xs]
        raise ValueError("a full factorial design needs values, or a range with steps")

    def from_unit(self, u: float) -> Any:
        """The value at quantile u in [0, 1) (Latin hypercube and Sobol designs)."""
        if self.values is not None:
            return self.values[min(int(u * len(self.values)), len(self.values) - 1)]
        if self.range is not None:
            return self.cast(self.range.low + u * (self.range.high - self.range.low))
        assert self.distribution is not None
        return self.cast(float(self.distribution.ppf(u)))

    def cast(self, x: float) -> Any:
        return int(round(x)) if self.integer else float(x)

    def bounds(self) -> tuple[Any, Any]:
        if self.values is not None:
            return min(self.values), max(self.values)
        if self.range is not None:
            return self.cast(self.range.low), self.cast(self.range.high)
        assert self.distribution is not None
        lo, hi = self.distribution.bounds()
        return self.cast(lo), self.cast(hi)


class ExperimentLimits(Strict):
    """Bounds on a sweep, checked before the design is laid out (docs/experiments.md)."""

    runs: Annotated[int, Field(ge=1)] = 100_000


class Experiment(Strict):
    name: str = "experiment"
    description: str = ""
    scenario: str
    fixed: dict[str, Any] = Field(default_factory=dict)
    design: Literal["factorial", "lhs", "sobol"] = "factorial"
    samples: Annotated[int, Field(ge=1)] = 16
    design_seed: Annotated[int, Field(ge=0)] = 1
    replications: Annotated[int, Field(ge=1)] = 5
    kpis: list[str] = Field(default_factory=lambda: ["response_mean_min", "response_p90_min",
                                                     "within_target_share", "emergency.response_p90_min"])
    factors: list[Factor] = Field(min_length=1)
    limits: ExperimentLimits = Field(default_factory=ExperimentLimits)

    @model_validator(mode="after")
    def _design(self) -> Experiment:
        if self.design == "sobol":
            if len(self.factors) < 2:  # messages start with the field they are about: it is located
                raise ValueError(f"factors ({len(self.factors)}) are too few: a Sobol design needs at least 2 "
                                 "factors")
            if self.samples < 2 or self.samples & (self.samples - 1):
                raise ValueError(f"samples ({self.samples}) must be a power of 2 for a Sobol design")
        keys = [f.key for f in self.factors]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValueError(f"factors name {', '.join(twice)} twice; each factor must vary a different key")
        return self


def planned_runs(spec: Experiment) -> tuple[int, tuple[Any, ...]]:
    """Runs of the sweep (design points x replications) and the key that drives them, computed without
    laying out the design (a range of a billion steps is refused, not enumerated)."""
    reps = spec.replications
    if spec.design == "factorial":
        sizes = [(len(f.values) if f.values is not None else f.range.steps if f.range and f.range.steps else 1,
                  ("factors", i, "values") if f.values is not None else ("factors", i, "range", "steps"))
                 for i, f in enumerate(spec.factors)]
        points = math.prod(n for n, _ in sizes)
        biggest = max(sizes, key=lambda t: t[0])
        return points * reps, (biggest[1] if biggest[0] > reps else ("replications",))
    points = spec.samples * ((len(spec.factors) + 2) if spec.design == "sobol" else 1)
    return points * reps, (("samples",) if spec.samples > reps else ("replications",))


def _check_runs(spec: Experiment, origins: Origins, shown: str) -> None:
    runs, loc = planned_runs(spec)
    if runs > spec.limits.runs:
        f, line = locate(origins, loc, shown)
        raise ScenarioError([Problem(f, line, fmt_loc(loc), None,
                                     f"the sweep would have {runs:,} runs (design points x replications), over "
                                     f"limits.runs ({spec.limits.runs:,}); lower {fmt_loc(loc)}, or raise "
                                     "limits.runs if the machine and the time allow")])


@dataclass
class LoadedExperiment:
    spec: Experiment
    path: str
    origins: Origins
    base: LoadedScenario

    def where(self, loc: tuple[Any, ...]) -> tuple[str, int | None]:
        return locate(self.origins, loc, self.path)


override = flow_override


def fixed_overrides(spec: Experiment) -> list[str]:
    return [override(k, v) for k, v in spec.fixed.items()]


def load_experiment(path: str | Path) -> LoadedExperiment:
    shown = str(path)
    data, origins = read_yaml(Path(path), "experiment", Experiment)
    origins = {k: (shown, v[1]) for k, v in origins.items()}
    try:
        spec = Experiment.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc, origins, shown, root=Experiment)) from None
    _check_runs(spec, origins, shown)
    problems: list[Problem] = []
    scen_path = (Path(path).parent / spec.scenario)
    if (why := path_problem(scen_path)) is not None:
        f, line = locate(origins, ("scenario",), shown)
        raise ScenarioError([Problem(f, line, "scenario", spec.scenario, named_file_problem("scenario", scen_path, why))])
    for key in spec.fixed:
        bad = known_key(tuple(int(p) if p.isdigit() else p for p in key.split(".")))
        if bad:
            f, line = locate(origins, ("fixed", key), shown)
            problems.append(Problem(f, line, f"fixed.{key}", spec.fixed[key], bad))
    for i, fac in enumerate(spec.factors):
        bad = known_key(tuple(int(p) if p.isdigit() else p for p in fac.key.split(".")))
        if bad:
            f, line = locate(origins, ("factors", i, "key"), shown)
            problems.append(Problem(f, line, f"factors[{i}].key", fac.key, bad))
    names = set(kpi_names())
    for i, k in enumerate(spec.kpis):
        if k not in names:
            f, line = locate(origins, ("kpis", i), shown)
            problems.append(Problem(f, line, f"kpis[{i}]", k, "unknown KPI; allowed: " + ", ".join(sorted(names))))
    if problems:
        raise ScenarioError(problems)
    fixed = fixed_overrides(spec)
    base = load_scenario(scen_path, fixed)
    # every value a factor can take must be one the scenario accepts
    for i, fac in enumerate(spec.factors):
        if fac.values is not None:
            checks: list[tuple[tuple[Any, ...], Any]] = [(("factors", i, "values", j), v)
                                                         for j, v in enumerate(fac.values)]
        else:
            field = "range" if fac.range is not None else "distribution"
            lo, hi = fac.bounds()
            checks = [(("factors", i, field), lo), (("factors", i, field), hi)]
        for loc, value in checks:
            try:
                load_scenario(scen_path, fixed + [override(fac.key, value)])
            except ScenarioError as exc:
                f, line = locate(origins, loc, shown)
                why = "; ".join(p.message for p in exc.problems)
                problems.append(Problem(f, line, fmt_loc(loc), value, f"refused by the scenario for {fac.key}: {why}"))
    if problems:
        raise ScenarioError(problems)
    return LoadedExperiment(spec, shown, origins, base)


def check_sweepable(exp: LoadedExperiment) -> None:
    """What a sweep needs beyond a valid file (a target search varies one factor and needs less)."""
    if exp.spec.design != "factorial":
        return
    problems = []
    for i, f in enumerate(exp.spec.factors):
        if f.values is None and not (f.range and f.range.steps):
            file, line = exp.where(("factors", i))
            problems.append(Problem(file, line, f"factors[{i}]", f.key,
                                    "a full factorial design needs values, or a range with steps"))
    if problems:
        raise ScenarioError(problems)
