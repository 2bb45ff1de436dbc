"""Every KPI on a hand-made replication whose values are worked out by hand.

Five incidents of class `simple` (target 60 min); the run ends at 1,000 (horizon 800 + drain 200):

| i | onset | discovered | reported | dispatched | first | staffed | closed | source | phase |
|---|---|---|---|---|---|---|---|---|---|
| 0 | 0 | 10 | 20 | 25 | 40 | 50 | 100 | background | peacetime |
| 1 | 100 | 110 | 130 | 140 | 160 | 170 | 300 | hazard | emergency |
| 2 | 200 | 205 | 215 | 220 | 300 | 300 | 500 | hazard | emergency |
| 3 | 300 | 320 | - | - | - | - | - | background | peacetime |
| 4 | 400 | 401 | 411 | - | - | - | - | background | emergency |

Responses, the never-reached counted to the end of the run: 40, 60, 100, 700, 600.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.experiment import kpi_names, replication_kpis
from sim.model import ReplicationResult
from sim.scenario.schema import FORCES, Scenario

N = math.nan


def result() -> ReplicationResult:
    cols = {
        "grid": np.zeros(5, dtype=np.int64), "class": np.zeros(5, dtype=np.int64),
        "severity": np.zeros(5, dtype=np.int64), "source": np.array([0, 1, 1, 0, 0]),
        "responders": np.ones(5, dtype=np.int64),
        "onset_min": np.array([0.0, 100, 200, 300, 400]),
        "discovered_min": np.array([10.0, 110, 205, 320, 401]),
        "reported_min": np.array([20.0, 130, 215, N, 411]),
        "dispatched_min": np.array([25.0, 140, 220, N, N]),
        "first_arrival_min": np.array([40.0, 160, 300, N, N]),
        "staffed_min": np.array([50.0, 170, 300, N, N]),
        "closed_min": np.array([100.0, 300, 500, N, N]),
    }
    busy = {f: 0.0 for f in FORCES}
    busy["grid_worker"] = 300.0
    duty = {f: 0.0 for f in FORCES}
    duty["grid_worker"] = 600.0
    return ReplicationResult(
        replication=0, incidents=cols, served_by=["grid_worker"] * 3 + ["", ""], phase=np.array([0, 1, 1, 0, 1]),
        activations=[150.0, 600.0], deactivations=[400.0], branches=[(160.0, "C1"), (170.0, "C2")],
        mobilisation={}, force_size={}, busy_min=busy, on_duty_min=duty, n_events=0, end_min=1000.0)


@pytest.fixture(scope="module")
def k() -> dict[str, float]:
    return replication_kpis(Scenario(horizon_min=800, drain_min=200), result())


def test_response_counts_the_never_reached_to_the_end_of_the_run(k):
    assert k["incidents"] == 5
    assert k["response_mean_min"] == 300.0  # (40 + 60 + 100 + 700 + 600) / 5
    # sorted 40, 60, 100, 600, 700; linear interpolation at (n - 1) q: 2, 3.6, 3.8
    assert k["response_p50_min"] == 100.0
    assert k["response_p90_min"] == pytest.approx(660.0)
    assert k["response_p95_min"] == pytest.approx(680.0)
    assert k["reached_share"] == 0.6
    assert k["staffed_mean_min"] == 304.0  # (50 + 70 + 100 + 700 + 600) / 5


def test_within_target_includes_the_target_minute(k):
    assert k["within_target_share"] == 0.4  # 40 and exactly 60 are within 60; the rest miss


def test_unreported_and_unserved_are_apart(k):
    assert k["unreported_count"] == 1  # i3
    assert k["unserved_count"] == 1  # i4: reported, never reached


def test_stage_means_are_over_incidents_through_both_ends(k):
    assert k["discovery_mean_min"] == pytest.approx(46 / 5)  # 10, 10, 5, 20, 1
    assert k["reporting_mean_min"] == 12.5  # from discovery: 10, 20, 10, 10
    assert k["dispatch_mean_min"] == pytest.approx(20 / 3)  # 5, 10, 5
    assert k["travel_mean_min"] == pytest.approx(115 / 3)  # 15, 20, 80
    assert k["closure_mean_min"] == 380.0  # 100, 200, 300, then 700 and 600 to the end


def test_run_level_kpis(k):
    assert k["backlog_at_horizon"] == 2  # i3 and i4 are open at 800
    assert k["activation_min"] == 150.0 and k["deactivation_min"] == 400.0  # the first of each
    assert k["branches_formed"] == 2
    assert k["utilisation.grid_worker"] == 0.5  # 300 busy minutes over 600 on duty, not over the run
    assert math.isnan(k["utilisation.agency_team"])  # never on duty


def test_phase_and_hazard_subsets(k):
    assert k["peacetime.incidents"] == 2 and k["peacetime.response_mean_min"] == 370.0  # 40, 700
    assert k["emergency.incidents"] == 3 and k["emergency.response_mean_min"] == pytest.approx(760 / 3)
    assert k["emergency.within_target_share"] == pytest.approx(1 / 3)
    assert k["emergency.unserved_count"] == 1 and k["peacetime.unreported_count"] == 1
    assert k["hazard.incidents"] == 2 and k["hazard.response_mean_min"] == 80.0  # 60, 100
    assert k["hazard.reached_share"] == 1.0


def test_every_kpi_is_named_in_order(k):
    assert list(k) == kpi_names()


def test_every_kpi_is_defined_in_the_docs():
    from tests.conftest import ROOT

    text = (ROOT / "docs" / "kpis.md").read_text()
    for name in kpi_names():
        base = name.split(".", 1)[1] if name.split(".")[0] in ("peacetime", "emergency", "hazard") else name
        base = "utilisation.<force>" if base.startswith("utilisation.") else base
        base = "work_share.<kind>" if base.startswith("work_share.") else base
        assert f"`{base}`" in text, name
