"""Policy effects with common random numbers, determinism, the 20 % flag, and partial failures."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from sim.cli import main
from sim.experiment import replication_kpis
from sim.model import build_model, run_replication
from sim.scenario import load_scenario
from tests.conftest import ROOT

SHATANG = ROOT / "scenarios" / "shatang.yaml"
REPS = 8


def paired(base: list[str], worse: list[str], better: list[str], key: str) -> np.ndarray:
    """Per-replication KPI of `worse` minus `better`, same seeds (common random numbers)."""
    out = []
    for extra in (worse, better):
        loaded = load_scenario(SHATANG, ["switch.activation=threshold"] + base + extra)  # a peacetime first day
        model = build_model(loaded)
        out.append(np.array([replication_kpis(loaded.scenario, run_replication(model, r))[key] for r in range(REPS)]))
    return out[0] - out[1]


def assert_better(diff: np.ndarray) -> None:
    assert (diff >= 0).all(), f"worse in some replication: {diff}"
    assert stats.ttest_1samp(diff, 0.0, alternative="greater").pvalue < 0.05, diff


def test_higher_agency_team_ratio_shortens_emergency_response():
    # urgent hazard incidents are the agency teams' job here, so their number is what limits the response
    base = ["incidents.hazards.0.rate_per_hour=20", "incidents.classes.urgent.forces=[agency_team]"]
    for key in ("emergency.response_mean_min", "emergency.staffed_mean_min"):
        assert_better(paired(base, ["forces.agencies.team_ratio=0.1"], ["forces.agencies.team_ratio=0.4"], key))


def test_more_grid_workers_shorten_response():
    assert_better(paired([], ["forces.grid_workers.full_time=20"], ["forces.grid_workers.full_time=60"],
                         "response_mean_min"))


def test_flat_reporting_route_shortens_peacetime_response():
    assert_better(paired([], ["reporting.peacetime.route=[community, town]"], ["reporting.peacetime.route=[]"],
                         "peacetime.response_mean_min"))


def test_incidents_are_the_same_whatever_the_staffing():
    a = run_replication(build_model(load_scenario(SHATANG, ["forces.agencies.team_ratio=0.1"])), 3).incidents
    b = run_replication(build_model(load_scenario(SHATANG, ["forces.agencies.team_ratio=0.4",
                                                            "forces.grid_workers.full_time=30"])), 3).incidents
    for col in ("onset_min", "grid", "class", "severity", "responders"):
        assert np.array_equal(a[col], b[col]), col


OUTPUTS = ("scenario.resolved.yaml", "incidents.csv", "kpis.csv", "summary.json", "mobilisation.csv",
           "response_ecdf.png", "mobilisation.png", "response_map.png")


def _run(tmp_path, name, *args):
    out = tmp_path / name
    assert main(["run", str(SHATANG), "--replications", "3", "--quiet", "--out", str(out), *args]) == 0
    return out


def test_same_seed_same_bytes_whatever_the_jobs(tmp_path):
    a = _run(tmp_path, "a", "--seed", "7")
    b = _run(tmp_path, "b", "--seed", "7", "--jobs", "2")
    c = _run(tmp_path, "c", "--seed", "8")
    for f in OUTPUTS:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert (a / "incidents.csv").read_bytes() != (c / "incidents.csv").read_bytes()
    ma, mb = (json.loads((d / "manifest.json").read_text()) for d in (a, b))
    assert ma["scenario_sha256"] == mb["scenario_sha256"] and ma["seed"] == 7


@pytest.mark.parametrize("ratio,flagged", [(0.19, True), (0.2, False), (0.35, False)])
def test_twenty_percent_flag_exactly_when_lower(tmp_path, capsys, ratio, flagged):
    out = tmp_path / "run"
    assert main(["run", str(SHATANG), "--replications", "1", "--quiet", "--out", str(out),
                 "--set", f"forces.agencies.team_ratio={ratio}"]) == 0
    printed = capsys.readouterr()
    summary = json.loads((out / "summary.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    has = ["20 %" in printed.out, bool(summary["flags"]), bool(manifest["flags"])]
    assert has == [flagged] * 3


def test_one_listed_agency_below_the_rule_is_named(tmp_path, capsys):
    assert main(["validate", str(SHATANG), "--set",
                 "forces.agencies.listed=[{name: water bureau, staff: 40, team_ratio: 0.15}]"]) == 0
    assert "water bureau at 15%" in capsys.readouterr().out


def test_a_failed_replication_keeps_the_others(tmp_path, capsys, monkeypatch):
    import sim.experiment.runner as runner

    real = runner.run_replication

    def flaky(model, replication, **kw):
        if replication == 1:
            raise RuntimeError("disk on fire")
        return real(model, replication, **kw)

    monkeypatch.setattr(runner, "run_replication", flaky)
    out = tmp_path / "run"
    assert main(["run", str(SHATANG), "--replications", "3", "--quiet", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "replication 1 failed: RuntimeError: disk on fire" in err
    reps = {line.split(",")[0] for line in (out / "incidents.csv").read_text().splitlines()[1:]}
    assert reps == {"0", "2"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["failed"] == [{"replication": 1, "error": "RuntimeError: disk on fire"}]
    assert summary["replications_done"] == [0, 2]
    assert len(summary["kpis"]["response_mean_min"]["values"]) == 2
