"""Sweeps: design points × replications, on one executor code path, streamed to disk run by run.

Replication r of every design point uses the same seed (common random numbers). Each finished run is
written atomically to `runs/<index>.json` as it finishes, so an interrupted sweep (Ctrl-C, SIGKILL, a
worker that dies) loses nothing: `resume=True` runs only what is missing or failed. The sweep's hash
(experiment and every point's resolved scenario) guards a resume against changed inputs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.errors import Problem, ScenarioError
from sim.experiment.design import Design, make_design
from sim.experiment.kpis import replication_kpis
from sim.experiment.manifest import sha256
from sim.experiment.spec import LoadedExperiment, check_sweepable, fixed_overrides, override
from sim.model import Model, build_model, run_replication
from sim.scenario import from_resolved, load_scenario, read_scenario, resolved_yaml

_MODELS: dict[str, Model] = {}


@dataclass
class Point:
    index: int
    values: dict[str, Any]
    scenario: dict[str, Any]  # resolved
    sha: str


@dataclass
class Plan:
    """Everything a sweep runs, in run-index order: run k is point k // R, replication k % R."""

    experiment: LoadedExperiment
    design: Design
    points: list[Point]
    replications: int
    sha: str

    @property
    def n_runs(self) -> int:
        return len(self.points) * self.replications

    def run(self, k: int) -> tuple[Point, int]:
        return self.points[k // self.replications], k % self.replications


def make_plan(exp: LoadedExperiment) -> Plan:
    spec = exp.spec
    check_sweepable(exp)
    design = make_design(spec)
    src = read_scenario(Path(exp.path).parent / spec.scenario)
    fixed = fixed_overrides(spec)
    points = []
    # what the runs depend on: the replications and each point's resolved scenario (not names or KPI lists)
    texts = [f"replications: {spec.replications}"]
    for p, values in enumerate(design.points):
        vals = dict(zip(design.keys, values))
        loaded = load_scenario(src, fixed + [override(k, v) for k, v in vals.items()])
        text = resolved_yaml(loaded.scenario)
        texts.append(text)
        points.append(Point(p, vals, loaded.scenario.model_dump(mode="json"), sha256(text)))
    return Plan(exp, design, points, spec.replications, sha256("\n---\n".join(texts)))


def execute_run(k: int, point: int, replication: int, scenario: dict[str, Any], sha: str) -> dict[str, Any]:
    """One run, in whatever process the executor chose; never raises (a failure is a record)."""
    record: dict[str, Any] = {"run": k, "point": point, "replication": replication, "seed": scenario["seed"]}
    try:
        model = _MODELS.get(sha)
        if model is None:
            if len(_MODELS) >= 8:
                _MODELS.pop(next(iter(_MODELS)))
            model = _MODELS[sha] = build_model(from_resolved(scenario, f"<design point {point}>"))
        res = run_replication(model, replication)
        record.update(status="ok", error=None, kpis=replication_kpis(model.scenario, res))
    except Exception as exc:  # recorded with the run; the sweep goes on
        record.update(status="failed", error=f"{type(exc).__name__}: {exc}", kpis={})
    return record


# --------------------------------------------------------------------------- the run store


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _clean(x: Any) -> Any:
    if isinstance(x, float) and (x != x or x in (float("inf"), float("-inf"))):
        return None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    return x


def run_path(out: Path, k: int) -> Path:
    return out / "runs" / f"{k:06d}.json"


def read_runs(out: Path, n_runs: int) -> Iterator[dict[str, Any]]:
    """Finished run records in run-index order (a partial file cannot exist: writes are atomic)."""
    for k in range(n_runs):
        p = run_path(out, k)
        if p.exists():
            yield json.loads(p.read_text(encoding="utf-8"))


def done_runs(out: Path, n_runs: int) -> set[int]:
    return {r["run"] for r in read_runs(out, n_runs) if r["status"] == "ok"}


# --------------------------------------------------------------------------- executing


@dataclass
class SweepProgress:
    total: int
    done_before: int
    ran: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)


class SweepInterrupted(Exception):
    def __init__(self, out: Path, done: int, total: int):
        self.out, self.done, self.total = out, done, total
        super().__init__(f"interrupted with {done} of {total} runs done in {out}; finish it with --resume")


def prepare_folder(plan: Plan, out: Path, resume: bool) -> set[int]:
    """Create or reopen a sweep folder; refuse to mix runs of different inputs."""
    manifest_path = out / "sweep.json"
    if manifest_path.exists():
        old = json.loads(manifest_path.read_text(encoding="utf-8"))
        if not resume:
            raise ScenarioError([Problem(str(out), None, "--out", str(out),
                                         "this folder already holds a sweep; add --resume to finish it, "
                                         "or choose another --out")])
        if old.get("sweep_sha256") != plan.sha:
            raise ScenarioError([Problem(str(out), None, "--resume", str(out),
                                         "the experiment or its scenario changed since this sweep started "
                                         f"(hash {old.get('sweep_sha256', '?')[:12]} then, {plan.sha[:12]} now); "
                                         "resuming would mix results of different inputs: start a new sweep "
                                         "with another --out")])
        # a process killed part-way through `_write_atomic` leaves its temporary file behind
        for tmp in (out / "runs").glob(".*.tmp"):
            tmp.unlink(missing_ok=True)
        return done_runs(out, plan.n_runs)
    if resume and out.exists() and any(out.iterdir()):
        raise ScenarioError([Problem(str(out), None, "--resume", str(out), "no sweep to resume in this folder")])
    (out / "runs").mkdir(parents=True, exist_ok=True)
    _write_atomic(out / "experiment.resolved.yaml",
                  yaml.safe_dump(plan.experiment.spec.model_dump(mode="json"), sort_keys=False))
    _write_atomic(manifest_path, json.dumps({
        "experiment": plan.experiment.spec.name, "experiment_file": plan.experiment.path,
        "sweep_sha256": plan.sha, "design": plan.design.kind, "points": len(plan.points),
        "replications": plan.replications, "runs": plan.n_runs,
        "point_scenario_sha256": [p.sha for p in plan.points],
    }, indent=2) + "\n")
    return set()


def execute_chunk(items: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Several runs in one task: fewer round trips to the workers (a scheduler costs milliseconds a task)."""
    return [execute_run(*a) for a in items]


def chunk_size(n_todo: int, workers: int) -> int:
    """Runs per task: enough tasks (8 a worker) to balance the load, at most 4 runs lost to a crash."""
    return max(1, min(4, n_todo // (8 * max(workers, 1))))


def execute(plan: Plan, out: Path, jobs: int = 1, executor: Executor | None = None, resume: bool = False,
            on_run: Callable[[dict[str, Any]], object] | None = None, workers: int | None = None,
            on_start: Callable[[int], object] | None = None, on_stop: Callable[[], object] | None = None) -> SweepProgress:
    """Run every missing run of the plan, writing each as it finishes; returns what happened.
    `workers`: how many workers `executor` has (sets the runs per task); `on_start(done)` is told how many runs
    a resumed sweep already has; `on_stop()` is called the moment Ctrl-C is heard, before the runs in
    progress are waited for."""
    done = prepare_folder(plan, out, resume)
    if on_start:
        on_start(len(done))
    todo = [k for k in range(plan.n_runs) if k not in done]
    prog = SweepProgress(plan.n_runs, len(done))

    def record(rec: dict[str, Any]) -> None:
        _write_atomic(run_path(out, rec["run"]), json.dumps(_clean(rec), sort_keys=True) + "\n")
        prog.ran += 1
        if rec["status"] != "ok":
            prog.failed.append((rec["run"], rec["error"]))
        if on_run:
            on_run(rec)

    def args(k: int) -> tuple[Any, ...]:
        point, r = plan.run(k)
        return (k, point.index, r, point.scenario, point.sha)

    if executor is None and jobs <= 1:
        try:
            for k in todo:
                record(execute_run(*args(k)))
        except KeyboardInterrupt:
            if on_stop:
                on_stop()
            raise SweepInterrupted(out, prog.done_before + prog.ran, plan.n_runs) from None
        return prog
    own = executor is None
    ex = executor or ProcessPoolExecutor(max_workers=jobs)
    size = chunk_size(len(todo), workers or jobs)
    chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
    futures: dict[Future, list[int]] = {}
    try:
        futures = {ex.submit(execute_chunk, [args(k) for k in ks]): ks for ks in chunks}
        for fut in as_completed(futures):
            try:
                recs = fut.result()
            except Exception as exc:  # the worker died (BrokenProcessPool) or the cluster lost it
                recs = []
                for k in futures[fut]:
                    point, r = plan.run(k)
                    recs.append({"run": k, "point": point.index, "replication": r, "seed": point.scenario["seed"],
                                 "status": "failed", "error": f"{type(exc).__name__}: {exc}", "kpis": {}})
            for rec in recs:
                record(rec)
    except KeyboardInterrupt:
        if on_stop:
            on_stop()
        for f in futures:
            f.cancel()
        raise SweepInterrupted(out, prog.done_before + prog.ran, plan.n_runs) from None
    finally:
        if own:
            ex.shutdown(wait=True, cancel_futures=True)
    return prog
