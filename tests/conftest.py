"""Shared helpers: tiny hand-checkable scenarios written to a temporary folder."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

#: Two grids 3 km apart; travel 2 min set-up + 2 min/km, no noise: A→A 2 min, A→B 8 min.
TWO_GRIDS = """grid,town,community,kind,households,x_km,y_km,key_area,party_members
A,T,C,rural,100,0,0,1,4
B,T,C,rural,100,3,0,0,0
"""

QUIET_FORCES = {
    "grid_workers": {"full_time": 1, "part_time": 0, "absence_share": 0, "deputy_leaders_per_grid": 0},
    "teams": {"town": {"members": 0}, "village": {"members": 0}, "group": {"members": 0}},
    "resident_teams": {"members_per_village": 0},
    "agencies": {"count": 0},
    "party_members": {"total": 0},
}

FIXED_CLASS = {"share": 0.0, "responders": 1, "work_dist": "fixed", "work_mean_min": 30, "pre_dispatch_min": 10,
               "priority": 2, "forces": ["grid_worker"]}


def tiny(**changes: Any) -> dict[str, Any]:
    """A deterministic two-grid scenario: instant discovery, fixed delays, one full-time grid worker."""
    sc: dict[str, Any] = {
        "name": "tiny",
        "seed": 1,
        "replications": 1,
        "horizon_min": 1000,
        "drain_min": 1000,
        "territory": {"source": "csv", "csv_file": "grids.csv",
                      "travel": {"speed_kmh": 30, "detour_factor": 1.0, "setup_min": 2, "cv": 0}},
        "forces": copy.deepcopy(QUIET_FORCES),
        "incidents": {
            "trace_file": "trace.csv",
            "classes": {c: dict(FIXED_CLASS, share=1.0 if c == "complex" else 0.0)
                        for c in ("simple", "complex", "cross_cutting", "departmental", "urgent")},
            "severities": {"minor": {}, "serious": {"responders_factor": 1, "work_factor": 1},
                           "major": {"responders_factor": 1, "work_factor": 1}},
        },
        "reporting": {
            "discovery": {"instant": True},
            "peacetime": {"route": ["community"], "hop_delay_min": 5, "hop_cv": 0, "decision_delay_min": 0,
                          "compliance": 1.0, "must_report": [], "must_report_severities": [],
                          "direct_delay_min": 1, "batching_interval_min": 0},
            "emergency": {"route": [], "hop_delay_min": 2, "hop_cv": 0, "decision_delay_min": 0,
                          "compliance": 1.0, "direct_delay_min": 1, "pre_dispatch_factor": 0.5},
        },
        "switch": {"activation": "never"},
        "dispatch": {"policy": "priority_nearest"},
        "fatigue": {"max_on_min": None, "slowdown_per_hour": 0},  # nobody tires in the hand-checked traces
    }
    for dotted, value in changes.items():
        node = sc
        parts = dotted.split("__")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return sc


@pytest.fixture
def write_scenario(tmp_path: Path):
    """Write a scenario dict, its grid CSV and an incident trace; return the scenario path."""

    def _write(sc: dict[str, Any], trace: str = "", grids: str = TWO_GRIDS, name: str = "sc.yaml") -> Path:
        (tmp_path / "grids.csv").write_text(grids)
        (tmp_path / "trace.csv").write_text("onset_min,grid,class,severity,responders,work_min\n" + trace)
        path = tmp_path / name
        path.write_text(yaml.safe_dump(sc, sort_keys=False))
        return path

    return _write
