"""The run's four plots (response ECDF, people in place, the response map, where the minutes go), drawn
while a run finishes, or again from a run folder's tables in another language (`mobsim report RUN --lang`).

Both ways take the same inputs, so a redrawn plot says what the original said, in other words.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from sim.model import PHASES
from sim.output import plots
from sim.output.breakdown import enrich, targets_of
from sim.output.frames import read_frame, read_incidents
from sim.output.labels import Lang
from sim.scenario.schema import CLASSES

RUN_PLOTS = ("stages.png", "response_ecdf.png", "mobilisation.png", "response_map.png")


def plotted_targets(scenario: dict[str, Any]) -> dict[str, float]:
    """Class -> target minutes, for the classes the run can have (a share above 0, or any with a trace)."""
    inc = scenario.get("incidents") or {}
    classes = inc.get("classes") or {}
    return {c: float(classes[c]["target_min"]) for c in CLASSES if c in classes
            and (float(classes[c].get("share", 0)) > 0 or inc.get("trace_file"))}


def draw(out: Path, scenario: dict[str, Any], terr: Any, resp: np.ndarray, phase: np.ndarray, grid: np.ndarray,
         curves: dict[str, tuple[np.ndarray, np.ndarray]], activation: float | None, inc: pd.DataFrame,
         lang: Lang) -> None:
    """`terr` has x_km, y_km, key_area and n_grids; `grid` holds grid numbers in its order; `inc` the run's
    incidents.csv."""
    targets = plotted_targets(scenario)
    plots.response_ecdf(out / "response_ecdf.png", resp, phase, targets, lang)
    plots.mobilisation(out / "mobilisation.png", curves, activation, lang)
    med = np.full(terr.n_grids, np.nan)
    ok = ~np.isnan(resp)
    if ok.any():
        order = np.argsort(grid[ok], kind="stable")
        g, x = grid[ok][order], resp[ok][order]
        bounds = np.flatnonzero(np.diff(g)) + 1
        for gg, chunk in zip(g[np.r_[0, bounds]], np.split(x, bounds)):
            med[gg] = float(np.median(chunk))
    plots.response_map(out / "response_map.png", terr, med, lang)
    plots.run_stages(out / "stages.png", enrich(inc, targets_of(scenario)), lang)


def redraw(run_dir: Path, scenario: dict[str, Any], out: Path, lang: Lang) -> bool:
    """The four plots of a run folder drawn again into `out` from its tables; False if a table is missing."""
    need = [run_dir / n for n in ("incidents.csv", "mobilisation.csv", "grids.csv", "kpis.csv")]
    if not all(p.is_file() for p in need):
        return False
    inc = read_incidents(run_dir / "incidents.csv")
    grids = read_frame(run_dir / "grids.csv", dtype={"grid": str}, keep_default_na=False)
    index = {g: i for i, g in enumerate(grids["grid"])}
    terr = SimpleNamespace(x_km=grids["x_km"].to_numpy(float), y_km=grids["y_km"].to_numpy(float),
                           key_area=grids["key_area"].to_numpy(int).astype(bool), n_grids=len(grids))
    resp = (inc["first_arrival_min"] - inc["onset_min"]).to_numpy(float)
    phase = inc["phase"].map({p: i for i, p in enumerate(PHASES)}).to_numpy(int)
    grid = inc["grid"].map(index).to_numpy(int)
    mob = read_frame(run_dir / "mobilisation.csv")
    curves = {}
    for force, rows in mob.groupby("force", sort=False):
        mean = rows.groupby("time_min", sort=True)["share"].mean()
        curves[str(force)] = (mean.index.to_numpy(float), mean.to_numpy(float))
    kpis = read_frame(run_dir / "kpis.csv")
    act = kpis["activation_min"].dropna() if "activation_min" in kpis.columns else pd.Series(dtype=float)
    activation = float(act.mean()) if len(act) and not math.isnan(float(act.mean())) else None
    draw(out, scenario, terr, resp, phase, grid, curves, activation, inc, lang)
    return True
