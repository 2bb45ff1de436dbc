"""Core performance benchmark: one Pingcheng replication, and the model against a bare SimPy M/M/c loop.

    .venv/bin/python benchmarks/bench_core.py [--repeats N] [--quick]

Part 1, Pingcheng (scenarios/pingcheng.yaml, 72-hour horizon): model build time, then wall time of
`run_replication(model, r)` for r in range(repeats) in one process (median and min), incidents and SimPy
events per replication, peak RSS of one replication in a fresh interpreter (ru_maxrss), and the tracemalloc
peak of one replication in this process.

Part 2, M/M/c (scenarios/validation/mmc.yaml: lambda = 1/min, mean work 4 min, c = 5, drain kept) sized to
about N incidents (horizon_min = N), timed in alternation with a textbook SimPy M/M/c loop of N customers
(a Resource, an arrival generator, one process per customer). Reports each median, the per-pair ratios
model/bare and their median, and checks the bare loop's (and the model's) mean wait against Erlang C.

Prints a table and writes JSON to results/bench_core.json (or --out). No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import simpy

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without the package installed
    sys.path.insert(0, str(ROOT))

from sim.model import build_model, run_replication  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

PINGCHENG = ROOT / "scenarios" / "pingcheng.yaml"
MMC = ROOT / "scenarios" / "validation" / "mmc.yaml"
DEFAULT_OUT = ROOT / "results" / "bench_core.json"

# M/M/c parameters, as in scenarios/validation/mmc.yaml (set explicitly through overrides as well).
MMC_LAMBDA = 1.0  # arrivals per minute (60 per hour)
MMC_MEAN_WORK = 4.0  # minutes, mu = 0.25 per minute
MMC_C = 5
DEFAULT_MMC_CUSTOMERS = 200_000
QUICK_MMC_CUSTOMERS = 20_000
DEFAULT_REPEATS = 5

# Peak RSS of one Pingcheng replication in a fresh interpreter. Prints one JSON line.
_RSS_CHILD = r"""
import json, resource, sys, time
from sim.scenario import load_scenario
from sim.model import build_model, run_replication
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
model = build_model(load_scenario(sys.argv[1]))
rss_built = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
res = run_replication(model, 0)
wall = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"ru_maxrss_kib": rss, "ru_maxrss_after_imports_kib": rss0,
                  "ru_maxrss_after_build_kib": rss_built, "wall_s": wall,
                  "incidents": int(len(res.incidents["onset_min"])), "n_events": int(res.n_events)}))
"""


# ---------------------------------------------------------------------------------------------- helpers


def machine_info() -> dict:
    info = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpu_model": None,
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "cpu_count": os.cpu_count(),
        "simpy": simpy.__version__ if hasattr(simpy, "__version__") else None,
        "numpy": np.__version__,
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
    if info["simpy"] is None:
        try:
            from importlib.metadata import version

            info["simpy"] = version("simpy")
        except Exception:  # pragma: no cover - informational only
            pass
    try:
        info["git_commit"] = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                                            text=True, timeout=10).stdout.strip() or None
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                                capture_output=True, text=True, timeout=10)
        info["git_dirty"] = bool(status.stdout.strip()) if status.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def timed(fn, *args):
    """(seconds, result) of one call, after a full collection so earlier garbage is not charged to it."""
    gc.collect()
    t = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t, out


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean time in queue (Wq) of an M/M/c queue, by Erlang's C formula."""
    a = lam / mu
    rho = a / c
    if rho >= 1:
        return math.inf
    head = sum(a**k / math.factorial(k) for k in range(c))
    tail = a**c / math.factorial(c) / (1 - rho)
    prob_wait = tail / (head + tail)
    return prob_wait / (c * mu - lam)


def bare_mmc(n: int, seed: int, lam: float = MMC_LAMBDA, mean_work: float = MMC_MEAN_WORK,
             c: int = MMC_C) -> np.ndarray:
    """The textbook SimPy M/M/c: n customers, pregenerated exponential times; returns each customer's wait."""
    rng = np.random.default_rng(seed)
    inter = rng.exponential(1.0 / lam, n).tolist()
    service = rng.exponential(mean_work, n).tolist()
    waits = [0.0] * n
    env = simpy.Environment()
    res = simpy.Resource(env, capacity=c)

    def customer(i):
        arrive = env.now
        with res.request() as req:
            yield req
            waits[i] = env.now - arrive
            yield env.timeout(service[i])

    def arrivals():
        for i in range(n):
            yield env.timeout(inter[i])
            env.process(customer(i))

    env.process(arrivals())
    env.run()
    return np.asarray(waits)


def mmc_overrides(customers: int) -> list[str]:
    # rate 60/h = 1 per minute, so horizon_min = customers gives about `customers` incidents; drain kept.
    return [f"horizon_min={customers}",
            f"incidents.background.rate_per_hour={MMC_LAMBDA * 60:g}",
            f"incidents.classes.complex.work_mean_min={MMC_MEAN_WORK:g}",
            f"forces.grid_workers.full_time={MMC_C}"]


def _median(xs):
    return float(statistics.median(xs))


# ---------------------------------------------------------------------------------------------- parts


def bench_pingcheng(repeats: int, log) -> dict:
    t = time.perf_counter()
    loaded = load_scenario(PINGCHENG)
    load_s = time.perf_counter() - t
    build_s, model = timed(build_model, loaded)
    sc = loaded.scenario
    log(f"pingcheng: loaded in {load_s:.3f} s, model built in {build_s:.3f} s; "
        f"horizon {sc.horizon_min:g} min + drain {sc.drain_min:g} min")

    times, incidents, events = [], [], []
    for r in range(repeats):
        dt, res = timed(run_replication, model, r)
        times.append(dt)
        incidents.append(int(len(res.incidents["onset_min"])))
        events.append(int(res.n_events))
        del res
        log(f"  replication {r}: {dt:.3f} s, {incidents[-1]} incidents, {events[-1]} events")

    # tracemalloc peak of one replication in this process (the model is already built).
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    res = run_replication(model, 0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del res
    trace_peak = peak - base

    # peak RSS of one replication in a fresh interpreter.
    proc = subprocess.run([sys.executable, "-c", _RSS_CHILD, str(PINGCHENG)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(
                              p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)})
    if proc.returncode != 0:
        raise RuntimeError(f"peak-RSS subprocess failed:\n{proc.stderr}")
    child = json.loads(proc.stdout.strip().splitlines()[-1])
    log(f"  fresh process: ru_maxrss {child['ru_maxrss_kib']} KiB; tracemalloc peak {trace_peak} B")

    return {
        "scenario": str(PINGCHENG.relative_to(ROOT)),
        "horizon_min": float(sc.horizon_min),
        "drain_min": float(sc.drain_min),
        "repeats": repeats,
        "load_s": load_s,
        "build_s": build_s,
        "replication_s": times,
        "median_s": _median(times),
        "min_s": float(min(times)),
        "incidents_per_replication": incidents,
        "incidents_median": _median(incidents),
        "events_per_replication": events,
        "events_median": _median(events),
        "peak_rss_kib": int(child["ru_maxrss_kib"]),
        "peak_rss_mib": child["ru_maxrss_kib"] / 1024,
        "peak_rss_after_imports_kib": int(child["ru_maxrss_after_imports_kib"]),
        "peak_rss_after_build_kib": int(child["ru_maxrss_after_build_kib"]),
        "peak_rss_child_wall_s": float(child["wall_s"]),
        "tracemalloc_peak_bytes": int(trace_peak),
        "tracemalloc_peak_mib": trace_peak / 2**20,
    }


def bench_mmc(repeats: int, customers: int, log) -> dict:
    overrides = mmc_overrides(customers)
    loaded = load_scenario(MMC, overrides=overrides)
    build_s, model = timed(build_model, loaded)
    log(f"mmc: {customers} customers, overrides {overrides}; model built in {build_s:.3f} s")

    model_s, bare_s, ratios = [], [], []
    model_inc, model_events, model_waits, bare_waits = [], [], [], []
    for r in range(repeats):
        dt_m, res = timed(run_replication, model, r)
        inc = res.incidents
        model_inc.append(int(len(inc["onset_min"])))
        model_events.append(int(res.n_events))
        model_waits.append(float(np.nanmean(inc["dispatched_min"] - inc["onset_min"])))
        del res, inc
        dt_b, waits = timed(bare_mmc, customers, r)
        bare_waits.append(float(waits.mean()))
        del waits
        model_s.append(dt_m)
        bare_s.append(dt_b)
        ratios.append(dt_m / dt_b)
        log(f"  pair {r}: model {dt_m:.3f} s ({model_inc[-1]} incidents), bare {dt_b:.3f} s, "
            f"ratio {dt_m / dt_b:.2f}")

    wq = erlang_c_wait(MMC_LAMBDA, 1.0 / MMC_MEAN_WORK, MMC_C)
    bare_wait = float(np.mean(bare_waits))
    model_wait = float(np.mean(model_waits))
    per_model = [t / n * 1e6 for t, n in zip(model_s, model_inc)]
    per_bare = [t / customers * 1e6 for t in bare_s]
    return {
        "scenario": str(MMC.relative_to(ROOT)),
        "overrides": overrides,
        "customers": customers,
        "lambda_per_min": MMC_LAMBDA,
        "mu_per_min": 1.0 / MMC_MEAN_WORK,
        "c": MMC_C,
        "repeats": repeats,
        "build_s": build_s,
        "model_s": model_s,
        "bare_s": bare_s,
        "model_median_s": _median(model_s),
        "bare_median_s": _median(bare_s),
        "ratios": ratios,
        "ratio_median": _median(ratios),
        "ratio_of_medians": _median(model_s) / _median(bare_s),
        "model_us_per_incident_median": _median(per_model),
        "bare_us_per_customer_median": _median(per_bare),
        "model_incidents": model_inc,
        "model_events": model_events,
        "erlang_c_wait_min": wq,
        "bare_mean_wait_min": bare_wait,
        "bare_mean_wait_per_repeat": bare_waits,
        "bare_wait_rel_error": bare_wait / wq - 1,
        "model_mean_wait_min": model_wait,
        "model_mean_wait_per_repeat": model_waits,
        "model_wait_rel_error": model_wait / wq - 1,
    }


# ---------------------------------------------------------------------------------------------- output


def format_table(out: dict) -> str:
    rows: list[tuple[str, str]] = []
    p = out.get("pingcheng")
    if p:
        rows += [
            ("Pingcheng model build", f"{p['build_s']:.3f} s"),
            ("Pingcheng replication, median", f"{p['median_s']:.3f} s  (72 h horizon, n={p['repeats']})"),
            ("Pingcheng replication, min", f"{p['min_s']:.3f} s"),
            ("Pingcheng incidents / replication", f"{p['incidents_median']:g} (median)"),
            ("Pingcheng SimPy events / replication", f"{p['events_median']:g} (median)"),
            ("Pingcheng peak RSS, fresh process", f"{p['peak_rss_mib']:.1f} MiB ({p['peak_rss_kib']} KiB);"
                                                  f" after build {p['peak_rss_after_build_kib'] / 1024:.1f} MiB"),
            ("Pingcheng tracemalloc peak, 1 repl.", f"{p['tracemalloc_peak_mib']:.1f} MiB"),
        ]
    m = out["mmc"]
    rows += [
        ("M/M/c customers", f"{m['customers']}  (lambda=1/min, mu=0.25/min, c=5)"),
        ("M/M/c model, median", f"{m['model_median_s']:.3f} s  ({m['model_us_per_incident_median']:.1f} us/incident)"),
        ("M/M/c bare SimPy, median", f"{m['bare_median_s']:.3f} s  ({m['bare_us_per_customer_median']:.1f} us/customer)"),
        ("M/M/c ratio model/bare, per pair", ", ".join(f"{r:.2f}" for r in m["ratios"])),
        ("M/M/c ratio model/bare, median", f"{m['ratio_median']:.2f}"),
        ("M/M/c mean wait, Erlang C", f"{m['erlang_c_wait_min']:.4f} min"),
        ("M/M/c mean wait, bare loop", f"{m['bare_mean_wait_min']:.4f} min ({m['bare_wait_rel_error']:+.1%})"),
        ("M/M/c mean wait, model", f"{m['model_mean_wait_min']:.4f} min ({m['model_wait_rel_error']:+.1%})"),
    ]
    w = max(len(k) for k, _ in rows)
    line = "-" * (w + 2 + max(len(v) for _, v in rows))
    return "\n".join([line] + [f"{k:<{w}}  {v}" for k, v in rows] + [line])


def main(argv: list[str] | None = None, *, mmc_customers: int | None = None, skip_pingcheng: bool | None = None,
         out_path: str | Path | None = None, quiet: bool = False) -> dict:
    """Run the benchmark; returns what it writes as JSON. Keyword arguments override the command line."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=None, help=f"timed repeats (default {DEFAULT_REPEATS}; 1 with --quick)")
    ap.add_argument("--quick", action="store_true", help=f"smoke check: repeats=1, {QUICK_MMC_CUSTOMERS} M/M/c customers")
    ap.add_argument("--mmc-customers", type=int, default=None,
                    help=f"M/M/c size (default {DEFAULT_MMC_CUSTOMERS}; {QUICK_MMC_CUSTOMERS} with --quick)")
    ap.add_argument("--skip-pingcheng", action="store_true", help="only the M/M/c part")
    ap.add_argument("--out", default=None, help=f"JSON output (default {DEFAULT_OUT.relative_to(ROOT)})")
    args = ap.parse_args(argv)

    repeats = args.repeats if args.repeats is not None else (1 if args.quick else DEFAULT_REPEATS)
    customers = mmc_customers or args.mmc_customers or (QUICK_MMC_CUSTOMERS if args.quick else DEFAULT_MMC_CUSTOMERS)
    skip = args.skip_pingcheng if skip_pingcheng is None else skip_pingcheng
    out_file = Path(out_path or args.out or DEFAULT_OUT)
    if repeats < 1 or customers < 1:
        ap.error("--repeats and --mmc-customers must be positive")

    log = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    command = shlex.join(sys.orig_argv) if argv is None else f"bench_core.main({argv!r})"
    info = machine_info()
    log(f"command: {command}")
    log(f"cwd: {os.getcwd()}")
    log(f"machine: {info['platform']}; {info['cpu_model'] or info['processor'] or info['machine']}; "
        f"os.cpu_count()={info['cpu_count']}")
    log(f"python {info['python']} ({info['python_implementation']}), simpy {info['simpy']}, numpy {info['numpy']}; "
        f"git {info['git_commit'] and info['git_commit'][:12]}{' (dirty)' if info['git_dirty'] else ''}")
    log(f"repeats={repeats}, quick={args.quick}, mmc_customers={customers}, pingcheng={'skipped' if skip else 'on'}")

    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    t0 = time.perf_counter()
    out = {
        "command": command,
        "started": started,
        "machine": info,
        "config": {"repeats": repeats, "quick": args.quick, "mmc_customers": customers, "skip_pingcheng": skip},
        "pingcheng": None if skip else bench_pingcheng(repeats, log),
        "mmc": bench_mmc(repeats, customers, log),
    }
    out["total_s"] = time.perf_counter() - t0

    log(format_table(out))
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(json.dumps(out, indent=2) + "\n")
    log(f"wrote {out_file}")
    return out


if __name__ == "__main__":
    main()
