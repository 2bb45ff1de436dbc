"""End to end: `mobsim run` on every shipped scenario writes the whole run folder."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from sim.cli import main
from sim.output.run import RUN_FILES
from tests.conftest import ROOT

COLUMNS = ("replication", "incident", "town", "community", "grid", "class", "severity", "phase", "onset_min",
           "discovered_min", "reported_min", "dispatched_min", "first_arrival_min", "staffed_min", "closed_min",
           "responders", "served_by")
KPIS = ("response_mean_min", "response_p50_min", "response_p90_min", "response_p95_min", "within_target_share",
        "staffed_mean_min", "unreported_count", "unserved_count", "activation_min")


def check_folder(out, reps):
    for f in RUN_FILES:
        assert (out / f).is_file() and (out / f).stat().st_size > 0, f
    with open(out / "incidents.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert set(COLUMNS) <= set(rows[0])
    assert {r["replication"] for r in rows} == {str(r) for r in range(reps)}
    summary = json.loads((out / "summary.json").read_text())
    for k in KPIS:
        for prefix in ("", "peacetime.", "emergency.") if k != "activation_min" else ("",):
            entry = summary["kpis"][prefix + k]
            assert len(entry["values"]) == reps
            assert {"mean", "ci95_low", "ci95_high"} <= set(entry)
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["scenario_sha256"]) == 64 and manifest["versions"]["simpy"]
    resolved = (out / "scenario.resolved.yaml").read_text()
    assert "patrol_revisit_min:" in resolved  # defaults are written out, not only what the file set
    return rows, summary


@pytest.mark.parametrize("name", ["gaoming", "shatang", "pingcheng", "lishui", "gaoming_epidemic", "validation/mmc"])
def test_run_each_shipped_scenario(tmp_path, capsys, name):
    out = tmp_path / "run"
    extra = ["--set", "horizon_min=3000"] if name == "validation/mmc" else []
    assert main(["run", str(ROOT / "scenarios" / f"{name}.yaml"), "--replications", "2", "--quiet",
                 "--out", str(out), *extra]) == 0
    printed = capsys.readouterr().out
    assert "mean response (min)" in printed and f"results: {out}" in printed
    rows, summary = check_folder(out, 2)
    if name != "validation/mmc":
        # each shipped district has a hazard and the switch: forecast warnings put the whole run of a typhoon
        # or a storm on an emergency footing from the first warning, 24 h ahead
        assert "emergency" in {r["phase"] for r in rows}
        assert summary["kpis"]["activation_min"]["mean"] is not None
    if name == "pingcheng":
        assert min(summary["kpis"]["incidents"]["values"]) >= 2000


def test_real_command_line(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "sim", "run", str(ROOT / "scenarios" / "shatang.yaml"),
                           "--replications", "2", "--jobs", "2", "--out", str(out)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    check_folder(out, 2)
