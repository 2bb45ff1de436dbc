"""Plots of a sweep: each KPI against each factor with 95 % CI bands, and Sobol indices as bars."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sim.experiment.design import Design  # noqa: E402
from sim.files import save_figure  # noqa: E402

SAVE: dict[str, Any] = {"dpi": 100, "metadata": {"Software": None}}


def _label(v: Any) -> str:
    return json.dumps(v) if isinstance(v, (list, dict)) else f"{v:g}" if isinstance(v, float) else str(v)


def _slug(kpi: str) -> str:
    return kpi.replace(".", "_")


def kpi_by_factor(out: Path, design: Design, summary: list[dict[str, Any]], kpis: list[str]) -> None:
    keys = design.keys
    for kpi in kpis:
        fig, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 3.6), squeeze=False)
        for ax, key in zip(axes[0], keys):
            numeric = all(isinstance(s[key], (int, float)) and not isinstance(s[key], bool) for s in summary)
            levels = sorted({_label(s[key]) for s in summary}) if not numeric else None
            others = [k for k in keys if k != key]
            groups: dict[str, list[dict[str, Any]]] = {}
            for s in summary:
                groups.setdefault(", ".join(f"{k.split('.')[-1]}={_label(s[k])}" for k in others), []).append(s)
            for name, rows in sorted(groups.items()):
                x = np.array([float(s[key]) if levels is None else levels.index(_label(s[key])) for s in rows],
                             dtype=float)
                order = np.argsort(x, kind="stable")
                y = np.array([rows[i][kpi] for i in order], dtype=float)
                lo = np.array([rows[i][f"{kpi}.ci95_low"] for i in order], dtype=float)
                hi = np.array([rows[i][f"{kpi}.ci95_high"] for i in order], dtype=float)
                xs = x[order]
                if design.kind == "factorial":
                    line, = ax.plot(xs, y, marker="o", ms=3, lw=1, label=name if len(groups) <= 8 else None)
                    ax.fill_between(xs, lo, hi, alpha=0.15, color=line.get_color())
                else:
                    ax.errorbar(xs, y, yerr=[y - lo, hi - y], fmt="o", ms=3, lw=0.8, alpha=0.7)
            if levels is not None:
                ax.set_xticks(range(len(levels)), levels, rotation=20, fontsize=7)
            ax.set_xlabel(key, fontsize=8)
            ax.set_ylabel(kpi, fontsize=8)
            ax.grid(alpha=0.3)
            if design.kind == "factorial" and 1 < len(groups) <= 8:
                ax.legend(fontsize=6)
        fig.suptitle(f"{kpi}: mean and 95 % CI per design point", fontsize=9)
        fig.tight_layout()
        save_figure(fig, out / f"kpi_{_slug(kpi)}.png", **SAVE)
        plt.close(fig)


def sobol_bars(out: Path, sobol: dict[str, Any]) -> None:
    for kpi, res in sobol.items():
        if "indices" not in res:
            continue
        rows = res["indices"]
        x = np.arange(len(rows))
        fig, ax = plt.subplots(figsize=(1.2 * len(rows) + 3, 3.8))
        for off, which, label in ((-0.2, "first_order", "first order"), (0.2, "total_order", "total")):
            v = np.array([r[which] for r in rows])
            lo = np.array([r[f"{which}_ci95_low"] for r in rows])
            hi = np.array([r[f"{which}_ci95_high"] for r in rows])
            ax.bar(x + off, v, width=0.4, label=label,
                   yerr=[np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)], capsize=3)
        ax.set_xticks(x, [r["factor"].split(".")[-1] for r in rows], rotation=20, fontsize=8)
        ax.set_ylabel("Sobol index")
        ax.set_title(f"Sensitivity of {kpi} (95 % bootstrap CI)", fontsize=9)
        ax.axhline(0, color="black", lw=0.5)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3, axis="y")
        fig.tight_layout()
        save_figure(fig, out / f"sobol_{_slug(kpi)}.png", **SAVE)
        plt.close(fig)
