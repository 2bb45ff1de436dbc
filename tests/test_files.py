"""sim/files.py and sim/safeyaml.py: refusals before reading, atomic writes, slugs, folder locks, YAML bounds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from sim import safeyaml
from sim.errors import ScenarioError
from sim.files import (
    LOCK_NAME,
    AtomicFile,
    FileRefused,
    FolderLock,
    atomic_open,
    atomic_write_text,
    path_problem,
    read_bytes_limited,
    slug,
)
from tests.conftest import ROOT

# --------------------------------------------------------------------------- reading


def test_special_files_are_refused_before_a_byte_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # opening a FIFO for reading would block forever without O_NONBLOCK
    cases = {"/dev/zero": "a character device", str(tmp_path): "a folder", str(fifo): "a FIFO"}
    for path, kind in cases.items():
        with pytest.raises(FileRefused) as exc:
            read_bytes_limited(path, 1024)
        assert kind in exc.value.reason, path
        assert path_problem(path) is not None
    big = tmp_path / "big"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(FileRefused, match="over the"):
        read_bytes_limited(big, 1024)
    assert read_bytes_limited(big, 4096) == b"x" * 2048
    with pytest.raises(FileRefused, match="NUL"):
        read_bytes_limited("a\0b", 10)
    with pytest.raises(FileRefused, match="too long"):
        read_bytes_limited("x" * 5000, 10)
    with pytest.raises(FileRefused, match="not found"):
        read_bytes_limited(tmp_path / "nothing", 10)


# --------------------------------------------------------------------------- writing


def test_atomic_write_leaves_the_old_file_or_the_new_one_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "table.csv"
    atomic_write_text(target, "old\n")
    with pytest.raises(RuntimeError), atomic_open(target) as fh:
        fh.write("half of the new")
        raise RuntimeError("the writer failed part-way")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]
    af = AtomicFile(target)
    af.write("new\n")
    assert target.read_text() == "old\n"  # not visible until committed
    af.commit()
    assert target.read_text() == "new\n"
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_write_error_names_the_final_file_not_the_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as exc:
        atomic_write_text(tmp_path / "report.html", "<html>")
    assert exc.value.filename == str(tmp_path / "report.html") and exc.value.errno == 28
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize("name, expected", [
    ("gaoming", "gaoming"),
    ("../../../../x/ESCAPED", "x-ESCAPED"),
    ("/etc/cron.d/job", "etc-cron-d-job"),
    ("a/b", "a-b"),
    ("沙塘 台风 2024", "沙塘-台风-2024"),
    ("高明区：应急", "高明区-应急"),
    ("with\0nul", "with-nul"),
    ("...", "run"),
    ("", "run"),
    ("Ｆｕｌｌ", "Full"),
])
def test_slug_keeps_letters_digits_and_chinese_and_nothing_that_moves_a_path(name: str, expected: str) -> None:
    assert slug(name) == expected


def test_slug_is_capped() -> None:
    assert len(slug("x" * 5000)) == 60
    assert len(slug("沙" * 5000).encode()) <= 180  # a folder name stays far below 255 bytes


# --------------------------------------------------------------------------- locks

HOLD = """
import sys, time
from sim.files import FolderLock
with FolderLock(sys.argv[1], "sweep"):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_a_locked_folder_is_refused_and_a_dead_holders_lock_is_taken_over(tmp_path: Path) -> None:
    folder = tmp_path / "sweep"
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        with pytest.raises(ScenarioError) as exc:
            FolderLock(folder, "sweep").acquire()
        msg = str(exc.value)
        assert f"pid {proc.pid}" in msg and "in use by another mobsim" in msg and "--out" in msg
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    left = json.loads((folder / LOCK_NAME).read_text())
    assert left["pid"] == proc.pid  # the killed holder's record is still there: a stale lock
    with FolderLock(folder, "sweep") as lock:
        assert lock.stale is not None and lock.stale["pid"] == proc.pid
        assert json.loads((folder / LOCK_NAME).read_text())["pid"] == os.getpid()
    assert not (folder / LOCK_NAME).exists()  # released cleanly: no lock file left


# --------------------------------------------------------------------------- YAML bounds


def _laughs(levels: int = 9) -> str:
    text = "name: lol\na: &a [x, x, x, x, x, x, x, x, x]\n"
    prev = "a"
    for name in "bcdefghijklm"[:levels]:
        text += f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]\n"
        prev = name
    return text


def test_yaml_bounds_refuse_deep_nesting_billion_laughs_and_self_reference_quickly() -> None:
    t0 = time.perf_counter()
    with pytest.raises(safeyaml.YamlRefused, match="nested deeper"):
        safeyaml.load("a: " + "[" * 900 + "]" * 900)
    with pytest.raises(safeyaml.YamlRefused, match="expand to more than"):
        safeyaml.load(_laughs())
    with pytest.raises(safeyaml.YamlRefused, match="refers to the mapping or list that contains it"):
        safeyaml.load("a: &x [*x]\n")
    deep_by_alias = "a: &a " + "[" * 30 + "]" * 30 + "\nb: &b " + "[" * 20 + "*a" + "]" * 20 + "\n"
    with pytest.raises(safeyaml.YamlRefused, match="aliases expanded"):
        safeyaml.load(deep_by_alias)
    assert time.perf_counter() - t0 < 5
    assert safeyaml.load(_laughs(2))["c"][0][0] == ["x"] * 9  # a few aliases are fine


def test_yaml_reads_numbers_as_yaml_1_2_and_stays_safe() -> None:
    assert safeyaml.load("a: 1e7\nb: -2.5E-3\nc: 1_000\nd: '1e7'\n") == {"a": 1e7, "b": -2.5e-3, "c": 1000, "d": "1e7"}
    assert yaml.safe_load("a: 1e7") == {"a": "1e7"}  # the global SafeLoader is left as it was
    with pytest.raises(yaml.YAMLError):
        safeyaml.load("a: !!python/object/apply:os.system ['echo owned']\n")
