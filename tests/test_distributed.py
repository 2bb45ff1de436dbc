"""Distributed faults: a worker that dies part-way must cost nothing but time.

- a real Dask cluster started from the command line (`dask scheduler`, two `dask worker` processes), one
  worker killed with SIGKILL while the sweep runs: every run is in the tables exactly once;
- the local process pool, a worker process that dies (`os._exit`) in a run: its runs go to a new pool,
  and the results are the same bytes as a sweep that never crashed; a run that kills its worker every
  time is recorded as failed after three tries, and the others are kept;
- `mobsim run --jobs 2` with a replication whose worker dies once gives the same tables as one process.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import sim.experiment.runner as runner_mod
import sim.experiment.sweep as sweep_mod
from sim.cli import main
from sim.output.sweep import run_sweep
from tests.conftest import ROOT

SHATANG = ROOT / "scenarios" / "shatang.yaml"
EXP = {"name": "faults", "scenario": str(SHATANG), "replications": 3, "kpis": ["incidents", "response_mean_min"],
       "fixed": {"horizon_min": 2880, "drain_min": 240},
       "factors": [{"key": "forces.agencies.team_ratio", "values": [0.2, 0.4]},
                   {"key": "forces.grid_workers.full_time", "values": [30, 44]}]}
DASK = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")


def write(folder: Path, spec: dict, name: str = "exp.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(spec))
    return path


def run_indices(out: Path) -> list[int]:
    lines = (out / "runs.csv").read_text().splitlines()[1:]
    return sorted(int(line.split(",")[0]) for line in lines)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("ref")
    exp = write(base, EXP)
    run_sweep(exp, base / "ref", jobs=1, progress=False)
    return exp, base / "ref"


# --------------------------------------------------------------------------- a Dask cluster of processes


def _start(argv: list[str], log: Path) -> subprocess.Popen:
    with open(log, "w") as fh:
        return subprocess.Popen(argv, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, list[subprocess.Popen]]]:
    """`dask scheduler` and two `dask worker` processes on the loopback interface, stopped afterwards."""
    if DASK is None:
        pytest.skip("the dask command line (dask scheduler, dask worker) is not installed")
    sched_file = tmp_path / "scheduler.json"
    procs = [_start([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                     "--scheduler-file", str(sched_file)], tmp_path / "scheduler.log")]
    try:
        deadline = time.monotonic() + 60
        while not sched_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sched_file.exists(), (tmp_path / "scheduler.log").read_text()
        address = json.loads(sched_file.read_text())["address"]
        for i in range(2):
            procs.append(_start([DASK, "worker", "--scheduler-file", str(sched_file), "--nthreads", "1",
                                 "--nworkers", "1", "--no-nanny", "--no-dashboard", "--name", f"w{i}",
                                 "--local-directory", str(tmp_path / f"w{i}")], tmp_path / f"worker{i}.log"))
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        yield address, procs
    finally:
        for p in reversed(procs):
            _stop(p)


def test_a_dask_worker_killed_part_way_costs_no_run_and_no_duplicate(cluster, reference, tmp_path: Path) -> None:
    address, procs = cluster
    exp, ref = reference
    many = write(tmp_path, dict(EXP, replications=8), "many.yaml")
    out = tmp_path / "out"
    sweep = subprocess.Popen([sys.executable, "-m", "sim", "sweep", str(many), "--scheduler", address, "--out",
                              str(out), "--quiet"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and sweep.poll() is None:
            if len(list((out / "runs").glob("0*.json"))) >= 4 if (out / "runs").is_dir() else False:
                break
            time.sleep(0.02)
        assert sweep.poll() is None, "the sweep ended before a worker could be killed"
        os.killpg(procs[1].pid, signal.SIGKILL)  # worker w0, with whatever it was running
        printed, err = sweep.communicate(timeout=180)
    finally:
        _stop(sweep)
    assert procs[1].poll() is not None
    assert sweep.returncode == 0, err
    assert "(0 done before, 32 now, 0 failed)" in printed, printed
    assert sorted(p.name for p in (out / "runs").iterdir()) == [f"{k:06d}.json" for k in range(32)]
    assert run_indices(out) == list(range(32))  # each run once in the table
    assert all(json.loads((out / "runs" / f"{k:06d}.json").read_text())["status"] == "ok" for k in range(32))


# --------------------------------------------------------------------------- the local process pool


def _dies_once(marker: Path, run_point: int, run_rep: int):
    real = sweep_mod.run_replication

    def run(model, replication):
        f = model.scenario.forces
        point = [0.2, 0.4].index(f.agencies.team_ratio) * 2 + [30, 44].index(f.grid_workers.full_time)
        if (point, replication) == (run_point, run_rep):
            try:
                fd = os.open(marker, os.O_CREAT | os.O_EXCL)  # the first time only, whichever process it is
            except FileExistsError:
                pass
            else:
                os.close(fd)
                os._exit(3)
        return real(model, replication)

    return run


def test_a_pool_worker_that_dies_once_costs_nothing(reference, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys) -> None:
    exp, ref = reference
    monkeypatch.setattr(sweep_mod, "run_replication", _dies_once(tmp_path / "died", 2, 1))
    out = tmp_path / "pool"
    assert main(["sweep", str(exp), "--out", str(out), "--jobs", "2", "--quiet"]) == 0
    assert (tmp_path / "died").exists(), "no worker died: the test did not test anything"
    assert "(0 done before, 12 now, 0 failed)" in capsys.readouterr().out
    for name in ("runs.csv", "summary.csv"):
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name


def test_a_run_that_kills_its_worker_every_time_is_failed_after_three_tries(reference, tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch,
                                                                             capsys) -> None:
    exp, ref = reference
    real = sweep_mod.run_replication

    def always(model, replication):
        if replication == 2 and model.scenario.forces.agencies.team_ratio == 0.4:
            os._exit(3)
        return real(model, replication)

    monkeypatch.setattr(sweep_mod, "run_replication", always)
    out = tmp_path / "pool"
    assert main(["sweep", str(exp), "--out", str(out), "--jobs", "2", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "its worker process died 3 times" in err
    rows = {int(r.split(",")[0]): r for r in (out / "runs.csv").read_text().splitlines()[1:]}
    assert sorted(rows) == list(range(12))
    failed = sorted(k for k, r in rows.items() if ",failed," in r)
    assert failed == [8, 11]  # points 2 and 3 (ratio 0.4), replication 2
    ref_rows = {int(r.split(",")[0]): r for r in (ref / "runs.csv").read_text().splitlines()[1:]}
    assert all(rows[k] == ref_rows[k] for k in rows if k not in failed)


def test_mobsim_run_survives_a_worker_that_dies_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = runner_mod.run_replication
    marker = tmp_path / "died"

    def once(model, replication):
        if replication == 1 and not marker.exists():
            marker.touch()
            os._exit(3)
        return real(model, replication)

    argv = ["run", str(SHATANG), "--replications", "3", "--set", "horizon_min=2880", "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "one")]) == 0
    monkeypatch.setattr(runner_mod, "run_replication", once)
    assert main([*argv, "--jobs", "2", "--out", str(tmp_path / "two")]) == 0
    assert marker.exists()
    for name in ("incidents.csv", "kpis.csv", "summary.json", "mobilisation.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
