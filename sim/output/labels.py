"""One set of labels, English and Simplified Chinese, for every KPI and every name a table shows.

Keyed by KPI name. A KPI is a base (`response_mean_min`), a base under a prefix that narrows the incidents
it counts (`peacetime.`, `emergency.`, `hazard.`), or a member of a family (`utilisation.<force>`). The
label of a prefixed KPI is composed from the prefix and the base, so a new prefix or base needs one entry
here, not one per combination; `tests/test_labels.py` fails for any KPI of `sim.experiment.kpi_names()`
that has no label in both languages. The terminal, the reports, the plots and the xlsx export all read
their wording from here, so a label changed here changes everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")
#: how a value is shown: minutes (one decimal), a share (percent), a count, a scenario time (a clock)
Kind = Literal["duration", "share", "count", "time"]
#: the report's KPI groups, in the order shown
GROUPS = ("response", "stages", "switch", "forces", "tasks", "other")

UNITS: dict[Kind, tuple[str, str]] = {
    "duration": ("min", "分钟"),
    "share": ("%", "%"),
    "count": ("number", "个数"),
    "time": ("clock time", "时刻"),
}

GROUP_NAMES: dict[str, tuple[str, str]] = {
    "response": ("Response", "响应"),
    "stages": ("Where the minutes go", "各环节用时"),
    "switch": ("The switch", "平急转换"),
    "forces": ("Forces", "力量使用"),
    "tasks": ("Tasks", "任务"),
    "other": ("Other", "其他"),
}


@dataclass(frozen=True)
class Base:
    kind: Kind
    group: str
    en: tuple[str, str]  # name, one-line meaning
    zh: tuple[str, str]


#: the base KPIs (no prefix)
KPIS: dict[str, Base] = {
    "incidents": Base("count", "response", ("incidents", "Incidents with an onset in the horizon, per replication."),
                      ("事件数", "每次重复中在模拟时段内发生的事件数。")),
    "response_mean_min": Base("duration", "response",
                              ("mean response", "Mean minutes from onset to the first responder on site; an incident never reached counts to the end of the run."),
                              ("平均响应时间", "从事件发生到首批人员到场的平均分钟数；始终未到场的事件计至运行结束。")),
    "response_p50_min": Base("duration", "response",
                             ("median response", "Half of the incidents had a responder on site within this time (never reached: the end of the run)."),
                             ("响应时间中位数", "一半事件在此时间内有人员到场（未到场的计至运行结束）。")),
    "response_p90_min": Base("duration", "response",
                             ("90th-percentile response", "90 % of the incidents had a responder on site within this time (never reached: the end of the run)."),
                             ("响应时间90分位数", "90%的事件在此时间内有人员到场（未到场的计至运行结束）。")),
    "response_p95_min": Base("duration", "response",
                             ("95th-percentile response", "95 % of the incidents had a responder on site within this time (never reached: the end of the run)."),
                             ("响应时间95分位数", "95%的事件在此时间内有人员到场（未到场的计至运行结束）。")),
    "reached_share": Base("share", "response",
                          ("reached", "Share of incidents that anyone reached before the end of the run."),
                          ("到场率", "运行结束前有人员到场的事件占比。")),
    "within_target_share": Base("share", "response",
                                ("within target", "Share of incidents reached within their class's target time; never reached counts as a miss."),
                                ("达标率", "在所属类别目标时限内有人员到场的事件占比；始终未到场的计为未达标。")),
    "staffed_mean_min": Base("duration", "response",
                             ("mean time to full staffing", "Mean minutes from onset until every responder the incident needs is on site (never: the end of the run)."),
                             ("平均满员时间", "从事件发生到所需人员全部到场的平均分钟数（未满员的计至运行结束）。")),
    "unreported_count": Base("count", "response",
                             ("unreported", "Incidents never reported to the command centre, per replication."),
                             ("未上报事件", "每次重复中始终未上报到指挥中心的事件数。")),
    "unserved_count": Base("count", "response",
                           ("reported, never reached", "Incidents reported but never reached by a responder, per replication."),
                           ("已上报未到场", "每次重复中已上报但始终无人到场的事件数。")),
    "discovery_mean_min": Base("duration", "stages",
                               ("discovery", "Mean minutes from onset until someone notices the incident."),
                               ("发现", "从事件发生到被发现的平均分钟数。")),
    "reporting_mean_min": Base("duration", "stages",
                               ("reporting", "Mean minutes from discovery until the report reaches the command centre."),
                               ("上报", "从发现到报告送达指挥中心的平均分钟数。")),
    "dispatch_mean_min": Base("duration", "stages",
                              ("dispatch", "Mean minutes from the report until a responder is sent (triage and waiting for a free one)."),
                              ("派遣", "从收到报告到派出人员的平均分钟数（研判及等待空闲人员）。")),
    "travel_mean_min": Base("duration", "stages",
                            ("travel", "Mean minutes from dispatch until the first responder is on site."),
                            ("路途", "从派出到首批人员到场的平均分钟数。")),
    "closure_mean_min": Base("duration", "stages",
                             ("time to closure", "Mean minutes from onset until the incident is closed (not closed: the end of the run)."),
                             ("办结用时", "从事件发生到办结的平均分钟数（未办结的计至运行结束）。")),
    "backlog_at_horizon": Base("count", "switch",
                               ("backlog at the horizon", "Incidents still open at the end of the incident period, per replication."),
                               ("期末积压", "模拟时段结束时仍未办结的事件数。")),
    "activation_min": Base("time", "switch",
                           ("emergency mode begins", "When the district first switched to emergency mode (flat command)."),
                           ("启动应急响应", "辖区首次转入应急状态（扁平化指挥）的时刻。")),
    "deactivation_min": Base("time", "switch",
                             ("back to peacetime", "When the district first returned to peacetime after a quiet period."),
                             ("恢复平时状态", "经过平稳期后辖区首次恢复平时状态的时刻。")),
    "branches_formed": Base("count", "switch",
                            ("temporary branches formed", "Temporary party branches formed at key sites, per replication."),
                            ("临时党支部", "每次重复中在重点区域成立的临时党支部数。")),
    "level_max": Base("count", "switch",
                      ("highest response level", "The highest response level reached: 0 none, 1 level IV, 2 level III, 3 level II, 4 level I."),
                      ("最高响应级别", "达到的最高应急响应级别：0 未启动，1 为Ⅳ级，2 为Ⅲ级，3 为Ⅱ级，4 为Ⅰ级。")),
    "transfers": Base("count", "switch",
                      ("units moved between towns", "Units the district moved from a town with people to spare to one with a backlog, per replication."),
                      ("跨镇调派", "每次重复中区级从有余力的镇调往积压镇的力量数。")),
    "evacuation.residents": Base("count", "tasks",
                                 ("residents to evacuate", "Vulnerable residents to move to shelters, per replication."),
                                 ("需转移人员", "每次重复中需转移至安置点的重点人群人数。")),
    "evacuation.moved_by_deadline_share": Base("share", "tasks",
                                               ("evacuated by the deadline", "Share of the vulnerable residents escorted to a shelter place by the evacuation deadline."),
                                               ("按时转移率", "在转移时限前被护送至安置点的重点人群占比。")),
    "evacuation.in_place_at_onset": Base("count", "tasks",
                                         ("still at home when the hazard began", "Vulnerable residents not yet moved when the hazard began, per replication."),
                                         ("灾害来临时未转移", "每次重复中灾害来临时仍未转移的重点人群人数。")),
    "evacuation.without_place": Base("count", "tasks",
                                     ("left without a shelter place", "Vulnerable residents for whom no shelter had a place left, per replication."),
                                     ("无安置床位", "每次重复中因安置点满员而无处安置的人数。")),
    "evacuation.done_min": Base("time", "tasks",
                                ("evacuation finished", "When the last grid's evacuation was done."),
                                ("转移完成", "最后一个网格完成转移的时刻。")),
    "posts.post_hours": Base("count", "tasks",
                             ("post person-hours needed", "Person-hours the posts needed over their window (sites × people on post × hours)."),
                             ("值守所需人时", "值守点在值守期内所需的人时数（点位×在岗人数×小时）。")),
    "posts.uncovered_hours": Base("count", "tasks",
                                  ("post person-hours uncovered", "Person-hours of post duty with nobody there, per replication."),
                                  ("值守空岗人时", "每次重复中值守点无人在岗的人时数。")),
    "posts.uncovered_share": Base("share", "tasks",
                                  ("posts uncovered", "Share of the post person-hours needed with nobody on post."),
                                  ("空岗率", "值守所需人时中无人在岗的占比。")),
    "warnings.households": Base("count", "tasks",
                                ("households to warn", "Households to warn door to door, per replication."),
                                ("需入户通知户数", "每次重复中需入户通知的户数。")),
    "warnings.warned_by_deadline_share": Base("share", "tasks",
                                              ("warned by the deadline", "Share of those households warned by the warning deadline."),
                                              ("按时通知率", "在通知时限前完成入户通知的户数占比。")),
}

#: prefixes that narrow a base KPI to some incidents: (English qualifier, Chinese qualifier, meaning)
PREFIXES: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "peacetime": (("peacetime", "Incidents with their onset in peacetime."), ("平时", "发生于平时状态的事件。")),
    "emergency": (("emergency", "Incidents with their onset in emergency mode."), ("应急", "发生于应急状态的事件。")),
    "hazard": (("hazard", "Incidents caused by the hazard (the emergency's own incidents)."),
               ("灾害", "由灾害引发的事件。")),
}

#: families `<family>.<member>`: kind, group, (English name, meaning) and Chinese, `{x}` the member's label
FAMILIES: dict[str, Base] = {
    "utilisation": Base("share", "forces",
                        ("utilisation of {x}", "Busy minutes of {x} over their minutes on duty."),
                        ("{x}利用率", "{x}忙碌时间占在岗时间的比例。")),
    "work_share": Base("share", "tasks",
                       ("work on {x}", "Share of the responders' working minutes (incidents and tasks; party members in place not counted) spent on {x}."),
                       ("{x}工作占比", "各力量工作时间（事件与任务，不含就地报到党员）中用于{x}的比例。")),
}

#: the TERMS group that names the members of each family
FAMILY_MEMBERS = {"utilisation": "force", "work_share": "task"}

#: names that tables and plots show: group -> name -> (English, Chinese)
TERMS: dict[str, dict[str, tuple[str, str]]] = {
    "force": {
        "grid_worker": ("grid workers", "网格员"),
        "town_team": ("town teams", "镇级应急队伍"),
        "village_team": ("village teams", "村（社区）应急队伍"),
        "group_team": ("group teams", "村民小组队伍"),
        "resident_team": ("resident teams", "驻村团队"),
        "agency_duty": ("agency duty officers", "机关值班人员"),
        "agency_team": ("agency teams", "机关应急队"),
        "party_member": ("party members in place", "就地报到党员"),
    },
    "class": {
        "simple": ("simple", "简单（即办）"),
        "complex": ("complex", "复杂（研办）"),
        "cross_cutting": ("cross-cutting", "交叉（联办）"),
        "departmental": ("departmental", "部门（转办）"),
        "urgent": ("urgent", "紧急（急办）"),
    },
    "severity": {"minor": ("minor", "一般"), "serious": ("serious", "较大"), "major": ("major", "重大")},
    "phase": {"all": ("all incidents", "全部事件"), "peacetime": ("peacetime", "平时"),
              "emergency": ("emergency", "应急"), "hazard": ("hazard", "灾害")},
    "source": {"background": ("background", "日常事件"), "hazard": ("hazard", "灾害事件"),
               "trace": ("trace", "记录回放"), "drill": ("drill inject", "演练注入")},
    "task": {"evacuation": ("evacuation", "重点人群转移"), "posts": ("posts on duty", "巡查值守"),
             "warnings": ("warning rounds", "入户通知"), "incident": ("incidents", "事件")},
    "stage": {"discovery": ("discovery", "发现"), "reporting": ("reporting", "上报"),
              "dispatch": ("dispatch", "派遣"), "travel": ("travel", "路途"), "on_site": ("on site", "现场处置")},
    "kind": {"rural": ("rural", "农村"), "community": ("urban community", "城市社区"), "building": ("building", "楼宇"),
             "commercial": ("business district", "商圈"), "industrial": ("industrial park", "工业园区")},
}


@dataclass(frozen=True)
class KpiLabel:
    """What a person reads for one KPI in one language."""

    kpi: str
    name: str
    unit: str
    meaning: str
    kind: Kind
    group: str
    prefix: str  # "" or a prefix of PREFIXES
    base: str  # the KPI without its prefix


def _pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[0] if lang == "en" else pair[1]


def term(group: str, name: str, lang: Lang = "en") -> str:
    """The label of a force, class, severity, phase, source, stage or grid kind; the name itself if unknown."""
    pair = TERMS.get(group, {}).get(name)
    if pair is None:
        return name.replace("_", " ")
    return _pick(pair, lang)


def kpi_label(kpi: str, lang: Lang = "en") -> KpiLabel | None:
    """The label of `kpi`, composed for prefixed KPIs and families; None when no label covers it."""
    head, _, rest = kpi.partition(".")
    if rest and head in PREFIXES:
        inner = kpi_label(rest, lang)
        if inner is None or inner.prefix:
            return None
        q, qm = PREFIXES[head][0 if lang == "en" else 1]
        name = f"{q} {inner.name}" if lang == "en" else f"{q}{inner.name}"
        sep = " " if lang == "en" else ""
        return KpiLabel(kpi, name, inner.unit, f"{inner.meaning}{sep}{qm}", inner.kind, inner.group, head, rest)
    if rest and head in FAMILIES:
        fam = FAMILIES[head]
        group_of_member = FAMILY_MEMBERS[head]
        if rest not in TERMS.get(group_of_member, {rest: ("", "")}):
            return None
        x = term(group_of_member, rest, lang)
        n, m = fam.en if lang == "en" else fam.zh
        return KpiLabel(kpi, n.format(x=x), _pick(UNITS[fam.kind], lang), m.format(x=x), fam.kind, fam.group, "", kpi)
    b = KPIS.get(kpi)
    if b is None:
        return None
    n, m = b.en if lang == "en" else b.zh
    return KpiLabel(kpi, n, _pick(UNITS[b.kind], lang), m, b.kind, b.group, "", kpi)


def kind_of(kpi: str) -> Kind:
    """How to show a KPI's values; guessed from its name's suffix when it has no label yet."""
    lab = kpi_label(kpi)
    if lab is not None:
        return lab.kind
    if kpi.endswith("_share") or kpi.startswith("utilisation."):
        return "share"
    if kpi.endswith("_min"):
        return "duration"
    return "count"


def kpi_name(kpi: str, lang: Lang = "en") -> str:
    """The readable name; a KPI without a label (one added since) shows its own name rather than nothing."""
    lab = kpi_label(kpi, lang)
    return lab.name if lab is not None else kpi


def group_of(kpi: str) -> str:
    lab = kpi_label(kpi)
    return lab.group if lab is not None else "other"
