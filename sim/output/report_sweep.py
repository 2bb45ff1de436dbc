"""The sweep page: the experiment's KPIs first (one column each, mean with its 95 % CI beneath), the design
point as a compact key (A=0.1 · B=44) after them, the plots, Sobol indices, failures, the experiment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sim.output import fmt
from sim.output.html import e, manifest_table, page, plots, read_csv, read_json, read_text, table, yaml_details
from sim.output.labels import Lang, kind_of, kpi_label, kpi_name
from sim.output.messages import pick, t
from sim.output.sweep_fmt import key_lines, point_label


def _factors_and_kpis(exp: dict[str, Any], cols: list[str]) -> tuple[list[str], list[str]]:
    factors: list[str] = [str(f.get("key")) for f in exp.get("factors", [])
                          if isinstance(f, dict) and f.get("key") in cols]
    if not factors and "runs_ok" in cols:  # no experiment file: the columns between point and runs_ok
        factors = cols[1:cols.index("runs_ok")]
    return factors, [k for k in exp.get("kpis", []) if k in cols]


def factor_key_html(factors: list[str], lang: Lang) -> str:
    items = "".join(f"<li><b>{e(a)}</b> {e(n)} <span class=\"muted\">({e(k)})</span></li>"
                    for a, n, k in key_lines(factors))
    return f'<p>{pick(lang, "Design point key:", "设计点编码：")}</p><ul class="key" id="factor-key">{items}</ul>'


def summary_table(rows: list[dict[str, str]], factors: list[str], kpis: list[str], lang: Lang) -> str:
    head = []
    for k in kpis:
        lab = kpi_label(k, lang)
        head.append(f"{kpi_name(k, lang)} ({lab.unit})" if lab else k)
    head += [pick(lang, "design point", "设计点"), pick(lang, "runs ok / failed", "成功 / 失败")]
    body = []
    for r in rows:
        cells: list[Any] = []
        for k in kpis:
            kind = kind_of(k)
            cells.append(f"{e(fmt.number(kind, r.get(k), lang))}<small>"
                         f"{e(fmt.interval(kind, r.get(f'{k}.ci95_low'), r.get(f'{k}.ci95_high'), lang))}</small>")
        cells.append(f"<b>{e(r.get('point'))}</b> {e(point_label(r, factors, lang))}")
        cells.append(f"{e(r.get('runs_ok'))} / {e(r.get('runs_failed'))}")
        body.append(cells)
    return table(head, body, "kpi-table", numeric=range(len(kpis)))


def _sobol_table(sobol: dict[str, Any], lang: Lang) -> str:
    rows, notes = [], []
    for kpi, res in sobol.items():
        if "indices" not in res:
            notes.append(f"<li>{e(kpi_name(kpi, lang))}: {e(res.get('note', 'not computed'))}</li>")
            continue
        for r in res["indices"]:
            rows.append([e(kpi_name(kpi, lang)), e(r["factor"]), f"{r['first_order']:.2f}",
                         f"{r['first_order_ci95_low']:.2f}\u2013{r['first_order_ci95_high']:.2f}",
                         f"{r['total_order']:.2f}", f"{r['total_order_ci95_low']:.2f}\u2013{r['total_order_ci95_high']:.2f}"])
    note = pick(lang, "First-order and total Sobol indices per factor with 95 % bootstrap intervals.",
                "各因素的一阶与总Sobol指数，附95%自助法置信区间。")
    head = [pick(lang, x, y) for x, y in (("KPI", "指标"), ("factor", "因素"), ("first order", "一阶"), ("95 % CI", "95%置信区间"),
                                           ("total", "总"), ("95 % CI", "95%置信区间"))]
    out = (f'<p class="muted">{e(note)}</p>' + table(head, rows, "sobol-table", numeric=(2, 3, 4, 5))) if rows else ""
    return out + (f"<ul>{''.join(notes)}</ul>" if notes else "")


def sweep_page(d: Path, lang: Lang = "en") -> str:
    manifest = read_json(d / "sweep.json")
    exp_text = read_text(d / "experiment.resolved.yaml")
    exp = yaml.safe_load(exp_text) if exp_text else {}
    exp = exp if isinstance(exp, dict) else {}
    rows = read_csv(d / "summary.csv")
    factors, kpis = _factors_and_kpis(exp, list(rows[0]) if rows else [])
    note = pick(lang, "One row per design point: the experiment's KPIs (mean over replications, 95 % confidence "
                "interval beneath), then the design point in the key above. Every KPI is in summary.csv.",
                "每行一个设计点：先列出实验关注的指标（各次重复的平均值，下方为95%置信区间），再列出设计点（编码见上）。"
                "全部指标见 summary.csv。")
    body = (factor_key_html(factors, lang) + f'<p class="muted">{e(note)}</p>' + summary_table(rows, factors, kpis, lang)
            if rows else f'<p id="kpi-table" class="muted">{pick(lang, "No summary.csv in this folder.", "此目录中没有 summary.csv。")}</p>')
    failed = [f"<li>{e(pick(lang, 'run', '运行'))} {e(f.get('run'))}: {e(f.get('error'))}</li>"
              for f in manifest.get("failed", [])]
    resume = pick(lang, "A resume (<code>mobsim sweep EXPERIMENT --out DIR --resume</code>) runs them again.",
                  "续跑（<code>mobsim sweep EXPERIMENT --out DIR --resume</code>）会重新运行它们。")
    failures = f'<div id="failures"><ul>{"".join(failed)}</ul><p>{resume}</p></div>'
    sections = [("failures", pick(lang, f"Failures ({len(failed)})", f"失败（{len(failed)}）"), failures, "flags warn")
                if failed else ("failures", pick(lang, "Failures", "失败"),
                                f'<div id="failures"><p>{pick(lang, "No run failed.", "没有运行失败。")}</p></div>', "flags")]
    sections.append(("kpis", pick(lang, "Summary", "汇总"), body, ""))
    known = {f"kpi_{k.replace('.', '_')}.png": pick(lang, f"{kpi_name(k, lang)}: mean and 95 % CI per design point.",
                                                    f"{kpi_name(k, lang)}：各设计点的平均值及95%置信区间。") for k in kpis}
    known.update({f"sobol_{k.replace('.', '_')}.png": pick(lang, f"Sobol indices of {kpi_name(k, lang)}.",
                                                           f"{kpi_name(k, lang)}的Sobol指数。") for k in kpis})
    sections.append(("plots", t("sec.plots", lang), plots(d, known, ("kpi_*.png", "sobol_*.png"), t("no_plots", lang)), ""))
    if (d / "sobol.json").is_file():
        sections.append(("sobol", pick(lang, "Sobol indices", "Sobol指数"), _sobol_table(read_json(d / "sobol.json"), lang), ""))
    sections.append(("assumptions", pick(lang, "Experiment", "实验设定"),
                     yaml_details(d, ["experiment.resolved.yaml"], pick(lang, "resolved experiment", "完整实验设定"),
                                  t("no_yaml", lang)), ""))
    sections.append(("manifest", t("sec.manifest", lang), manifest_table(manifest, "sweep.json", t("no_manifest", lang)), ""))
    name = manifest.get("experiment", exp.get("name", d.name))
    sub = pick(lang, f"sweep folder {d.name}: {manifest.get('design', exp.get('design'))} design, {manifest.get('points')} "
                     f"design points \u00d7 {manifest.get('replications')} replications = {manifest.get('runs')} runs "
                     f"({manifest.get('runs_ok')} ok, {manifest.get('runs_failed')} failed)",
               f"扫描目录 {d.name}：{manifest.get('design', exp.get('design'))} 设计，{manifest.get('points')} 个设计点 "
               f"\u00d7 {manifest.get('replications')} 次重复 = {manifest.get('runs')} 次运行"
               f"（成功 {manifest.get('runs_ok')}，失败 {manifest.get('runs_failed')}）")
    return page(pick(lang, f"mobsim sweep: {name}", f"mobsim 参数扫描：{name}"), sub, sections, lang=lang,
                description=str(exp.get("description") or ""))
