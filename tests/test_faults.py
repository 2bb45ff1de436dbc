"""Faults of the machine, not of the input: full and read-only disks, names too long, Ctrl-C, out of memory,
a bug; a second sweep on a locked folder, a damaged run file on resume.

Each must end in one clear line and its documented exit status (README, "Safety and limits"), with no
file left half-written. The disk tests mount a small tmpfs where the machine allows it (root and
`mount`), and are skipped with the reason elsewhere; the same paths are also driven by injected errors.
"""

from __future__ import annotations

import errno
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

import sim.output.run as run_mod
from sim.cli import main
from sim.files import LOCK_NAME, AtomicFile
from tests.conftest import ROOT

SHATANG = ROOT / "scenarios" / "shatang.yaml"
ONE = ["--replications", "1", "--quiet"]
SWEEP = {"name": "faults", "scenario": str(SHATANG), "replications": 3, "kpis": ["incidents", "response_mean_min"],
         "fixed": {"horizon_min": 2880, "drain_min": 240},
         "factors": [{"key": "forces.agencies.team_ratio", "values": [0.2, 0.4]},
                     {"key": "forces.grid_workers.full_time", "values": [30, 44]}]}


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def whole(folder: Path) -> None:
    """No temporary file is left, and every file present is complete."""
    for p in folder.rglob("*"):
        if p.is_dir() or p.name == LOCK_NAME:
            continue
        assert not p.name.endswith(".tmp"), p
        data = p.read_bytes()
        if p.suffix == ".png":
            assert data.endswith(b"IEND\xaeB`\x82"), p
        elif p.suffix == ".json":
            json.loads(data)
        elif p.suffix == ".yaml":
            yaml.safe_load(data)
        elif p.suffix == ".html":
            assert data.endswith(b"</html>\n"), p
        elif p.suffix == ".csv":
            assert data.endswith(b"\n"), p
        elif p.suffix == ".parquet":
            assert data.endswith(b"PAR1"), p


def _mount(where: Path, options: str) -> str | None:
    """Mount a tmpfs; None, or why it cannot be done here."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return "needs root and mount(8) to mount a small tmpfs"
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, text=True)
    return None if done.returncode == 0 else f"cannot mount a tmpfs here: {done.stderr.strip()}"


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "disk"
    why = _mount(mnt, "size=4m")
    if why:
        pytest.skip(why)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _resize(mnt: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(mnt)], check=True, capture_output=True)


# --------------------------------------------------------------------------- full disk


@pytest.mark.parametrize("size", ["48k", "200k", "320k"])
def test_a_full_disk_ends_a_run_with_one_line_and_no_half_written_file(tmpfs: Path, size: str, capsys) -> None:
    _resize(tmpfs, f"size={size}")
    out = tmpfs / "run"
    status, _out, err = cli(["run", str(SHATANG), *ONE, "--out", str(out)], capsys)
    assert status == 3, err
    assert "Traceback" not in err and err.count("error:") == 1 and "the disk is full" in err, err
    assert "free some space, or write elsewhere with --out" in err
    whole(out)


def test_a_full_disk_while_writing_the_sweep_tables_then_a_resume_finishes(tmpfs: Path, tmp_path: Path,
                                                                          capsys) -> None:
    exp = tmp_path / "exp.yaml"
    exp.write_text(yaml.safe_dump(SWEEP))
    _resize(tmpfs, "size=80k")
    out = tmpfs / "sweep"
    status, _out, err = cli(["sweep", str(exp), "--out", str(out), "--quiet"], capsys)
    assert status == 3 and "the disk is full" in err and "Traceback" not in err, err
    whole(out)
    runs = sorted(p.name for p in (out / "runs").glob("*.json"))
    _resize(tmpfs, "size=4m")
    status, printed, err = cli(["sweep", str(exp), "--out", str(out), "--resume", "--quiet"], capsys)
    assert status == 0, err
    assert f"({len(runs)} done before, {12 - len(runs)} now, 0 failed)" in printed
    whole(out)
    assert len((out / "runs.csv").read_text().splitlines()) == 13


def test_an_injected_disk_full_on_the_report_keeps_the_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys) -> None:
    real = AtomicFile.commit

    def commit(self: AtomicFile) -> Path:
        if self.path.name == "report.html":
            self.abort()
            raise OSError(errno.ENOSPC, "No space left on device", str(self.path))
        return real(self)

    monkeypatch.setattr(AtomicFile, "commit", commit)
    out = tmp_path / "run"
    status, _out, err = cli(["run", str(SHATANG), *ONE, "--out", str(out)], capsys)
    assert status == 3 and f"error: {out / 'report.html'}: the disk is full" in err, err
    assert not (out / "report.html").exists() and (out / "summary.json").is_file()
    whole(out)


# --------------------------------------------------------------------------- read-only, name too long


def test_a_read_only_folder_is_refused_by_run_sweep_resume_and_report(tmpfs: Path, tmp_path: Path, capsys) -> None:
    exp = tmp_path / "exp.yaml"
    exp.write_text(yaml.safe_dump(dict(SWEEP, replications=1)))
    assert cli(["run", str(SHATANG), *ONE, "--out", str(tmpfs / "done")], capsys)[0] == 0
    assert cli(["sweep", str(exp), "--out", str(tmpfs / "sw"), "--quiet"], capsys)[0] == 0
    _resize(tmpfs, "ro")
    for argv in (["run", str(SHATANG), *ONE, "--out", str(tmpfs / "new")],
                 ["sweep", str(exp), "--out", str(tmpfs / "sw2"), "--quiet"],
                 ["sweep", str(exp), "--out", str(tmpfs / "sw"), "--resume", "--quiet"],
                 ["report", str(tmpfs / "done")]):
        status, _out, err = cli(argv, capsys)
        assert status == 3, (argv, err)
        assert "read-only file system; write elsewhere with --out" in err and "Traceback" not in err, err
        assert len(err.strip().splitlines()) == 1, err


def test_an_injected_read_only_folder_gives_the_same_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys) -> None:
    def refuse(self: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / "out" / LOCK_NAME))

    monkeypatch.setattr("sim.files.FolderLock.acquire", refuse)
    status, _out, err = cli(["run", str(SHATANG), *ONE, "--out", str(tmp_path / "out")], capsys)
    assert status == 3 and "read-only file system; write elsewhere with --out" in err, err


def test_an_output_name_too_long_is_one_line(tmp_path: Path, capsys) -> None:
    status, _out, err = cli(["run", str(SHATANG), *ONE, "--out", str(tmp_path / ("x" * 300))], capsys)
    assert status == 3 and "file name too long; choose a shorter --out" in err and "Traceback" not in err, err
    assert len(err.splitlines()) == 1 and len(err) < 400


# --------------------------------------------------------------------------- memory, bugs, Ctrl-C


def test_memory_error_bug_and_ctrl_c_each_give_one_line_and_their_status(monkeypatch: pytest.MonkeyPatch,
                                                                         tmp_path: Path, capsys) -> None:
    argv = ["run", str(SHATANG), *ONE, "--out", str(tmp_path / "out")]
    for exc, status, text in ((MemoryError(), 3, "error: out of memory"),
                              (ZeroDivisionError("division by zero"), 4, "error: internal error (ZeroDivisionError"),
                              (KeyboardInterrupt(), 130, "interrupted (Ctrl-C)")):
        def boom(*_a: object, exc: BaseException = exc, **_k: object) -> None:
            raise exc

        monkeypatch.setattr(run_mod, "build_model", boom)
        got, out, err = cli(argv, capsys)
        assert got == status and text in err and "Traceback" not in out + err, (exc, err)
    got, _out, err = cli(["--debug", *argv[:1], *argv[1:]], capsys)  # --debug shows where a bug is
    assert got == 130  # still the KeyboardInterrupt patched in: no traceback for that either
    monkeypatch.setattr(run_mod, "build_model", lambda *_a, **_k: 1 / 0)
    got, _out, err = cli([*argv, "--debug"], capsys)
    assert got == 4 and "Traceback" in err and "ZeroDivisionError" in err
    got, _out, err = cli(["--debug", *argv], capsys)
    assert got == 4 and "Traceback" in err


def _default_sigint() -> None:
    """A test runner's workers may ignore SIGINT, and a child inherits that: give it back its default."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("after, jobs", [(0.3, "1"), (3.0, "2")])
def test_a_real_ctrl_c_while_starting_or_running_is_one_line(tmp_path: Path, after: float, jobs: str) -> None:
    mobsim = Path(sys.executable).parent / "mobsim"  # the console script, as a user types it
    if not mobsim.exists():
        pytest.skip("the mobsim console script is not installed beside this Python")
    proc = subprocess.Popen([str(mobsim), "run", str(ROOT / "scenarios" / "pingcheng.yaml"),
                             "--replications", "30", "--jobs", jobs, "--quiet", "--out", str(tmp_path / "out")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=_default_sigint)
    try:
        time.sleep(after)
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the whole process group
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if proc.returncode == 0:
        pytest.skip("the run finished before Ctrl-C reached it")
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted (Ctrl-C)" in err, err
    if (tmp_path / "out").exists():
        whole(tmp_path / "out")


# --------------------------------------------------------------------------- locks and damaged run files


def test_a_second_sweep_is_refused_while_one_runs_and_a_damaged_run_file_is_rerun(tmp_path: Path, capsys) -> None:
    exp = tmp_path / "exp.yaml"
    exp.write_text(yaml.safe_dump(dict(SWEEP, replications=6)))
    ref = tmp_path / "ref"
    assert cli(["sweep", str(exp), "--out", str(ref), "--quiet"], capsys)[0] == 0
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "sim", "sweep", str(exp), "--out", str(out), "--quiet"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not list((out / "runs").glob("0*.json")):
            time.sleep(0.01)
        for argv in (["sweep", str(exp), "--out", str(out), "--resume", "--quiet"],
                     ["run", str(SHATANG), *ONE, "--out", str(out)]):
            status, _out, err = cli(argv, capsys)
            assert status == 2 and f"in use by another mobsim (pid {proc.pid} on" in err, err
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    done = sorted((out / "runs").glob("0*.json"))
    assert done, "the sweep wrote no run before it was killed"
    done[0].write_text(done[0].read_text()[:25])  # a truncated run file
    status, printed, err = cli(["sweep", str(exp), "--out", str(out), "--resume", "--quiet"], capsys)
    assert status == 0, err
    assert f"note: the folder's lock was left by pid {proc.pid}" in err and "no longer running" in err
    assert f"warning: runs/{done[0].name} was damaged" in err and "run again" in err
    for name in ("runs.csv", "summary.csv"):
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name
    (out / "sweep.json").write_text('{"sweep_sha')
    status, _out, err = cli(["sweep", str(exp), "--out", str(out), "--resume", "--quiet"], capsys)
    assert status == 2 and "sweep.json: --resume: is damaged or not a mobsim sweep manifest" in err, err
