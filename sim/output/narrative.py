"""A drill's step-through narrative: one plain line per event a trainer cares about, in English or Chinese.

Built from the event records alone (events.jsonl), so a report can tell the story again in another
language than the replay printed it in.
"""

from __future__ import annotations

import math
from typing import Any

from sim.output.labels import Lang, term
from sim.scenario.drill import Drill, min_to_clock

#: (English, Chinese) templates; {who}, {where}, ... are filled from the event record
LINES: dict[str, tuple[str, str]] = {
    "onset": ("{who}{where}: {severity} {cls} incident{desc}", "{who}{where}：{severity}{cls}事件{desc}"),
    "discovered": ("{who} discovered ({channel})", "{who}被发现（{channel}）"),
    "unreported": ("{who} is not reported (compliance)", "{who}未上报（上报率）"),
    "on_spot": ("{who} handled on the spot by the grid worker there", "{who}由当地网格员就地处置"),
    "reported": ("{who} reaches the command centre", "{who}报告送达指挥中心"),
    "dispatched_members": ("{who}: {n} party member(s) in place sent", "{who}：派出 {n} 名就地报到党员"),
    "dispatched": ("{who}: {force} #{unit} dispatched", "{who}：派出{force} #{unit}"),
    "arrived_members": ("{who}: {n} party member(s) on site", "{who}：{n} 名党员到场"),
    "arrived": ("{who}: {force} #{unit} on site", "{who}：{force} #{unit} 到场"),
    "staffed": ("{who} fully staffed", "{who}人员到齐"),
    "closed": ("{who} closed", "{who}办结"),
    "ordered_inject": ("inject {inject}: emergency response ordered by hand", "注入 {inject}：人工下令启动应急响应"),
    "ordered": ("the threshold is crossed: emergency response ordered", "达到启动阈值：下令启动应急响应"),
    "activated": ("EMERGENCY MODE: flat command, forces mobilise, party members report in place",
                  "进入应急状态：扁平化指挥，力量动员，党员就地报到"),
    "deactivated": ("back to peacetime after a quiet period", "平稳期后恢复平时状态"),
    "branch_formed": ("temporary party branch formed in {community}", "在 {community} 成立临时党支部"),
    "on_duty": ("first {force} in place ({at})", "首批{force}到位（{at}）"),
    "unavailable": ("{units} {force} unavailable", "{units} 名{force}无法出勤"),
    "link_down": ("reporting link down for {grids} grid(s)", "{grids} 个网格上报链路中断"),
    "road_closed": ("roads closed to {grids} grid(s)", "通往 {grids} 个网格的道路封闭"),
    "inject": ("inject {inject}: {what}", "注入 {inject}：{what}"),
    "until": (" until {clock}", "，至 {clock}"),
    "available_again": ("the members are available again", "人员恢复出勤"),
    "link_restored": ("reporting link restored", "上报链路恢复"),
    "road_opened": ("roads open again", "道路恢复通行"),
    "who": ("incident {x}", "事件 {x}"),
    "where": (" at {grid}", "（{grid}）"),
}
CHANNELS = {"patrol": ("patrol", "巡查"), "informant": ("informant", "信息员"), "hotline": ("hotline", "热线"),
            "instant": ("at once", "即时"), "injected": ("inject", "注入")}


def _l(key: str, lang: Lang, **kw: Any) -> str:
    pair = LINES[key]
    return (pair[0] if lang == "en" else pair[1]).format(**kw)


def narrative(records: list[dict[str, Any]], drill: Drill, lang: Lang = "en") -> list[str]:
    """One plain line per event a trainer cares about (not every unit going on duty)."""
    injects = {i.id: i for i in drill.injects}
    first_on: set[str] = set()
    out = []
    for r in records:
        k, c = r["event"], r["clock"]
        who = _l("who", lang, x=r["inject"] if r.get("inject") else f"#{r.get('incident')}")
        where = _l("where", lang, grid=r.get("grid")) if r.get("grid") else ""
        force = term("force", str(r.get("force")), lang)
        line = None
        if k == "onset":
            desc = injects[r["inject"]].description if r.get("inject") in injects else ""
            line = _l("onset", lang, who=who, where=where, severity=term("severity", r["severity"], lang),
                      cls=term("class", r["class"], lang), desc=f" - {desc}" if desc else "")
        elif k == "discovered":
            ch = CHANNELS.get(str(r.get("channel")), (str(r.get("channel")),) * 2)
            line = _l("discovered", lang, who=who, channel=ch[0] if lang == "en" else ch[1])
        elif k in ("unreported", "on_spot", "reported", "staffed", "closed"):
            line = _l(k, lang, who=who)
        elif k in ("dispatched", "arrived"):
            n = r.get("members")
            line = (_l(f"{k}_members", lang, who=who, n=n) if n else
                    _l(k, lang, who=who, force=force, unit=r.get("unit")))
        elif k == "activation_ordered":
            line = _l("ordered_inject", lang, inject=r["inject"]) if r.get("inject") else _l("ordered", lang)
        elif k in ("activated", "deactivated"):
            line = _l(k, lang)
        elif k == "branch_formed":
            line = _l(k, lang, community=r["community"])
        elif k == "on_duty" and r["force"] not in first_on and r["t_min"] > 0:
            first_on.add(r["force"])
            line = _l("on_duty", lang, force=force, at=r["at"])
        elif k in ("unavailable", "link_down", "road_closed"):
            inj = injects.get(r["inject"])
            what = _l(k, lang, units=r.get("units"), force=force, grids=r.get("grids"))
            until = r.get("until_min")
            if until is not None and math.isfinite(until):
                what += _l("until", lang, clock=min_to_clock(until, drill.start_min))
            line = _l("inject", lang, inject=r["inject"], what=what)
            if inj and inj.description:
                line += f" - {inj.description}"
        elif k in ("available_again", "link_restored", "road_opened"):
            line = _l("inject", lang, inject=r["inject"], what=_l(k, lang))
        if line:
            out.append(f"{c}  {line}")
    return out
