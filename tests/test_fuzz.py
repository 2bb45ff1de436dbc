"""Property-based fuzzing (hypothesis) of scenario, drill and experiment files and of `--set`.

Each example takes a shipped file, mutates it (a value replaced by a hostile one, a key deleted or added,
the text cut or spliced), and runs the command line on it. Whatever the input: the exit status is 0 or 2,
nothing prints a traceback, and nothing is written outside the output folder. The example counts are
fixed and the examples derandomised, so the test takes the same few seconds on every run.
"""

from __future__ import annotations

import copy
import io
import os
import shutil
import signal
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main
from tests.conftest import ROOT

SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
#: values an attacker or a careless user might write anywhere
NASTY = st.sampled_from(["", "/dev/zero", "/etc/passwd", "../../../../tmp/ESCAPED", "a/b", "沙塘 台风", "x" * 300,
                         "a\0b", "1e308", "-0.0", "inf", ".nan", "~", "[[[[[[]]]]]]", "*a", "&a", "{", "%s%n", "\\",
                         "C:\\Windows", "..", "/", "0x10", "08:61", "25:00", "99:99"])
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**12), st.sampled_from([0, 1, 2, -1, 10**7, 2**63]),
                   st.floats(allow_nan=True, allow_infinity=True), st.floats(-1e3, 1e3), NASTY, st.text(max_size=12))
VALUE = st.one_of(SCALAR, st.lists(SCALAR, max_size=4), st.dictionaries(st.text(max_size=8), SCALAR, max_size=3))
TINY_EXPERIMENT = {"name": "tiny", "scenario": "../scenarios/validation/mmc.yaml", "replications": 2,
                   "kpis": ["incidents", "response_mean_min"], "limits": {"runs": 12},
                   "fixed": {"horizon_min": 120, "drain_min": 30},
                   "factors": [{"key": "forces.grid_workers.full_time", "values": [3, 5]}]}
#: what a fuzzed run may use at most: the limits keep every example fast
SMALL_RUN = ["--set", "limits.units=20000", "--set", "limits.incidents_per_replication=5000",
             "--set", "limits.memory_mb=1000", "--set", "limits.mobilisation_points=20000"]


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, prefix + (i,))
    return out


@st.composite
def mutated(draw: st.DrawFn, doc: dict[str, Any], gentle: bool = False) -> str:
    """The YAML text of `doc` after one to three mutations (`gentle`: numbers changed, nothing else)."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.sampled_from([1, 1, 2, 3]))):
        paths = [p for p in _paths(doc) if not gentle or _is_number(_at(doc, p))]
        path = draw(st.sampled_from(paths)) if paths else ()
        parent: Any = doc
        for p in path[:-1]:
            parent = parent[p]
        op = "tweak" if gentle else draw(st.sampled_from(["tweak", "tweak", "tweak", "set", "set", "delete", "add"]))
        value = parent[path[-1]] if path else None
        if op == "tweak" and path and isinstance(value, (int, float)) and not isinstance(value, bool):
            # a plausible change of a number: most of these still validate and run
            parent[path[-1]] = draw(st.sampled_from([0, 1, value * 2, value / 2, value * 10, -value, value + 1,
                                                     int(value) * 100]))
        elif op == "set" and path:
            parent[path[-1]] = draw(VALUE)
        elif op == "delete" and path and isinstance(parent, dict):
            del parent[path[-1]]
        elif op == "add":
            target = parent[path[-1]] if path and isinstance(parent[path[-1]], dict) else doc
            target[draw(st.sampled_from(["extends", "name", "zzz", "limits", "scenario", "seed", "injects"]))] = \
                draw(VALUE)
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    if not gentle and draw(st.sampled_from([False] * 9 + [True])):  # a raw edit: the file cut short, or junk spliced in
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(["", "\t", ": :", "- [", "&x [*x]", "\x00", "? [a]\n: 1\n",
                                                 "!!python/name:os.system"]))
    return text


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


@st.composite
def overrides(draw: st.DrawFn, doc: dict[str, Any]) -> list[str]:
    out = []
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2]))):
        paths = [p for p in _paths(doc) if all(isinstance(x, (str, int)) for x in p)]
        key = ".".join(str(x) for x in draw(st.sampled_from(paths))) if paths and draw(st.booleans()) else \
            draw(st.sampled_from(["seed", "limits.grids", "name", "a..b", "", "forces.x", "incidents.hazards.9.x"]))
        value = draw(VALUE)
        text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True).strip().removesuffix("...").strip()
        out.append(draw(st.sampled_from(["novalue", "=", "a=b=c"])) if draw(st.sampled_from([False] * 9 + [True]))
                   else f"{key}={text}")
    return out


class _Hang(Exception):
    pass


def _alarm(_sig: int, _frame: Any) -> None:
    raise _Hang()


def _snapshot(root: Path, skip: set[Path]) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")
            if p.is_file() and not any(s == p or s in p.parents for s in skip)}


def check(work: Path, argv: list[str], text: str, name: str) -> None:
    """Write the input, run the command, check the properties, clean up."""
    target = work / name
    target.write_text(text, encoding="utf-8")
    out = work / "out"
    allowed = {out, work / "results", target}
    before = _snapshot(work, allowed)
    outside = sorted(p.name for p in work.parent.iterdir())
    err, printed = io.StringIO(), io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(30)  # a hang fails the example with its input, rather than the whole suite
    cwd = os.getcwd()
    os.chdir(work)  # the default output folder, results/, is relative to here
    try:
        with redirect_stdout(printed), redirect_stderr(err):
            status = main([a.replace("{file}", str(target)).replace("{out}", str(out)) for a in argv])
    except _Hang:
        pytest.fail(f"hang (over 30 s): {argv}\n{text[:2000]}")
    except SystemExit as exc:  # argparse on a malformed command line
        status = exc.code if isinstance(exc.code, int) else 2
    finally:
        os.chdir(cwd)
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert status in (0, 2), f"exit {status}: {argv}\n{err.getvalue()[-3000:]}\n--- input:\n{text[:3000]}"
    assert "Traceback" not in err.getvalue() + printed.getvalue(), err.getvalue()
    assert _snapshot(work, allowed) == before, "a file outside the output folder changed"
    assert sorted(p.name for p in work.parent.iterdir()) == outside, "something was written beside the work folder"
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(work / "results", ignore_errors=True)
    target.unlink()


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped scenarios and experiments, so relative paths resolve as they do in the repo."""
    base = tmp_path_factory.mktemp("fuzz") / "work"
    base.mkdir()
    shutil.copytree(ROOT / "scenarios", base / "scenarios")
    shutil.copytree(ROOT / "experiments", base / "experiments")
    return base


def _load(rel: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / rel).read_text(encoding="utf-8"))


SCENARIOS = {rel: _load(rel) for rel in ("scenarios/gaoming.yaml", "scenarios/shatang.yaml",
                                         "scenarios/pingcheng.yaml", "scenarios/validation/mmc.yaml")}
DRILLS = {rel: _load(rel) for rel in ("scenarios/drills/shatang_typhoon.yaml",
                                      "scenarios/drills/gaoming_chemical_leak.yaml")}


@settings(max_examples=30, **SETTINGS)
@given(data=st.data())
def test_fuzzed_scenarios_and_overrides_exit_0_or_2(work: Path, data: st.DataObject) -> None:
    rel = data.draw(st.sampled_from(sorted(SCENARIOS)))
    command = data.draw(st.sampled_from(["validate", "validate", "run"]))
    # a run gets plausible numbers (most of them run); validate gets anything
    text = data.draw(mutated(SCENARIOS[rel], gentle=command == "run"))
    sets = data.draw(overrides(SCENARIOS[rel])) if command == "validate" else []
    folder = (work / rel).parent
    name = f"fuzz_{Path(rel).name}"
    argv = [command, "{file}", *(a for s in sets for a in ("--set", s))]
    if command == "run":
        # the shipped hazards start at 1440 min: a short run that still sees an hour of one
        argv += ["--replications", "1", "--set", "horizon_min=1500", "--set", "drain_min=30", *SMALL_RUN, "--quiet"]
        argv += data.draw(st.sampled_from([["--out", "{out}"], []]))
    check(folder, argv, text, name)


@settings(max_examples=15, **SETTINGS)
@given(data=st.data())
def test_fuzzed_drills_exit_0_or_2(work: Path, data: st.DataObject) -> None:
    rel = data.draw(st.sampled_from(sorted(DRILLS)))
    text = data.draw(mutated(DRILLS[rel]))
    out = data.draw(st.sampled_from([["--out", "{out}"], []]))
    check((work / rel).parent, ["replay", "{file}", "--quiet", *out], text, f"fuzz_{Path(rel).name}")


@settings(max_examples=12, **SETTINGS)
@given(data=st.data())
def test_fuzzed_experiments_exit_0_or_2(work: Path, data: st.DataObject) -> None:
    text = data.draw(mutated(TINY_EXPERIMENT))
    out = data.draw(st.sampled_from([["--out", "{out}"], []]))
    check(work / "experiments", ["sweep", "{file}", "--quiet", *out], text, "fuzz_experiment.yaml")
