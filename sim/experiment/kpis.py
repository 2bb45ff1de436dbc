"""KPIs of one replication, computed from its incident records."""

from __future__ import annotations

import math

import numpy as np

from sim.model import PHASES, SOURCES, ReplicationResult
from sim.scenario.schema import CLASSES, FORCES, Scenario

#: KPIs also given per phase (`peacetime.<kpi>`, `emergency.<kpi>`) and for hazard incidents (`hazard.<kpi>`)
PHASE_KPIS = ("incidents", "response_mean_min", "response_p50_min", "response_p90_min", "response_p95_min",
              "within_target_share", "staffed_mean_min", "unreported_count", "unserved_count")


STAGES = ("discovery", "reporting", "dispatch", "travel", "closure")


def kpi_names() -> list[str]:
    """Every KPI a replication reports, in the order of `replication_kpis`."""
    return (list(PHASE_KPIS) + [f"{s}_mean_min" for s in STAGES]
            + ["backlog_at_horizon", "activation_min", "deactivation_min", "branches_formed"]
            + [f"utilisation.{f}" for f in FORCES if f != "party_member"]
            + [f"{p}.{k}" for p in PHASES for k in PHASE_KPIS]
            + [f"hazard.{k}" for k in PHASE_KPIS])


def _q(x: np.ndarray, q: float) -> float:
    return float(np.quantile(x, q)) if len(x) else math.nan


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if len(x) else math.nan


def incident_kpis(c: dict[str, np.ndarray], target: np.ndarray, sel: np.ndarray) -> dict[str, float]:
    onset = c["onset_min"][sel]
    first = c["first_arrival_min"][sel]
    resp = (first - onset)[~np.isnan(first)]
    staffed = c["staffed_min"][sel] - onset
    rep = c["reported_min"][sel]
    within = (first - onset) <= target[sel]  # NaN compares False: unserved incidents miss the target
    return {
        "incidents": float(sel.sum()),
        "response_mean_min": _mean(resp),
        "response_p50_min": _q(resp, 0.5),
        "response_p90_min": _q(resp, 0.9),
        "response_p95_min": _q(resp, 0.95),
        "within_target_share": float(within.mean()) if len(within) else math.nan,
        "staffed_mean_min": _mean(staffed[~np.isnan(staffed)]),
        "unreported_count": float(np.isnan(rep).sum()),
        "unserved_count": float((~np.isnan(rep) & np.isnan(first)).sum()),
    }


def replication_kpis(sc: Scenario, r: ReplicationResult) -> dict[str, float]:
    c = r.incidents
    cls = c["class"]
    target = np.array([sc.incidents.classes[k].target_min for k in CLASSES])[cls]
    allsel = np.ones(len(c["onset_min"]), dtype=bool)
    out = incident_kpis(c, target, allsel)
    d = {
        "discovery": c["discovered_min"] - c["onset_min"],
        "reporting": c["reported_min"] - c["discovered_min"],
        "dispatch": c["dispatched_min"] - c["reported_min"],
        "travel": c["first_arrival_min"] - c["dispatched_min"],
        "closure": c["closed_min"] - c["onset_min"],
    }
    for k, v in d.items():
        out[f"{k}_mean_min"] = _mean(v[~np.isnan(v)])
    out["backlog_at_horizon"] = float(((c["onset_min"] < sc.horizon_min)
                                       & ~(c["closed_min"] <= sc.horizon_min)).sum())
    out["activation_min"] = float(r.activations[0]) if r.activations else math.nan
    out["deactivation_min"] = float(r.deactivations[0]) if r.deactivations else math.nan
    out["branches_formed"] = float(len(r.branches))
    for f in FORCES:
        duty = r.on_duty_min.get(f, 0.0)
        if f != "party_member":
            out[f"utilisation.{f}"] = r.busy_min[f] / duty if duty > 0 else math.nan
    for p, name in enumerate(PHASES):
        sub = incident_kpis(c, target, r.phase == p)
        for k in PHASE_KPIS:
            out[f"{name}.{k}"] = sub[k]
    sub = incident_kpis(c, target, c["source"] == SOURCES.index("hazard"))  # the emergency's own incidents
    for k in PHASE_KPIS:
        out[f"hazard.{k}"] = sub[k]
    return out
