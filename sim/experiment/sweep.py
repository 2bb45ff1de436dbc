"""Sweeps: design points × replications, on one executor code path, streamed to disk run by run.

Replication r of every design point uses the same seed (common random numbers). Each finished run is
written atomically to `runs/<index>.json` as it finishes, so an interrupted sweep (Ctrl-C, SIGKILL, a
worker that dies) loses nothing: `resume=True` runs only what is missing, failed or damaged. A pool worker
that dies takes only its tasks with it: they are sent again to a new pool. The folder is locked while a
sweep writes it. The sweep's hash
(experiment and every point's resolved scenario) guards a resume against changed inputs.
"""

from __future__ import annotations

import json
import signal
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.errors import Problem, ScenarioError
from sim.experiment.design import Design, make_design
from sim.experiment.kpis import replication_kpis
from sim.experiment.manifest import sha256
from sim.experiment.runner import submit
from sim.experiment.spec import LoadedExperiment, check_sweepable, fixed_overrides, override
from sim.files import LOCK_NAME, FileRefused, FolderLock, atomic_write_text, read_text_limited, remove_temp_files
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


def _clean(x: Any) -> Any:
    if isinstance(x, float) and (x != x or x in (float("inf"), float("-inf"))):
        return None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    return x


def run_path(out: Path, k: int) -> Path:
    return out / "runs" / f"{k:06d}.json"


def read_run(out: Path, k: int) -> dict[str, Any] | None:
    """Run k's record, or None if it has none or its file is not a whole record (truncated, edited,
    another run's): such a run is simply run again."""
    try:
        rec = json.loads(read_text_limited(run_path(out, k), what="run file"))
    except (FileRefused, ValueError):
        return None
    ok = (isinstance(rec, dict) and rec.get("run") == k and rec.get("status") in ("ok", "failed")
          and isinstance(rec.get("kpis"), dict) and isinstance(rec.get("point"), int)
          and isinstance(rec.get("replication"), int))
    return rec if ok else None


def read_runs(out: Path, n_runs: int) -> Iterator[dict[str, Any]]:
    """Finished run records in run-index order (writes are atomic; a damaged file is skipped)."""
    for k in range(n_runs):
        if run_path(out, k).exists():
            rec = read_run(out, k)
            if rec is not None:
                yield rec


def scan_runs(out: Path, n_runs: int) -> tuple[set[int], list[int]]:
    """The runs done (status ok), and the run files present but damaged."""
    done, corrupt = set(), []
    for k in range(n_runs):
        if not run_path(out, k).exists():
            continue
        rec = read_run(out, k)
        if rec is None:
            corrupt.append(k)
        elif rec["status"] == "ok":
            done.add(k)
    return done, corrupt


def done_runs(out: Path, n_runs: int) -> set[int]:
    return scan_runs(out, n_runs)[0]


# --------------------------------------------------------------------------- executing


@dataclass
class SweepProgress:
    total: int
    done_before: int
    ran: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)
    corrupt: list[int] = field(default_factory=list)  # damaged run files found on resume (run again)
    stale_lock: dict[str, Any] | None = None  # what a killed process's lock recorded, taken over


class SweepInterrupted(Exception):
    def __init__(self, out: Path, done: int, total: int):
        self.out, self.done, self.total = out, done, total
        super().__init__(f"interrupted with {done} of {total} runs done in {out}; finish it with --resume")


def _manifest(path: Path) -> dict[str, Any]:
    try:
        old = json.loads(read_text_limited(path, what="sweep manifest"))
    except (FileRefused, ValueError):
        old = None
    if not isinstance(old, dict):
        raise ScenarioError([Problem(str(path), None, "--resume", None,
                                     "is damaged or not a mobsim sweep manifest: this folder cannot be resumed; "
                                     "start the sweep again with another --out")])
    return old


def prepare_folder(plan: Plan, out: Path, resume: bool) -> tuple[set[int], list[int]]:
    """Create or reopen a sweep folder; refuse to mix runs of different inputs. Returns the runs done and
    the damaged run files (to run again)."""
    manifest_path = out / "sweep.json"
    if manifest_path.exists():
        if not resume:
            raise ScenarioError([Problem(str(out), None, "--out", str(out),
                                         "this folder already holds a sweep; add --resume to finish it, "
                                         "or choose another --out")])
        old = _manifest(manifest_path)
        if old.get("sweep_sha256") != plan.sha:
            raise ScenarioError([Problem(str(out), None, "--resume", str(out),
                                         "the experiment or its scenario changed since this sweep started "
                                         f"(hash {str(old.get('sweep_sha256', '?'))[:12]} then, {plan.sha[:12]} "
                                         "now); resuming would mix results of different inputs: start a new sweep "
                                         "with another --out")])
        # a process killed part-way through an atomic write leaves its temporary file behind
        remove_temp_files(out / "runs")
        remove_temp_files(out)
        (out / "runs").mkdir(exist_ok=True)
        return scan_runs(out, plan.n_runs)
    if resume and out.exists() and any(p.name != LOCK_NAME for p in out.iterdir()):
        raise ScenarioError([Problem(str(out), None, "--resume", str(out), "no sweep to resume in this folder")])
    (out / "runs").mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "experiment.resolved.yaml",
                      yaml.safe_dump(plan.experiment.spec.model_dump(mode="json"), sort_keys=False))
    atomic_write_text(manifest_path, json.dumps({
        "experiment": plan.experiment.spec.name, "experiment_file": plan.experiment.path,
        "sweep_sha256": plan.sha, "design": plan.design.kind, "points": len(plan.points),
        "replications": plan.replications, "runs": plan.n_runs,
        "point_scenario_sha256": [p.sha for p in plan.points],
    }, indent=2) + "\n")
    return set(), []


def execute_chunk(items: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Several runs in one task: fewer round trips to the workers (a scheduler costs milliseconds a task)."""
    return [execute_run(*a) for a in items]


def chunk_size(n_todo: int, workers: int) -> int:
    """Runs per task: enough tasks (8 a worker) to balance the load, at most 4 runs lost to a crash."""
    return max(1, min(4, n_todo // (8 * max(workers, 1))))


#: times a run is sent again after its worker process died, before it is recorded as failed
MAX_ATTEMPTS = 3


def _worker_init() -> None:
    """Pool workers leave Ctrl-C to the parent, which stops the sweep cleanly (no traceback per worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _pool(jobs: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init)


def _failed(plan: Plan, k: int, error: str) -> dict[str, Any]:
    point, r = plan.run(k)
    return {"run": k, "point": point.index, "replication": r, "seed": point.scenario["seed"], "status": "failed",
            "error": error, "kpis": {}}


def execute(plan: Plan, out: Path, jobs: int = 1, executor: Executor | None = None, resume: bool = False,
            on_run: Callable[[dict[str, Any]], object] | None = None, workers: int | None = None,
            on_start: Callable[[int], object] | None = None, on_stop: Callable[[], object] | None = None,
            lock: bool = True) -> SweepProgress:
    """Run every missing run of the plan, writing each as it finishes; returns what happened.
    `workers`: how many workers `executor` has (sets the runs per task); `on_start(done)` is told how many runs
    a resumed sweep already has; `on_stop()` is called the moment Ctrl-C is heard, before the runs in
    progress are waited for. The folder is locked meanwhile (`lock=False` when the caller holds the lock)."""
    if not lock:
        return _execute(plan, out, jobs, executor, resume, on_run, workers, on_start, on_stop)
    with FolderLock(out, "sweep") as held:
        prog = _execute(plan, out, jobs, executor, resume, on_run, workers, on_start, on_stop)
        prog.stale_lock = held.stale
        return prog


def _execute(plan: Plan, out: Path, jobs: int, executor: Executor | None, resume: bool,
             on_run: Callable[[dict[str, Any]], object] | None, workers: int | None,
             on_start: Callable[[int], object] | None, on_stop: Callable[[], object] | None) -> SweepProgress:
    done, corrupt = prepare_folder(plan, out, resume)
    if on_start:
        on_start(len(done))
    todo = [k for k in range(plan.n_runs) if k not in done]
    prog = SweepProgress(plan.n_runs, len(done), corrupt=corrupt)

    def record(rec: dict[str, Any]) -> None:
        atomic_write_text(run_path(out, rec["run"]), json.dumps(_clean(rec), sort_keys=True) + "\n")
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
    ex: Executor = executor or _pool(jobs)
    n_workers = workers or jobs
    size = chunk_size(len(todo), n_workers)
    queue = deque(todo[i:i + size] for i in range(0, len(todo), size))
    attempts: dict[int, int] = {}
    in_flight: dict[Future, list[int]] = {}

    def harvest(fut: Future, ks: list[int], lost: list[int]) -> None:
        """Record a finished task; a task lost with a dead pool worker goes to `lost`."""
        try:
            recs = fut.result()
        except BrokenProcessPool:
            if own:
                lost.extend(ks)
                return
            recs = [_failed(plan, k, "BrokenProcessPool: a worker process died") for k in ks]
        except Exception as exc:  # the cluster lost it, or the task could not be sent
            recs = [_failed(plan, k, f"{type(exc).__name__}: {exc}") for k in ks]
        for rec in recs:
            record(rec)

    suspects: deque[int] = deque()  # runs lost with a dead worker: run again one at a time
    solo: int | None = None  # the suspect running alone, if any: a crash now is its own
    try:
        while queue or in_flight or suspects:
            if suspects:
                if not in_flight:
                    solo = suspects.popleft()
                    in_flight[submit(ex, execute_chunk, [args(solo)])] = [solo]
            else:
                while queue and len(in_flight) < 4 * n_workers:  # a window: a dead worker loses only these
                    ks = queue.popleft()
                    in_flight[submit(ex, execute_chunk, [args(k) for k in ks])] = ks
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            lost: list[int] = []
            for fut in finished:
                harvest(fut, in_flight.pop(fut), lost)
            if not lost:
                solo = None
                continue
            # a worker process died (killed, out of memory, os._exit): the pool is broken; keep what the
            # others finished, start a new pool, and run the lost runs again, one at a time
            ex.shutdown(wait=True, cancel_futures=True)
            for fut, ks in list(in_flight.items()):
                harvest(fut, ks, lost)
            in_flight.clear()
            ex = _pool(jobs)
            if solo is not None and lost == [solo]:
                attempts[solo] = attempts.get(solo, 0) + 1
                if attempts[solo] >= MAX_ATTEMPTS:
                    record(_failed(plan, solo, f"its worker process died {attempts[solo]} times when it ran "
                                               "alone (BrokenProcessPool)"))
                else:
                    suspects.appendleft(solo)
            else:
                suspects.extend(sorted(lost))
            solo = None
    except KeyboardInterrupt:
        if on_stop:
            on_stop()
        for f in in_flight:
            f.cancel()
        ex.shutdown(wait=True, cancel_futures=True)
        for f, ks in in_flight.items():  # what finished while stopping is kept
            if f.done() and not f.cancelled() and f.exception() is None:
                harvest(f, ks, [])
        raise SweepInterrupted(out, prog.done_before + prog.ran, plan.n_runs) from None
    finally:
        if own:
            ex.shutdown(wait=True, cancel_futures=True)
    return prog
