"""What a run prints: the headline KPIs with their labels and 95 % CIs, in the run's language, in columns
that stay aligned with Chinese text (a CJK character takes two columns in a terminal)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

from sim.output import fmt
from sim.output.labels import Lang, kind_of, kpi_name
from sim.output.messages import pick

HEADLINE = ("incidents", "response_mean_min", "response_p50_min", "response_p90_min", "within_target_share",
            "staffed_mean_min", "unreported_count", "unserved_count", "activation_min", "peacetime.response_mean_min",
            "emergency.response_mean_min", "hazard.response_p90_min")


def width(s: str) -> int:
    """Columns `s` takes in a terminal."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def pad(s: str, w: int, right: bool = False) -> str:
    fill = " " * max(0, w - width(s))
    return fill + s if right else s + fill


def text_table(head: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool] | None = None,
               gap: int = 2) -> list[str]:
    """Aligned columns; `right[j]`: right-align column j (numbers)."""
    cols = len(head)
    right = right or [j > 0 for j in range(cols)]
    w = [max(width(str(r[j])) for r in [head, *rows]) for j in range(cols)]
    sep = " " * gap
    lines = [sep.join(pad(str(head[j]), w[j], right[j]) for j in range(cols)).rstrip()]
    lines.append("-" * width(lines[0]))
    lines += [sep.join(pad(str(r[j]), w[j], right[j]) for j in range(cols)).rstrip() for r in rows]
    return lines


def kpi_table(summary: dict[str, Any], lang: Lang = "en") -> str:
    kpis = summary["kpis"]
    n = len(summary.get("replications_done", []))
    rows = []
    for key in HEADLINE:
        k = kpis.get(key)
        if not k:
            continue
        kind = kind_of(key)
        unit = {"duration": pick(lang, " (min)", "（分钟）")}.get(kind, "")
        one = pick(lang, "(one replication)", "（仅一次重复）")
        ci = fmt.interval(kind, k["ci95_low"], k["ci95_high"], lang) if n > 1 else one
        rows.append([kpi_name(key, lang) + unit, fmt.number(kind, k["mean"], lang), ci])
    head = [pick(lang, "KPI", "指标"), pick(lang, "mean", "平均值"), pick(lang, "95 % CI", "95%置信区间")]
    return "\n".join(text_table(head, rows))
