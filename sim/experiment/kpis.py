"""KPIs of one replication, computed from its incident records.

The headline times cannot flatter: an incident never reached (never reported, or reported and left
waiting) counts with the time from its onset to the end of the run, a lower bound of its true response
(a restricted mean, right-censored at the run's end). A configuration that leaves more incidents unserved,
or lower compliance that leaves more unreported, therefore shows a longer response, not a shorter one;
`reached_share` says how many were reached at all. Stage means (discovery, reporting, dispatch, travel)
are over the incidents that went through both ends of the stage: they say where the time goes, not how
long the district took.
"""

from __future__ import annotations

import math

import numpy as np

from sim.model import PHASES, SOURCES, ReplicationResult
from sim.scenario.schema import CLASSES, FORCES, Scenario

#: KPIs also given per phase (`peacetime.<kpi>`, `emergency.<kpi>`) and for hazard incidents (`hazard.<kpi>`)
PHASE_KPIS = ("incidents", "response_mean_min", "response_p50_min", "response_p90_min", "response_p95_min",
              "within_target_share", "reached_share", "staffed_mean_min", "unreported_count", "unserved_count")

STAGES = ("discovery", "reporting", "dispatch", "travel", "closure")

#: the operations' KPIs (`sim.model.tasks`): NaN where the scenario has no such task
TASK_KPIS = ("evacuation.residents", "evacuation.moved_by_deadline_share", "evacuation.in_place_at_onset",
             "evacuation.without_place", "evacuation.done_min", "posts.post_hours", "posts.uncovered_hours",
             "posts.uncovered_share", "warnings.households", "warnings.warned_by_deadline_share")
#: what people's working time went on: incidents and each task
WORK_KINDS = ("incident", "evacuation", "posts", "warnings")

#: the definition of each KPI, in words, for the docs and the reports (`{p}` is a phase or `hazard`)
DEFINITIONS: dict[str, str] = {
    "incidents": "incidents with onset in the horizon",
    "response_mean_min": "mean minutes from onset to first arrival; an incident never reached counts with "
                         "the minutes from onset to the end of the run (horizon + drain)",
    "response_p50_min": "median of the same response times (never-reached incidents at the end of the run)",
    "response_p90_min": "90th percentile of the same response times",
    "response_p95_min": "95th percentile of the same response times",
    "within_target_share": "share of incidents first reached within their class's target_min (never "
                           "reached: a miss)",
    "reached_share": "share of incidents that anyone reached before the end of the run",
    "staffed_mean_min": "mean minutes from onset until as many responders as needed were on site; never "
                        "fully staffed: the minutes to the end of the run",
    "unreported_count": "incidents whose report never reached the command (not found, or left unreported)",
    "unserved_count": "incidents reported to the command that nobody reached",
    "discovery_mean_min": "mean minutes from onset to discovery, over incidents discovered",
    "reporting_mean_min": "mean minutes from discovery to the command's receiving the report, over "
                          "incidents reported",
    "dispatch_mean_min": "mean minutes from report to the first responder sent, over incidents with one sent",
    "travel_mean_min": "mean minutes from the first responder sent to the first arrival, over incidents "
                       "reached",
    "closure_mean_min": "mean minutes from onset to closure; not closed: the minutes to the end of the run",
    "backlog_at_horizon": "incidents with onset in the horizon not closed at the horizon",
    "activation_min": "minute of the first activation (empty if none)",
    "deactivation_min": "minute of the first deactivation (empty if none)",
    "branches_formed": "temporary branches formed",
    "utilisation": "busy minutes of a force over its on-duty minutes (person-minutes)",
    "evacuation.residents": "vulnerable residents to move (the plan's grids, at the levels that start evacuation)",
    "evacuation.moved_by_deadline_share": "share of them moved (escorted to a shelter place) by the deadline",
    "evacuation.in_place_at_onset": "residents still not moved when the hazard began",
    "evacuation.without_place": "residents with no shelter place left for them (shelters full)",
    "evacuation.done_min": "minute the last grid's evacuation was done (empty if one never was)",
    "posts.post_hours": "person-hours the posts needed over their window (sites × people × hours)",
    "posts.uncovered_hours": "person-hours of that with nobody on post",
    "posts.uncovered_share": "uncovered person-hours over those needed",
    "warnings.households": "households to warn door to door (the footprint's, at the levels that start warnings)",
    "warnings.warned_by_deadline_share": "share of them warned by the deadline",
    "level_max": "highest response level reached: 0 none, 1 level IV, 2 III, 3 II, 4 I",
    "transfers": "units the district moved from one town to another",
    "work_share": "share of the units' person-minutes of work (incidents and tasks) spent on this kind of work",
}


def kpi_names() -> list[str]:
    """Every KPI a replication reports, in the order of `replication_kpis`."""
    return (list(PHASE_KPIS) + [f"{s}_mean_min" for s in STAGES]
            + ["backlog_at_horizon", "activation_min", "deactivation_min", "branches_formed"]
            + [f"utilisation.{f}" for f in FORCES if f != "party_member"]
            + [f"{p}.{k}" for p in PHASES for k in PHASE_KPIS]
            + [f"hazard.{k}" for k in PHASE_KPIS]
            + list(TASK_KPIS) + ["level_max", "transfers"] + [f"work_share.{k}" for k in WORK_KINDS])


def _q(x: np.ndarray, q: float) -> float:
    return float(np.quantile(x, q)) if len(x) else math.nan


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if len(x) else math.nan


def censored(stage: np.ndarray, onset: np.ndarray, end: float) -> np.ndarray:
    """Minutes from onset to a stage, or to the end of the run where the stage never came."""
    return np.where(np.isnan(stage), end, stage) - onset


def incident_kpis(c: dict[str, np.ndarray], target: np.ndarray, sel: np.ndarray, end: float) -> dict[str, float]:
    onset = c["onset_min"][sel]
    first = c["first_arrival_min"][sel]
    resp = censored(first, onset, end)
    reached = ~np.isnan(first)
    rep = c["reported_min"][sel]
    within = (first - onset) <= target[sel]  # NaN compares False: unserved incidents miss the target
    n = len(onset)
    return {
        "incidents": float(n),
        "response_mean_min": _mean(resp),
        "response_p50_min": _q(resp, 0.5),
        "response_p90_min": _q(resp, 0.9),
        "response_p95_min": _q(resp, 0.95),
        "within_target_share": float(within.mean()) if n else math.nan,
        "reached_share": float(reached.mean()) if n else math.nan,
        "staffed_mean_min": _mean(censored(c["staffed_min"][sel], onset, end)),
        "unreported_count": float(np.isnan(rep).sum()),
        "unserved_count": float((~np.isnan(rep) & ~reached).sum()),
    }


def replication_kpis(sc: Scenario, r: ReplicationResult) -> dict[str, float]:
    c = r.incidents
    cls = c["class"]
    end = r.end_min
    target = np.array([sc.incidents.classes[k].target_min for k in CLASSES])[cls]
    allsel = np.ones(len(c["onset_min"]), dtype=bool)
    out = incident_kpis(c, target, allsel, end)
    d = {
        "discovery": c["discovered_min"] - c["onset_min"],
        "reporting": c["reported_min"] - c["discovered_min"],
        "dispatch": c["dispatched_min"] - c["reported_min"],
        "travel": c["first_arrival_min"] - c["dispatched_min"],
    }
    for k, v in d.items():
        out[f"{k}_mean_min"] = _mean(v[~np.isnan(v)])
    out["closure_mean_min"] = _mean(censored(c["closed_min"], c["onset_min"], end))
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
        sub = incident_kpis(c, target, r.phase == p, end)
        for k in PHASE_KPIS:
            out[f"{name}.{k}"] = sub[k]
    sub = incident_kpis(c, target, c["source"] == SOURCES.index("hazard"), end)  # the emergency's own incidents
    for k in PHASE_KPIS:
        out[f"hazard.{k}"] = sub[k]
    for k in TASK_KPIS:
        out[k] = r.tasks.get(k, math.nan)
    out["level_max"] = r.tasks.get("level_max", math.nan)
    out["transfers"] = r.tasks.get("transfers", math.nan)
    work = {k: r.tasks.get(f"busy_min.{k}", 0.0) for k in WORK_KINDS}
    total = sum(work.values())
    for k in WORK_KINDS:
        out[f"work_share.{k}"] = work[k] / total if total > 0 else math.nan
    return out
