"""Numbers as people read them: minutes with one decimal, shares in percent, counts with separators, and
scenario times as clock times ("day 2 06:10"). One place, so the terminal, the reports and the xlsx agree.

Scenario time 0 is 00:00 on day 1 (a drill's clock starts at its `start_clock`). Intervals of quantities
that cannot be negative (minutes, counts, shares) are clipped at 0 for display: a Student-t interval of a
count of 0, 0, 2 reaches below zero, which no reader should be shown.
"""

from __future__ import annotations

import math
from typing import Any

from sim.output.labels import Kind, Lang, kind_of

DASH = "\u2014"
MINUS = "\u2212"


def finite(x: Any) -> float | None:
    """A float, or None for what is missing, undefined or not a number."""
    if x is None or x == "":
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _signed(s: str) -> str:
    return s.replace("-", MINUS)


def clock(t_min: float, lang: Lang = "en", start_min: float = 0.0, days: bool = True) -> str:
    """Scenario minutes as a clock: 'day 2 06:10' ('第2天 06:10'); `days=False`: '06:10' only."""
    t = round(start_min + t_min)
    day, rest = divmod(int(t), 1440)
    hhmm = f"{rest // 60:02d}:{rest % 60:02d}"
    if not days:
        return hhmm
    return f"day {day + 1} {hhmm}" if lang == "en" else f"第{day + 1}天 {hhmm}"


def count(x: float) -> str:
    if abs(x) >= 100 or x == int(x):
        return _signed(f"{x:,.0f}")
    return _signed(f"{x:.1f}")


def number(kind: Kind, x: Any, lang: Lang = "en", clip: bool = True) -> str:
    """The value alone (no unit, except % for shares and the clock for times); a dash where undefined."""
    v = finite(x)
    if v is None:
        return DASH
    if clip and kind in ("duration", "count", "share") and v < 0:
        v = 0.0
    if kind == "duration":
        return _signed(f"{v:.1f}")
    if kind == "share":
        return _signed(f"{100 * v:.1f}") + (" %" if lang == "en" else "%")
    if kind == "time":
        return clock(v, lang)
    return count(v)


def with_unit(kind: Kind, x: Any, lang: Lang = "en") -> str:
    """The value with its unit, for a sentence: '12.3 min', '71.2 %', '1,277', 'day 2 06:10'."""
    s = number(kind, x, lang)
    if kind == "duration" and s != DASH:
        return f"{s} min" if lang == "en" else f"{s}分钟"
    return s


def kpi_value(kpi: str, x: Any, lang: Lang = "en") -> str:
    return number(kind_of(kpi), x, lang)


def interval(kind: Kind, lo: Any, hi: Any, lang: Lang = "en") -> str:
    """'6.9\u201310.3' (a dash when either end is undefined, as with one replication)."""
    a, b = number(kind, lo, lang), number(kind, hi, lang)
    if DASH in (a, b):
        return DASH
    if kind == "share":
        a = a.replace(" %", "").replace("%", "")
    return f"{a}\u2013{b}"


def difference(kind: Kind, x: Any, lang: Lang = "en", unit: bool = True) -> str:
    """A signed difference: '+2.3 min', '\u22121.5 pp' (percentage points), '+12' (counts); times in minutes."""
    v = finite(x)
    if v is None:
        return DASH
    if kind == "share":
        s = f"{100 * v:+.1f}"
        u = " pp" if lang == "en" else "个百分点"
    elif kind == "count":
        s = f"{v:+,.1f}" if abs(v) < 100 else f"{v:+,.0f}"
        u = ""
    else:
        s = f"{v:+.1f}"
        u = " min" if lang == "en" else "分钟"
    if float(s.replace(",", "")) == 0:
        s = s.replace("-", "+")
    return _signed(s) + (u if unit else "")
