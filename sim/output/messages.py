"""The words of the pages and the terminal that are not KPI or key labels (those are in `labels`), in English
and Simplified Chinese. `t(key, lang, **values)` formats one; a key missing in one language is a test
failure (`tests/test_labels.py`), never a blank on a page.
"""

from __future__ import annotations

from typing import Any

from sim.output.labels import Lang

M: dict[str, tuple[str, str]] = {
    # ---- page frame
    "run.title": ("mobsim run: {name}", "mobsim 运行结果：{name}"),
    "run.sub": ("run folder {folder}: {done} of {total} replications, seed {seed}",
                "运行目录 {folder}：完成 {done}/{total} 次重复，随机种子 {seed}"),
    "sec.headline": ("In short", "要点"),
    "sec.flags": ("Flags", "提示"),
    "sec.flags_n": ("Flags ({n})", "提示（{n}）"),
    "sec.kpis": ("KPIs", "指标"),
    "sec.towns": ("By town", "分镇（街道）"),
    "sec.classes": ("By incident class", "分事件类别"),
    "sec.forces": ("Forces", "力量使用"),
    "sec.plots": ("Plots", "图表"),
    "sec.scenario": ("Scenario", "情景设定"),
    "sec.manifest": ("Manifest", "运行记录"),
    "sec.all_kpis": ("Every KPI", "全部指标"),
    "sec.note": ("Note", "说明"),
    "no_flags": ("No flags: the scenario keeps every rule it is checked against (such as agency teams of at least "
                 "20 % of staff), and no replication failed.",
                 "无提示：情景符合所有校验规则（如机关应急队不少于在职人数的20%），且没有重复运行失败。"),
    "flag": ("FLAG: {text}", "提示：{text}"),
    "failed_rep": ("replication {r} failed: {error}", "第 {r} 次重复失败：{error}"),
    "no_kpis": ("No replication finished: no KPIs.", "没有完成的重复：无指标。"),
    "no_plots": ("No plots in this folder.", "此目录中没有图表。"),
    "no_manifest": ("No manifest in this folder.", "此目录中没有运行记录。"),
    "no_yaml": ("No resolved input in this folder.", "此目录中没有完整输入。"),
    "resolved_scenario": ("resolved scenario", "完整情景（含默认值）"),
    "resolved_note": ("The scenario with every default filled in and every override applied.",
                      "补全所有默认值并应用所有覆盖设置后的情景。"),
    "kpi_note": ("Mean over {n} replications; below it, the 95 % confidence interval (Student t). Minutes with "
                 "one decimal, shares in percent, events as clock times (scenario time 0 = day 1 00:00).",
                 "{n} 次重复的平均值；其下为95%置信区间（t分布）。时间以分钟计（保留一位小数），比例以百分数表示，"
                 "事件以时刻表示（模拟时间0 = 第1天 00:00）。"),
    "col.kpi": ("KPI", "指标"),
    "col.value": ("mean", "平均值"),
    "col.unit": ("unit", "单位"),
    "col.meaning": ("meaning", "含义"),
    "col.ci": ("95 % CI", "95%置信区间"),
    "col.n": ("n", "有效次数"),
    "col.code": ("name in the tables", "表中名称"),
    "col.town": ("town", "镇（街道）"),
    "col.class": ("class", "类别"),
    "col.target": ("target (min)", "目标时限（分钟）"),
    "col.incidents": ("incidents per replication", "每次重复事件数"),
    "col.reached": ("reached", "已到场"),
    "col.median": ("median response (min)", "响应时间中位数（分钟）"),
    "col.p90": ("90th pct (min)", "90分位数（分钟）"),
    "col.within": ("within target", "达标率"),
    "col.stage_split": ("discovery / reporting / dispatch / travel (min)", "发现 / 上报 / 派遣 / 路途（分钟）"),
    "col.served_most": ("served most by", "主要处置力量"),
    "col.force": ("force", "力量"),
    "col.served": ("incidents served", "参与处置的事件"),
    "col.utilisation": ("utilisation", "利用率"),
    "col.size": ("people", "人数"),
    "all": ("all", "全部"),
    "town_note": ("Pooled over the replications: every incident of every replication counts once. Response times "
                  "are of the incidents reached; \u201creached\u201d is the share reached at all, and "
                  "\u201cwithin target\u201d counts the others as misses.",
                  "汇总全部重复中的所有事件。响应时间只计已到场的事件；\u201c已到场\u201d为最终有人员到场的事件占比，"
                  "\u201c达标率\u201d中未到场的事件计为未达标。"),
    "force_note": ("Utilisation is busy minutes over minutes on duty (mean over replications); incidents served is "
                   "the share of all incidents that this force worked on (served_by in incidents.csv).",
                   "利用率为忙碌时间占在岗时间的比例（各次重复的平均）；参与处置的事件为该力量参与处置的事件占全部事件的比例"
                   "（incidents.csv 的 served_by 列）。"),
    # ---- plots
    "plot.stages": ("Where the minutes go: mean minutes from onset to first arrival, by stage",
                    "时间花在哪里：从事件发生到首批到场的平均分钟数（分环节）"),
    "plot.stages_x": ("minutes (mean over reached incidents)", "分钟（已到场事件的平均值）"),
    "plot.ecdf": ("Response time by phase", "分阶段响应时间"),
    "plot.ecdf_x": ("response time: first arrival \u2212 onset (min)", "响应时间：首批到场 \u2212 事件发生（分钟）"),
    "plot.ecdf_y": ("share of incidents reached", "已到场事件占比"),
    "plot.ecdf_none": ("no incident was reached in this run", "本次运行没有任何事件有人到场"),
    "plot.target": ("target", "目标"),
    "plot.mob": ("Mobilisation", "力量动员"),
    "plot.mob_x": ("scenario time (h)", "模拟时间（小时）"),
    "plot.mob_y": ("share of force in place", "到位比例"),
    "plot.activation": ("emergency mode (mean)", "启动应急（平均）"),
    "plot.map": ("Median response time by grid", "各网格响应时间中位数"),
    "plot.map_cbar": ("median response (min)", "响应时间中位数（分钟）"),
    "plot.no_served": ("no incident reached", "无到场事件"),
    "plot.key_area": ("key area", "重点区域"),
    "cap.stages": ("Where the minutes go, by phase and by class: discovery, reporting, dispatch and travel add up "
                   "to the response time.", "时间花在哪里（分阶段、分类别）：发现、上报、派遣、路途之和即响应时间。"),
    "cap.ecdf": ("Response time (first arrival minus onset) by phase; dashed lines: class targets.",
                 "分阶段响应时间（首批到场减事件发生）；虚线为各类别目标时限。"),
    "cap.mob": ("Share of each force in place over time (mean over replications).", "各力量随时间的到位比例（各次重复平均）。"),
    "cap.map": ("Grids coloured by median response time; key areas circled.", "按响应时间中位数着色的网格；红圈为重点区域。"),
    # ---- comparison warnings
    "cmp.left_out": ("left out (not in both runs' kpis.csv): {kpis}", "以下指标未比较（并非两次运行的 kpis.csv 都含有）：{kpis}"),
    "cmp.seed_unknown": ("the seed of {which} is unknown (no manifest.json or summary.json), so it cannot be checked "
                         "that the same replication saw the same incidents",
                         "{which} 的随机种子未知（缺少 manifest.json 或 summary.json），无法核对同一次重复是否面对相同事件"),
    "cmp.seeds_differ": ("the seeds differ (A {a}, B {b}): replication r does not see the same incidents in both runs, "
                         "so the comparison is not paired on the same incidents",
                         "随机种子不同（A 为 {a}，B 为 {b}）：同一次重复在两次运行中面对的事件不同，比较不是按相同事件配对的"),
    "cmp.territories": ("the runs are of different territories (A has {na} grids, B {nb}, {common} in common): "
                        "replication r does not see the same incidents, and differences are between districts, not "
                        "policies",
                        "两次运行的辖区不同（A 有 {na} 个网格，B 有 {nb} 个，其中 {common} 个相同）：同一次重复面对的事件不同，"
                        "差异来自辖区不同，而非措施不同"),
    "cmp.scenarios": ("the runs are of different scenarios (A {a}, B {b}); check that B is A with the change you mean",
                      "两次运行的情景不同（A 为 {a}，B 为 {b}）；请确认 B 就是 A 加上您要比较的改动"),
    "cmp.replications": ("the runs have different replications (A {a}, B {b}); comparing the {n} both have ({common})",
                         "两次运行所含的重复不同（A 为 {a}，B 为 {b}）；只比较两者共有的 {n} 次（{common}）"),
}


def t(key: str, lang: Lang = "en", **values: Any) -> str:
    pair = M[key]
    text = pair[0] if lang == "en" else pair[1]
    return text.format(**values) if values else text


def pick(lang: Lang, en: str, zh: str) -> str:
    """For the few words built around a number inside one sentence."""
    return en if lang == "en" else zh
