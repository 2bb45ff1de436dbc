"""Sweep benchmark: N replications of Gaoming through `run_sweep` in process, on a process pool and on Dask.

    .venv/bin/python benchmarks/bench_sweep.py [--runs 200] [--repeats 3] [--quick]

The experiment is written to a temporary folder: the scenario (scenarios/gaoming.yaml by default, an
absolute path), a factorial design with one factor `forces.agencies.team_ratio: [0.2]` (the scenario's own
value) and `replications: N`, so it is one design point of N runs. Every sweep is a full
`sim.output.sweep.run_sweep(experiment_file, out, ...)` call (experiment loading, runs streamed to
`runs/*.json`, tables and plots), timed from outside; its out folder lives in a temporary folder and is
deleted after its `runs.csv` has been hashed. One small untimed sweep first warms up the imports and plots.

Part 1, in process vs process pool: `jobs=1` and `jobs=2`, alternated over repeats (the order flips every
repeat), medians, and the parallel efficiency t1 / (2 x t2) per pair and its median (target >= 0.90). The
run phase alone (start of the call to the last `runs/*.json` written, from file times) is reported too.

Part 2, Dask: a `dask.distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True)` is
started once (start-up time reported separately, plus one small untimed warm-up sweep so the workers have
imported the model), then `run_sweep(..., scheduler=cluster.scheduler_address)` is alternated with the
process pool `jobs=2`; medians and the ratio dask/pool per pair and its median (target within 10 %).

Part 3, memory flatness: the sweep runs in a fresh interpreter (`jobs=2` by default, so the parent only
collects) for two sizes (N/2 and 2N by default); each child reports its own `ru_maxrss` (RUSAGE_SELF: the
sweep's parent process only, not its pool workers) before and after the sweep; a second child per size
reports the tracemalloc peak of the parent during the sweep (forked pool workers stop tracing at once). The
ratios large/small should be near 1.

Every sweep's runs.csv must be byte-identical whatever the executor ("identical: yes/no").
Prints a table and writes JSON to results/bench_sweep.json (or --out). No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import simpy

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without the package installed
    sys.path.insert(0, str(ROOT))

from sim.output.sweep import run_sweep  # noqa: E402

GAOMING = ROOT / "scenarios" / "gaoming.yaml"
DEFAULT_OUT = ROOT / "results" / "bench_sweep.json"
DEFAULT_RUNS = 200
QUICK_RUNS = 20
DEFAULT_REPEATS = 3
FACTOR_KEY = "forces.agencies.team_ratio"
FACTOR_VALUE = 0.2
EFFICIENCY_TARGET = 0.90
DASK_RATIO_TARGET = 1.10
QUIET = 0.05  # a pair is "quiet" when other work took under 5 % of the machine during both its sweeps

# One sweep in a fresh interpreter; prints one JSON line. argv: experiment, out, jobs, trace (0/1).
_MEMORY_CHILD = r"""
import json, os, resource, sys, time, tracemalloc
from sim.output.sweep import run_sweep
exp, out, jobs, trace = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
def rss_now_kib():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rss_now_before = rss_now_kib()
if trace:
    os.register_at_fork(after_in_child=tracemalloc.stop)  # forked pool workers: trace the parent only
    tracemalloc.start()
t = time.perf_counter()
outcome = run_sweep(exp, out, jobs=jobs, progress=False)
wall = time.perf_counter() - t
peak = tracemalloc.get_traced_memory()[1] if trace else None
if trace:
    tracemalloc.stop()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"ru_maxrss_kib": rss, "ru_maxrss_before_sweep_kib": rss_before, "tracemalloc_peak_bytes": peak,
                  "rss_before_sweep_kib": rss_now_before, "rss_after_sweep_kib": rss_now_kib(),
                  "wall_s": wall, "runs": outcome.plan.n_runs, "runs_ran": outcome.progress.ran,
                  "runs_failed": len(outcome.progress.failed)}))
"""


# ---------------------------------------------------------------------------------------------- helpers


def _version(name: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(name)
    except Exception:  # pragma: no cover - informational only
        return None


def machine_info() -> dict:
    info = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpu_model": None,
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "cpu_count": os.cpu_count(),
        "simpy": getattr(simpy, "__version__", None) or _version("simpy"),
        "numpy": np.__version__,
        "dask": _version("dask"),
        "distributed": _version("distributed"),
        "pyarrow": _version("pyarrow"),
        "loadavg": None,
        "git_commit": None,
        "git_dirty": None,
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        info["loadavg"] = list(os.getloadavg())
    except OSError:
        pass
    try:
        info["git_commit"] = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                                            text=True, timeout=10, check=False).stdout.strip() or None
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                                capture_output=True, text=True, timeout=10, check=False)
        info["git_dirty"] = bool(status.stdout.strip()) if status.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def _median(xs: list[float]) -> float:
    return float(statistics.median(xs))


def write_experiment(folder: Path, scenario: Path, runs: int) -> Path:
    """A one-point factorial experiment of `runs` replications of `scenario` (absolute path)."""
    path = folder / f"bench_sweep_{runs}.yaml"
    path.write_text(
        "name: bench_sweep\n"
        f"description: {runs} replications of {scenario.stem} (benchmarks/bench_sweep.py)\n"
        f"scenario: {json.dumps(str(scenario.resolve()))}\n"
        "design: factorial\n"
        f"replications: {runs}\n"
        "factors:\n"
        f"  - key: {FACTOR_KEY}\n"
        f"    values: [{FACTOR_VALUE}]\n",
        encoding="utf-8")
    return path


def machine_busy_cpu_s() -> float | None:
    """CPU seconds all processes on the machine have used since boot (/proc/stat: all but idle and iowait)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    except (OSError, ValueError, IndexError):
        return None
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def own_cpu_s(who: int = resource.RUSAGE_SELF) -> float:
    ru = resource.getrusage(who)
    return ru.ru_utime + ru.ru_stime


class Sweeper:
    """Runs timed sweeps into fresh folders under `tmp`, hashes runs.csv, deletes the folder.

    Beside the wall time it records this process's CPU time (with Dask it hosts the scheduler), that of its
    finished children (the pool workers), when `cluster_cpu` is set that of the Dask cluster's processes,
    and the CPU time the whole machine used meanwhile; what the machine used beyond these is other work
    (`other_share`: its share of cpu_count x wall), which slows the sweep down."""

    def __init__(self, experiment: Path, tmp: Path, runs: int):
        self.experiment, self.tmp, self.runs = experiment, tmp, runs
        self.count = 0
        self.hashes: list[dict[str, Any]] = []
        self.cluster_cpu: Callable[[], float] | None = None

    def __call__(self, label: str, jobs: int = 1, scheduler: str | None = None, record: bool = True) -> dict:
        self.count += 1
        out = self.tmp / f"sweep-{self.count:03d}-{label}"
        gc.collect()
        cluster0 = self.cluster_cpu() if self.cluster_cpu else None
        busy0, cpu0, kids0 = machine_busy_cpu_s(), own_cpu_s(), own_cpu_s(resource.RUSAGE_CHILDREN)
        start_epoch = time.time()
        t = time.perf_counter()
        outcome = run_sweep(self.experiment, out, jobs=jobs, scheduler=scheduler, progress=False)
        wall = time.perf_counter() - t
        busy1, cpu1, kids1 = machine_busy_cpu_s(), own_cpu_s(), own_cpu_s(resource.RUSAGE_CHILDREN)
        cluster1 = self.cluster_cpu() if self.cluster_cpu else None
        run_files = list((out / "runs").glob("*.json"))
        last_write = max(p.stat().st_mtime for p in run_files) if run_files else start_epoch
        runs_csv = (out / "runs.csv").read_bytes()
        res = {
            "label": label,
            "wall_s": wall,
            "run_phase_s": max(0.0, min(wall, last_write - start_epoch)),
            "runs": outcome.plan.n_runs,
            "runs_failed": len(outcome.progress.failed),
            "parent_cpu_s": cpu1 - cpu0,
            "pool_workers_cpu_s": kids1 - kids0,
            "cluster_cpu_s": None if cluster0 is None or cluster1 is None else cluster1 - cluster0,
            "machine_busy_cpu_s": None if busy0 is None or busy1 is None else busy1 - busy0,
            "other_share": None,
            "runs_csv_sha256": hashlib.sha256(runs_csv).hexdigest(),
            "summary_csv_sha256": hashlib.sha256((out / "summary.csv").read_bytes()).hexdigest(),
        }
        if res["machine_busy_cpu_s"] is not None:
            ours = res["parent_cpu_s"] + res["pool_workers_cpu_s"] + (res["cluster_cpu_s"] or 0.0)
            res["other_share"] = max(0.0, res["machine_busy_cpu_s"] - ours) / ((os.cpu_count() or 1) * wall)
        if outcome.plan.n_runs != self.runs or len(run_files) != self.runs:
            raise RuntimeError(f"{label}: expected {self.runs} runs, plan has {outcome.plan.n_runs}, "
                               f"{len(run_files)} run files")
        shutil.rmtree(out, ignore_errors=True)
        if record:
            self.hashes.append({k: res[k] for k in ("label", "runs_csv_sha256", "summary_csv_sha256")})
        return res


# ---------------------------------------------------------------------------------------------- parts


def _cpu_note(res: dict) -> str:
    note = f"CPU parent {res['parent_cpu_s']:.1f} s"
    if res["pool_workers_cpu_s"] > 0.05:
        note += f", pool workers {res['pool_workers_cpu_s']:.1f} s"
    if res["cluster_cpu_s"] is not None:
        note += f", cluster {res['cluster_cpu_s']:.1f} s"
    if res["machine_busy_cpu_s"] is not None:
        avail = (os.cpu_count() or 1) * res["wall_s"]
        note += (f", whole machine {res['machine_busy_cpu_s']:.1f} of {avail:.1f} CPU-s (other work "
                 f"{res['other_share']:.0%})")
    return note


def _other(pair: list[dict]) -> float | None:
    shares = [r["other_share"] for r in pair if r["other_share"] is not None]
    return max(shares) if shares else None


def _quiet_median(values: list[float], others: list[float | None]) -> float | None:
    kept = [v for v, o in zip(values, others) if o is not None and o < QUIET]
    return _median(kept) if kept else None


def _per_sweep(res: dict) -> dict:
    return {k: v for k, v in res.items() if not k.endswith("_sha256")}


def bench_pool(sweep: Sweeper, repeats: int, log: Callable[..., None]) -> dict:
    t1, t2, p1, p2, eff, eff_run, other = [], [], [], [], [], [], []
    sweeps = []
    failed = 0
    for r in range(repeats):
        order = (1, 2) if r % 2 == 0 else (2, 1)
        got = {}
        for jobs in order:
            got[jobs] = sweep(f"jobs{jobs}", jobs=jobs)
            failed += got[jobs]["runs_failed"]
            sweeps.append({"repeat": r, **_per_sweep(got[jobs])})
        a, b = got[1], got[2]
        t1.append(a["wall_s"])
        t2.append(b["wall_s"])
        p1.append(a["run_phase_s"])
        p2.append(b["run_phase_s"])
        eff.append(a["wall_s"] / (2 * b["wall_s"]))
        eff_run.append(a["run_phase_s"] / (2 * b["run_phase_s"]) if b["run_phase_s"] > 0 else float("nan"))
        other.append(_other([a, b]))
        log(f"  repeat {r} (order jobs={order[0]} then jobs={order[1]}): jobs=1 {a['wall_s']:.3f} s "
            f"(run phase {a['run_phase_s']:.3f} s), jobs=2 {b['wall_s']:.3f} s (run phase {b['run_phase_s']:.3f} s); "
            f"efficiency {eff[-1]:.1%} (run phase {eff_run[-1]:.1%})")
        log(f"    jobs=1: {_cpu_note(a)}; jobs=2: {_cpu_note(b)}")
    return {
        "repeats": repeats,
        "jobs1_s": t1,
        "jobs2_s": t2,
        "jobs1_median_s": _median(t1),
        "jobs2_median_s": _median(t2),
        "speedup_median": _median([x / y for x, y in zip(t1, t2)]),
        "efficiency": eff,
        "efficiency_median": _median(eff),
        "efficiency_of_medians": _median(t1) / (2 * _median(t2)),
        "pair_other_share": other,
        "quiet_pairs": sum(o is not None and o < QUIET for o in other),
        "efficiency_median_quiet_pairs": _quiet_median(eff, other),
        "jobs1_run_phase_s": p1,
        "jobs2_run_phase_s": p2,
        "run_phase_efficiency": eff_run,
        "run_phase_efficiency_median": _median(eff_run),
        "tables_and_plots_s_median": _median([w - p for w, p in zip(t1 + t2, p1 + p2)]),
        "runs_failed": failed,
        "efficiency_target": EFFICIENCY_TARGET,
        "meets_target": _median(eff) >= EFFICIENCY_TARGET,
        "sweeps": sweeps,
    }


def bench_dask(sweep: Sweeper, warm_sweep: Sweeper, repeats: int, log: Callable[..., None]) -> dict:
    import logging

    from dask.distributed import LocalCluster

    t = time.perf_counter()
    with warnings.catch_warnings():  # the scheduler's HTTP server moves off port 8787 if another cluster holds it
        warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
    start_s = time.perf_counter() - t
    try:
        import psutil  # a dependency of distributed

        procs = psutil.Process().children(recursive=True)  # the nannies and workers (no pool exists now)

        def cluster_cpu() -> float:
            total = 0.0
            for proc in procs:
                try:
                    c = proc.cpu_times()
                    total += c.user + c.system
                except psutil.Error:
                    pass
            return total

        sweep.cluster_cpu = cluster_cpu
        address = cluster.scheduler_address
        log(f"dask: LocalCluster(n_workers=2, threads_per_worker=1, processes=True) at {address} "
            f"started in {start_s:.3f} s")
        warm = warm_sweep("dask-warmup", scheduler=address, record=False)
        log(f"  warm-up sweep of {warm['runs']} runs on the cluster (untimed): {warm['wall_s']:.3f} s")
        td, tp, pd_, pp, ratios, other = [], [], [], [], [], []
        sweeps = []
        failed = 0
        for r in range(repeats):
            order = ("dask", "pool") if r % 2 == 0 else ("pool", "dask")
            got = {}
            for kind in order:
                got[kind] = sweep("dask", scheduler=address) if kind == "dask" else sweep("jobs2", jobs=2)
                failed += got[kind]["runs_failed"]
                sweeps.append({"repeat": r, **_per_sweep(got[kind])})
            d, p = got["dask"], got["pool"]
            td.append(d["wall_s"])
            tp.append(p["wall_s"])
            pd_.append(d["run_phase_s"])
            pp.append(p["run_phase_s"])
            ratios.append(d["wall_s"] / p["wall_s"])
            other.append(_other([d, p]))
            log(f"  repeat {r} (order {order[0]} then {order[1]}): dask {d['wall_s']:.3f} s "
                f"(run phase {d['run_phase_s']:.3f} s), pool jobs=2 {p['wall_s']:.3f} s "
                f"(run phase {p['run_phase_s']:.3f} s); ratio dask/pool {ratios[-1]:.3f}")
            log(f"    dask: {_cpu_note(d)}; pool: {_cpu_note(p)}")
    finally:
        sweep.cluster_cpu = None
        cluster.close()
    return {
        "cluster": "LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)",
        "cluster_start_s": start_s,
        "warmup_runs": warm["runs"],
        "warmup_s": warm["wall_s"],
        "repeats": repeats,
        "dask_s": td,
        "pool_s": tp,
        "dask_median_s": _median(td),
        "pool_median_s": _median(tp),
        "ratios": ratios,
        "ratio_median": _median(ratios),
        "ratio_of_medians": _median(td) / _median(tp),
        "pair_other_share": other,
        "quiet_pairs": sum(o is not None and o < QUIET for o in other),
        "ratio_median_quiet_pairs": _quiet_median(ratios, other),
        "dask_run_phase_s": pd_,
        "pool_run_phase_s": pp,
        "run_phase_ratio_median": _median([a / b for a, b in zip(pd_, pp)]),
        "runs_failed": failed,
        "ratio_target": DASK_RATIO_TARGET,
        "meets_target": _median(ratios) <= DASK_RATIO_TARGET,
        "parent_cpu_s_median": {"dask": _median([x["parent_cpu_s"] for x in sweeps if x["label"] == "dask"]),
                                "pool": _median([x["parent_cpu_s"] for x in sweeps if x["label"] == "jobs2"])},
        "workers_cpu_s_median": {"dask": _median([x["cluster_cpu_s"] for x in sweeps if x["label"] == "dask"]),
                                 "pool": _median([x["pool_workers_cpu_s"] for x in sweeps
                                                  if x["label"] == "jobs2"])},
        "sweeps": sweeps,
    }


def _child(experiment: Path, out: Path, jobs: int, trace: bool) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    proc = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, str(experiment), str(out), str(jobs),
                           "1" if trace else "0"], cwd=ROOT, capture_output=True, text=True, timeout=3600, env=env,
                          check=False)
    shutil.rmtree(out, ignore_errors=True)
    if proc.returncode != 0:
        raise RuntimeError(f"memory subprocess failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_memory(scenario: Path, tmp: Path, sizes: list[int], jobs: int, log: Callable[..., None]) -> dict:
    rows = []
    for n in sizes:
        exp = write_experiment(tmp, scenario, n)
        plain = _child(exp, tmp / f"mem-{n}", jobs, trace=False)
        traced = _child(exp, tmp / f"mem-{n}-traced", jobs, trace=True)
        row = {
            "runs": n,
            "ru_maxrss_kib": int(plain["ru_maxrss_kib"]),
            "ru_maxrss_mib": plain["ru_maxrss_kib"] / 1024,
            "ru_maxrss_before_sweep_kib": int(plain["ru_maxrss_before_sweep_kib"]),
            "ru_maxrss_growth_kib": int(plain["ru_maxrss_kib"] - plain["ru_maxrss_before_sweep_kib"]),
            "rss_before_sweep_kib": int(plain["rss_before_sweep_kib"]),
            "rss_after_sweep_kib": int(plain["rss_after_sweep_kib"]),
            "wall_s": plain["wall_s"],
            "tracemalloc_peak_bytes": int(traced["tracemalloc_peak_bytes"]),
            "tracemalloc_peak_mib": traced["tracemalloc_peak_bytes"] / 2**20,
            "traced_wall_s": traced["wall_s"],
            "runs_failed": plain["runs_failed"] + traced["runs_failed"],
        }
        rows.append(row)
        log(f"  N={n}: parent ru_maxrss {row['ru_maxrss_mib']:.1f} MiB ({row['ru_maxrss_kib']} KiB; "
            f"{row['ru_maxrss_before_sweep_kib'] / 1024:.1f} MiB before the sweep, growth "
            f"{row['ru_maxrss_growth_kib'] / 1024:.1f} MiB; current RSS {row['rss_before_sweep_kib'] / 1024:.1f} -> "
            f"{row['rss_after_sweep_kib'] / 1024:.1f} MiB), sweep {row['wall_s']:.2f} s; "
            f"tracemalloc peak {row['tracemalloc_peak_mib']:.2f} MiB (traced sweep {row['traced_wall_s']:.2f} s)")
    small, large = rows[0], rows[-1]
    return {
        "jobs": jobs,
        "sizes": sizes,
        "children": rows,
        "rss_ratio": large["ru_maxrss_kib"] / small["ru_maxrss_kib"],
        "rss_after_sweep_ratio": large["rss_after_sweep_kib"] / small["rss_after_sweep_kib"],
        "rss_growth_ratio": (large["ru_maxrss_growth_kib"] / small["ru_maxrss_growth_kib"]
                             if small["ru_maxrss_growth_kib"] > 0 else None),
        "tracemalloc_ratio": large["tracemalloc_peak_bytes"] / small["tracemalloc_peak_bytes"],
        "tracemalloc_bytes_per_extra_run": ((large["tracemalloc_peak_bytes"] - small["tracemalloc_peak_bytes"])
                                            / (large["runs"] - small["runs"]) if large["runs"] != small["runs"]
                                            else None),
    }


# ---------------------------------------------------------------------------------------------- output


def _shares(xs: list[float | None]) -> str:
    return ", ".join("?" if x is None else f"{x:.0%}" for x in xs)


def _fmt_opt(x: float | None, fmt: str, n: int) -> str:
    return "none quiet" if x is None else f"{fmt.format(x)}  ({n} pair{'s' if n != 1 else ''})"


def format_table(out: dict) -> str:
    n = out["config"]["runs"]
    p = out["pool"]
    rows: list[tuple[str, str]] = [
        ("scenario / runs per sweep", f"{Path(out['config']['scenario']).name} / {n}"),
        ("jobs=1 (in process), median", f"{p['jobs1_median_s']:.3f} s  (per repeat: "
                                        + ", ".join(f"{x:.3f}" for x in p["jobs1_s"]) + ")"),
        ("jobs=2 (process pool), median", f"{p['jobs2_median_s']:.3f} s  (per repeat: "
                                          + ", ".join(f"{x:.3f}" for x in p["jobs2_s"]) + ")"),
        ("efficiency t1/(2 t2), per pair", ", ".join(f"{x:.1%}" for x in p["efficiency"])),
        ("efficiency, median", (f"{p['efficiency_median']:.1%}  (target >= {p['efficiency_target']:.0%}: "
                                f"{'met' if p['meets_target'] else 'NOT met'})")),
        ("other work on the machine, per pair", _shares(p["pair_other_share"])),
        (f"efficiency, median of quiet pairs (other < {QUIET:.0%})", _fmt_opt(p["efficiency_median_quiet_pairs"],
                                                                          "{:.1%}", p["quiet_pairs"])),
        ("efficiency, run phase only, median", f"{p['run_phase_efficiency_median']:.1%}  (per pair: "
                                               + ", ".join(f"{x:.1%}" for x in p["run_phase_efficiency"]) + ")"),
        ("tables + plots after the runs, median", f"{p['tables_and_plots_s_median']:.3f} s"),
    ]
    d = out.get("dask")
    if d:
        rows += [
            ("Dask LocalCluster start-up", (f"{d['cluster_start_s']:.3f} s  (+ warm-up sweep of "
                                            f"{d['warmup_runs']} runs {d['warmup_s']:.3f} s)")),
            ("Dask, median", f"{d['dask_median_s']:.3f} s  (per repeat: "
                             + ", ".join(f"{x:.3f}" for x in d["dask_s"]) + ")"),
            ("pool jobs=2 (same part), median", f"{d['pool_median_s']:.3f} s  (per repeat: "
                                                + ", ".join(f"{x:.3f}" for x in d["pool_s"]) + ")"),
            ("ratio dask/pool, per pair", ", ".join(f"{x:.3f}" for x in d["ratios"])),
            ("ratio dask/pool, median", (f"{d['ratio_median']:.3f}  (target <= {d['ratio_target']:.2f}: "
                                         f"{'met' if d['meets_target'] else 'NOT met'})")),
            ("other work on the machine, per pair", _shares(d["pair_other_share"])),
            ("ratio dask/pool, median of quiet pairs", _fmt_opt(d["ratio_median_quiet_pairs"], "{:.3f}",
                                                                 d["quiet_pairs"])),
            ("worker CPU per sweep, dask / pool", (f"{d['workers_cpu_s_median']['dask']:.1f} s / "
                                                   f"{d['workers_cpu_s_median']['pool']:.1f} s (medians); parent "
                                                   f"{d['parent_cpu_s_median']['dask']:.1f} s / "
                                                   f"{d['parent_cpu_s_median']['pool']:.1f} s")),
        ]
    m = out.get("memory")
    if m:
        for c in m["children"]:
            rows.append((f"memory N={c['runs']}: parent ru_maxrss",
                         (f"{c['ru_maxrss_mib']:.1f} MiB (growth during sweep "
                          f"{c['ru_maxrss_growth_kib'] / 1024:.1f} MiB); RSS after "
                          f"{c['rss_after_sweep_kib'] / 1024:.1f} MiB; tracemalloc peak "
                          f"{c['tracemalloc_peak_mib']:.2f} MiB")))
        rows.append((f"memory ratio N={m['sizes'][-1]}/N={m['sizes'][0]}",
                     f"ru_maxrss {m['rss_ratio']:.3f}; RSS after {m['rss_after_sweep_ratio']:.3f}; "
                     f"tracemalloc peak {m['tracemalloc_ratio']:.3f}"
                     + (f" ({m['tracemalloc_bytes_per_extra_run'] / 1024:.1f} KiB per extra run)"
                        if m["tracemalloc_bytes_per_extra_run"] is not None else "")))
    rows.append(("runs.csv identical across executors", "yes" if out["identical"] else "NO"))
    w = max(len(k) for k, _ in rows)
    line = "-" * (w + 2 + max(len(v) for _, v in rows))
    return "\n".join([line] + [f"{k:<{w}}  {v}" for k, v in rows] + [line])


def main(argv: list[str] | None = None, *, out_path: str | Path | None = None, quiet: bool = False) -> dict:
    """Run the benchmark; returns what it writes as JSON. `out_path` overrides --out."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=None, help=f"replications per sweep (default {DEFAULT_RUNS}; "
                                                           f"{QUICK_RUNS} with --quick)")
    ap.add_argument("--repeats", type=int, default=None,
                    help=f"timed repeats (default {DEFAULT_REPEATS}; 1 with --quick)")
    ap.add_argument("--quick", action="store_true", help=f"smoke check: runs={QUICK_RUNS}, repeats=1")
    ap.add_argument("--scenario", default=None, help="scenario file (default scenarios/gaoming.yaml)")
    ap.add_argument("--memory-runs", default=None,
                    help="the two sweep sizes of the memory part, as A,B (default runs/2,2*runs)")
    ap.add_argument("--memory-jobs", type=int, default=2, help="jobs of the memory sweeps (default 2: the "
                                                               "parent only collects)")
    ap.add_argument("--skip-dask", action="store_true", help="leave out the Dask part")
    ap.add_argument("--skip-memory", action="store_true", help="leave out the memory part")
    ap.add_argument("--out", default=None, help=f"JSON output (default {DEFAULT_OUT.relative_to(ROOT)})")
    args = ap.parse_args(argv)

    runs = args.runs if args.runs is not None else (QUICK_RUNS if args.quick else DEFAULT_RUNS)
    repeats = args.repeats if args.repeats is not None else (1 if args.quick else DEFAULT_REPEATS)
    scenario = Path(args.scenario).resolve() if args.scenario else GAOMING
    if args.memory_runs:
        try:
            sizes = sorted(int(x) for x in args.memory_runs.split(","))
        except ValueError:
            ap.error("--memory-runs takes two integers, as 50,200")
        if len(sizes) != 2:
            ap.error("--memory-runs takes two integers, as 50,200")
    else:
        sizes = [max(2, runs // 2), 2 * runs]
    if runs < 1 or repeats < 1 or min(sizes) < 1 or args.memory_jobs < 1:
        ap.error("--runs, --repeats, --memory-runs and --memory-jobs must be positive")
    if not scenario.is_file():
        ap.error(f"scenario not found: {scenario}")
    out_file = Path(out_path or args.out or DEFAULT_OUT)

    log = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    command = shlex.join(sys.orig_argv) if argv is None else f"bench_sweep.main({argv!r})"
    info = machine_info()
    log(f"command: {command}")
    log(f"cwd: {os.getcwd()}")
    log(f"machine: {info['platform']}; {info['cpu_model'] or info['processor'] or info['machine']}; "
        f"os.cpu_count()={info['cpu_count']}; load average {info['loadavg']}")
    log(f"python {info['python']} ({info['python_implementation']}), simpy {info['simpy']}, numpy {info['numpy']}, "
        f"dask {info['dask']}, distributed {info['distributed']}, pyarrow {info['pyarrow']}; "
        f"git {info['git_commit'] and info['git_commit'][:12]}{' (dirty)' if info['git_dirty'] else ''}")
    log(f"runs={runs}, repeats={repeats}, quick={args.quick}, scenario={scenario}, "
        f"dask={'skipped' if args.skip_dask else 'on'}, "
        f"memory={'skipped' if args.skip_memory else f'sizes {sizes}, jobs={args.memory_jobs}'}")

    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_sweep-") as tmpname:
        tmp = Path(tmpname)
        experiment = write_experiment(tmp, scenario, runs)
        log(f"experiment: {runs} replications of {scenario.name}, factor {FACTOR_KEY}: [{FACTOR_VALUE}] "
            f"(temporary file {experiment.name})")
        sweep = Sweeper(experiment, tmp, runs)
        warm_runs = min(runs, 4)
        warm_sweep = Sweeper(write_experiment(tmp, scenario, warm_runs), tmp, warm_runs)
        warm = warm_sweep("warmup", jobs=1, record=False)
        log(f"warm-up sweep of {warm_runs} runs in process (untimed): {warm['wall_s']:.3f} s")

        log(f"part 1: jobs=1 vs jobs=2, {repeats} repeats")
        pool = bench_pool(sweep, repeats, log)
        dask = None
        if not args.skip_dask:
            log(f"part 2: Dask vs process pool jobs=2, {repeats} repeats")
            dask = bench_dask(sweep, warm_sweep, repeats, log)
        memory = None
        if not args.skip_memory:
            log(f"part 3: memory, fresh interpreter per sweep, sizes {sizes}, jobs={args.memory_jobs}")
            memory = bench_memory(scenario, tmp, sizes, args.memory_jobs, log)

    reference = sweep.hashes[0]["runs_csv_sha256"]
    identical = all(h["runs_csv_sha256"] == reference for h in sweep.hashes)
    summary_identical = all(h["summary_csv_sha256"] == sweep.hashes[0]["summary_csv_sha256"] for h in sweep.hashes)
    log(f"runs.csv of {len(sweep.hashes)} sweeps ({', '.join(sorted({h['label'] for h in sweep.hashes}))}) "
        f"sha256 {reference[:16]}...; identical: {'yes' if identical else 'no'} "
        f"(summary.csv identical: {'yes' if summary_identical else 'no'})")
    if not identical:
        for h in sweep.hashes:
            log(f"  {h['label']}: {h['runs_csv_sha256']}")

    out = {
        "command": command,
        "started": started,
        "machine": info,
        "config": {"runs": runs, "repeats": repeats, "quick": args.quick, "scenario": str(scenario),
                   "factor": {FACTOR_KEY: [FACTOR_VALUE]}, "memory_runs": None if args.skip_memory else sizes,
                   "memory_jobs": args.memory_jobs, "skip_dask": args.skip_dask, "skip_memory": args.skip_memory},
        "warmup_s": warm["wall_s"],
        "pool": pool,
        "dask": dask,
        "memory": memory,
        "identical": identical,
        "summary_identical": summary_identical,
        "runs_csv_sha256": sweep.hashes,
    }
    out["total_s"] = time.perf_counter() - t0

    log(format_table(out))
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(json.dumps(out, indent=2) + "\n")
    log(f"wrote {out_file}")
    return out


if __name__ == "__main__":
    main()
