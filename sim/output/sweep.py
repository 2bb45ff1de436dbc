"""`mobsim sweep` as a function: run an experiment, then write its tables (CSV and Parquet) and plots.

The tables are built from the run files on disk, in run-index order, so the parent process never holds
more than one design point's numbers at a time beyond the summary.
"""

from __future__ import annotations

import csv
import json
import sys
import time
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from sim.experiment import mean_ci
from sim.experiment.kpis import kpi_names
from sim.experiment.manifest import git_commit, package_versions
from sim.experiment.spec import LoadedExperiment, load_experiment
from sim.experiment.sweep import Plan, SweepProgress, execute, make_plan, read_runs
from sim.output import sweep_plots
from sim.output.report import write_report
from sim.output.tables import write_json


@dataclass
class SweepOutcome:
    out: Path
    plan: Plan
    progress: SweepProgress
    summary: list[dict[str, Any]]
    sobol: dict[str, Any] | None


def _cell(x: Any) -> Any:
    if isinstance(x, (list, dict)):
        return json.dumps(x)
    return x


def _fmt(x: Any) -> str:
    if x is None:
        return ""
    if isinstance(x, float):
        return "" if x != x else f"{x:.6g}"
    return str(_cell(x))


def write_table(out: Path, name: str, rows: list[dict[str, Any]], columns: list[str]) -> None:
    with open(out / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([_fmt(r.get(c)) for c in columns])
    data = {}
    for c in columns:
        vals = [_cell(r.get(c)) for r in rows]
        if all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in vals):
            # undefined values are null, as they are empty in the CSV
            data[c] = pa.array([None if v is None or v != v else float(v) for v in vals], type=pa.float64())
        else:
            data[c] = pa.array([None if v is None else str(v) for v in vals], type=pa.string())
    pq.write_table(pa.table(data), out / f"{name}.parquet")


def collect(plan: Plan, out: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The runs table and the per-point summary, from the run files."""
    keys = plan.design.keys
    names = kpi_names()
    runs: list[dict[str, Any]] = []
    per_point: dict[int, list[dict[str, Any]]] = {}
    for rec in read_runs(out, plan.n_runs):
        point = plan.points[rec["point"]]
        row = {"run": rec["run"], "point": rec["point"], "replication": rec["replication"], "seed": rec["seed"],
               **point.values, "status": rec["status"], "error": rec["error"] or ""}
        for k in names:
            v = rec["kpis"].get(k)
            row[k] = float("nan") if v is None else v
        runs.append(row)
        per_point.setdefault(rec["point"], []).append(row)
    summary = []
    for p in plan.points:
        rows = [r for r in per_point.get(p.index, []) if r["status"] == "ok"]
        srow: dict[str, Any] = {"point": p.index, **p.values, "runs_ok": len(rows),
                                "runs_failed": len(per_point.get(p.index, [])) - len(rows)}
        for k in names:
            m, lo, hi = mean_ci([r[k] for r in rows])
            srow[k] = m
            srow[f"{k}.ci95_low"] = lo
            srow[f"{k}.ci95_high"] = hi
        summary.append(srow)
    del keys
    return runs, summary


def sobol_table(plan: Plan, summary: list[dict[str, Any]], kpis: list[str]) -> dict[str, Any]:
    """First-order and total Sobol indices per KPI with bootstrap 95 % intervals (scipy.stats.sobol_indices)."""
    from scipy.stats import sobol_indices

    n, d = plan.design.sobol_n, len(plan.design.keys)
    assert n is not None
    out: dict[str, Any] = {}
    for kpi in kpis:
        y = np.array([s[kpi] for s in summary], dtype=float)
        if not np.isfinite(y).all() or np.std(y) == 0:
            out[kpi] = {"note": "not computed: the KPI is undefined at some design point or does not vary"}
            continue
        f = {"f_A": y[:n].reshape(1, n), "f_B": y[n:2 * n].reshape(1, n), "f_AB": y[2 * n:].reshape(d, 1, n)}
        with warnings.catch_warnings():  # degenerate bootstrap samples of an inert factor give null intervals
            warnings.simplefilter("ignore")
            try:
                res = sobol_indices(func=f, n=n, rng=np.random.default_rng(plan.experiment.spec.design_seed))
            except TypeError:  # scipy before 1.15
                res = sobol_indices(func=f, n=n,
                                    random_state=np.random.default_rng(plan.experiment.spec.design_seed))
            boot = res.bootstrap(confidence_level=0.95, n_resamples=999)
        rows = []
        for i, key in enumerate(plan.design.keys):
            rows.append({
                "factor": key,
                "first_order": float(np.atleast_1d(res.first_order)[i]),
                "first_order_ci95_low": float(np.atleast_1d(boot.first_order.confidence_interval.low)[i]),
                "first_order_ci95_high": float(np.atleast_1d(boot.first_order.confidence_interval.high)[i]),
                "total_order": float(np.atleast_1d(res.total_order)[i]),
                "total_order_ci95_low": float(np.atleast_1d(boot.total_order.confidence_interval.low)[i]),
                "total_order_ci95_high": float(np.atleast_1d(boot.total_order.confidence_interval.high)[i]),
            })
        out[kpi] = {"indices": rows}
    return out


def default_sweep_dir(name: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("results") / f"{name}-sweep-{stamp}"


def run_sweep(experiment: str | Path | LoadedExperiment, out: str | Path | None = None, jobs: int = 1,
              scheduler: str | None = None, resume: bool = False, progress: bool = True) -> SweepOutcome:
    """Run (or finish) a sweep and write its tables and plots. `scheduler`: a Dask scheduler address."""
    t0 = time.perf_counter()
    exp = experiment if isinstance(experiment, LoadedExperiment) else load_experiment(experiment)
    plan = make_plan(exp)
    out_dir = Path(out) if out else default_sweep_dir(exp.spec.name)
    bar = tqdm(total=plan.n_runs, desc=f"{exp.spec.name}: runs", unit="run", file=sys.stderr,
               disable=not progress, smoothing=0.1)
    client = None
    executor = None
    workers = jobs
    if scheduler:
        from dask.distributed import Client

        client = Client(scheduler)
        executor = client.get_executor()
        workers = sum(client.nthreads().values())
    try:
        prog = execute(plan, out_dir, jobs=jobs, executor=executor, resume=resume, on_run=lambda _r: bar.update(1),
                       workers=workers)
    finally:
        bar.close()
        if client is not None:
            client.close()
    runs, summary = collect(plan, out_dir)
    keys = plan.design.keys
    names = kpi_names()
    write_table(out_dir, "runs", runs,
                ["run", "point", "replication", "seed", *keys, "status", "error", *names])
    write_table(out_dir, "summary", summary,
                ["point", *keys, "runs_ok", "runs_failed",
                 *[c for k in names for c in (k, f"{k}.ci95_low", f"{k}.ci95_high")]])
    sobol = None
    if plan.design.kind == "sobol":
        sobol = sobol_table(plan, summary, exp.spec.kpis)
        write_json(out_dir / "sobol.json", sobol)
        sweep_plots.sobol_bars(out_dir, sobol)
    else:
        sweep_plots.kpi_by_factor(out_dir, plan.design, summary, exp.spec.kpis)
    manifest = json.loads((out_dir / "sweep.json").read_text(encoding="utf-8"))
    failed = [{"run": r["run"], "error": r["error"]} for r in runs if r["status"] != "ok"]
    manifest.update({
        "runs_ok": sum(r["status"] == "ok" for r in runs), "runs_failed": len(failed), "failed": failed,
        "runs_done_this_call": prog.ran, "runs_done_before": prog.done_before, "jobs": jobs,
        "executor": "dask" if scheduler else ("process pool" if jobs > 1 else "in process"),
        "versions": package_versions(), "git_commit": git_commit(),
        "finished_at": datetime.now().isoformat(timespec="seconds"),
        "wall_seconds_this_call": round(time.perf_counter() - t0, 3),
    })
    write_json(out_dir / "sweep.json", manifest)
    write_report(out_dir)
    return SweepOutcome(out_dir, plan, prog, summary, sobol)


def sweep_text(outcome: SweepOutcome, max_points: int = 30) -> str:
    """Per design point: the factor values and the experiment's KPIs with 95 % CIs."""
    spec = outcome.plan.experiment.spec
    keys = outcome.plan.design.keys
    lines = [f"sweep {spec.name}: {len(outcome.plan.points)} design points x {spec.replications} replications"
             f" = {outcome.plan.n_runs} runs ({outcome.progress.done_before} done before, "
             f"{outcome.progress.ran} now, {len(outcome.progress.failed)} failed)"]
    if outcome.sobol is not None:
        for kpi, res in outcome.sobol.items():
            lines.append(f"Sobol indices of {kpi}:")
            if "indices" not in res:
                lines.append(f"  {res['note']}")
                continue
            for r in res["indices"]:
                lines.append(f"  {r['factor']:<44} first {r['first_order']:6.3f} "
                             f"[{r['first_order_ci95_low']:6.3f}, {r['first_order_ci95_high']:6.3f}]  total "
                             f"{r['total_order']:6.3f} [{r['total_order_ci95_low']:6.3f}, "
                             f"{r['total_order_ci95_high']:6.3f}]")
    else:
        short = [k.split(".")[-1] for k in keys]
        lines.append("  ".join(f"{s:>16}" for s in short) + "  " + "  ".join(f"{k:>30}" for k in spec.kpis))
        for s in outcome.summary[:max_points]:
            vals = "  ".join(f"{_fmt(s[k]):>16}" for k in keys)
            kp = "  ".join(f"{_fmt(s[k]):>9} [{_fmt(s[f'{k}.ci95_low'])}, {_fmt(s[f'{k}.ci95_high'])}]".rjust(30)
                           for k in spec.kpis)
            lines.append(f"{vals}  {kp}")
        if len(outcome.summary) > max_points:
            lines.append(f"... {len(outcome.summary) - max_points} more points in summary.csv")
    lines.append(f"results: {outcome.out}")
    return "\n".join(lines)
