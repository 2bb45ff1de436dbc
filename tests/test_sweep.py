"""Sweeps and target searches end to end, with real runs.

Executors (in process, process pool, Dask) give the same bytes; a sweep killed with SIGKILL resumes to
the same tables as an uninterrupted one; resumes with changed inputs are refused; a failing run is recorded
and re-run by a resume; replication r of every design point sees the same incidents (common random
numbers); the 95 % CI covers a known mean at its nominal rate; the target search brackets its threshold;
Sobol and Latin hypercube designs write what they promise.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from scipy import stats

import sim.experiment.sweep as sweep_mod
from sim.cli import main
from sim.experiment import replication_kpis
from sim.experiment.spec import load_experiment
from sim.experiment.stats import mean_ci
from sim.experiment.target import find_target
from sim.model import build_model, run_replication
from sim.output.sweep import run_sweep
from sim.scenario import load_scenario
from tests.conftest import ROOT

SHATANG = ROOT / "scenarios" / "shatang.yaml"
MMC = ROOT / "scenarios" / "validation" / "mmc.yaml"

#: two force factors x two values; both change who responds, neither changes the incidents
SMALL = {
    "name": "small",
    "scenario": str(SHATANG),
    "replications": 3,
    "kpis": ["incidents", "response_mean_min", "emergency.response_mean_min"],
    "factors": [
        {"key": "forces.agencies.team_ratio", "values": [0.2, 0.4]},
        {"key": "forces.grid_workers.full_time", "values": [30, 44]},
    ],
}

#: urgent hazard incidents are the agency teams' job, so the team ratio limits the emergency response
TARGET = {
    "name": "target",
    "scenario": str(SHATANG),
    "replications": 5,
    "fixed": {"incidents.hazards.0.rate_per_hour": 20, "incidents.classes.urgent.forces": ["agency_team"]},
    "factors": [{"key": "forces.agencies.team_ratio", "range": {"low": 0.05, "high": 0.6}}],
}


def write_experiment(folder: Path, spec: dict[str, Any], name: str = "exp.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def run_files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "runs").iterdir())}


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, Path]:
    """The small experiment and its reference sweep, run in process (jobs=1)."""
    base = tmp_path_factory.mktemp("small")
    exp = write_experiment(base, SMALL)
    out = base / "ref"
    outcome = run_sweep(exp, out, jobs=1, progress=False)
    assert outcome.plan.n_runs == 12 and not outcome.progress.failed
    return exp, out


@pytest.fixture(scope="module")
def dask_cluster():
    """A two-process local Dask cluster, quiet, closed whatever happens."""
    from dask.distributed import LocalCluster

    loggers = [logging.getLogger(n) for n in ("distributed", "dask", "tornado", "bokeh")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR)
    try:
        yield cluster
    finally:
        cluster.close()
        for lg, lv in zip(loggers, levels):
            lg.setLevel(lv)


# --------------------------------------------------------------------------- executors


def test_process_pool_and_dask_give_the_same_bytes_as_one_process(small, dask_cluster, tmp_path):
    exp, ref = small
    pool = tmp_path / "pool"
    dask = tmp_path / "dask"
    run_sweep(exp, pool, jobs=2, progress=False)
    run_sweep(exp, dask, scheduler=dask_cluster.scheduler_address, progress=False)
    assert [json.loads((d / "sweep.json").read_text())["executor"] for d in (ref, pool, dask)] == \
        ["in process", "process pool", "dask"]
    for other in (pool, dask):
        for name in ("runs.csv", "summary.csv"):
            assert (ref / name).read_bytes() == (other / name).read_bytes(), (other.name, name)
        for name in ("runs", "summary"):
            a, b = pq.read_table(ref / f"{name}.parquet"), pq.read_table(other / f"{name}.parquet")
            assert a.num_rows > 0 and a.schema == b.schema, (other.name, name)
            assert a.column_names == (ref / f"{name}.csv").read_text().splitlines()[0].split(",")
            for col in a.column_names:  # NaN-aware: an undefined KPI is NaN in both
                np.testing.assert_array_equal(a[col].to_numpy(zero_copy_only=False),
                                              b[col].to_numpy(zero_copy_only=False), err_msg=f"{name}.{col}")
        assert run_files(ref) == run_files(other), other.name
    rows = read_csv(ref / "runs.csv")
    assert [int(r["run"]) for r in rows] == list(range(12))
    assert all(r["status"] == "ok" and r["error"] == "" for r in rows)
    assert pq.read_table(ref / "runs.parquet").column("run").to_pylist() == [float(k) for k in range(12)]


# --------------------------------------------------------------------------- common random numbers


def test_replication_r_of_every_point_sees_the_same_incidents(small):
    _, ref = small
    rows = read_csv(ref / "runs.csv")
    by_rep: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_rep.setdefault(r["replication"], []).append(r)
    assert sorted(by_rep) == ["0", "1", "2"]
    for rep, group in by_rep.items():
        assert len(group) == 4, rep
        assert len({r["seed"] for r in group}) == 1, rep
        assert len({r["incidents"] for r in group}) == 1, (rep, [r["incidents"] for r in group])
        # the factors do change the outcome: fewer grid workers, slower response
        assert len({r["response_mean_min"] for r in group}) > 1, rep
    # and the replications are not copies of each other
    assert len({group[0]["incidents"] for group in by_rep.values()}) == 3
    summary = read_csv(ref / "summary.csv")
    assert len({s["incidents"] for s in summary}) == 1


# --------------------------------------------------------------------------- kill, resume, refusals

KILL = dict(SMALL, name="kill", replications=10, kpis=["incidents", "response_mean_min"])


def test_sigkilled_sweep_resumes_to_the_same_tables(tmp_path, capsys):
    exp = write_experiment(tmp_path, KILL)
    out = tmp_path / "killed"
    runs = out / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "sim", "sweep", str(exp), "--out", str(out), "--jobs", "2",
                             "--quiet"], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        n = 0
        while time.monotonic() < deadline and proc.poll() is None:
            n = len(list(runs.glob("[0-9]*.json"))) if runs.is_dir() else 0
            if n >= 4:
                break
            time.sleep(0.005)
        assert proc.poll() is None, f"the sweep ended before it could be killed ({n} runs written)"
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    before = run_files(out)
    before = {k: v for k, v in before.items() if not k.startswith(".")}
    assert 4 <= len(before) < 40, len(before)
    assert not (out / "runs.csv").exists()
    # a kill in the middle of an atomic write leaves a temporary file: the resume must clear it
    (runs / f".000039.json.{proc.pid}.tmp").write_text('{"run": 39, "status": "ok"')
    capsys.readouterr()

    assert main(["sweep", str(exp), "--out", str(out), "--resume", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert f"({len(before)} done before, {40 - len(before)} now, 0 failed)" in printed
    after = run_files(out)
    assert sorted(after) == [f"{k:06d}.json" for k in range(40)], "leftover or missing files in runs/"
    for name, data in before.items():  # the runs done before the kill were not run again
        assert after[name] == data, name
    rows = read_csv(out / "runs.csv")
    assert sorted(int(r["run"]) for r in rows) == list(range(40))
    assert all(r["status"] == "ok" for r in rows)

    clean = tmp_path / "clean"
    run_sweep(exp, clean, jobs=2, progress=False)
    for name in ("runs.csv", "summary.csv"):
        assert (out / name).read_bytes() == (clean / name).read_bytes(), name
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["runs_ok"] == 40 and manifest["runs_done_before"] == len(before)

    # the finished folder: a new sweep into it is refused, and so is a resume with changed inputs
    snapshot = {**run_files(out), "runs.csv": (out / "runs.csv").read_bytes()}
    assert main(["sweep", str(exp), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "already holds a sweep" in err and "--resume" in err and "Traceback" not in err
    for change in ({"replications": 11},
                   {"factors": [KILL["factors"][0], {"key": "forces.grid_workers.full_time", "values": [30, 45]}]}):
        edited = write_experiment(tmp_path, dict(KILL, **change), name="edited.yaml")
        assert main(["sweep", str(edited), "--out", str(out), "--resume", "--quiet"]) == 2, change
        err = capsys.readouterr().err
        assert "changed since this sweep started" in err and "Traceback" not in err, err
    assert {**run_files(out), "runs.csv": (out / "runs.csv").read_bytes()} == snapshot


def test_ctrl_c_says_it_is_stopping_keeps_the_finished_runs_and_prints_the_resume_command(tmp_path):
    """A real SIGINT to the process group, as a terminal sends it, once some runs are written: the sweep says
    at once that it is stopping, exits 130 with the exact command to resume, and that command finishes the
    sweep to the same tables as one never interrupted."""
    exp = write_experiment(tmp_path, dict(KILL, name="ctrl-c"))
    out = tmp_path / "stopped"
    runs = out / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "sim", "sweep", str(exp), "--out", str(out), "--jobs", "2",
                             "--quiet"], cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if runs.is_dir() and len(list(runs.glob("[0-9]*.json"))) >= 4:
                break
            time.sleep(0.005)
        assert proc.poll() is None, "the sweep ended before Ctrl-C could reach it"
        os.killpg(proc.pid, signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted: stopping; finished runs are kept" in err and "Traceback" not in err, err
    done = len(list(runs.glob("[0-9]*.json")))
    assert f"stopped with {done} of 40 runs done in {out}. Resume with:" in err, err
    resume = err.rsplit("Resume with:", 1)[1].strip().splitlines()[0]
    assert resume == f"mobsim sweep {exp} --out {out} --resume --jobs 2", resume
    argv = resume.split()[1:]
    assert main([*argv, "--quiet"]) == 0
    clean = tmp_path / "clean"
    run_sweep(exp, clean, jobs=2, progress=False)
    for name in ("runs.csv", "summary.csv"):
        assert (out / name).read_bytes() == (clean / name).read_bytes(), name


def test_a_failing_run_is_recorded_and_a_resume_runs_just_that_one(small, tmp_path, monkeypatch, capsys):
    exp, ref = small
    out = tmp_path / "flaky"
    real = sweep_mod.run_replication

    def flaky(model, replication):
        f = model.scenario.forces
        if replication == 1 and f.agencies.team_ratio == 0.4 and f.grid_workers.full_time == 30:
            raise RuntimeError("boom in replication 1")
        return real(model, replication)

    monkeypatch.setattr(sweep_mod, "run_replication", flaky)
    assert main(["sweep", str(exp), "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "run 7 failed: RuntimeError: boom in replication 1" in err  # point 2 (0.4, 30), replication 1
    rows = read_csv(out / "runs.csv")
    assert len(rows) == 12
    bad = [r for r in rows if r["status"] != "ok"]
    assert [(r["run"], r["point"], r["replication"], r["status"]) for r in bad] == [("7", "2", "1", "failed")]
    assert bad[0]["error"] == "RuntimeError: boom in replication 1" and bad[0]["response_mean_min"] == ""
    assert all(r["response_mean_min"] != "" for r in rows if r["status"] == "ok")
    point2 = read_csv(out / "summary.csv")[2]
    assert (point2["runs_ok"], point2["runs_failed"]) == ("2", "1")
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["runs_failed"] == 1 and manifest["failed"] == [{"run": 7, "error": bad[0]["error"]}]

    monkeypatch.undo()
    before = run_files(out)
    assert main(["sweep", str(exp), "--out", str(out), "--resume", "--quiet"]) == 0
    assert "(11 done before, 1 now, 0 failed)" in capsys.readouterr().out
    after = run_files(out)
    assert [k for k in after if after[k] != before[k]] == ["000007.json"]
    for name in ("runs.csv", "summary.csv"):
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name


# --------------------------------------------------------------------------- confidence intervals


def _coverage(samples: np.ndarray, true: float, level: float = 0.95) -> float:
    hits = 0
    for row in samples:
        _, lo, hi = mean_ci(list(row), level)
        hits += lo <= true <= hi
    return hits / len(samples)


def _tolerance(p: float, trials: int) -> float:
    return 4 * math.sqrt(p * (1 - p) / trials)  # four binomial standard errors


def test_mean_ci_covers_a_normal_mean_at_the_nominal_rate():
    rng = np.random.default_rng(20240602)
    trials = 3000
    for n in (2, 3, 5, 10, 30):
        x = rng.normal(7.5, 3.0, size=(trials, n))
        for level in (0.95, 0.90):
            cov = _coverage(x, 7.5, level)
            assert abs(cov - level) < _tolerance(level, trials), (n, level, cov)
    # undefined values are left out, not counted as zero; one value gives a mean but no interval
    assert mean_ci([1.0, float("nan"), 3.0, None]) == mean_ci([1.0, 3.0])  # type: ignore[list-item]
    m, lo, hi = mean_ci([4.0])
    assert m == 4.0 and math.isnan(lo) and math.isnan(hi)
    assert all(math.isnan(v) for v in mean_ci([]))


def test_mean_ci_of_model_replications_covers_the_poisson_mean():
    # M/M/c reduction: arrivals are Poisson at 1 per minute, so the incidents of a 100-minute horizon have
    # mean exactly 100; each interval is over 5 replications, as a small sweep would have
    horizon, n, trials = 100, 5, 300
    loaded = load_scenario(MMC, [f"horizon_min={horizon}", "drain_min=200"])
    model = build_model(loaded)
    counts = np.array([replication_kpis(loaded.scenario, run_replication(model, r))["incidents"]
                       for r in range(n * trials)])
    assert abs(counts.mean() - 100) < 4 * math.sqrt(100 / len(counts))  # the truth is what we think it is
    cov = _coverage(counts.reshape(trials, n), 100.0)
    assert abs(cov - 0.95) < _tolerance(0.95, trials), cov


# --------------------------------------------------------------------------- target search


@pytest.fixture(scope="module")
def target_exp(tmp_path_factory) -> Path:
    return write_experiment(tmp_path_factory.mktemp("target"), TARGET)


def _consistent(result, smallest: bool = True) -> None:
    for e in result.evaluations:
        beyond = e.value >= result.answer if smallest else e.value <= result.answer
        assert e.meets == beyond, (e.value, e.meets, result.answer)
        assert e.meets == ((e.bound <= result.limit) if result.at_most else (e.bound >= result.limit))


def test_target_finds_the_smallest_team_ratio_that_meets(target_exp):
    exp = load_experiment(target_exp)
    limit = 60.0
    r = find_target(exp, "emergency.response_mean_min", limit, at_most=True)
    assert r.answer is not None and 0.05 < r.answer < 0.6 and r.warnings == []
    _consistent(r)
    values = [e.value for e in r.evaluations]
    assert values == sorted(values) and values[0] == 0.05 and values[-1] == 0.6
    below = max(v for v in values if v < r.answer)
    assert r.answer - below <= (0.6 - 0.05) / 64 + 1e-9
    at = next(e for e in r.evaluations if e.value == r.answer)
    assert at.meets and at.bound <= limit < next(e for e in r.evaluations if e.value == below).bound
    # the evidence is what an independent run of the same replications gives (common random numbers)
    fixed = ["incidents.hazards.0.rate_per_hour=20", "incidents.classes.urgent.forces=[agency_team]"]
    loaded = load_scenario(SHATANG, fixed + [f"forces.agencies.team_ratio={r.answer!r}"])
    model = build_model(loaded)
    vals = [replication_kpis(loaded.scenario, run_replication(model, k))["emergency.response_mean_min"]
            for k in range(5)]
    assert vals == at.values
    h = stats.t.ppf(0.95, 4) * np.std(vals, ddof=1) / math.sqrt(5)
    assert at.bound == pytest.approx(np.mean(vals) + h, rel=1e-12)
    assert r.sentence().startswith(f"The smallest forces.agencies.team_ratio that keeps "
                                   f"emergency.response_mean_min at most 60 with 95 % confidence is {r.answer:g}")


def test_target_that_cannot_be_met_or_is_met_at_the_low_end(target_exp):
    exp = load_experiment(target_exp)
    never = find_target(exp, "emergency.response_mean_min", 1.0)
    assert never.answer is None and not any(e.meets for e in never.evaluations)
    assert [e.value for e in never.evaluations] == [0.05, 0.6]
    assert any("cannot be met" in w for w in never.warnings)
    assert never.sentence().startswith("No value of forces.agencies.team_ratio in [0.05, 0.6]")
    always = find_target(exp, "emergency.response_mean_min", 1e6)
    assert always.answer == 0.05 and all(e.meets for e in always.evaluations)
    assert [e.value for e in always.evaluations] == [0.05, 0.6]
    assert any("already met at the end of the range (0.05)" in w for w in always.warnings)
    # the mirror image: the largest ratio keeping agency teams at least this busy
    mirror_never = find_target(exp, "utilisation.agency_team", 2.0, at_most=False, largest=True)
    assert mirror_never.answer is None and any("cannot be met" in w for w in mirror_never.warnings)
    mirror_always = find_target(exp, "utilisation.agency_team", 0.0, at_most=False, largest=True)
    assert mirror_always.answer == 0.6
    assert any("already met at the end of the range (0.6)" in w for w in mirror_always.warnings)


def test_target_from_the_command_line(target_exp, tmp_path, capsys):
    out = tmp_path / "smallest.json"
    assert main(["target", str(target_exp), "--kpi", "emergency.response_mean_min", "--at-most", "60",
                 "--tolerance", "0.03", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    res = json.loads(out.read_text())
    assert res["answer"] is not None and res["warnings"] == []
    assert (f"The smallest forces.agencies.team_ratio that keeps emergency.response_mean_min at most 60 with "
            f"95 % confidence is {res['answer']:g}") in printed
    for e in res["evaluations"]:
        assert e["meets"] == (e["value"] >= res["answer"]) == (e["bound"] <= 60), e
    # --largest with an at-least target: agency teams get less busy as they grow
    out = tmp_path / "largest.json"
    assert main(["target", str(target_exp), "--kpi", "utilisation.agency_team", "--at-least", "0.5",
                 "--largest", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    res = json.loads(out.read_text())
    assert res["largest"] and not res["at_most"] and 0.05 < res["answer"] < 0.6 and res["warnings"] == []
    assert "The largest forces.agencies.team_ratio that keeps utilisation.agency_team at least 0.5" in printed
    for e in res["evaluations"]:
        assert e["meets"] == (e["value"] <= res["answer"]) == (e["bound"] >= 0.5), e
    above = min(e["value"] for e in res["evaluations"] if e["value"] > res["answer"])
    assert above - res["answer"] <= (0.6 - 0.05) / 64 + 1e-9


# --------------------------------------------------------------------------- Sobol and Latin hypercube


def test_sobol_sweep_writes_indices_with_intervals_and_plots(tmp_path):
    exp = write_experiment(tmp_path, {
        "name": "sobol", "scenario": str(SHATANG), "design": "sobol", "samples": 8, "replications": 1,
        "kpis": ["response_mean_min", "incidents"],
        "factors": [
            {"key": "forces.grid_workers.full_time", "range": {"low": 20, "high": 60}, "integer": True},
            {"key": "reporting.peacetime.hop_delay_min", "range": {"low": 10, "high": 40}},
            {"key": "forces.agencies.team_ratio", "distribution": {"kind": "uniform", "low": 0.1, "high": 0.5}},
        ],
    })
    out = tmp_path / "out"
    outcome = run_sweep(exp, out, jobs=2, progress=False)
    keys = [f["key"] for f in yaml.safe_load(exp.read_text())["factors"]]
    assert outcome.plan.n_runs == 8 * (3 + 2)
    sobol = json.loads((out / "sobol.json").read_text())
    assert set(sobol) == {"response_mean_min", "incidents"}
    rows = sobol["response_mean_min"]["indices"]
    assert [r["factor"] for r in rows] == keys
    for r in rows:
        for which in ("first_order", "total_order"):
            lo, v, hi = r[f"{which}_ci95_low"], r[which], r[f"{which}_ci95_high"]
            assert all(isinstance(x, float) and math.isfinite(x) for x in (lo, v, hi)), r
            assert lo <= hi, r
    total = {r["factor"]: r["total_order"] for r in rows}
    # agency teams barely touch the overall mean response; grid workers and reporting hops do
    assert abs(total["forces.agencies.team_ratio"]) < 0.05 < total["forces.grid_workers.full_time"]
    assert "note" in sobol["incidents"]  # the same incidents at every point: nothing to apportion
    png = out / "sobol_response_mean_min.png"
    assert png.stat().st_size > 1000 and not (out / "sobol_incidents.png").exists()
    # the Saltelli layout: A, B, then A with column i from B
    summary = read_csv(out / "summary.csv")
    pts = [[s[k] for k in keys] for s in summary]
    a, b = pts[:8], pts[8:16]
    for i in range(3):
        ab = pts[16 + 8 * i: 24 + 8 * i]
        for j in range(8):
            assert ab[j] == [b[j][c] if c == i else a[j][c] for c in range(3)], (i, j)


def test_lhs_points_lie_in_the_factor_ranges_one_per_stratum(tmp_path):
    exp = write_experiment(tmp_path, {
        "name": "lhs", "scenario": str(SHATANG), "design": "lhs", "samples": 8, "replications": 1,
        "fixed": {"horizon_min": 2880, "drain_min": 720},
        "kpis": ["response_mean_min"],
        "factors": [
            {"key": "reporting.peacetime.hop_delay_min", "range": {"low": 10, "high": 40}},
            {"key": "forces.agencies.team_ratio", "distribution": {"kind": "uniform", "low": 0.2, "high": 0.5}},
            {"key": "forces.grid_workers.full_time", "range": {"low": 20, "high": 60}, "integer": True},
        ],
    })
    out = tmp_path / "out"
    run_sweep(exp, out, progress=False)
    rows = read_csv(out / "runs.csv")
    assert len(rows) == 8 and all(r["status"] == "ok" for r in rows)
    for key, lo, hi in (("reporting.peacetime.hop_delay_min", 10, 40), ("forces.agencies.team_ratio", 0.2, 0.5)):
        x = np.array([float(r[key]) for r in rows])
        assert ((x >= lo) & (x <= hi)).all(), (key, x)
        assert sorted(np.floor((x - lo) / (hi - lo) * 8).astype(int)) == list(range(8)), (key, x)
    ints = [r["forces.grid_workers.full_time"] for r in rows]
    assert all(v.isdigit() and 20 <= int(v) <= 60 for v in ints), ints
    resolved = yaml.safe_load((out / "experiment.resolved.yaml").read_text())
    assert resolved["design"] == "lhs"
    assert (out / "kpi_response_mean_min.png").exists()
