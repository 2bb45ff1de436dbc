"""Plots of a sweep: each KPI against each factor with 95 % CI bands, and Sobol indices as bars.

Every line is identifiable: a legend outside the axes names each line by the other factors' values in the
compact key (B=44 · C=direct); with more than 10 lines the plot becomes small multiples, one per line,
each titled. Axes carry the KPI's label and unit (shares in percent).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sim.experiment.design import Design  # noqa: E402
from sim.files import save_figure  # noqa: E402
from sim.output.labels import Lang, kind_of, kpi_label, kpi_name  # noqa: E402
from sim.output.plots import plot_lang, styled  # noqa: E402
from sim.output.sweep_fmt import letters, point_label, short_name, value  # noqa: E402

SAVE: dict[str, Any] = {"dpi": 100, "metadata": {"Software": None}}
MAX_LINES = 10


def _slug(kpi: str) -> str:
    return kpi.replace(".", "_")


def _ylabel(kpi: str, lang: Lang) -> str:
    lab = kpi_label(kpi, lang)
    return f"{kpi_name(kpi, lang)} ({lab.unit})" if lab else kpi


def _series(summary: list[dict[str, Any]], key: str, kpi: str, levels: list[str] | None) -> tuple[np.ndarray, ...]:
    scale = 100.0 if kind_of(kpi) == "share" else 1.0
    x = np.array([float(s[key]) if levels is None else levels.index(value(s[key])) for s in summary], dtype=float)
    order = np.argsort(x, kind="stable")
    pick = [summary[i] for i in order]
    y = np.array([s[kpi] for s in pick], dtype=float) * scale
    lo = np.array([s[f"{kpi}.ci95_low"] for s in pick], dtype=float) * scale
    hi = np.array([s[f"{kpi}.ci95_high"] for s in pick], dtype=float) * scale
    return x[order], y, lo, hi


def kpi_by_factor(out: Path, design: Design, summary: list[dict[str, Any]], kpis: list[str], lang: Lang = "en") -> None:
    lang = plot_lang(lang)
    keys = design.keys
    let = letters(keys)
    for kpi in kpis:
        with styled():
            _one(out, design, summary, kpi, keys, let, lang)


def _one(out: Path, design: Design, summary: list[dict[str, Any]], kpi: str, keys: list[str], let: dict[str, str],
         lang: Lang) -> None:
    panels = []
    for key in keys:
        numeric = all(isinstance(s[key], (int, float)) and not isinstance(s[key], bool) for s in summary)
        levels = None if numeric else sorted({value(s[key]) for s in summary})
        groups: dict[str, list[dict[str, Any]]] = {}
        for s in summary:
            groups.setdefault(point_label(s, keys, lang, skip=(key,)) or "all", []).append(s)
        panels.append((key, levels, dict(sorted(groups.items()))))
    facets = design.kind == "factorial" and any(len(g) > MAX_LINES for _k, _l, g in panels)
    if facets:  # small multiples for the first factor, one panel per combination of the others
        key, levels, groups = panels[0]
        n = len(groups)
        ncol = min(4, n)
        nrow = -(-n // ncol)
        fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.6 * nrow + 0.8), squeeze=False, sharey=True)
        for ax, (name, rows) in zip(axes.flat, groups.items()):
            x, y, lo, hi = _series(rows, key, kpi, levels)
            ax.plot(x, y, marker="o", ms=3, lw=1)
            ax.fill_between(x, lo, hi, alpha=0.2)
            ax.set_title(name, fontsize=7)
            ax.grid(alpha=0.3)
            if levels is not None:
                ax.set_xticks(range(len(levels)), levels, rotation=20, fontsize=6)
        for ax in axes.flat[n:]:
            ax.axis("off")
        fig.supxlabel(f"{let[key]}: {short_name(key)} ({key})", fontsize=8)
        fig.supylabel(_ylabel(kpi, lang), fontsize=8)
    else:
        fig, axes = plt.subplots(1, len(keys), figsize=(5.2 * len(keys) + 1.5, 3.8), squeeze=False)
        for ax, (key, levels, groups) in zip(axes[0], panels):
            for name, rows in groups.items():
                x, y, lo, hi = _series(rows, key, kpi, levels)
                if design.kind == "factorial":
                    line, = ax.plot(x, y, marker="o", ms=3, lw=1, label=name)
                    ax.fill_between(x, lo, hi, alpha=0.12, color=line.get_color())
                else:
                    ax.errorbar(x, y, yerr=[y - lo, hi - y], fmt="o", ms=3, lw=0.8, alpha=0.7)
            if levels is not None:
                ax.set_xticks(range(len(levels)), levels, rotation=20, fontsize=7)
            ax.set_xlabel(f"{let[key]}: {short_name(key)} ({key})", fontsize=8)
            ax.set_ylabel(_ylabel(kpi, lang), fontsize=8)
            ax.grid(alpha=0.3)
            if design.kind == "factorial" and len(groups) > 1:
                ax.legend(fontsize=6.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    title = (f"{kpi_name(kpi, lang)}: mean and 95 % CI per design point" if lang == "en"
             else f"{kpi_name(kpi, lang)}：各设计点的平均值及95%置信区间")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    save_figure(fig, out / f"kpi_{_slug(kpi)}.png", **SAVE)
    plt.close(fig)


def sobol_bars(out: Path, sobol: dict[str, Any], lang: Lang = "en") -> None:
    lang = plot_lang(lang)
    for kpi, res in sobol.items():
        if "indices" not in res:
            continue
        rows = res["indices"]
        x = np.arange(len(rows))
        with styled():
            fig, ax = plt.subplots(figsize=(1.2 * len(rows) + 3, 3.8))
            for off, which, label in ((-0.2, "first_order", ("first order", "一阶")), (0.2, "total_order", ("total", "总"))):
                v = np.array([r[which] for r in rows])
                lo = np.array([r[f"{which}_ci95_low"] for r in rows])
                hi = np.array([r[f"{which}_ci95_high"] for r in rows])
                ax.bar(x + off, v, width=0.4, label=label[lang == "zh"],
                       yerr=[np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)], capsize=3)
            ax.set_xticks(x, [short_name(r["factor"]) for r in rows], rotation=20, fontsize=8)
            ax.set_ylabel("Sobol index" if lang == "en" else "Sobol指数")
            ax.set_title((f"Sensitivity of {kpi_name(kpi, lang)} (95 % bootstrap CI)" if lang == "en"
                          else f"{kpi_name(kpi, lang)}的敏感性（95%自助法置信区间）"), fontsize=9)
            ax.axhline(0, color="black", lw=0.5)
            ax.legend(fontsize=8)
            ax.grid(alpha=0.3, axis="y")
            fig.tight_layout()
            save_figure(fig, out / f"sobol_{_slug(kpi)}.png", **SAVE)
            plt.close(fig)
