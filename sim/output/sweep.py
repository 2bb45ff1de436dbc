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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from sim.errors import Problem, ScenarioError
from sim.experiment import mean_ci
from sim.experiment.kpis import kpi_names
from sim.experiment.manifest import git_commit, package_versions
from sim.experiment.spec import LoadedExperiment, load_experiment
from sim.experiment.sweep import Plan, SweepProgress, execute, make_plan, read_runs
from sim.files import AtomicFile, FolderLock, read_text_limited, slug
from sim.output import sweep_plots
from sim.output.frames import read_frame
from sim.output.labels import Lang
from sim.output.report import write_report
from sim.output.tables import write_json


@dataclass
class SweepOutcome:
    """A finished sweep: `summary` one dict per design point; `.summary_frame` and `.runs` as DataFrames."""

    out: Path
    plan: Plan
    progress: SweepProgress
    summary: list[dict[str, Any]]
    sobol: dict[str, Any] | None
    lang: Lang = "en"

    @property
    def summary_frame(self) -> Any:

        return read_frame(self.out / "summary.csv")

    @property
    def runs(self) -> Any:

        return read_frame(self.out / "runs.csv")


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


class TableWriter:
    """A table written as it grows, to CSV and to Parquet in row groups, so a sweep of any size streams
    from its run files to its tables without holding them in memory."""

    def __init__(self, out: Path, name: str, columns: list[str], text: set[str], batch: int = 2000):
        self.columns, self.text, self.size = columns, text, batch
        self.files = [AtomicFile(out / f"{name}.csv", newline="")]
        try:
            self.files.append(AtomicFile(out / f"{name}.parquet", binary=True))
            self.csv = csv.writer(self.files[0].fh, lineterminator="\n")
            self.csv.writerow(columns)
            self.schema = pa.schema([(c, pa.string() if c in text else pa.float64()) for c in columns])
            self.parquet = pq.ParquetWriter(self.files[1].fh, self.schema)
        except BaseException:
            self.abort()
            raise
        self.rows: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        self.csv.writerow([_fmt(row.get(c)) for c in self.columns])
        self.rows.append(row)
        if len(self.rows) >= self.size:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        arrays = []
        for c in self.columns:
            vals = [_cell(r.get(c)) for r in self.rows]
            if c in self.text:
                arrays.append(pa.array([None if v is None else str(v) for v in vals], type=pa.string()))
            else:  # undefined values are null, as they are empty in the CSV
                arrays.append(pa.array([None if v is None or v != v else float(v) for v in vals], type=pa.float64()))
        self.parquet.write_batch(pa.record_batch(arrays, schema=self.schema))
        self.rows = []

    def close(self) -> None:
        """Both files renamed into place, whole; on any failure neither is left half-written."""
        try:
            self.flush()
            self.parquet.close()
            for f in self.files:
                f.commit()
        except BaseException:
            self.abort()  # the file not yet renamed goes; one already in place is whole
            raise

    def abort(self) -> None:
        for f in self.files:
            f.abort()


def _text_factors(plan: Plan) -> set[str]:
    return {k for k in plan.design.keys
            if not all(isinstance(p.values[k], (int, float)) and not isinstance(p.values[k], bool)
                       for p in plan.points)}


def collect(plan: Plan, out: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Stream the run files (in run-index order, so point by point) into runs.csv/.parquet; return the
    failed runs (run, error) and the per-point summary (one row a design point)."""
    keys = plan.design.keys
    names = kpi_names()
    text = _text_factors(plan)
    runs = TableWriter(out, "runs", ["run", "point", "replication", "seed", *keys, "status", "error", *names],
                       text | {"status", "error"})
    summary = []
    failed: list[dict[str, Any]] = []
    records = iter(read_runs(out, plan.n_runs))
    pending = next(records, None)
    try:
        for p in plan.points:
            ok: list[dict[str, Any]] = []
            n = 0
            while pending is not None and pending["point"] == p.index:
                rec = pending
                row = {"run": rec["run"], "point": rec["point"], "replication": rec["replication"],
                       "seed": rec["seed"], **p.values, "status": rec["status"], "error": rec["error"] or ""}
                for k in names:
                    v = rec["kpis"].get(k)
                    row[k] = float("nan") if v is None else v
                runs.add(row)
                n += 1
                if rec["status"] == "ok":
                    ok.append({k: row[k] for k in names})
                else:
                    failed.append({"run": rec["run"], "error": rec["error"]})
                pending = next(records, None)
            srow: dict[str, Any] = {"point": p.index, **p.values, "runs_ok": len(ok), "runs_failed": n - len(ok)}
            for k in names:
                m, lo, hi = mean_ci([r[k] for r in ok])
                srow[k] = m
                srow[f"{k}.ci95_low"] = lo
                srow[f"{k}.ci95_high"] = hi
            summary.append(srow)
    except BaseException:
        runs.abort()
        raise
    runs.close()
    return failed, summary


def _sobol(f: dict[str, np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    from scipy.stats import sobol_indices

    res = sobol_indices(func=f, n=n)  # with given evaluations nothing is sampled: no random state used
    return np.atleast_1d(res.first_order), np.atleast_1d(res.total_order)


def sobol_table(plan: Plan, summary: list[dict[str, Any]], kpis: list[str]) -> dict[str, Any]:
    """First-order and total Sobol indices per KPI (scipy.stats.sobol_indices on the design point means) with
    95 % percentile-bootstrap intervals over the n base samples, seeded by `design_seed` so the same sweep
    gives the same intervals (scipy's own SobolResult.bootstrap cannot be seeded)."""
    from scipy.stats import bootstrap

    n, d = plan.design.sobol_n, len(plan.design.keys)
    assert n is not None
    out: dict[str, Any] = {}
    for kpi in kpis:
        y = np.array([s[kpi] for s in summary], dtype=float)
        if not np.isfinite(y).all() or np.std(y) == 0:
            out[kpi] = {"note": "not computed: the KPI is undefined at some design point or does not vary"}
            continue
        f = {"f_A": y[:n].reshape(1, n), "f_B": y[n:2 * n].reshape(1, n), "f_AB": y[2 * n:].reshape(d, 1, n)}
        first, total = _sobol(f, n)

        def statistic(idx: np.ndarray) -> np.ndarray:
            idx = idx.astype(int)
            a, b = _sobol({"f_A": f["f_A"][:, idx], "f_B": f["f_B"][:, idx],  # noqa: B023 (used at once)
                           "f_AB": f["f_AB"][..., idx]}, n)  # noqa: B023
            return np.concatenate([a, b])

        rng = np.random.default_rng(plan.experiment.spec.design_seed)
        kw = dict(statistic=statistic, method="percentile", n_resamples=999, confidence_level=0.95,
                  vectorized=False)
        with warnings.catch_warnings():  # resamples of an inert factor can be degenerate: null intervals
            warnings.simplefilter("ignore")
            try:
                ci = bootstrap((np.arange(n, dtype=float),), rng=rng, **kw).confidence_interval
            except TypeError:  # scipy before 1.15
                ci = bootstrap((np.arange(n, dtype=float),), random_state=rng, **kw).confidence_interval
        rows = []
        for i, key in enumerate(plan.design.keys):
            rows.append({
                "factor": key,
                "first_order": float(first[i]),
                "first_order_ci95_low": float(ci.low[i]),
                "first_order_ci95_high": float(ci.high[i]),
                "total_order": float(total[i]),
                "total_order_ci95_low": float(ci.low[d + i]),
                "total_order_ci95_high": float(ci.high[d + i]),
            })
        out[kpi] = {"indices": rows}
    return out


def default_sweep_dir(name: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("results") / f"{slug(name, 'experiment')}-sweep-{stamp}"


def run_sweep(experiment: str | Path | LoadedExperiment, out: str | Path | None = None, jobs: int = 1,
              scheduler: str | None = None, resume: bool = False, progress: bool = True, lang: Lang | None = None,
              on_stop: Callable[[], object] | None = None) -> SweepOutcome:
    """Run (or finish) a sweep and write its tables and plots. `scheduler`: a Dask scheduler address; `lang`:
    the language of the report and plots (default: the base scenario's); `on_stop`: called at once on Ctrl-C."""
    t0 = time.perf_counter()
    exp = experiment if isinstance(experiment, LoadedExperiment) else load_experiment(experiment)
    plan = make_plan(exp)
    lang = lang or plan.points[0].scenario.get("lang", "en")
    out_dir = Path(out) if out else default_sweep_dir(exp.spec.name)
    with FolderLock(out_dir, "sweep") as held:  # one sweep or resume at a time, tables included
        outcome = _sweep(exp, plan, out_dir, jobs, scheduler, resume, progress, t0, lang, on_stop)
        outcome.progress.stale_lock = held.stale
        return outcome


def _connect(scheduler: str) -> Any:
    from dask.distributed import Client

    try:
        return Client(scheduler)
    except (OSError, ValueError, TypeError) as exc:
        raise ScenarioError([Problem("--scheduler", None, "--scheduler", scheduler,
                                     f"cannot connect to a Dask scheduler there ({type(exc).__name__}: {exc})")]) \
            from None


def _sweep(exp: LoadedExperiment, plan: Plan, out_dir: Path, jobs: int, scheduler: str | None, resume: bool,
           progress: bool, t0: float, lang: Lang, on_stop: Callable[[], object] | None) -> SweepOutcome:
    bar = tqdm(total=plan.n_runs, desc=f"{exp.spec.name}: runs", unit="run", file=sys.stderr,
               disable=not progress, smoothing=0.1)
    client = None
    executor = None
    workers = jobs
    try:
        if scheduler:
            client = _connect(scheduler)
            executor = client.get_executor()
            workers = sum(client.nthreads().values())

        def start(done: int) -> None:  # a resumed sweep's bar starts at the runs it already has
            bar.n = done
            bar.refresh()

        prog = execute(plan, out_dir, jobs=jobs, executor=executor, resume=resume, on_run=lambda _r: bar.update(1),
                       workers=workers, on_start=start, on_stop=on_stop, lock=False)
    finally:
        bar.close()
        if client is not None:
            client.close()
    failed, summary = collect(plan, out_dir)
    keys = plan.design.keys
    names = kpi_names()
    table = TableWriter(out_dir, "summary", ["point", *keys, "runs_ok", "runs_failed",
                                             *[c for k in names for c in (k, f"{k}.ci95_low", f"{k}.ci95_high")]],
                        _text_factors(plan))
    try:
        for srow in summary:
            table.add(srow)
    except BaseException:
        table.abort()
        raise
    table.close()
    sobol = None
    if plan.design.kind == "sobol":
        sobol = sobol_table(plan, summary, exp.spec.kpis)
        write_json(out_dir / "sobol.json", sobol)
        sweep_plots.sobol_bars(out_dir, sobol, lang)
    else:
        sweep_plots.kpi_by_factor(out_dir, plan.design, summary, exp.spec.kpis, lang)
    manifest = json.loads(read_text_limited(out_dir / "sweep.json"))
    manifest.update({
        "runs_ok": sum(s["runs_ok"] for s in summary), "runs_failed": len(failed), "failed": failed,
        "runs_done_this_call": prog.ran, "runs_done_before": prog.done_before, "jobs": jobs,
        "executor": "dask" if scheduler else ("process pool" if jobs > 1 else "in process"),
        "versions": package_versions(), "git_commit": git_commit(),
        "finished_at": datetime.now().isoformat(timespec="seconds"),
        "wall_seconds_this_call": round(time.perf_counter() - t0, 3), "lang": lang,
    })
    write_json(out_dir / "sweep.json", manifest)
    write_report(out_dir)
    return SweepOutcome(out_dir, plan, prog, summary, sobol, lang)


def sweep_text(outcome: SweepOutcome, max_points: int = 30, width: int = 100, lang: Lang = "en") -> str:
    """Per design point: the experiment's KPIs (mean and 95 % CI, rounded as read) then the point as a compact
    key; KPIs that do not fit in `width` columns go to a further block."""
    from sim.output import fmt
    from sim.output.labels import kind_of, kpi_name
    from sim.output.sweep_fmt import key_lines, point_label
    from sim.output.terminal import text_table
    from sim.output.terminal import width as cols

    spec = outcome.plan.experiment.spec
    keys = outcome.plan.design.keys
    lines = [f"sweep {spec.name}: {len(outcome.plan.points)} design points x {spec.replications} replications"
             f" = {outcome.plan.n_runs} runs ({outcome.progress.done_before} done before, "
             f"{outcome.progress.ran} now, {len(outcome.progress.failed)} failed)"]
    if outcome.sobol is not None:
        for kpi, res in outcome.sobol.items():
            lines.append(f"Sobol indices of {kpi_name(kpi, lang)} ({kpi}):")
            if "indices" not in res:
                lines.append(f"  {res['note']}")
                continue
            rows = [[r["factor"], f"{r['first_order']:.2f}",
                     f"{r['first_order_ci95_low']:.2f}\u2013{r['first_order_ci95_high']:.2f}", f"{r['total_order']:.2f}",
                     f"{r['total_order_ci95_low']:.2f}\u2013{r['total_order_ci95_high']:.2f}"] for r in res["indices"]]
            lines += ["  " + x for x in text_table(["factor", "first", "95 % CI", "total", "95 % CI"], rows,
                                                   [False, True, True, True, True])]
    else:
        lines.append("factors: " + "; ".join(f"{a} = {k}" for a, _n, k in key_lines(keys)))
        shown = outcome.summary[:max_points]
        cells = {k: [f"{fmt.number(kind_of(k), s[k], lang)} "
                     f"({fmt.interval(kind_of(k), s[f'{k}.ci95_low'], s[f'{k}.ci95_high'], lang)})" for s in shown]
                 for k in spec.kpis}
        point = [f"{s['point']}: {point_label(s, keys, lang)}" for s in shown]
        blocks: list[list[str]] = [[]]
        used = max([cols(p) for p in point] + [5]) + 2
        for k in spec.kpis:
            w = max(cols(kpi_name(k, lang)), *(cols(c) for c in cells[k])) + 2
            if blocks[-1] and used + w > width:
                blocks.append([])
                used = max([cols(p) for p in point] + [5]) + 2
            blocks[-1].append(k)
            used += w
        for block in blocks:
            head = [kpi_name(k, lang) for k in block] + ["point"]
            rows = [[cells[k][i] for k in block] + [point[i]] for i in range(len(shown))]
            lines += text_table(head, rows, [True] * len(block) + [False])
        if len(outcome.summary) > max_points:
            lines.append(f"... {len(outcome.summary) - max_points} more points in summary.csv")
    lines.append(f"results: {outcome.out}")
    return "\n".join(lines)
