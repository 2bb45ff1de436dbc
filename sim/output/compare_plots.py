"""Plots of a comparison of two runs, as PNG bytes for the comparison page: the two response ECDFs
overlaid, the paired differences with their 95 % CIs, where the minutes go side by side, and the per-town
differences on a map of the grids."""

from __future__ import annotations

import io
import math
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.output.labels import Lang, kind_of, kpi_name  # noqa: E402
from sim.output.plots import SAVE, plot_lang, stage_bars, styled  # noqa: E402

COLOURS = {"A": "#1f77b4", "B": "#d62728"}


def _png(fig: Any) -> bytes:
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", **SAVE)
    plt.close(fig)
    return buf.getvalue()


def ecdfs(inc: dict[str, pd.DataFrame], labels: dict[str, str], lang: Lang) -> bytes:
    lang = plot_lang(lang)
    with styled():
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
        for ax, phase in zip(axes, ("peacetime", "emergency")):
            for run, df in inc.items():
                x = np.sort(df.loc[(df["phase"] == phase) & df["reached"], "response_min"].to_numpy())
                if len(x):
                    n = int((df["phase"] == phase).sum())
                    ax.step(x, np.arange(1, len(x) + 1) / max(n, 1), where="post", color=COLOURS[run],
                            label=f"{run}: {labels[run]}")
            ax.set_title({"peacetime": ("peacetime", "平时"), "emergency": ("emergency", "应急")}[phase][lang == "zh"])
            ax.set_xlabel("response time (min)" if lang == "en" else "响应时间（分钟）")
            ax.set_xlim(left=0)
            ax.grid(alpha=0.3)
        axes[0].set_ylabel("share of incidents reached" if lang == "en" else "已到场事件占比")
        axes[0].set_ylim(0, 1.02)
        axes[1].legend(fontsize=7, loc="lower right")
        return _png(fig)


def differences(kpis: dict[str, dict[str, Any]], lang: Lang) -> bytes:
    """One row per KPI: B - A with its 95 % CI, in panels by unit (minutes, percentage points, counts)."""
    lang = plot_lang(lang)
    kinds = [k for k in ("duration", "share", "count") if any(kind_of(x) == k for x in kpis)]
    with styled():
        counts = [sum(kind_of(x) == k for x in kpis) for k in kinds]
        fig, axes = plt.subplots(len(kinds), 1, figsize=(7.5, 0.42 * len(kpis) + 1.1 * len(kinds) + 0.6), squeeze=False,
                                 gridspec_kw={"height_ratios": counts})
        for ax, kind in zip(axes[:, 0], kinds):
            rows = [(k, r) for k, r in kpis.items() if kind_of(k) == kind]
            scale = 100.0 if kind == "share" else 1.0
            y = np.arange(len(rows))[::-1]
            for yy, (_k, r) in zip(y, rows):
                m, lo, hi = (r["diff_mean"] * scale, r["ci95_low"] * scale, r["ci95_high"] * scale)
                colour = "#d62728" if r["significant"] else "#7f7f7f"
                if not math.isnan(lo):
                    ax.plot([lo, hi], [yy, yy], color=colour, lw=2)
                if not math.isnan(m):
                    ax.plot([m], [yy], "o", color=colour)
            ax.axvline(0, color="black", lw=0.8)
            ax.set_yticks(y, [kpi_name(k, lang) for k, _r in rows], fontsize=8)
            ax.set_ylim(-0.6, len(rows) - 0.4)
            unit = {"duration": ("B \u2212 A (min)", "B \u2212 A（分钟）"), "share": ("B \u2212 A (percentage points)", "B \u2212 A（百分点）"),
                    "count": ("B \u2212 A (per replication)", "B \u2212 A（每次重复）")}[kind][lang == "zh"]
            ax.set_xlabel(unit, fontsize=8)
            ax.grid(alpha=0.3, axis="x")
        fig.suptitle("Paired differences with 95 % CI (red: significant)" if lang == "en" else "配对差值及95%置信区间（红色：显著）",
                     fontsize=9)
        return _png(fig)


def stages(rows: list[tuple[str, dict[str, float]]], lang: Lang) -> bytes:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.png"
        stage_bars(path, rows, lang, width=8.5)
        return path.read_bytes()


def town_map(grids: pd.DataFrame, diff: dict[str, float], lang: Lang) -> bytes:
    """Grids coloured by their town's B - A median response (min), each town labelled with its difference."""
    lang = plot_lang(lang)
    with styled():
        fig, ax = plt.subplots(figsize=(7, 5.4))
        vals = grids["town"].map(diff).astype(float).to_numpy()
        lim = float(np.nanmax(np.abs(vals))) if np.isfinite(vals).any() else 1.0
        none = ~np.isfinite(vals)
        ax.scatter(grids["x_km"][none], grids["y_km"][none], s=10, c="lightgrey")
        sc = ax.scatter(grids["x_km"][~none], grids["y_km"][~none], s=14, c=vals[~none], cmap="RdBu_r",
                        vmin=-max(lim, 0.1), vmax=max(lim, 0.1))
        for town, g in grids.groupby("town"):
            d = diff.get(str(town))
            txt = f"{town}\n{d:+.1f}" if d is not None and math.isfinite(d) else str(town)
            ax.annotate(txt, (g["x_km"].mean(), g["y_km"].mean()), fontsize=7, ha="center", va="center",
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.75, "lw": 0})
        fig.colorbar(sc, ax=ax, label="B \u2212 A median response (min)" if lang == "en" else "B \u2212 A 响应时间中位数（分钟）")
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel("x (km)")
        ax.set_ylabel("y (km)")
        ax.set_title("Per-town difference (blue: B faster)" if lang == "en" else "分镇差值（蓝色：B更快）")
        return _png(fig)
