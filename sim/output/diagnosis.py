"""Why a lever does nothing, in words: which forces are barely used (utilisation, share of the incidents they
served) and where the response time goes (discovery, reporting, dispatch, travel).

A planner who raises the agency team ratio and sees no difference needs to read that agency teams served
34 of 1,277 emergency incidents and sat idle 98 % of their time on duty, and that the minutes go to
reporting: then more agency staff cannot help, and the report chain can. The same facts serve the run
report, `mobsim run` in the terminal, and `mobsim compare` when a difference is not significant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.output import fmt
from sim.output.breakdown import STAGE_NAMES, force_use, phase_masks, stage_means
from sim.output.labels import Lang, term
from sim.output.messages import pick

#: below this share of their on-duty time busy, or of the incidents in their scope served, a force is "barely used"
BARELY = 0.05
#: busy at least this share of their time on duty, a force that served few incidents was at other work (the
#: operations: evacuation, posts, warning rounds), not unused
BUSY = 0.20
#: scenario keys and what they act on: a force, or a stage of the response
LEVERS = (("forces.agencies", "agency_team"), ("forces.grid_workers", "grid_worker"), ("forces.teams.town", "town_team"),
          ("forces.teams.village", "village_team"), ("forces.teams.group", "group_team"),
          ("forces.resident_teams", "resident_team"), ("forces.party_members", "party_member"),
          ("reporting.discovery", "stage:discovery"), ("reporting", "stage:reporting"), ("dispatch", "stage:dispatch"),
          ("territory.travel", "stage:travel"))


@dataclass
class Use:
    """How much one force was used in a run."""

    force: str
    utilisation: float  # busy / on duty, mean over replications (NaN: not tracked, as for party members)
    served: int  # incidents in scope it worked on, pooled over replications
    scope: int  # incidents in scope (all, or the emergency phase for a force that serves only then)
    scope_name: str  # "all" or "emergency"

    @property
    def share(self) -> float:
        return self.served / self.scope if self.scope else math.nan

    @property
    def barely(self) -> bool:
        """Served few of the incidents it could have, and was not kept busy by other work."""
        return self.scope > 0 and self.share < BARELY and not self.elsewhere

    @property
    def elsewhere(self) -> bool:
        """Served few incidents, but was busy much of its time on duty: the tasks took it."""
        return (self.scope > 0 and self.share < BARELY and not math.isnan(self.utilisation)
                and self.utilisation >= BUSY)

    @property
    def idle(self) -> bool:
        """Busy a small part of its time on duty (it may still serve many incidents)."""
        return not math.isnan(self.utilisation) and self.utilisation < BARELY


def forces_present(kpi_means: dict[str, float], inc: pd.DataFrame) -> list[str]:
    """Forces on duty in the run (a utilisation defined) or that served any incident."""
    out = [k.split(".", 1)[1] for k, v in kpi_means.items() if k.startswith("utilisation.") and v is not None
           and not math.isnan(v)]
    for v in inc["served_by"].unique() if len(inc) else []:
        for f in str(v).split("+"):
            if f and f not in out:
                out.append(f)
    return out


def uses(kpi_means: dict[str, float], inc: pd.DataFrame) -> list[Use]:
    masks = phase_masks(inc)
    out = []
    for f in forces_present(kpi_means, inc):
        peace = force_use(inc, [f], masks["peacetime"]).iloc[0]
        emergency_only = peace["served"] == 0 and bool(masks["emergency"].any())
        scope = "emergency" if emergency_only else "all"
        row = force_use(inc, [f], masks[scope]).iloc[0]
        u = kpi_means.get(f"utilisation.{f}")
        out.append(Use(f, math.nan if u is None else float(u), int(row["served"]), int(row["incidents"]), scope))
    return sorted(out, key=lambda x: -x.served)


#: what says which incidents a sentence is about: (the phase's words, what the whole run's sentence has there)
PHASE_WORDS = ((" in peacetime", ""), (" in emergency mode", ""), (" for the hazard's incidents", ""),
               (" emergency incidents", " incidents"), ("起应急期间事件", "起事件"), ("平时", ""), ("应急期间", ""),
               ("灾害事件", ""))


def unphased(line: str) -> str:
    """The sentence as it would read for the whole run: two phases saying the same thing compare equal."""
    for words, plain in PHASE_WORDS:
        line = line.replace(words, plain)
    return line


def _incidents(n: int, scope: str, lang: Lang) -> str:
    if scope == "emergency":
        return pick(lang, f"{n:,} emergency incidents", f"{n:,} 起应急期间事件")
    return pick(lang, f"{n:,} incidents", f"{n:,} 起事件")


def use_sentence(u: Use, lang: Lang) -> str:
    name = term("force", u.force, lang)
    busy = ("" if math.isnan(u.utilisation) else
            pick(lang, f" and were busy {fmt.number('share', u.utilisation, lang)} of their time on duty",
                 f"，忙碌时间仅占在岗时间的 {fmt.number('share', u.utilisation, lang)}"))
    return pick(lang, f"{name[0].upper() + name[1:]} were barely used: they served {u.served:,} of "
                      f"{_incidents(u.scope, u.scope_name, lang)} ({fmt.number('share', u.share, lang)}){busy}.",
                f"{name}几乎未被使用：在 {_incidents(u.scope, u.scope_name, lang)}中只参与处置了 {u.served:,} 起"
                f"（{fmt.number('share', u.share, lang)}）{busy}。")


def elsewhere_sentence(u: Use, lang: Lang) -> str:
    name = term("force", u.force, lang)
    share, busy = fmt.number("share", u.share, lang), fmt.number("share", u.utilisation, lang)
    return pick(lang, f"{name[0].upper() + name[1:]} served few incidents ({u.served:,} of "
                      f"{_incidents(u.scope, u.scope_name, lang)}, {share}) but were busy {busy} of their time on duty: "
                      "the operations (evacuation, posts, warning rounds) took them.",
                f"{name}参与处置的事件不多（{_incidents(u.scope, u.scope_name, lang)}中 {u.served:,} 起，{share}），"
                f"但忙碌时间占在岗时间的 {busy}：主要承担转移、值守、入户通知等任务。")


def idle_sentence(idle: list[Use], lang: Lang) -> str:
    items = ", ".join(f"{term('force', u.force, lang)} {fmt.number('share', u.utilisation, lang)}" for u in idle)
    return pick(lang, f"Forces idle most of their time on duty (busy under {BARELY * 100:.0f} %): {items}; more of them "
                      "cannot shorten what is spent before they are sent.",
                f"以下力量大部分在岗时间处于空闲（忙碌时间不足{BARELY:.0%}）：{items.replace(', ', '，')}；"
                "增加这些力量无法缩短派出之前花费的时间。")


def time_goes(inc: pd.DataFrame, group: str = "all", lang: Lang = "en") -> str | None:
    """'Of the mean 41.0 min to first arrival, reporting takes 21.0 min (51 %); discovery 8.1, ...'."""
    means = stage_means(inc, {group: phase_masks(inc)[group]}).iloc[0]
    parts = {s: float(means[s]) for s in STAGE_NAMES if not math.isnan(float(means[s]))}
    total = sum(parts.values())
    if not parts or total <= 0:
        return None
    top = max(parts, key=lambda s: parts[s])
    rest = ", ".join(f"{term('stage', s, lang)} {parts[s]:.1f}" for s in STAGE_NAMES if s in parts and s != top)
    where = {"all": "", "peacetime": pick(lang, " in peacetime", "平时"), "emergency": pick(lang, " in emergency mode", "应急期间"),
             "hazard": pick(lang, " for the hazard's incidents", "灾害事件")}[group]
    return pick(lang, f"Where the minutes go{where}: of the mean {total:.1f} min to first arrival, {term('stage', top, lang)} "
                      f"takes {parts[top]:.1f} min ({fmt.number('share', parts[top] / total, lang)}); {rest}.",
                f"{where}时间花在哪里：首批到场平均 {total:.1f} 分钟，其中{term('stage', top, lang)}占 {parts[top]:.1f} 分钟"
                f"（{fmt.number('share', parts[top] / total, lang)}）；{rest.replace(', ', '，')}。")


def run_diagnosis(kpi_means: dict[str, float], inc: pd.DataFrame, lang: Lang = "en") -> list[str]:
    """Sentences for the run report and the terminal: every barely used force and where the time goes."""
    if not len(inc):
        return []
    all_uses = uses(kpi_means, inc)
    out = [use_sentence(u, lang) for u in all_uses if u.barely]
    out += [elsewhere_sentence(u, lang) for u in all_uses if u.elsewhere]
    idle = [u for u in all_uses if u.idle and not u.barely]
    if idle:
        out.append(idle_sentence(idle, lang))
    tg = time_goes(inc, "all", lang)
    if tg:
        out.append(tg)
    return out


def lever_of(key: str) -> str | None:
    """The force ('agency_team') or stage ('stage:reporting') a scenario key acts on, if any."""
    for prefix, what in LEVERS:
        if key == prefix or key.startswith(prefix + "."):
            return what
    return None


def compare_diagnosis(changed: list[str], kpi_means_a: dict[str, float], inc_a: pd.DataFrame, phase: str,
                      lang: Lang = "en") -> list[str]:
    """Why a change made no significant difference, from run A (the reference): the forces the changed keys act
    on and how little they were used, the stage they act on and its share of the response, and where the time
    goes. `phase`: 'all', 'peacetime', 'emergency' or 'hazard' (the KPIs' incidents)."""
    if not len(inc_a):
        return []
    out: list[str] = []
    by_force = {u.force: u for u in uses(kpi_means_a, inc_a)}
    means = stage_means(inc_a, {phase: phase_masks(inc_a)[phase]}).iloc[0]
    total = sum(float(means[s]) for s in STAGE_NAMES if not math.isnan(float(means[s])))
    for key in changed:
        what = lever_of(key)
        if what is None:
            continue
        if what.startswith("stage:"):
            s = what.split(":", 1)[1]
            v = float(means[s]) if s in STAGE_NAMES else math.nan
            if total > 0 and not math.isnan(v):
                out.append(pick(lang, f"B changes {key}, which acts on {term('stage', s, lang)}: in A that stage takes "
                                      f"{v:.1f} of the {total:.1f} min to first arrival ({fmt.number('share', v / total, lang)}).",
                                f"B 改变了 {key}，作用于{term('stage', s, lang)}环节：在 A 中该环节占首批到场 {total:.1f} 分钟中的 "
                                f"{v:.1f} 分钟（{fmt.number('share', v / total, lang)}）。"))
            continue
        u = by_force.get(what)
        name = term("force", what, lang)
        if u is None:
            out.append(pick(lang, f"B changes {key} ({name}), but in A {name} served no incident at all.",
                            f"B 改变了 {key}（{name}），但在 A 中{name}没有参与处置任何事件。"))
        elif u.elsewhere:
            out.append(pick(lang, f"B changes {key} ({name}); in A {name} served only {u.served:,} of "
                                  f"{_incidents(u.scope, u.scope_name, lang)} but were busy "
                                  f"{fmt.number('share', u.utilisation, lang)} of their time on duty with the operations: "
                                  "look for the difference in the tasks' KPIs (evacuated, posts uncovered, warned).",
                            f"B 改变了 {key}（{name}）；在 A 中{name}只参与处置了 {_incidents(u.scope, u.scope_name, lang)}中的 "
                            f"{u.served:,} 起，但忙碌时间占在岗时间的 {fmt.number('share', u.utilisation, lang)}，主要承担任务："
                            "差异应看任务指标（按时转移、空岗、按时通知）。"))
        elif u.barely or u.idle:
            busy = ("" if math.isnan(u.utilisation) else
                    pick(lang, f", busy {fmt.number('share', u.utilisation, lang)} of their time on duty",
                         f"，忙碌时间占在岗时间 {fmt.number('share', u.utilisation, lang)}"))
            out.append(pick(lang, f"B changes {key} ({name}), but in A {name} served only {u.served:,} of "
                                  f"{_incidents(u.scope, u.scope_name, lang)} ({fmt.number('share', u.share, lang)}){busy}: "
                                  "more of them cannot change much.",
                            f"B 改变了 {key}（{name}），但在 A 中{name}只参与处置了 {_incidents(u.scope, u.scope_name, lang)}中的 "
                            f"{u.served:,} 起（{fmt.number('share', u.share, lang)}）{busy}：增加这支力量作用有限。"))
    levers = {lever_of(k) for k in changed}
    out += [use_sentence(u, lang) for u in by_force.values() if u.barely and u.force not in levers][:2]
    tg = time_goes(inc_a, phase, lang)
    if tg:
        out.append(pick(lang, "In A: ", "A 中：") + tg)
    return out


def kpi_phase(kpi: str) -> str:
    head = kpi.split(".", 1)[0]
    return head if head in ("peacetime", "emergency", "hazard") else "all"


def means_of(summary: dict[str, Any]) -> dict[str, float]:
    return {k: (math.nan if v.get("mean") is None else float(v["mean"])) for k, v in (summary.get("kpis") or {}).items()}
