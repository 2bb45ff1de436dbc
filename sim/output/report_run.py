"""The run page: a few headline sentences first, then the KPIs in groups (response by phase, where the
minutes go, the switch, the forces), per-town and per-class tables, the plots, the scenario and the manifest.
Printable: nothing scrolls inside the page."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sim.output import fmt
from sim.output.breakdown import STAGE_NAMES, enrich, summary_by, targets_of
from sim.output.diagnosis import means_of, run_diagnosis, uses
from sim.output.fonts import font_note
from sim.output.frames import read_incidents
from sim.output.html import e, manifest_table, page, plots, read_json, read_text, table, yaml_details
from sim.output.labels import GROUP_NAMES, GROUPS, PREFIXES, Lang, kind_of, kpi_label, kpi_name, term
from sim.output.messages import pick, t
from sim.output.run_plots import RUN_PLOTS, redraw

CAPTIONS = {"stages.png": "cap.stages", "response_ecdf.png": "cap.ecdf", "mobilisation.png": "cap.mob",
            "response_map.png": "cap.map"}


def _cell(kpi: str, k: dict[str, Any] | None, lang: Lang) -> str:
    if not k:
        return ""
    kind = kind_of(kpi)
    return (f'<span data-kpi="{e(kpi)}">{e(fmt.number(kind, k.get("mean"), lang))}</span>'
            f"<small>{e(fmt.interval(kind, k.get('ci95_low'), k.get('ci95_high'), lang))}</small>")


def grouped_kpis(kpis: dict[str, Any], lang: Lang, forces: str = "") -> str:
    """One table per group; a base KPI is a row, its prefixed variants (peacetime, emergency, hazard) columns."""
    by_group: dict[str, dict[str, dict[str, str]]] = {}
    for kpi in kpis:
        lab = kpi_label(kpi, lang)
        group, base, prefix = (lab.group, lab.base, lab.prefix) if lab else ("other", kpi, "")
        by_group.setdefault(group, {}).setdefault(base, {})[prefix] = kpi
    out = []
    first = True
    for group in GROUPS:
        rows = by_group.get(group)
        if group == "forces" and forces:
            out.append(f'<div class="group"><h3>{e(GROUP_NAMES[group][0 if lang == "en" else 1])}</h3>{forces}</div>')
            continue
        if not rows:
            continue
        rows = {b: v for b, v in rows.items() if any((kpis.get(k) or {}).get("mean") is not None for k in v.values())}
        prefixes = [p for p in ("", *PREFIXES) if any(p in v for v in rows.values())]
        # a group of KPIs with no phase variants (the switch, the tasks) has one column: the mean and its CI
        head = [t("col.kpi", lang), *((term("phase", p or "all", lang) for p in prefixes) if prefixes != [""]
                                      else [t("col.value", lang)])]
        body = []
        for base, variants in rows.items():
            lab = kpi_label(base, lang)
            name = lab.name if lab else base
            unit = f" ({lab.unit})" if lab and lab.kind == "duration" else ""
            meaning = f'<span class="meaning">{e(lab.meaning)}</span>' if lab else ""
            body.append([f"{e(name + unit)}{meaning}", *(_cell(variants[p], kpis.get(variants[p]), lang)
                                                          if p in variants else "" for p in prefixes)])
        tid = "kpi-table" if first else f"kpi-{group}"
        first = False
        out.append(f'<div class="group"><h3>{e(GROUP_NAMES[group][0 if lang == "en" else 1])}</h3>'
                   + table(head, body, tid, numeric=range(1, len(head)), cls="kpis") + "</div>")
    return f'<div class="groups">{"".join(out)}</div>'



def every_kpi(kpis: dict[str, Any], lang: Lang) -> str:
    rows = []
    for kpi, k in kpis.items():
        lab = kpi_label(kpi, lang)
        values = [v for v in k.get("values", []) if v is not None and math.isfinite(v)]
        kind = kind_of(kpi)
        rows.append([f"<code>{e(kpi)}</code>", e(kpi_name(kpi, lang)), e(lab.unit if lab else ""),
                     e(fmt.number(kind, k.get("mean"), lang)), e(fmt.interval(kind, k.get("ci95_low"), k.get("ci95_high"), lang)),
                     str(len(values)), e(lab.meaning if lab else "")])
    head = [t(c, lang) for c in ("col.code", "col.kpi", "col.unit", "col.value", "col.ci", "col.n", "col.meaning")]
    return (f"<details id=\"every-kpi\"><summary>{e(t('sec.all_kpis', lang))} ({len(rows)})</summary>"
            + table(head, rows, "all-kpis", numeric=(3, 4, 5)) + "</details>")


def breakdown_table(df: pd.DataFrame, column: str, lang: Lang, targets: dict[str, float] | None = None,
                    table_id: str = "") -> str:
    head = [t("col.town" if column == "town" else "col.class", lang)]
    if targets is not None:
        head.append(t("col.target", lang))
    head += [t(c, lang) for c in ("col.incidents", "col.reached", "col.median", "col.p90", "col.within")]
    head += [f"{term('stage', s, lang)} {pick(lang, '(min)', '（分钟）')}" for s in STAGE_NAMES] + [t("col.served_most", lang)]
    if column == "class" and targets:
        order = {c: i for i, c in enumerate(targets)}
        df = df.sort_values(column, key=lambda c: c.map(order))
    rows = []
    for _i, r in df.iterrows():
        name = str(r[column])
        cells = [e(term("class", name, lang) if column == "class" else name)]
        if targets is not None:
            cells.append(e(fmt.number("duration", targets.get(name))))
        cells += [e(fmt.count(float(r["incidents_per_replication"]))), e(fmt.number("share", r["reached_share"], lang)),
                  e(fmt.number("duration", r["response_p50_min"])), e(fmt.number("duration", r["response_p90_min"])),
                  e(fmt.number("share", r["within_target_share"], lang)),
                  *(e(fmt.number("duration", r[f"{s}_mean_min"])) for s in STAGE_NAMES),
                  e(term("force", str(r["served_most_by"]), lang) if r["served_most_by"] else "")]
        rows.append(cells)
    nums = range(1, len(head) - 1)
    return table(head, rows, table_id, numeric=nums)


def forces_table(summary: dict[str, Any], inc: pd.DataFrame, lang: Lang) -> str:
    """Per force: the share of incidents it served (from the records) and its utilisation with its CI."""
    kpis = summary.get("kpis", {})
    rows = []
    for u in uses(means_of(summary), inc):
        scope = pick(lang, " of emergency incidents", "（应急期间事件）") if u.scope_name == "emergency" else ""
        k = f"utilisation.{u.force}"
        rows.append([e(term("force", u.force, lang)), e(f"{u.served:,} ({fmt.number('share', u.share, lang)}{scope})"),
                     _cell(k, kpis.get(k), lang) if k in kpis else fmt.DASH])
    head = [t("col.force", lang), t("col.served", lang), t("col.utilisation", lang)]
    note = f'<p class="muted">{e(t("force_note", lang))}</p>'
    return table(head, rows, "forces-table", numeric=(1, 2)) + note


def headline(summary: dict[str, Any], inc: pd.DataFrame, lang: Lang) -> list[tuple[str, str]]:
    """(sentence, CSS class) for the top of the page: response, target, switch, load, then the diagnosis."""
    k = summary.get("kpis", {})
    m = means_of(summary)
    out: list[tuple[str, str]] = []

    def v(name: str, kind: str = "duration") -> str:
        return fmt.with_unit(kind, m.get(name), lang)  # type: ignore[arg-type]

    if "response_p50_min" in k and m.get("reached_share") == 0:  # its times would all be the end of the run
        out.append((pick(lang, "No incident had a responder on site before the end of the run.",
                         "运行结束前没有任何事件有人员到场。"), ""))
    elif "response_p50_min" in k:
        out.append((pick(lang, f"Half of the incidents had a responder on site within {v('response_p50_min')}, and "
                               f"90 % within {v('response_p90_min')} (mean {v('response_mean_min')}).",
                         f"一半事件在 {v('response_p50_min')}内有人员到场，90% 在 {v('response_p90_min')}内"
                         f"（平均 {v('response_mean_min')}）。"), ""))
    if len(inc):
        never = 1 - float(inc["reached"].mean())
        within = v("within_target_share", "share")
        out.append((pick(lang, f"{within} of all incidents were reached within their class's target time; "
                               f"{fmt.number('share', never, lang)} were never reached.",
                         f"{within} 的事件在所属类别目标时限内有人员到场；{fmt.number('share', never, lang)} 的事件始终无人到场。"), ""))
    acts = [x for x in (k.get("activation_min") or {}).get("values", []) if x is not None and math.isfinite(x)]
    n = len(summary.get("replications_done", []))
    if acts:
        rng = (pick(lang, f"; earliest {fmt.clock(min(acts), lang)}, latest {fmt.clock(max(acts), lang)}",
                    f"；最早 {fmt.clock(min(acts), lang)}，最晚 {fmt.clock(max(acts), lang)}") if len(acts) > 1 else "")
        out.append((pick(lang, f"Emergency mode began at {fmt.clock(sum(acts) / len(acts), lang)} (mean of {len(acts)} of {n} "
                               f"replications{rng}); emergency mean response {v('emergency.response_mean_min')}, "
                               f"peacetime {v('peacetime.response_mean_min')}.",
                         f"平均于 {fmt.clock(sum(acts) / len(acts), lang)} 进入应急状态（{n} 次重复中 {len(acts)} 次{rng}）；"
                         f"应急期间平均响应 {v('emergency.response_mean_min')}，平时 {v('peacetime.response_mean_min')}。"), ""))
    elif "activation_min" in k:
        out.append((pick(lang, "The district never switched to emergency mode.", "辖区始终未进入应急状态。"), ""))
    load = uses(m, inc) if len(inc) else []
    if load:
        top, rest = load[0], load[1:3]
        others = ", ".join(f"{term('force', u.force, lang)} ({fmt.number('share', u.share, lang)})" for u in rest)
        busy = fmt.number("share", top.utilisation, lang)
        busy_en = "" if math.isnan(top.utilisation) else f" (busy {busy} of their time on duty)"
        busy_zh = "" if math.isnan(top.utilisation) else f"（忙碌时间占在岗时间 {busy}）"
        name = term("force", top.force, lang)
        out.append((pick(lang, f"{name[0].upper() + name[1:]} carried the load: they served {fmt.number('share', top.share, lang)} "
                               f"of the incidents{busy_en}" + (f"; then {others}." if others else "."),
                         f"{name}承担了主要工作：参与处置 {fmt.number('share', top.share, lang)} 的事件{busy_zh}"
                         + (f"；其次是{others.replace(', ', '、')}。" if others else "。")), ""))
    out += [(s, "diag") for s in run_diagnosis(m, inc, lang)]
    return out


def run_page(d: Path, lang: Lang = "en") -> str:
    summary = read_json(d / "summary.json")
    manifest = read_json(d / "manifest.json") if (d / "manifest.json").is_file() else {}
    text = read_text(d / "scenario.resolved.yaml")
    scenario = yaml.safe_load(text) if text else {}
    scenario = scenario if isinstance(scenario, dict) else {}
    kpis: dict[str, Any] = summary.get("kpis", {})
    targets = targets_of(scenario)
    inc = enrich(read_incidents(d / "incidents.csv"), targets) if (d / "incidents.csv").is_file() else pd.DataFrame()
    done = summary.get("replications_done", [])
    sections: list[tuple[str, str, str, str]] = []
    note = font_note(lang)
    if note:
        sections.append(("note", t("sec.note", lang), f'<p id="font-note">{e(note)}</p>', "note"))
    if kpis:
        items = "".join(f'<li class="{c}">{e(s)}</li>' if c else f"<li>{e(s)}</li>" for s, c in headline(summary, inc, lang))
        sections.append(("headline", t("sec.headline", lang), f'<ul class="headline" id="headline">{items}</ul>', ""))
    flags = list(dict.fromkeys([*summary.get("flags", []), *manifest.get("flags", [])]))
    items_f = [f"<li>{e(t('flag', lang, text=f))}</li>" for f in flags]
    items_f += [f"<li>{e(t('failed_rep', lang, r=f.get('replication'), error=f.get('error')))}</li>"
                for f in summary.get("failed", [])]
    if items_f:
        sections.append(("flags", t("sec.flags_n", lang, n=len(items_f)), f'<div id="flags"><ul>{"".join(items_f)}</ul></div>',
                         "flags warn"))
    else:
        sections.append(("flags", t("sec.flags", lang), f'<div id="flags"><p>{e(t("no_flags", lang))}</p></div>', "flags"))
    if kpis:
        forces = forces_table(summary, inc, lang) if len(inc) else ""
        body = (f'<p class="muted">{e(t("kpi_note", lang, n=len(done)))}</p>' + grouped_kpis(kpis, lang, forces)
                + every_kpi(kpis, lang))
    else:
        body = f'<p id="kpi-table" class="muted">{e(t("no_kpis", lang))}</p>'
    sections.append(("kpis", t("sec.kpis", lang), body, ""))
    if len(inc):
        towns = breakdown_table(summary_by(inc, "town"), "town", lang, None, "town-table")
        classes = breakdown_table(summary_by(inc, "class"), "class", lang, targets, "class-table")
        two = (f"<h3>{e(t('sec.towns', lang))}</h3>{towns}<h3>{e(t('sec.classes', lang))}</h3>{classes}")
        sections.append(("towns", pick(lang, "By town and by class", "分镇（街道）与分类别"),
                         f'<p class="muted">{e(t("town_note", lang))}</p>{two}', ""))
    known = {n: t(CAPTIONS[n], lang) for n in RUN_PLOTS}
    with tempfile.TemporaryDirectory() as tmp:  # a report in another language than the run's: the plots too
        where = Path(tmp) if scenario.get("lang", "en") != lang and redraw(d, scenario, Path(tmp), lang) else d
        sections.append(("plots", t("sec.plots", lang), plots(where, known, ("*.png",), t("no_plots", lang)), ""))
    sections.append(("assumptions", t("sec.scenario", lang), f'<p class="muted">{e(t("resolved_note", lang))}</p>'
                     + yaml_details(d, ["scenario.resolved.yaml"], t("resolved_scenario", lang), t("no_yaml", lang)), ""))
    sections.append(("manifest", t("sec.manifest", lang),
                     "<details><summary>manifest.json</summary>"
                     + manifest_table(manifest, "manifest.json", t("no_manifest", lang)) + "</details>", ""))
    name = summary.get("scenario", d.name)
    sub = t("run.sub", lang, folder=d.name, done=len(done), total=summary.get("replications"), seed=summary.get("seed"))
    return page(t("run.title", lang, name=name), sub, sections, lang=lang, description=str(scenario.get("description") or ""))
