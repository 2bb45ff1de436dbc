"""How a sweep's design points are named for people: each factor a letter (A, B, ...) with a key that says
which scenario key it is, and values written as read (a route as `community \u2192 town`, an empty route as
`direct`), so a table leads with its KPI columns and a plot's every line has a short, unique label."""

from __future__ import annotations

import json
import string
from typing import Any

from sim.output.labels import Lang
from sim.output.messages import pick


def letters(keys: list[str]) -> dict[str, str]:
    return {k: (string.ascii_uppercase[i] if i < 26 else f"F{i + 1}") for i, k in enumerate(keys)}


def short_name(key: str) -> str:
    """'forces.agencies.team_ratio' -> 'team ratio'; list items keep their parent ('hazards[0] rate per hour')."""
    parts = key.split(".")
    tail = parts[-1]
    if tail.isdigit() and len(parts) > 1:
        tail = f"{parts[-2]}[{tail}]"
    return tail.replace("_", " ")


def parse(v: Any) -> Any:
    """A value as read back from a CSV cell (lists were written as JSON)."""
    if isinstance(v, str):
        s = v.strip()
        if s.startswith(("[", "{")):
            try:
                return json.loads(s)
            except ValueError:
                return v
        try:
            f = float(s)
        except ValueError:
            return v
        return int(f) if f == int(f) and "." not in s and "e" not in s.lower() else f
    return v


def value(v: Any, lang: Lang = "en") -> str:
    v = parse(v)
    if isinstance(v, list):
        if not v:
            return pick(lang, "direct", "直报")
        return " \u2192 ".join(str(x) for x in v)
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def point_label(values: dict[str, Any], keys: list[str], lang: Lang = "en", skip: tuple[str, ...] = ()) -> str:
    """'A=0.1 · B=44' for the factors of `keys` not in `skip`."""
    let = letters(keys)
    return " \u00b7 ".join(f"{let[k]}={value(values[k], lang)}" for k in keys if k not in skip)


def key_lines(keys: list[str]) -> list[tuple[str, str, str]]:
    """(letter, short name, full key) per factor."""
    let = letters(keys)
    return [(let[k], short_name(k), k) for k in keys]
