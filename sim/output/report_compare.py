"""`mobsim compare A B --report`: one self-contained page of a comparison: the sentences (and why, where a
difference is not significant), the two response ECDFs overlaid, the paired differences with their CIs,
where the minutes go side by side, per-town differences on a map, and a warning when the runs are unrelated."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.files import atomic_write_text
from sim.output import compare_plots, fmt
from sim.output.breakdown import enrich, phase_masks, stage_means, summary_by, targets_of
from sim.output.compare import why_no_difference
from sim.output.compare_text import sentence
from sim.output.fonts import font_note
from sim.output.frames import read_frame, read_incidents
from sim.output.html import e, page, read_text, table
from sim.output.labels import Lang, kind_of, kpi_name, term
from sim.output.messages import pick


def _img(data: bytes, caption: str, alt: str) -> str:
    b64 = base64.b64encode(data).decode("ascii")
    return f'<figure><img src="data:image/png;base64,{b64}" alt="{e(alt)}"><figcaption>{e(caption)}</figcaption></figure>'


def _load(d: Path) -> pd.DataFrame | None:
    if not (d / "incidents.csv").is_file():
        return None
    text = read_text(d / "scenario.resolved.yaml") or ""
    return enrich(read_incidents(d / "incidents.csv"), targets_of(yaml.safe_load(text) or {} if text else {}))


def compare_page(result: dict[str, Any], lang: Lang = "en") -> str:
    a, b = result["a"], result["b"]
    da, db = Path(a["dir"]), Path(b["dir"])
    inc = {"A": _load(da), "B": _load(db)}
    labels = {"A": a["label"], "B": b["label"]}
    sections: list[tuple[str, str, str, str]] = []
    note = font_note(lang)
    if note:
        sections.append(("note", pick(lang, "Note", "说明"), f'<p id="font-note">{e(note)}</p>', "note"))
    if result["warnings"]:
        items = "".join(f"<li>{e(w)}</li>" for w in result["warnings"])
        sections.append(("warnings", pick(lang, "Warnings", "警告"), f'<div id="warnings"><ul>{items}</ul></div>', "flags warn"))
    lines = "".join(f"<li>{e(sentence(k, r, lang))}</li>" for k, r in result["kpis"].items())
    why = why_no_difference(result, lang)
    lines += "".join(f'<li class="diag">{e(s)}</li>' for s in why)
    seed = pick(lang, "seed", "随机种子")
    legend = (f"<p><b>A</b> {e(a['label'])} <span class=\"muted\">({e(a['dir'])}, {seed} {e(a['seed'])})</span><br>"
              f"<b>B</b> {e(b['label'])} <span class=\"muted\">({e(b['dir'])}, {seed} {e(b['seed'])})</span></p>")
    sections.append(("headline", pick(lang, "In short", "要点"), legend + f'<ul class="headline" id="headline">{lines}</ul>', ""))
    head = [pick(lang, x, y) for x, y in (("KPI", "指标"), ("A mean", "A 平均"), ("B mean", "B 平均"), ("B \u2212 A", "B \u2212 A"),
                                           ("95 % CI", "95%置信区间"), ("p", "p"))]
    rows = []
    for k, r in result["kpis"].items():
        kind = kind_of(k)
        rows.append([e(kpi_name(k, lang)), e(fmt.number(kind, r["a_mean"], lang)), e(fmt.number(kind, r["b_mean"], lang)),
                     (e(fmt.difference(kind, r["diff_mean"], lang)), "bad" if r["significant"] else ""),
                     e(f"{fmt.difference(kind, r['ci95_low'], lang, False)} \u2026 {fmt.difference(kind, r['ci95_high'], lang, False)}"),
                     e("\u2014" if r["p_value"] != r["p_value"] else f"{r['p_value']:.3f}")])
    figs = [_img(compare_plots.differences(result["kpis"], lang), pick(lang, "Paired differences B \u2212 A with 95 % CIs.",
                                                                        "配对差值 B \u2212 A 及95%置信区间。"), "differences")]
    if inc["A"] is not None and inc["B"] is not None:
        ia, ib = inc["A"], inc["B"]
        figs.append(_img(compare_plots.ecdfs({"A": ia, "B": ib}, labels, lang),
                         pick(lang, "Response time ECDFs of A and B, by phase (share of all incidents of the phase).",
                              "A 与 B 的分阶段响应时间累积分布。"), "ecdf"))
        rows_s = []
        for g in ("all", "peacetime", "emergency", "hazard"):
            for run, df in (("A", ia), ("B", ib)):
                m = stage_means(df, {g: phase_masks(df)[g]}).iloc[0]
                if m["reached"]:
                    rows_s.append((f"{run} \u00b7 {term('phase', g, lang)}", {s: float(m[s]) for s in
                                                                              ("discovery", "reporting", "dispatch", "travel")}))
        figs.append(_img(compare_plots.stages(rows_s, lang), pick(lang, "Where the minutes go in A and in B.",
                                                                  "A 与 B 的时间分布。"), "stages"))
        grids = db / "grids.csv" if (db / "grids.csv").is_file() else da / "grids.csv"
        if grids.is_file():
            ta, tb = summary_by(ia, "town").set_index("town"), summary_by(ib, "town").set_index("town")
            diff = {str(t): float(tb.at[t, "response_p50_min"]) - float(ta.at[t, "response_p50_min"])  # type: ignore[arg-type]
                    for t in ta.index.intersection(tb.index)}
            gdf = read_frame(grids, dtype={"town": str, "grid": str})
            figs.append(_img(compare_plots.town_map(gdf, diff, lang), pick(lang, "Per-town difference of the median response "
                             "(B \u2212 A, min) on the grids of B.", "各镇响应时间中位数差值（B \u2212 A，分钟）。"), "town map"))
            trows = [[e(t), e(fmt.number("duration", ta.at[t, "response_p50_min"])), e(fmt.number("duration", tb.at[t, "response_p50_min"])),
                      e(fmt.difference("duration", d, lang))] for t, d in sorted(diff.items(), key=lambda x: np.nan_to_num(x[1]))]
            town_t = table([pick(lang, "town", "镇（街道）"), pick(lang, "A median (min)", "A 中位数（分钟）"),
                            pick(lang, "B median (min)", "B 中位数（分钟）"), "B \u2212 A"], trows, "town-diff", numeric=(1, 2, 3))
        else:
            town_t = ""
    else:
        town_t = ""
    n = len(result["replications"])
    intro = pick(lang, f"Replication by replication over {n} replications (common random numbers); significant differences "
                       "in red.", f"按重复逐次配对，共 {n} 次（共同随机数）；显著差异标红。")
    sections.append(("kpis", pick(lang, "Paired differences", "配对差值"),
                     f'<p class="muted">{e(intro)}</p>' + table(head, rows, "kpi-table", numeric=(1, 2, 3, 4, 5)), ""))
    sections.append(("plots", pick(lang, "Plots", "图表"), f'<div class="figs">{"".join(figs)}</div>', ""))
    if town_t:
        sections.append(("towns", pick(lang, "By town", "分镇（街道）"), town_t, ""))
    title = pick(lang, f"mobsim compare: {a['label']} vs {b['label']}", f"mobsim 对比：{a['label']} 与 {b['label']}")
    return page(title, pick(lang, "B minus A, paired by replication", "B 减 A，按重复配对"), sections, lang=lang)


def write_compare_report(result: dict[str, Any], out: str | Path, lang: Lang = "en") -> Path:
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, compare_page(result, lang))
    return path
