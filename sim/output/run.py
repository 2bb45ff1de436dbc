"""`mobsim run` as a function: replications of one scenario into a run folder.

Each replication's rows are written as soon as it finishes, so a failure part-way keeps what was done;
the summary and the manifest then say which replication failed and why.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from sim.experiment import PHASE_KPIS, Failure, iter_replications, mean_ci, replication_kpis
from sim.experiment.manifest import git_commit, package_versions, sha256
from sim.files import FolderLock, atomic_write_text, slug
from sim.model import Model, ReplicationResult, build_model
from sim.output import run_plots
from sim.output.frames import RunResult, read_incidents
from sim.output.labels import Lang
from sim.output.report import write_report
from sim.output.tables import (
    IncidentWriter,
    MobilisationWriter,
    mobilisation_rows,
    write_grids,
    write_json,
    write_kpi_csv,
)
from sim.scenario import LoadedScenario, load_scenario, resolved_yaml

RUN_FILES = ("scenario.resolved.yaml", "manifest.json", "incidents.csv", "kpis.csv", "summary.json",
             "mobilisation.csv", "grids.csv", "response_ecdf.png", "mobilisation.png", "response_map.png",
             "stages.png", "report.html")


class RunOutcome(RunResult):
    """A finished run: its folder's tables as DataFrames (`.incidents`, `.kpis`, `.summary`), plus the
    failed replications and the flags; `.summary_json` is summary.json as a dict."""

    def __init__(self, out_dir: Path, summary: dict[str, Any], failures: list[Failure] | None = None,
                 flags: list[str] | None = None, lang: Lang = "en"):
        super().__init__(out_dir, lang)
        self.summary_json = summary
        self.failures = failures or []
        self.flags = flags or []


def default_out_dir(name: str) -> Path:
    """`results/<slug of name>-<time>`: a scenario's name never chooses where files go (`--out` does)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path("results") / f"{slug(name, 'scenario')}-{stamp}"
    out, k = base, 1
    while out.exists():
        k += 1
        out = Path(f"{base}-{k}")
    return out


def summarise(rows: list[tuple[int, dict[str, float]]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if not rows:
        return out
    for key in rows[0][1]:
        values = [k[key] for _, k in rows]
        m, lo, hi = mean_ci(values)
        out[key] = {"values": values, "mean": m, "ci95_low": lo, "ci95_high": hi}
    return out


class _Pool:
    """What the plots need from every replication, kept small: responses, phases, grids, curves."""

    def __init__(self, model: Model):
        self.model = model
        self.response: list[np.ndarray] = []
        self.phase: list[np.ndarray] = []
        self.grid: list[np.ndarray] = []
        self.curves: dict[str, list[np.ndarray]] = {}
        self.times: np.ndarray | None = None
        self.activation: list[float] = []

    def add(self, r: ReplicationResult, mob: list[tuple]) -> None:
        c = r.incidents
        self.response.append(c["first_arrival_min"] - c["onset_min"])
        self.phase.append(r.phase)
        self.grid.append(c["grid"])
        if r.activations:
            self.activation.append(r.activations[0])
        per: dict[str, list[float]] = {}
        for _rep, force, _t, _k, share in mob:
            per.setdefault(force, []).append(float(share))
        step = self.model.scenario.mobilisation_step_min
        self.times = np.arange(0.0, r.end_min + step / 2, step)
        for force, shares in per.items():
            self.curves.setdefault(force, []).append(np.array(shares))

    def draw(self, out: Path) -> None:
        sc = self.model.scenario
        resp = np.concatenate(self.response) if self.response else np.zeros(0)
        phase = np.concatenate(self.phase) if self.phase else np.zeros(0, dtype=int)
        grid = np.concatenate(self.grid) if self.grid else np.zeros(0, dtype=int)
        curves = {f: (self.times, np.mean(v, axis=0)) for f, v in self.curves.items() if self.times is not None}
        act = float(np.mean(self.activation)) if self.activation else None
        inc = read_incidents(out / "incidents.csv")
        run_plots.draw(out, sc.model_dump(mode="json"), self.model.territory, resp, phase, grid, curves, act, inc,
                       sc.lang)


def replication_flags(found: dict[str, list[int]]) -> list[str]:
    """The model's own flags (a class nobody on duty could serve, say), once each, with the replications."""
    out = []
    for flag, reps in found.items():
        which = ", ".join(str(r) for r in reps[:10]) + (", ..." if len(reps) > 10 else "")
        out.append(f"{flag}: in replication{'s' * (len(reps) > 1)} {which}")
    return out


def run_scenario(scenario: str | Path | LoadedScenario, out_dir: str | Path | None = None, jobs: int = 1,
                 progress: bool = True, command: list[str] | None = None, *, overrides: list[str] | None = None,
                 replications: int | None = None, seed: int | None = None, lang: Lang | None = None) -> RunOutcome:
    """Run every replication of a scenario (a file or a loaded scenario) and write the run folder.

    `overrides` are `--set` strings (`"forces.agencies.team_ratio=0.3"`); `replications`, `seed` and `lang`
    override the scenario's. Returns the run with its tables as DataFrames (`.incidents`, `.kpis`, `.summary`).
    """
    t0 = time.perf_counter()
    extra = list(overrides or [])
    extra += [f"{k}={v}" for k, v in (("seed", seed), ("replications", replications), ("lang", lang)) if v is not None]
    if isinstance(scenario, LoadedScenario):
        loaded = load_scenario(scenario.path, [*scenario.overrides, *extra]) if extra else scenario
    else:
        loaded = load_scenario(str(scenario), extra)
    sc = loaded.scenario
    out = Path(out_dir) if out_dir else default_out_dir(sc.name)
    with FolderLock(out, "run"):
        return _run(loaded, out, jobs, progress, command, t0)


def _run(loaded: LoadedScenario, out: Path, jobs: int, progress: bool, command: list[str] | None,
         t0: float) -> RunOutcome:
    sc = loaded.scenario
    text = resolved_yaml(sc)
    atomic_write_text(out / "scenario.resolved.yaml", text)
    flags = sc.flags()
    model = build_model(loaded)
    write_grids(out / "grids.csv", model)
    inc_w = IncidentWriter(out / "incidents.csv", model)
    mob_w = MobilisationWriter(out / "mobilisation.csv")
    pool = _Pool(model)
    rows: list[tuple[int, dict[str, float]]] = []
    failures: list[Failure] = []
    n_events = []
    results_flags: dict[str, list[int]] = {}
    bar = tqdm(total=sc.replications, desc=f"{sc.name}: replications", unit="rep", delay=2.0, file=sys.stderr,
               disable=not progress, leave=False)
    try:
        for res in iter_replications(model, list(range(sc.replications)), jobs=jobs):
            bar.update(1)
            if isinstance(res, Failure):
                failures.append(res)
                continue
            inc_w.write(res)
            mob = mobilisation_rows(res, sc.mobilisation_step_min)
            mob_w.write(mob)
            rows.append((res.replication, replication_kpis(sc, res)))
            for flag in res.flags:
                results_flags.setdefault(flag, []).append(res.replication)
            n_events.append(res.n_events)
            pool.add(res, mob)
    except OSError:  # a full disk, say: no half-written table is left under its name
        inc_w.abort()
        mob_w.abort()
        raise
    finally:
        bar.close()
        inc_w.close()  # no-op after abort; keeps the finished replications' rows on Ctrl-C
        mob_w.close()
    flags = flags + replication_flags(results_flags)
    summary: dict[str, Any] = {
        "scenario": sc.name,
        "seed": sc.seed,
        "replications": sc.replications,
        "replications_done": [r for r, _ in rows],
        "failed": [{"replication": f.replication, "error": f.error} for f in failures],
        "flags": flags,
        "phase_kpis": list(PHASE_KPIS),
        "kpis": summarise(rows),
    }
    write_json(out / "summary.json", summary)
    write_kpi_csv(out / "kpis.csv", rows)
    if rows:
        pool.draw(out)
    manifest = {
        "scenario": sc.name,
        "scenario_file": loaded.path,
        "seed": sc.seed,
        "replications": sc.replications,
        "scenario_sha256": sha256(text),
        "overrides": loaded.overrides,
        "command": command,
        "flags": flags,
        "failed": [{"replication": f.replication, "error": f.error, "traceback": f.detail} for f in failures],
        "events_per_replication": n_events,
        "versions": package_versions(),
        "git_commit": git_commit(),
        "jobs": jobs,
        "started_at": datetime.now().isoformat(timespec="seconds"),
        "wall_seconds": round(time.perf_counter() - t0, 3),
    }
    write_json(out / "manifest.json", manifest)
    write_report(out)
    return RunOutcome(out, summary, failures, flags, sc.lang)
