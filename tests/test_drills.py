"""Drills: `mobsim replay`, its event log, the injects, the after-action table, --verify, --until, --step and
bad drill files.

The inject tests replay tiny drills on the two-grid scenario of `tests/conftest.py` (grids A and B 3 km
apart: travel A→A or B→B 2 min, A→B 8 min; instant discovery; peacetime reports take 2 hops of 5 min,
emergency ones 1 hop of 2 min; a complex incident is studied 10 min (5 in emergency mode) and takes one
responder 30 min). Each is compared with the same drill without the inject: same seed, same incidents
(common random numbers), so every difference is the inject's doing.
"""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.cli import main
from sim.model import build_model, run_drill, run_replication
from sim.output.replay import replay_drill
from sim.scenario import load_scenario
from sim.scenario.drill import load_drill
from tests.conftest import ROOT, tiny

SHATANG = ROOT / "scenarios" / "drills" / "shatang_typhoon.yaml"
STAGES = ("discovered_min", "reported_min", "dispatched_min", "first_arrival_min", "staffed_min", "closed_min")


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def drill_file(tmp_path: Path, write_scenario):
    """Write the tiny scenario (or `sc`) and a drill of `injects` on it; return the drill's path."""

    def _write(injects: list[dict[str, Any]], sc: dict[str, Any] | None = None, name: str = "drill.yaml",
               **keys: Any) -> Path:
        write_scenario(sc or tiny())
        drill = {"name": Path(name).stem, "scenario": "sc.yaml", **keys, "injects": injects}
        path = tmp_path / name
        path.write_text(yaml.safe_dump(drill, sort_keys=False))
        return path

    return _write


def incident(id_: str, at: Any, grid: str, **keys: Any) -> dict[str, Any]:
    return {"id": id_, "at": at, "event": "incident", "grid": grid, "class": "complex", **keys}


def replay(path: Path):
    loaded = load_drill(path)
    return run_drill(build_model(loaded.scenario), loaded.drill)


def records(res) -> dict[str, dict[str, float]]:
    """Per inject id: onset, every stage time and the phase at onset."""
    out = {}
    for k, label in enumerate(res.extra["labels"]):
        row = {c: float(res.incidents[c][k]) for c in ("onset_min", *STAGES)}
        row["phase"] = int(res.phase[k])
        out[label] = row
    return out


def shift(base: dict[str, float], other: dict[str, float]) -> dict[str, float]:
    """The stages that moved, and by how much."""
    return {k: other[k] - base[k] for k in base if other[k] != base[k]}


def compare(drill_file, base_injects, inject, sc=None, **keys):
    """Incident records of the drill without and with `inject`, and the two results."""
    a = replay(drill_file(base_injects, sc, name="base.yaml", **keys))
    b = replay(drill_file([*base_injects, inject], sc, name="with.yaml", **keys))
    return records(a), records(b), a, b


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- determinism


@pytest.fixture(scope="module")
def shatang(tmp_path_factory):
    """The shipped Shatang drill, replayed once for the module."""
    return replay_drill(SHATANG, out=tmp_path_factory.mktemp("shatang") / "a")


def test_same_seed_same_event_log_other_seed_differs(shatang, tmp_path: Path) -> None:
    a = shatang
    b = replay_drill(SHATANG, out=tmp_path / "b")
    c = replay_drill(SHATANG, seed=7, out=tmp_path / "c")
    log_a, log_b, log_c = ((o.out / "events.jsonl").read_bytes() for o in (a, b, c))
    assert len(log_a) > 10_000
    assert log_a == log_b
    assert (a.out / "after_action.csv").read_bytes() == (b.out / "after_action.csv").read_bytes()
    assert log_c != log_a
    assert json.loads((c.out / "manifest.json").read_text())["seed"] == 7


def test_event_log_lines_have_the_documented_fields(shatang) -> None:
    lines = (shatang.out / "events.jsonl").read_text().splitlines()
    recs = [json.loads(line) for line in lines]
    assert [r["seq"] for r in recs] == list(range(len(recs)))
    assert all(list(r)[:4] == ["seq", "t_min", "clock", "event"] for r in recs)
    times = [r["t_min"] for r in recs]
    assert times == sorted(times)
    onset = next(r for r in recs if r["event"] == "onset")
    assert onset == {"seq": onset["seq"], "t_min": 5.0, "clock": "08:05", "event": "onset", "incident": 0,
                     "grid": "V03-L", "class": "urgent", "severity": "major", "community": "V03",
                     "town": "Shatang", "inject": "I1"}
    party = [r for r in recs if r["event"] == "dispatched" and r["force"] == "party_member"]
    assert party and all("members" in r and "unit" not in r for r in party)
    link = next(r for r in recs if r["event"] == "link_down")
    assert link == {"seq": link["seq"], "t_min": 20.0, "clock": "08:20", "event": "link_down", "inject": "I3",
                    "grids": 4, "until_min": 110.0}


# --------------------------------------------------------------------------- injects, one by one


LINK_B = {"id": "L", "at": 5, "event": "link_down", "grids": ["B"], "duration_min": 30}  # down 5..35


def test_link_down_delays_reports_from_its_grids_by_the_remaining_outage(drill_file) -> None:
    fixed = {"forces.grid_workers.full_time": 2}  # one worker at A, one at B: the two incidents don't meet
    base = [incident("X", 10, "A"), incident("Y", 10, "B"), incident("Z", 100, "B")]
    a, b, _, res = compare(drill_file, base, LINK_B, fixed=fixed)
    assert a["Y"]["reported_min"] == 20.0
    # Y at B is discovered at 10 with 25 min of outage left: every stage from the report on is 25 min later
    assert shift(a["Y"], b["Y"]) == {k: 25.0 for k in STAGES[1:]}
    assert b["X"] == a["X"]  # at A: untouched
    assert b["Z"] == a["Z"]  # at B after the link is back: untouched
    kinds = [(e[0], e[1]) for e in res.log if e[1] in ("link_down", "link_restored")]
    assert kinds == [(5.0, "link_down"), (35.0, "link_restored")]


@pytest.mark.parametrize("earlier", [False, True], ids=["first-incident", "after-another"])
def test_link_down_at_the_minute_of_an_incident_applies_to_it(drill_file, earlier: bool) -> None:
    # the inject takes effect before the incidents of its minute, whether or not an incident came before
    link = dict(LINK_B, at=10)  # down 10..40
    base = ([incident("P", 2, "A")] if earlier else []) + [incident("Y", 10, "B")]
    a, b, _, _ = compare(drill_file, base, link)
    assert a["Y"]["reported_min"] == 20.0
    assert b["Y"]["reported_min"] == 50.0


@pytest.mark.parametrize(("extra", "factor", "delay"), [(15, 1, 15.0), (1, 3, 5.0)])
def test_road_closed_lengthens_travel_while_it_lasts(drill_file, extra: float, factor: float,
                                                     delay: float) -> None:
    road = {"id": "R", "at": 20, "event": "road_closed", "grids": ["B"], "extra_min": extra, "factor": factor,
            "duration_min": 30}  # closed 20..50
    fixed = {"forces.grid_workers.full_time": 2}
    # Y at B: dispatched at 30 from B (2 min) while closed -> 2 * factor + extra; X at A: not closed;
    # Z at B: dispatched at 120, after the road opened again
    base = [incident("Y", 10, "B"), incident("X", 12, "A"), incident("Z", 100, "B")]
    a, b, _, res = compare(drill_file, base, road, fixed=fixed)
    assert a["Y"]["dispatched_min"] == 30.0 and a["Y"]["first_arrival_min"] == 32.0
    assert shift(a["Y"], b["Y"]) == {"first_arrival_min": delay, "staffed_min": delay, "closed_min": delay}
    assert b["X"] == a["X"]
    assert b["Z"] == a["Z"] and a["Z"]["dispatched_min"] == 120.0
    assert [(e[0], e[1]) for e in res.log if e[1] in ("road_closed", "road_opened")] == [
        (20.0, "road_closed"), (50.0, "road_opened")]


def test_overlapping_road_closures_the_longer_one_applies_again(drill_file) -> None:
    fixed = {"forces.grid_workers.full_time": 2}
    long = {"id": "R1", "at": 20, "event": "road_closed", "grids": ["B"], "extra_min": 20, "duration_min": 100}
    short = {"id": "R2", "at": 25, "event": "road_closed", "grids": ["B"], "extra_min": 5, "duration_min": 10}
    # Y dispatched at 30, while both last: the latest (R2, +5). Z dispatched at 100: only R1 is left (+20).
    res = replay(drill_file([incident("Y", 10, "B"), incident("Z", 80, "B"), long, short], fixed=fixed))
    r = records(res)
    assert r["Y"]["first_arrival_min"] == 30.0 + 2 + 5
    assert r["Z"]["dispatched_min"] == 100.0
    assert r["Z"]["first_arrival_min"] == 100.0 + 2 + 20


def test_road_closed_does_not_delay_the_grid_worker_on_the_spot(drill_file) -> None:
    sc = tiny()
    sc["incidents"]["classes"]["simple"].update(on_spot=True, work_mean_min=12)
    road = {"id": "R", "at": 1, "event": "road_closed", "grids": ["A"], "extra_min": 15, "duration_min": 30}
    a, b, _, _ = compare(drill_file, [incident("S", 3, "A", **{"class": "simple"})], road, sc=sc)
    assert a["S"]["first_arrival_min"] == 3.0 and a["S"]["closed_min"] == 15.0
    assert b["S"] == a["S"]


def test_unavailable_free_worker_leaves_at_once_and_dispatch_waits_for_it(drill_file) -> None:
    gone = {"id": "U", "at": 5, "event": "unavailable", "force": "grid_worker", "grids": ["A"],
            "duration_min": 40}  # 5..45
    a, b, _, res = compare(drill_file, [incident("X", 0, "A")], gone)
    assert (a["X"]["dispatched_min"], a["X"]["first_arrival_min"]) == (20.0, 22.0)
    # ready at 20 with nobody on duty; the worker is back at 45 and goes (2 min)
    assert shift(a["X"], b["X"]) == {"dispatched_min": 25.0, "first_arrival_min": 25.0, "staffed_min": 25.0,
                                     "closed_min": 25.0}
    assert [e for e in res.log if e[1] in ("unavailable", "off_duty", "available_again")
            or (e[1] == "on_duty" and e[0] > 0)] == [
        (5.0, "unavailable", "U", "grid_worker", 1, 45.0), (5.0, "off_duty", "grid_worker", 0),
        (45.0, "available_again", "U", 1), (45.0, "on_duty", "grid_worker", 0, "A")]


def test_unavailable_busy_worker_finishes_its_job_then_leaves(drill_file) -> None:
    gone = {"id": "U", "at": 30, "event": "unavailable", "force": "grid_worker", "duration_min": 40}  # 30..70
    # X keeps its worker until it closes at 52; Y (ready at 60) waits for the worker's return at 70
    a, b, _, res = compare(drill_file, [incident("X", 0, "A"), incident("Y", 40, "A")], gone)
    assert b["X"] == a["X"] and a["X"]["closed_min"] == 52.0
    assert a["Y"]["dispatched_min"] == 60.0
    assert shift(a["Y"], b["Y"]) == {"dispatched_min": 10.0, "first_arrival_min": 10.0, "staffed_min": 10.0,
                                     "closed_min": 10.0}
    assert (52.0, "off_duty", "grid_worker", 0) in res.log
    assert [e for e in res.log if e[1] == "off_duty"] == [(52.0, "off_duty", "grid_worker", 0)]  # not at 30
    assert (70.0, "on_duty", "grid_worker", 0, "A") in res.log


def test_unavailable_elsewhere_takes_nobody(drill_file) -> None:
    gone = {"id": "U", "at": 5, "event": "unavailable", "force": "grid_worker", "grids": ["B"],
            "duration_min": 40}  # the only worker is based at A
    a, b, _, res = compare(drill_file, [incident("X", 0, "A")], gone)
    assert b == a
    assert (5.0, "unavailable", "U", "grid_worker", 0, 45.0) in res.log


def test_activate_switches_at_that_minute_without_decision_delay(drill_file) -> None:
    fixed = {"switch.decision_delay_min": 7}
    act = {"id": "A1", "at": 30, "event": "activate"}
    a, b, base, res = compare(drill_file, [incident("X", 0, "A"), incident("Y", 40, "A")], act, fixed=fixed)
    assert base.activations == [] and res.activations == [30.0]
    assert res.log.index((30.0, "activation_ordered", "A1")) + 1 == res.log.index((30.0, "activated"))
    assert b["X"] == a["X"] and a["X"]["phase"] == 0  # began in peacetime, done by 52
    assert (a["Y"]["phase"], b["Y"]["phase"]) == (0, 1)
    # peacetime: 2 hops of 5 and 10 min study; emergency: 1 flat hop of 2 and 10 * 0.5
    assert (a["Y"]["reported_min"], b["Y"]["reported_min"]) == (50.0, 42.0)
    assert (a["Y"]["dispatched_min"], b["Y"]["dispatched_min"]) == (60.0, 52.0)  # ready 47, worker free at 52


def test_a_level_set_by_hand_steps_down_and_restarts_the_step_down_clock(drill_file) -> None:
    # activated by hand at 10 (level I); set to II at 30: quiet 50 min after that, the district steps down
    # to III at 80 and would go on to IV at 80 + 240; set to IV by hand at 200, it stands down 240 min later
    sc = tiny()
    sc["switch"] = {"activation": "never", "deactivation_quiet_min": 50, "step_down_min": 240}
    res = replay(drill_file([{"id": "A", "at": 10, "event": "activate"},
                             {"id": "L2", "at": 30, "event": "level", "level": "II"},
                             {"id": "L4", "at": 200, "event": "level", "level": "IV"}], sc))
    assert res.levels == [(10.0, 4), (30.0, 3), (80.0, 2), (200.0, 1), (440.0, 0)]
    assert res.deactivations == [440.0]
    assert (30.0, "level_ordered", "L2") in res.log and (200.0, "level_ordered", "L4") in res.log


@pytest.mark.parametrize(("level", "declared"), [(None, 1), ("II", 3)], ids=["no-level", "level-II"])
def test_a_warning_by_hand_declares_its_level_or_iv(drill_file, level: str | None, declared: int) -> None:
    sc = tiny()
    sc["switch"] = {"activation": "never", "deactivation_quiet_min": None}
    warning = {"id": "W", "at": 30, "event": "warning", **({"level": level} if level else {})}
    res = replay(drill_file([warning], sc))
    assert res.levels == [(30.0, declared)]
    assert (30.0, "warning_issued", "W") in res.log


def test_a_simulated_incident_is_found_as_a_traced_one_would_be(drill_file, write_scenario) -> None:
    # discovery by patrol or informant (no instant discovery): an incident inject with `discovery:
    # simulated` draws the same delay as the same incident in a trace; `immediate` is known at its onset
    sc = tiny()
    sc["reporting"]["discovery"] = {"instant": False, "informant_mean_min": 100, "hotline_share": 0.0}
    traced = build_model(load_scenario(write_scenario(sc, "10,A,complex,minor,,\n", name="traced.yaml")))
    found = run_replication(traced, 0).incidents["discovered_min"][0]
    assert found > 10.5
    simulated = records(replay(drill_file([incident("X", 10, "A", discovery="simulated")], sc)))["X"]
    assert simulated["discovered_min"] == found
    immediate = records(replay(drill_file([incident("X", 10, "A")], sc, name="now.yaml")))["X"]
    assert immediate["discovered_min"] == 10.0


def test_unquoted_clock_times_are_clock_times(drill_file) -> None:
    # YAML 1.1 reads an unquoted 8:30 as the base-60 integer 510
    path = drill_file([incident("X", 0, "A")])
    path.write_text("name: t\nscenario: sc.yaml\nstart_clock: 8:00\ninjects:\n"
                    "  - {id: X, at: 8:30, actual: 8:45, event: incident, grid: A, class: complex}\n")
    assert yaml.safe_load(path.read_text())["injects"][0]["at"] == 510
    drill = load_drill(path).drill
    assert (drill.start_min, drill.at_min(drill.injects[0]), drill.actual_min(drill.injects[0])) == (
        480.0, 30.0, 45.0)


# --------------------------------------------------------------------------- the after-action table


AFTER_ACTION = [
    # onset 10 at B; reported 20; ready 30; the worker at A travels 8: first arrival 38 (08:38)
    incident("X1", "08:10", "B", expected={"action": "first_arrival", "within_min": 30}, actual="08:45"),
    # onset 20 at A; ready 40; the worker is busy at B until 68, travels 8: on site 76, closed 106 (09:46)
    incident("X2", "08:20", "A", expected={"action": "closed", "within_min": 60}, actual="09:10"),
    {"id": "X3", "at": "09:00", "event": "activate", "expected": {"action": "activated", "within_min": 5},
     "actual": "09:04"},
    {"id": "X4", "at": "09:10", "event": "link_down", "grids": ["A"], "duration_min": 20},
    # onset 110 in emergency mode: reported 112, ready 117 (10 * 0.5), the worker at A: staffed 119 (09:59)
    incident("X5", "09:50", "A", expected={"action": "staffed", "within_min": 5}),
]


def test_after_action_table_of_a_hand_checked_drill(drill_file, tmp_path: Path) -> None:
    path = drill_file(AFTER_ACTION, start_clock="08:00")
    out = replay_drill(path, out=tmp_path / "run").out
    with open(out / "after_action.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    cols = ("inject", "at", "event", "expected_action", "expected_by", "simulated", "actual", "simulated_met",
            "actual_met", "gap_min")
    assert [tuple(r[c] for c in cols) for r in rows] == [
        ("X1", "08:10", "incident", "first_arrival within 30 min", "08:40", "08:38", "08:45", "yes", "no", "-7.0"),
        ("X2", "08:20", "incident", "closed within 60 min", "09:20", "09:46", "09:10", "no", "yes", "+36.0"),
        ("X3", "09:00", "activate", "activated within 5 min", "09:05", "09:00", "09:04", "yes", "yes", "-4.0"),
        ("X4", "09:10", "link_down", "", "", "", "", "", "", ""),
        ("X5", "09:50", "incident", "staffed within 5 min", "09:55", "09:59", "", "no", "", ""),
    ]
    text = (out / "after_action.txt").read_text().splitlines()
    k = text.index("largest gaps between the model and the real drill:")
    assert text[k + 1:k + 4] == [
        "  X2 (closed within 60 min): the model is 36.0 min later than the drill (09:46 vs 09:10)",
        "  X1 (first_arrival within 30 min): the model is 7.0 min earlier than the drill (08:38 vs 08:45)",
        "  X3 (activated within 5 min): the model is 4.0 min earlier than the drill (09:00 vs 09:04)",
    ]
    assert text[-1] == "targets the model misses: X2, X5"


def test_expected_activation_already_in_force_counts(drill_file, tmp_path: Path) -> None:
    sc = tiny()
    sc["switch"] = {"activation": "threshold", "threshold": {"severity": "major", "count": 2, "window_min": 30},
                    "decision_delay_min": 7, "deactivation_quiet_min": None}
    # two majors reported at 10 and 12: the threshold rule activates at 19, before the inject at 30
    injects = [incident("M1", 0, "A", severity="major"), incident("M2", 2, "A", severity="major"),
               {"id": "ACT", "at": 30, "event": "activate", "expected": {"action": "activated", "within_min": 5},
                "actual": 33}]
    outcome = replay_drill(drill_file(injects, sc), out=tmp_path / "run")
    row = next(r for r in outcome.after_action if r["inject"] == "ACT")
    assert (row["simulated"], row["simulated_met"], row["gap_min"]) == ("00:19", "yes", "-14.0")


# --------------------------------------------------------------------------- --verify, --until, --step


@pytest.fixture
def replayed(drill_file, tmp_path: Path) -> Path:
    out = tmp_path / "run"
    assert main(["replay", str(drill_file(AFTER_ACTION, start_clock="08:00")), "--out", str(out), "--quiet"]) == 0
    return out


def test_verify_confirms_an_untouched_folder(replayed: Path, capsys) -> None:
    capsys.readouterr()
    assert main(["replay", "--verify", str(replayed)]) == 0
    out = capsys.readouterr().out
    events = len((replayed / "events.jsonl").read_text().splitlines())
    assert out.startswith(f"identical: {events} events, sha256 {sha(replayed / 'events.jsonl')[:16]}")


@pytest.mark.parametrize("name", ["drill.resolved.yaml", "scenario.resolved.yaml", "events.jsonl"])
def test_verify_refuses_a_changed_input(replayed: Path, capsys, name: str) -> None:
    path = replayed / name
    text = path.read_text()
    path.write_text(text.replace("08:10", "08:11", 1) if name == "drill.resolved.yaml"
                    else text.replace("seed: 1", "seed: 2", 1) if name == "scenario.resolved.yaml"
                    else text.replace('"clock": "08:10"', '"clock": "08:12"', 1))
    assert path.read_text() != text
    capsys.readouterr()
    assert main(["replay", "--verify", str(replayed)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: {name}: changed since the replay recorded it" in err
    assert "Traceback" not in err


def test_verify_reports_the_first_line_that_differs(replayed: Path, capsys) -> None:
    # as if the model had changed: the log differs at line 5, and the manifest records the changed log
    events = replayed / "events.jsonl"
    lines = events.read_text().splitlines(keepends=True)
    original = lines[4]
    lines[4] = original.replace('"event": "', '"event": "x', 1)
    assert lines[4] != original
    events.write_text("".join(lines))
    manifest = json.loads((replayed / "manifest.json").read_text())
    manifest["events_sha256"] = sha(events)
    (replayed / "manifest.json").write_text(json.dumps(manifest))
    capsys.readouterr()
    assert main(["replay", "--verify", str(replayed)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines() == ["differs at line 5:", f"  recorded: {lines[4].rstrip()}",
                                f"  now:      {original.rstrip()}"]


def test_verify_refuses_what_is_not_a_drill_folder(tmp_path: Path, replayed: Path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    capsys.readouterr()
    assert main(["replay", "--verify", str(tmp_path / "empty")]) == 2
    assert "not a drill folder written by mobsim replay" in capsys.readouterr().err
    manifest = json.loads((replayed / "manifest.json").read_text())
    (replayed / "manifest.json").write_text(json.dumps(manifest | {"kind": "run"}))
    assert main(["replay", "--verify", str(replayed)]) == 2
    assert "not a drill folder" in capsys.readouterr().err
    assert main(["replay", "some.yaml", "--verify", str(replayed)]) == 2
    assert "give either a drill file or --verify RUN_DIR, not both" in capsys.readouterr().err
    assert main(["replay"]) == 2
    assert "name a drill file, or --verify RUN_DIR" in capsys.readouterr().err


def test_until_stops_the_event_log_and_verifies(drill_file, tmp_path: Path, capsys) -> None:
    path = drill_file(AFTER_ACTION, start_clock="08:00")
    full = replay_drill(path, out=tmp_path / "full")
    assert main(["replay", str(path), "--until", "08:40", "--out", str(tmp_path / "cut"), "--quiet"]) == 0
    cut = [json.loads(line) for line in (tmp_path / "cut" / "events.jsonl").read_text().splitlines()]
    assert max(r["t_min"] for r in cut) < 40.0
    assert cut == [r for r in full.records if r["t_min"] < 40.0]  # the same run, stopped
    assert any(r["t_min"] == 40.0 for r in full.records)  # X2 is ready at 40: left out
    manifest = json.loads((tmp_path / "cut" / "manifest.json").read_text())
    assert (manifest["until"], manifest["until_min"]) == ("08:40", 40.0)
    capsys.readouterr()
    assert main(["replay", "--verify", str(tmp_path / "cut")]) == 0
    assert main(["replay", str(path), "--until", "8h40", "--out", str(tmp_path / "bad")]) == 2
    assert "--until: got '8h40'" in capsys.readouterr().err


def test_step_walks_the_narrative_and_stops_on_q(drill_file, tmp_path: Path) -> None:
    path = drill_file(AFTER_ACTION, start_clock="08:00")
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "sim", "replay", str(path), "--step", "--out", str(out)],
                          input="\n" * 3 + "q\n", capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    story = (out / "narrative.txt").read_text().splitlines()
    assert len(story) > 6
    assert proc.stdout.startswith(f"drill drill: {len(story)} steps; Enter for the next, q to stop\n")
    shown = proc.stdout.split("\n", 1)[1]
    assert shown.startswith("\n".join(story[:4]))  # four steps (one a line), then q
    assert story[4] not in proc.stdout
    assert "largest gaps between the model and the real drill:" in proc.stdout  # the table still follows


# --------------------------------------------------------------------------- bad drill files


BASE = """name: bad
scenario: sc.yaml
start_clock: "08:00"
injects:
  - id: X1
    at: "08:10"
    event: incident
    grid: B
    class: complex
"""

SECOND = """  - id: {id}
    at: "08:20"
    event: {event}
"""

#: name -> (drill text, line, field, value as printed, what is allowed)
BAD = {
    "unknown key": (BASE + "    colour: red\n", 10, "injects[0].colour", "'red'",
                    "unknown key 'colour'; allowed keys: id, at, event,"),
    "bad time": (BASE.replace('"08:10"', '"8h30"'), 6, "injects[0].at", "'8h30'",
                 "is not a time: write HH:MM (e.g. 08:30) or minutes"),
    "grid names no grid": (BASE.replace("grid: B", "grid: Q"), 8, "injects[0].grid", "'Q'",
                           "names no grid; grid ids look like 'A'"),
    "incident without class": (BASE.replace("    class: complex\n", ""), 7, "injects[0].event", "'incident'",
                               "event 'incident' needs class"),
    "road_closed without grids": (BASE + SECOND.format(id="R1", event="road_closed")
                                  + "    extra_min: 10\n    duration_min: 30\n", 12, "injects[1].event",
                                  "'road_closed'", "needs grids"),
    "expected action not for the event": (
        BASE + SECOND.format(id="L1", event="link_down")
        + "    grids: [B]\n    duration_min: 30\n    expected: {action: reported, within_min: 10}\n",
        15, "injects[1].expected.action", "'reported'", "can only expect 'activated'"),
    "duplicate ids": (BASE + SECOND.format(id="X1", event="activate"), 10, "injects[1].id", "'X1'",
                      "repeats the id of injects[0] (line 5); each inject needs its own id"),
    "after the end of the run": (BASE.replace('"08:10"', "2500"), 6, "injects[0].at", "2500.0",
                                 "is after the end of the drill run (17:20 (+1d)); raise horizon_min"),
    "incident in the drain time": (BASE.replace('"08:10"', "1500"), 6, "injects[0].at", "1500.0",
                                   "is after the last time an incident can start (00:40 (+1d)"),
    "missing scenario file": (BASE.replace("sc.yaml", "nothere.yaml"), 2, "scenario", "'nothere.yaml'",
                              "scenario file not found"),
    "town that does not exist": (BASE + SECOND.format(id="U1", event="unavailable")
                                 + "    force: grid_worker\n    towns: [Q]\n    duration_min: 30\n",
                                 14, "injects[1].towns[0]", "'Q'", "names no town; towns are T"),
    "party members unavailable": (BASE + SECOND.format(id="U1", event="unavailable")
                                  + "    force: party_member\n    duration_min: 30\n", 13, "injects[1].force",
                                  "'party_member'", "party members are counted per grid, not units"),
    "bad start clock": (BASE.replace('"08:00"', '"25:70"'), 3, "start_clock", "'25:70'", "is not a time"),
    "scenario key in fixed": (BASE + "fixed:\n  forces.grid_workers.full_tme: 2\n", 11,
                              "fixed: forces.grid_workers.full_tme", "2",
                              "unknown key 'full_tme' under forces.grid_workers; allowed keys: full_time,"),
    "scenario value in fixed": (BASE + "fixed:\n  forces.grid_workers.full_time: -1\n", 11,
                                "fixed: forces.grid_workers.full_time", "-1", "greater than or equal to 0"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_drill_file(case: str, write_scenario, tmp_path: Path, capsys) -> None:
    text, line, field, value, allowed = BAD[case]
    write_scenario(tiny())
    path = tmp_path / "drill.yaml"
    path.write_text(text)
    capsys.readouterr()
    assert main(["replay", str(path), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    problems = [p for p in err.splitlines() if p.startswith("  ")]
    assert len(problems) == 1, err
    assert problems[0].startswith(f"  {path}:{line}: {field}: got {value}; "), err
    assert allowed in problems[0], err
    assert not (tmp_path / "run").exists()


# --------------------------------------------------------------------------- docs/drills.md


def test_docs_name_every_drill_key_and_event_kind() -> None:
    from sim.output.replay import FIELDS
    from sim.scenario.drill import Drill, Expected, Inject

    doc = (ROOT / "docs" / "drills.md").read_text()
    tables: dict[str, set[str]] = {}
    for section in doc.split("\n## ")[1:]:
        title = section.splitlines()[0]
        rows = [line for line in section.splitlines() if line.startswith("| `")]
        tables[title] = {line.split("`")[1] for line in rows}
    for title, model in (("Drill", Drill), ("Inject (`injects[]`)", Inject),
                         ("Expected action (`injects[].expected`)", Expected)):
        assert tables[title] == {f.alias or name for name, f in model.model_fields.items()}, title
    assert tables["The event log format"] == {"seq", "t_min", "clock", "event", *FIELDS}
    for kind, fields in FIELDS.items():
        row = next(line for line in doc.splitlines() if line.startswith(f"| `{kind}` |"))
        assert [f for f in row.split("|")[2].split("`")[1::2]] == list(fields), kind
