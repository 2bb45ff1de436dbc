"""Plots of a run: response ECDF by phase, mobilisation curves, a map of median response by grid, and where
the minutes go (stage by stage). Labels come from `labels`/`messages` in the run's language; Chinese is
drawn with the font of `fonts` (plots fall back to English, and say so elsewhere, where there is none).

PNG metadata carries no software version or date, so the same seed gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sim.files import save_figure  # noqa: E402
from sim.model import PHASES, Territory  # noqa: E402
from sim.output.fonts import plot_rc, plots_can_show_chinese  # noqa: E402
from sim.output.labels import Lang, term  # noqa: E402
from sim.output.messages import t  # noqa: E402

SAVE: dict[str, Any] = {"dpi": 110, "metadata": {"Software": None}}
STAGE_COLOURS = {"discovery": "#9e9e9e", "reporting": "#f2a541", "dispatch": "#e4572e", "travel": "#8e6c8a"}


def plot_lang(lang: Lang) -> Lang:
    """The language plots can be drawn in here: Chinese only where a font can draw it."""
    return "zh" if lang == "zh" and plots_can_show_chinese() else "en"


@contextmanager
def styled() -> Iterator[None]:
    with matplotlib.rc_context(plot_rc()):  # type: ignore[arg-type]
        yield


def _save(fig: Any, path: Path) -> None:
    fig.tight_layout()
    save_figure(fig, path, **SAVE)
    plt.close(fig)


def response_ecdf(path: Path, response: np.ndarray, phase: np.ndarray, targets: dict[str, float],
                  lang: Lang = "en") -> None:
    """`targets`: class name -> target minutes; one dashed line per distinct target."""
    lang = plot_lang(lang)
    with styled():
        fig, ax = plt.subplots(figsize=(7, 4.2))
        drawn = 0
        for p, name in enumerate(PHASES):
            x = np.sort(response[(phase == p) & ~np.isnan(response)])
            if len(x):
                drawn += 1
                ax.step(x, np.arange(1, len(x) + 1) / len(x), where="post", label=f"{term('phase', name, lang)} (n={len(x)})")
        by_target: dict[float, list[str]] = {}
        for cls, tgt in targets.items():
            by_target.setdefault(tgt, []).append(term("class", cls, lang))
        for tgt, classes in sorted(by_target.items()):
            ax.axvline(tgt, ls="--", lw=0.8, color="grey")
            ax.text(tgt, 0.02, f" {t('plot.target', lang)} " + ", ".join(classes), rotation=90, va="bottom", fontsize=7,
                    color="grey")
        ax.set_xlabel(t("plot.ecdf_x", lang))
        ax.set_ylabel(t("plot.ecdf_y", lang))
        ax.set_ylim(0, 1.02)
        ax.set_xlim(left=0)
        ax.grid(alpha=0.3)
        if drawn:
            ax.legend(loc="lower right")
        else:  # an empty plot must say why, not look like a failure to draw
            ax.text(0.5, 0.5, t("plot.ecdf_none", lang), transform=ax.transAxes, ha="center", va="center", fontsize=11,
                    color="dimgrey", bbox={"facecolor": "white", "edgecolor": "none"})
        ax.set_title(t("plot.ecdf", lang))
        _save(fig, path)


def mobilisation(path: Path, curves: dict[str, tuple[np.ndarray, np.ndarray]], activation: float | None,
                 lang: Lang = "en") -> None:
    """`curves`: force -> (times, mean share in place across replications)."""
    lang = plot_lang(lang)
    with styled():
        fig, ax = plt.subplots(figsize=(7, 4.2))
        for force, (tt, share) in curves.items():
            ax.plot(tt / 60.0, share, label=term("force", force, lang))
        if activation is not None:
            ax.axvline(activation / 60.0, ls="--", color="black", lw=0.8)
            ax.text(activation / 60.0, 1.0, " " + t("plot.activation", lang), fontsize=7, va="top")
        ax.set_xlabel(t("plot.mob_x", lang))
        ax.set_ylabel(t("plot.mob_y", lang))
        ax.set_ylim(0, 1.05)
        ax.grid(alpha=0.3)
        if curves:
            ax.legend(fontsize=7, loc="center right")
        ax.set_title(t("plot.mob", lang))
        _save(fig, path)


def response_map(path: Path, terr: Territory, median_by_grid: np.ndarray, lang: Lang = "en") -> None:
    lang = plot_lang(lang)
    with styled():
        fig, ax = plt.subplots(figsize=(6.5, 5.5))
        none = np.isnan(median_by_grid)
        ax.scatter(terr.x_km[none], terr.y_km[none], s=8, c="lightgrey", label=t("plot.no_served", lang))
        vals = median_by_grid[~none]
        top = float(np.percentile(vals, 95)) if len(vals) else None  # one far grid should not wash out the rest
        sc = ax.scatter(terr.x_km[~none], terr.y_km[~none], s=12, c=vals, cmap="viridis_r", vmax=top)
        key = terr.key_area
        if key.any():
            ax.scatter(terr.x_km[key], terr.y_km[key], s=40, facecolors="none", edgecolors="red", lw=0.8,
                       label=t("plot.key_area", lang))
        if (~none).any():
            fig.colorbar(sc, ax=ax, label=t("plot.map_cbar", lang), extend="max")
        ax.set_xlabel("x (km)")
        ax.set_ylabel("y (km)")
        ax.set_aspect("equal", adjustable="datalim")
        ax.legend(fontsize=7, loc="upper right")
        ax.set_title(t("plot.map", lang))
        _save(fig, path)


def stage_bars(path: Path, rows: list[tuple[str, dict[str, float]]], lang: Lang = "en", title: str | None = None,
               width: float = 7.5) -> None:
    """Stacked horizontal bars, one per row (label, {stage: mean minutes}), top to bottom, total at the end."""
    lang = plot_lang(lang)
    with styled():
        fig, ax = plt.subplots(figsize=(width, 0.42 * len(rows) + 1.6))
        y = np.arange(len(rows))[::-1]
        total_max = max([sum(v for v in r.values() if v == v) for _l, r in rows] + [1.0])
        for stage, colour in STAGE_COLOURS.items():
            left = np.array([sum(r.get(s, 0.0) for s in list(STAGE_COLOURS)[:list(STAGE_COLOURS).index(stage)]
                                 if r.get(s, 0.0) == r.get(s, 0.0)) for _l, r in rows])
            w = np.array([r.get(stage, np.nan) for _l, r in rows], dtype=float)
            w = np.nan_to_num(w)
            ax.barh(y, w, left=left, color=colour, height=0.62, label=term("stage", stage, lang))
            for yy, ll, ww in zip(y, left, w):
                if ww >= 0.07 * total_max:
                    ax.text(ll + ww / 2, yy, f"{ww:.1f}", ha="center", va="center", fontsize=7, color="white")
        for yy, (_l, r) in zip(y, rows):
            tot = sum(v for v in r.values() if v == v)
            ax.text(tot + 0.01 * total_max, yy, f"{tot:.1f}", va="center", fontsize=7.5)
        ax.set_yticks(y, [lab for lab, _r in rows], fontsize=8)
        ax.set_xlim(0, total_max * 1.12)
        ax.set_xlabel(t("plot.stages_x", lang))
        ax.grid(alpha=0.3, axis="x")
        ax.legend(fontsize=7.5, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.18 if len(rows) > 3 else -0.3),
                  frameon=False)
        ax.set_title(title or t("plot.stages", lang), fontsize=10)
        _save(fig, path)


def run_stages(path: Path, inc: Any, lang: Lang = "en") -> None:
    """The run's stage chart: all incidents, each phase and the hazard's own, then each class (enriched
    incidents of `breakdown.enrich`); groups with no reached incident are left out."""
    from sim.output.breakdown import phase_masks, stage_means

    lang = plot_lang(lang)
    masks = phase_masks(inc)
    classes = sorted(set(inc["class"]))
    masks.update({f"class:{c}": inc["class"] == c for c in classes})
    means = stage_means(inc, masks)
    rows = []
    for g, r in means.iterrows():
        if not r["reached"]:
            continue
        name = str(g)
        label = term("class", name[6:], lang) if name.startswith("class:") else term("phase", name, lang)
        rows.append((f"{label} (n={int(r['reached']):,})", {s: float(r[s]) for s in STAGE_COLOURS}))
    if rows:
        stage_bars(path, rows, lang)
