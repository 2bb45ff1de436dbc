"""`mobsim compare` in the terminal, in English or Chinese: the two runs, the table of paired differences
and one sentence per KPI (the same sentences as the comparison page)."""

from __future__ import annotations

import math
from typing import Any

from sim.output import fmt
from sim.output.compare import MINUS_HEAD, _decimals, _num, _p, _ranges, _scale
from sim.output.labels import Lang, kind_of, kpi_name
from sim.output.messages import pick


def sentence(kpi: str, r: dict[str, Any], lang: Lang) -> str:
    """The sentence a planner can quote (English: the one `compare_runs` wrote)."""
    if lang == "en":
        return str(r["sentence"])
    kind = kind_of(kpi)
    name = kpi_name(kpi, "zh")
    if r["n"] == 0:
        return f"{name}：两次运行没有可比较的重复。"
    d, lo, hi = (fmt.difference(kind, r[x], "zh") for x in ("diff_mean", "ci95_low", "ci95_high"))
    if r["significant"]:
        verb = "降低" if r["diff_mean"] < 0 else "提高"
        return f"B 使{name}{verb}（B − A = {d}，95%置信区间 {lo} 至 {hi}）。"
    return f"{name}无显著差异（B − A = {d}，95%置信区间 {lo} 至 {hi}，p = {_p(r['p_value'])}）。"


def comparison_text(result: dict[str, Any], lang: Lang = "en") -> str:
    """The legend, the table (KPI, A mean, B mean, B - A, 95 % CI, p) and the sentences."""
    a, b = result["a"], result["b"]
    n, reps = len(result["replications"]), _ranges(result["replications"])
    lines = [pick(lang, f"A: {a['label']}  ({a['dir']}, seed {a['seed']})", f"A：{a['label']}（{a['dir']}，种子 {a['seed']}）"),
             pick(lang, f"B: {b['label']}  ({b['dir']}, seed {b['seed']})", f"B：{b['label']}（{b['dir']}，种子 {b['seed']}）"),
             pick(lang, f"paired differences B \u2212 A over {n} replications ({reps}); shares in %, their differences "
                        "in percentage points",
                  f"B \u2212 A 的配对差异，共 {n} 次重复（{reps}）；比例以 % 表示，其差异以百分点表示"), ""]
    cols = (("KPI", "unit", "A mean", "B mean", "95 % CI") if lang == "en"
            else ("指标", "单位", "A 平均", "B 平均", "95%置信区间"))
    width = 32 if lang == "en" else 40
    to = pick(lang, "to", "至")
    head = (f"{_pad(cols[0], width)}{_rjust(cols[1], 6)}{_rjust(cols[2], 10)}{_rjust(cols[3], 10)}"
            f"{MINUS_HEAD:>10}{_rjust(cols[4], 22)}{'p':>9}")
    lines += [head, "-" * (width + 67)]
    for k, r in result["kpis"].items():
        unit = r["unit"]
        s = _scale(unit)
        dec = _decimals(r["a_mean"] * s, r["b_mean"] * s, r["diff_mean"] * s)
        dd = _decimals(r["diff_mean"] * s, r["ci95_low"] * s, r["ci95_high"] * s)
        ci = (f"{_num(r['ci95_low'] * s, dd)} {to} {_num(r['ci95_high'] * s, dd)}"
              if not math.isnan(r["ci95_low"]) else "-")
        shown = pick(lang, {"share": "%, pp", "count": "count"}.get(unit, unit),
                     {"share": "%", "count": "个数", "min": "分钟"}.get(unit, unit))
        name = k if lang == "en" else kpi_name(k, "zh")
        lines.append(f"{_pad(name, width)}{_rjust(shown, 6)}{_num(r['a_mean'] * s, dec):>10}"
                     f"{_num(r['b_mean'] * s, dec):>10}{_num(r['diff_mean'] * s, dd):>10}{_rjust(ci, 22)}"
                     f"{_p(r['p_value']):>9}")
    lines.append("")
    lines += [f"- {sentence(k, r, lang)}" for k, r in result["kpis"].items()]
    return "\n".join(lines)


def _cols(text: str) -> int:
    """Terminal columns: a Chinese character takes two."""
    return sum(2 if ord(c) >= 0x2E80 else 1 for c in text)


def _pad(text: str, width: int) -> str:
    """Left-aligned in `width` columns, at least one space after."""
    return text + " " * max(1, width - _cols(text))


def _rjust(text: str, width: int) -> str:
    return " " * max(0, width - _cols(text)) + text
