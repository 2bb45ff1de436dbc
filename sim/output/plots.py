"""Plots of a run: response ECDF by phase, mobilisation curves, a map of median response by grid.

PNG metadata carries no software version or date, so the same seed gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sim.files import save_figure  # noqa: E402
from sim.model import PHASES, Territory  # noqa: E402

SAVE: dict[str, Any] = {"dpi": 110, "metadata": {"Software": None}}


def response_ecdf(path: Path, response: np.ndarray, phase: np.ndarray, targets: dict[str, float]) -> None:
    """`targets`: class name -> target minutes; one dashed line per distinct target."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for p, name in enumerate(PHASES):
        x = np.sort(response[(phase == p) & ~np.isnan(response)])
        if len(x):
            ax.step(x, np.arange(1, len(x) + 1) / len(x), where="post", label=f"{name} (n={len(x)})")
    by_target: dict[float, list[str]] = {}
    for cls, t in targets.items():
        by_target.setdefault(t, []).append(cls)
    for t, classes in sorted(by_target.items()):
        ax.axvline(t, ls="--", lw=0.8, color="grey")
        ax.text(t, 0.02, " target " + ", ".join(classes), rotation=90, va="bottom", fontsize=7, color="grey")
    ax.set_xlabel("response time: first arrival − onset (min)")
    ax.set_ylabel("share of incidents served")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title("Response time by phase")
    fig.tight_layout()
    save_figure(fig, path, **SAVE)
    plt.close(fig)


def mobilisation(path: Path, curves: dict[str, tuple[np.ndarray, np.ndarray]], activation: float | None) -> None:
    """`curves`: force -> (times, mean share in place across replications)."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for force, (t, share) in curves.items():
        ax.plot(t / 60.0, share, label=force.replace("_", " "))
    if activation is not None:
        ax.axvline(activation / 60.0, ls="--", color="black", lw=0.8)
        ax.text(activation / 60.0, 1.0, " activation (rep. mean)", fontsize=7, va="top")
    ax.set_xlabel("scenario time (h)")
    ax.set_ylabel("share of force in place")
    ax.set_ylim(0, 1.05)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center right")
    ax.set_title("Mobilisation")
    fig.tight_layout()
    save_figure(fig, path, **SAVE)
    plt.close(fig)


def response_map(path: Path, terr: Territory, median_by_grid: np.ndarray) -> None:
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    none = np.isnan(median_by_grid)
    ax.scatter(terr.x_km[none], terr.y_km[none], s=8, c="lightgrey", label="no served incident")
    vals = median_by_grid[~none]
    top = float(np.percentile(vals, 95)) if len(vals) else None  # one far grid should not wash out the rest
    sc = ax.scatter(terr.x_km[~none], terr.y_km[~none], s=12, c=vals, cmap="viridis_r", vmax=top)
    key = terr.key_area
    if key.any():
        ax.scatter(terr.x_km[key], terr.y_km[key], s=40, facecolors="none", edgecolors="red", lw=0.8,
                   label="key area")
    if (~none).any():
        fig.colorbar(sc, ax=ax, label="median response (min)", extend="max")
    ax.set_xlabel("x (km)")
    ax.set_ylabel("y (km)")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title("Median response time by grid")
    fig.tight_layout()
    save_figure(fig, path, **SAVE)
    plt.close(fig)
