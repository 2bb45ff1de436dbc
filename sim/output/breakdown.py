"""Tables a planner acts on, built from the incident records alone (incidents.csv or a DataFrame of them):
per town, per class, where the minutes go (stage by stage) and what share of incidents each force served.

Built here rather than in the KPIs so they follow whatever the model records: every incident of every
replication counts once (pooled), response times are of the incidents reached, and the share reached
and the share within target (unreached = missed) stand beside them, so misses are never hidden.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: the stages of the response time, each (name, from column, to column); they add up to first arrival - onset
STAGES = (("discovery", "onset_min", "discovered_min"), ("reporting", "discovered_min", "reported_min"),
          ("dispatch", "reported_min", "dispatched_min"), ("travel", "dispatched_min", "first_arrival_min"))
STAGE_NAMES = tuple(s for s, _a, _b in STAGES)
#: the groups of incidents the stage chart and tables compare
PHASE_GROUPS = ("all", "peacetime", "emergency", "hazard")


def targets_of(scenario: dict[str, Any]) -> dict[str, float]:
    """Class name -> target minutes, from a resolved scenario (as a dict)."""
    classes = ((scenario.get("incidents") or {}).get("classes") or {})
    return {c: float(r.get("target_min", np.nan)) for c, r in classes.items() if isinstance(r, dict)}


def enrich(inc: pd.DataFrame, targets: dict[str, float]) -> pd.DataFrame:
    """Add response_min, reached, within_target and one column per stage (minutes)."""
    out = inc.copy()
    out["response_min"] = out["first_arrival_min"] - out["onset_min"]
    out["reached"] = out["first_arrival_min"].notna()
    target = out["class"].map(targets).astype(float)
    out["within_target"] = (out["response_min"] <= target).fillna(False).astype(bool)
    for name, a, b in STAGES:
        out[name] = out[b] - out[a]
    return out


def phase_masks(inc: pd.DataFrame) -> dict[str, pd.Series]:
    """Incidents by phase at onset, and the hazard's own incidents (a hazard may start before the switch)."""
    return {"all": pd.Series(True, index=inc.index), "peacetime": inc["phase"] == "peacetime",
            "emergency": inc["phase"] == "emergency", "hazard": inc["source"] == "hazard"}


def n_replications(inc: pd.DataFrame) -> int:
    return max(1, int(inc["replication"].nunique())) if len(inc) else 1


def stage_means(inc: pd.DataFrame, masks: dict[str, pd.Series]) -> pd.DataFrame:
    """Mean minutes of each stage over the reached incidents of each group (rows), and how many they are."""
    rows = []
    for name, m in masks.items():
        sel = inc[m & inc["reached"]]
        row: dict[str, Any] = {"group": name, "reached": int(len(sel))}
        for s in STAGE_NAMES:
            row[s] = float(sel[s].mean()) if len(sel) else np.nan
        rows.append(row)
    return pd.DataFrame(rows).set_index("group")


def _served_most(served: pd.Series) -> str:
    counts: dict[str, int] = {}
    for v in served:
        for f in str(v).split("+"):
            if f:
                counts[f] = counts.get(f, 0) + 1
    return max(sorted(counts), key=lambda f: counts[f]) if counts else ""


def summary_by(inc: pd.DataFrame, column: str) -> pd.DataFrame:
    """One row per value of `column` (town, class, ...): incidents per replication, share reached, median and
    p90 response of those reached, share within target, the four stage means and the force that served most."""
    reps = n_replications(inc)
    rows = []
    for key, g in inc.groupby(column, sort=True):
        r = g[g["reached"]]
        row: dict[str, Any] = {
            column: key, "incidents_per_replication": len(g) / reps,
            "reached_share": float(g["reached"].mean()),
            "response_p50_min": float(r["response_min"].median()) if len(r) else np.nan,
            "response_p90_min": float(r["response_min"].quantile(0.9)) if len(r) else np.nan,
            "within_target_share": float(g["within_target"].mean()),
        }
        for s in STAGE_NAMES:
            row[f"{s}_mean_min"] = float(r[s].mean()) if len(r) else np.nan
        row["served_most_by"] = _served_most(g["served_by"])
        rows.append(row)
    return pd.DataFrame(rows)


def force_use(inc: pd.DataFrame, forces: list[str] | tuple[str, ...], within: pd.Series | None = None) -> pd.DataFrame:
    """Per force: how many incidents (per replication) it worked on and their share of all incidents in scope."""
    sel = inc if within is None else inc[within]
    reps = n_replications(inc)
    parts = sel["served_by"].fillna("").astype(str).str.split("+")
    rows = []
    total = len(sel)
    for f in forces:
        served = int(parts.map(lambda p, f=f: f in p).sum()) if total else 0
        rows.append({"force": f, "served": served, "served_per_replication": served / reps,
                     "served_share": served / total if total else np.nan, "incidents": total})
    return pd.DataFrame(rows)
