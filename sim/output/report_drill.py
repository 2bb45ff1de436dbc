"""The drill page: after-action table (missed in red, pending in grey, largest gaps called out), each drill
incident's stage times, the animated map, the timeline and the narrative, in the page's language."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from sim.output.drill_map import JS_MAP, MAP_CSS, STATES, drill_frames, map_svg, t_
from sim.output.html import e, manifest_table, page, plots, read_csv, read_json, read_text, table, yaml_details
from sim.output.labels import Lang, term
from sim.output.messages import pick, t
from sim.scenario.drill import Drill, clock_to_min, min_to_clock

STAGES = (("discovered", "discovered_min", "发现"), ("reported", "reported_min", "上报"),
          ("dispatched", "dispatched_min", "派遣"), ("first arrival", "first_arrival_min", "首批到场"),
          ("staffed", "staffed_min", "人员到齐"), ("closed", "closed_min", "办结"))
AA_HEAD = {"inject": "注入", "at": "时刻", "event": "事件", "description": "说明", "expected_action": "预期行动",
           "expected_by": "预期完成", "simulated": "模拟", "actual": "实际", "simulated_met": "模拟达标",
           "actual_met": "实际达标", "gap_min": "差值（分钟）"}
VALUES = {"yes": "是", "no": "否", "pending": "待定", "never": "未发生", "incident": "事件", "activate": "启动",
          "link_down": "链路中断", "road_closed": "道路封闭", "unavailable": "无法出勤"}


def _v(v: str, lang: Lang) -> str:
    return VALUES.get(v, v) if lang == "zh" else v


def _gaps(rows: list[dict[str, str]], lang: Lang, top: int = 3) -> tuple[list[dict[str, str]], str]:
    gaps = sorted((r for r in rows if r.get("gap_min")), key=lambda r: -abs(float(r["gap_min"])))[:top]
    items = []
    for r in gaps:
        g = float(r["gap_min"])
        items.append(f"<li><b>{e(r['inject'])}</b> ({e(r.get('expected_action'))}): " + e(pick(
            lang, f"the model is {abs(g):.1f} min {'later' if g > 0 else 'earlier'} than the drill "
                  f"({r.get('simulated')} vs {r.get('actual')})",
            f"模型比实际演练{'晚' if g > 0 else '早'} {abs(g):.1f} 分钟（{r.get('simulated')} 对 {r.get('actual')}）")) + "</li>")
    misses = [r["inject"] for r in rows if r.get("simulated_met") == "no"]
    pending = [r["inject"] for r in rows if r.get("simulated_met") == "pending"]
    actual = [r["inject"] for r in rows if r.get("actual_met") == "no"]
    out = ""
    if items:
        out += f"<p><b>{pick(lang, 'Largest gaps between the model and the real drill:', '模型与实际演练差距最大的：')}</b></p>"
        out += f"<ul>{''.join(items)}</ul>"
    if misses:
        out += f"<p><b>{pick(lang, 'Targets the model misses:', '模型未达标：')}</b> {e(', '.join(misses))}</p>"
    if pending:
        out += (f"<p id=\"pending\"><b>{pick(lang, 'Pending (due after the replay stopped, not missed):', '待定（在回放停止之后才到期，不算未达标）：')}</b> "
                f"{e(', '.join(pending))}</p>")
    if actual:
        out += f"<p><b>{pick(lang, 'Targets the real drill missed:', '实际演练未达标：')}</b> {e(', '.join(actual))}</p>"
    return gaps, (f'<div class="callout" id="gaps">{out}</div>' if out else "")


def _after_action(rows: list[dict[str, str]], lang: Lang) -> str:
    if not rows:
        return f'<p id="after-action" class="muted">{pick(lang, "No after_action.csv in this folder.", "此目录中没有 after_action.csv。")}</p>'
    head = list(rows[0])
    gaps, callout = _gaps(rows, lang)
    big = {id(r) for r in gaps}
    body, classes = [], []
    for r in rows:
        cells: list[Any] = []
        for h in head:
            v = r.get(h, "")
            if h in ("simulated_met", "actual_met") and v == "no":
                cells.append((e(_v(v, lang)), "bad"))
            elif v == "pending":
                cells.append((e(_v(v, lang)), "wait"))
            elif h == "gap_min" and id(r) in big:
                cells.append((e(v), "big"))
            else:
                cells.append(e(_v(v, lang) if h in ("event", "simulated", "simulated_met", "actual_met") else v))
        body.append(cells)
        miss = r.get("simulated_met") == "no" or r.get("actual_met") == "no"
        classes.append("miss" if miss else "pending" if r.get("simulated_met") == "pending" else "")
    shown = [AA_HEAD.get(h, h) for h in head] if lang == "zh" else head
    note = pick(lang, "Expected vs simulated vs actual, per inject. Rows where a target is missed are red; targets "
                "due after a replay stopped with --until are pending (grey), not missed; the largest gaps are "
                "outlined. gap_min is simulated minus actual.",
                "逐条注入对比预期、模拟与实际。未达标的行标红；用 --until 提前停止回放时，之后才到期的目标为待定（灰色），"
                "不算未达标；差距最大的加框。差值为模拟减实际。")
    return f'<p class="muted">{e(note)}</p>' + callout + table(shown, body, "after-action", classes)


def _stage_table(incidents: list[dict[str, str]], start: float, lang: Lang) -> str:
    never = pick(lang, "never", "未发生")

    def cell(r: dict[str, str], col: str) -> str:
        v = r.get(col, "")
        if v == "":
            return never
        tt, t0 = float(v), float(r["onset_min"])
        return e(f"{min_to_clock(tt, start)} (+{tt - t0:.0f})")

    drill_rows = [r for r in incidents if r.get("inject")]
    other = [r for r in incidents if not r.get("inject")]
    stages = [s if lang == "en" else z for s, _c, z in STAGES]
    head = (*[pick(lang, x, y) for x, y in (("inject", "注入"), ("grid", "网格"), ("class", "类别"),
                                              ("severity", "等级"), ("onset", "发生"))],
            *stages, pick(lang, "served by", "处置力量"))
    rows = [[e(r["inject"]), e(r.get("grid")), e(term("class", r.get("class", ""), lang)),
             e(term("severity", r.get("severity", ""), lang)),
             e(min_to_clock(float(r["onset_min"]), start)), *(cell(r, c) for _s, c, _z in STAGES),
             e(" + ".join(term("force", f, lang) for f in r.get("served_by", "").split("+") if f))] for r in drill_rows]
    if other:
        means = []
        for _s, c, _z in STAGES:
            dt = [float(r[c]) - float(r["onset_min"]) for r in other if r.get(c)]
            means.append(pick(lang, f"mean +{sum(dt) / len(dt):.0f} ({len(dt)})", f"平均 +{sum(dt) / len(dt):.0f}（{len(dt)}）")
                         if dt else never)
        rows.append([e(pick(lang, f"background ({len(other)} incidents)", f"日常事件（{len(other)} 起）")), "", "", "", "",
                     *means, ""])
    if not rows:
        return f'<p id="kpi-table" class="muted">{pick(lang, "No incidents in this drill.", "本次演练没有事件。")}</p>'
    note = pick(lang, "Each stage of every drill incident: the drill clock and, in brackets, minutes after onset.",
                "每起演练事件各环节的演练时刻，括号内为距事件发生的分钟数。")
    return f'<p class="muted">{e(note)}</p>' + table(head, rows, "kpi-table")


def _narrative(d: Path, drill_text: str | None, lang: Lang, events: list[dict[str, Any]]) -> list[str]:
    """The narrative told again from the event log in the page's language; the recorded one if that fails."""
    if drill_text:
        try:
            from sim.output.narrative import narrative

            return narrative(events, Drill.model_validate(yaml.safe_load(drill_text)), lang)
        except Exception:  # an old or edited folder: show what was recorded
            pass
    return (read_text(d / "narrative.txt") or "").splitlines()


def drill_page(d: Path, lang: Lang = "en") -> str:
    manifest = read_json(d / "manifest.json")
    drill_text = read_text(d / "drill.resolved.yaml")
    drill = yaml.safe_load(drill_text) if drill_text else {}
    drill = drill if isinstance(drill, dict) else {}
    start_clock = manifest.get("start_clock") or drill.get("start_clock") or "00:00"
    try:
        start = clock_to_min(str(start_clock))
    except ValueError:
        start = 0.0
    events = [json.loads(line) for line in (read_text(d / "events.jsonl") or "").splitlines() if line.strip()]
    grids = read_csv(d / "grids.csv")
    story = _narrative(d, drill_text, lang, events)
    horizon = drill.get("horizon_min")
    if manifest.get("until_min") is not None:
        horizon = None
    anim = drill_frames(events, grids, drill.get("injects") or [], start,
                        float(horizon) if isinstance(horizon, (int, float)) else None, story, lang=lang)
    legend = "".join(f'<span><i style="background:{c}"></i>{e(STATES[s][0 if lang == "en" else 1])}</span>'
                     for s, c in ((1, "#e53935"), (2, "#fb8c00"), (3, "#43a047")))
    legend += (f'<span><i style="background:#dfe4ea"></i>{e(t_("no_incident", lang))}</span>'
               f'<span><i style="background:#dfe4ea;border:2px solid #111"></i>{e(t_("key_area", lang))}</span>'
               f'<span><i style="background:none;border:2px dashed #1565c0"></i>{e(t_("link_legend", lang))}</span>'
               f'<span><i style="background:none;border:2px dotted #6d4c41"></i>{e(t_("road_legend", lang))}</span>')
    last = len(anim["frames"]) - 1
    intro = pick(lang, f'The grids at their positions (grids.csv), every {anim["step_min"]} min of the drill: each grid '
                       f'coloured by its most urgent incident ("closed recently" = within {anim["recent_min"]} min); '
                       "triangles mark incidents, labelled with their inject (or #number).",
                 f'各网格按位置绘制（grids.csv），每 {anim["step_min"]} 分钟一帧：网格颜色表示其最紧急事件的状态'
                 f'（"刚办结"指 {anim["recent_min"]} 分钟内）；三角形标记事件及其注入编号（或 #序号）。')
    map_html = (
        f'<p class="muted">{e(intro)}</p>'
        f'<div class="controls noprint"><button id="play" type="button">{e(t_("play", lang))}</button>'
        f'<input id="slider" type="range" min="0" max="{last}" step="1" value="0" aria-label="drill time">'
        f'<span id="clock">{e(anim["frames"][0]["c"])}</span></div>'
        f'<div id="map-status">{e(anim["frames"][0]["s"])}</div>'
        f'{map_svg(grids, anim["markers"], lang)}<div class="legend">{legend}</div><div id="map-log"></div>')
    data_json = json.dumps(anim, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    data_json = data_json.replace("</", "<\\/").replace("<!--", "<\\!--")
    data = f'<script type="application/json" id="map-data">{data_json}</script>\n'
    aa = read_csv(d / "after_action.csv")
    incidents = read_csv(d / "incidents.csv")
    summary = [pick(lang, f"{len(events)} events", f"{len(events)} 个事件记录"),
               pick(lang, f"{len(incidents)} incidents", f"{len(incidents)} 起事件")]
    acts = manifest.get("activations") or []
    if acts:
        summary.append(pick(lang, "emergency mode from ", "应急状态始于 ") + ", ".join(min_to_clock(float(a), start) for a in acts))
    if manifest.get("until"):
        summary.append(pick(lang, f"replay stopped at {manifest['until']} (--until)", f"回放停止于 {manifest['until']}（--until）"))
    sections = [
        ("after-action", pick(lang, "After action", "演练复盘"), _after_action(aa, lang), ""),
        ("kpis", pick(lang, "Incident stages", "事件各环节"),
         _stage_table(incidents, start, lang) + f'<p class="muted">{e("; ".join(summary))}</p>', ""),
        ("map", pick(lang, "Map over time", "态势地图"), map_html, ""),
        ("timeline", pick(lang, "Timeline", "时间线"),
         plots(d, {"timeline.png": pick(lang, "Each drill incident stage by stage, and the teams that served them.",
                                        "每起演练事件的各环节，以及处置队伍的工作时段。")}, (), t("no_plots", lang)), ""),
        ("narrative", pick(lang, "Narrative", "过程记述"), f'<pre id="narrative">{e(chr(10).join(story))}</pre>', ""),
        ("assumptions", pick(lang, "Assumptions", "设定"),
         yaml_details(d, ["drill.resolved.yaml", "scenario.resolved.yaml"], pick(lang, "resolved input", "完整输入"),
                      t("no_yaml", lang)), ""),
        ("manifest", t("sec.manifest", lang), manifest_table(manifest, "manifest.json", t("no_manifest", lang)), ""),
    ]
    name = manifest.get("drill", drill.get("name", d.name))
    sub = pick(lang, f"drill folder {d.name}: starts {start_clock}, seed {manifest.get('seed')}",
               f"演练目录 {d.name}：开始于 {start_clock}，随机种子 {manifest.get('seed')}")
    return page(pick(lang, f"mobsim drill: {name}", f"mobsim 演练：{name}"), sub, sections, JS_MAP, data, lang,
                str(drill.get("description") or ""), MAP_CSS)
