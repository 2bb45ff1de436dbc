"""The M/M/c reduction of the model against queueing theory (Erlang C, Little's law)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.model import build_model, run_replication
from sim.scenario import load_scenario
from tests.conftest import ROOT

MMC = ROOT / "scenarios" / "validation" / "mmc.yaml"
WARMUP = 500.0


def erlang_c(lam: float, mu: float, c: int) -> tuple[float, float]:
    """Probability of waiting and mean wait in queue of an M/M/c queue."""
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait, p_wait / (c * mu - lam)


def ci99(x: list[float]) -> tuple[float, float]:
    m, se = float(np.mean(x)), float(np.std(x, ddof=1) / math.sqrt(len(x)))
    h = float(stats.t.ppf(0.995, len(x) - 1)) * se
    return m - h, m + h


def replicate(overrides: list[str], n: int):
    model = build_model(load_scenario(MMC, overrides))
    return model, [run_replication(model, r) for r in range(n)]


@pytest.mark.parametrize("lam_per_hour,work_mean,c", [(60, 4, 5), (36, 10, 8), (45, 1, 1)])
def test_erlang_c(lam_per_hour, work_mean, c):
    lam, mu = lam_per_hour / 60.0, 1.0 / work_mean
    overrides = [f"incidents.background.rate_per_hour={lam_per_hour}",
                 f"incidents.classes.complex.work_mean_min={work_mean}", f"forces.grid_workers.full_time={c}",
                 "horizon_min=12000"]
    _, results = replicate(overrides, 12)
    p_wait, w_q = erlang_c(lam, mu, c)
    waits, pw = [], []
    for res in results:
        inc = res.incidents
        keep = inc["onset_min"] >= WARMUP
        wait = (inc["dispatched_min"] - inc["onset_min"])[keep]
        assert not np.isnan(wait).any(), "every incident is served after the drain"
        waits.append(float(wait.mean()))
        pw.append(float((wait > 1e-9).mean()))
    lo, hi = ci99(pw)
    assert lo <= p_wait <= hi, f"P(wait) {p_wait:.4f} outside 99 % CI [{lo:.4f}, {hi:.4f}]"
    lo, hi = ci99(waits)
    assert lo <= w_q <= hi, f"mean wait {w_q:.4f} outside 99 % CI [{lo:.4f}, {hi:.4f}]"


def test_littles_law_and_utilisation():
    lam, mu, c = 1.0, 0.25, 5
    model, results = replicate(["horizon_min=20000"], 4)
    for res in results:
        inc = res.incidents
        onset, closed = inc["onset_min"], inc["closed_min"]
        # L measured by sampling the number in system at fixed times; W from the records; lambda = n / T
        t = np.arange(WARMUP, 20000.0, 0.5)
        in_system = np.searchsorted(np.sort(onset), t, side="right") - np.searchsorted(np.sort(closed), t, side="right")
        keep = (onset >= WARMUP) & (closed <= 20000.0)
        L, W = in_system.mean(), float((closed - onset)[keep].mean())
        lam_hat = ((onset >= WARMUP) & (onset < 20000.0)).sum() / (20000.0 - WARMUP)
        assert L == pytest.approx(lam_hat * W, rel=0.03)
        # and both agree with the analytic L = lambda (Wq + 1/mu)
        assert L == pytest.approx(lam * (erlang_c(lam, mu, c)[1] + 1 / mu), rel=0.08)
        util = res.busy_min["grid_worker"] / res.on_duty_min["grid_worker"]
        assert util == pytest.approx(lam / (c * mu) * 20000 / (20000 + 2000), rel=0.05)
