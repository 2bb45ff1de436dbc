"""The short KPI table printed after a run."""

from __future__ import annotations

from typing import Any

HEADLINE = (
    ("incidents", "incidents", "{:.0f}"),
    ("response_mean_min", "response mean (min)", "{:.1f}"),
    ("response_p50_min", "response median (min)", "{:.1f}"),
    ("response_p90_min", "response p90 (min)", "{:.1f}"),
    ("within_target_share", "within target", "{:.1%}"),
    ("staffed_mean_min", "fully staffed mean (min)", "{:.1f}"),
    ("unreported_count", "unreported", "{:.1f}"),
    ("unserved_count", "unserved", "{:.1f}"),
    ("activation_min", "activation (min)", "{:.0f}"),
    ("peacetime.response_mean_min", "peacetime response mean", "{:.1f}"),
    ("emergency.response_mean_min", "emergency response mean", "{:.1f}"),
    ("hazard.response_p90_min", "hazard response p90", "{:.1f}"),
)


def _f(fmt: str, x: Any) -> str:
    return "-" if x is None or x != x else fmt.format(x)


def kpi_table(summary: dict[str, Any]) -> str:
    kpis = summary["kpis"]
    n = len(summary.get("replications_done", []))
    lines = [f"{'KPI':<28}{'mean':>12}{'95 % CI':>26}", "-" * 66]
    for key, label, fmt in HEADLINE:
        k = kpis.get(key)
        if not k:
            continue
        ci = f"{_f(fmt, k['ci95_low'])} to {_f(fmt, k['ci95_high'])}" if n > 1 else "(one replication)"
        lines.append(f"{label:<28}{_f(fmt, k['mean']):>12}{ci:>26}")
    return "\n".join(lines)
