"""Malformed scenario inputs, checked end to end through the command line.

Every bad input must exit with status 2 and one line per problem in the form
`FILE:LINE: FIELD: got VALUE; MESSAGE`, naming the file as the user typed it, the line where there is one,
the dotted field, the bad value and what is allowed, and never a Python traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]

GRIDS_HEADER = "grid,town,community,kind,households,x_km,y_km\n"
CSV_SCENARIO = "name: csvtown\nterritory:\n  source: csv\n  csv_file: grids.csv\n"
LONG_CSV = "grids_of_the_whole_district_as_exported_by_the_planning_office_in_2024_second_edition.csv"
TRACE_SCENARIO = "name: traced\nincidents:\n  trace_file: trace.csv\n"


@dataclass(frozen=True)
class Case:
    """A bad input: files to write, the command line, and the problem line that must be printed.

    `expect` is the start of the problem line, `FILE:LINE: FIELD: got VALUE;`; `{dir}` stands for the
    temporary folder (CSV files are reported by their full path). `also` are fragments the same line must
    hold, such as what is allowed.
    """

    id: str
    files: dict[str, str | bytes]
    argv: tuple[str, ...]
    expect: str
    also: tuple[str, ...] = ()
    problems: int = 1
    extra: dict[str, object] = field(default_factory=dict)


def validate(*extra: str, file: str = "bad.yaml") -> tuple[str, ...]:
    return ("validate", file, *extra)


CASES = [
    # ---------------------------------------------------------------- YAML structure
    Case("string_for_number", {"bad.yaml": "name: x\nseed: 1\nhorizon_min: soon\n"}, validate(),
         "bad.yaml:3: horizon_min: got 'soon';", ("valid number",)),
    Case("list_for_mapping", {"bad.yaml": "name: x\nforces:\n  agencies: [1, 2]\n"}, validate(),
         "bad.yaml:3: forces.agencies: got [1, 2];",
         ("must be a mapping of keys", "allowed keys: team_ratio, count, staff_each")),
    Case("empty_section", {"bad.yaml": "name: x\nforces:\nseed: 3\n"}, validate(),
         "bad.yaml:2: forces: is empty;",
         ("must be a mapping of keys", "allowed keys: grid_workers, teams, resident_teams, agencies")),
    Case("unknown_top_level_key", {"bad.yaml": "name: x\nseed: 1\nhorizn_min: 10\n"}, validate(),
         "bad.yaml:3: horizn_min: got 10;",
         ("unknown key 'horizn_min'", "allowed keys: name, description, seed, replications, horizon_min")),
    Case("unknown_nested_key",
         {"bad.yaml": "name: x\nforces:\n  agencies:\n    count: 3\n    team_ration: 0.3\n"}, validate(),
         "bad.yaml:5: forces.agencies.team_ration: got 0.3;",
         ("unknown key 'team_ration'", "allowed keys: team_ratio, count, staff_each, listed")),
    Case("misspelt_key_in_list_item",
         {"bad.yaml": "name: x\nincidents:\n  hazards:\n    - name: flood\n      start_min: 10\n"
                      "      rate_per_hr: 3\n"}, validate(),
         "bad.yaml:6: incidents.hazards[0].rate_per_hr: got 3;",
         ("unknown key 'rate_per_hr'", "allowed keys: name, start_min, duration_min, rate_per_hour")),
    Case("unknown_class_name_as_key",
         {"bad.yaml": "name: x\nincidents:\n  classes:\n    simpel: {share: 1.0}\n"}, validate(),
         "bad.yaml:4: incidents.classes.simpel: got 'simpel';",
         ("'simple', 'complex', 'cross_cutting', 'departmental' or 'urgent'",)),
    Case("negative_ratio", {"bad.yaml": "name: x\nforces:\n  agencies:\n    team_ratio: -0.1\n"}, validate(),
         "bad.yaml:4: forces.agencies.team_ratio: got -0.1;", ("greater than or equal to 0",)),
    Case("negative_rate",
         {"bad.yaml": "name: x\nincidents:\n  background:\n    rate_per_household_per_day: -2\n"}, validate(),
         "bad.yaml:4: incidents.background.rate_per_household_per_day: got -2;", ("greater than or equal to 0",)),
    Case("probability_above_one",
         {"bad.yaml": "name: x\nreporting:\n  peacetime:\n    hop_delay_min: 3\n    compliance: 1.5\n"}, validate(),
         "bad.yaml:5: reporting.peacetime.compliance: got 1.5;", ("less than or equal to 1",)),
    Case("empty_file", {"bad.yaml": ""}, validate(),
         "bad.yaml: file is empty;", ("a scenario is a mapping of keys",)),
    Case("only_a_comment", {"bad.yaml": "# nothing here yet\n\n"}, validate(),
         "bad.yaml: file is empty;", ("a scenario is a mapping of keys",)),
    Case("yaml_syntax_error",
         {"bad.yaml": "name: x\nforces:\n  agencies: {team_ratio: 0.3\nseed: 1\n"}, validate(),
         "bad.yaml:4: YAML syntax error:", ("expected ',' or '}'", "flow mapping that starts on line 3")),
    Case("yaml_tab_indent", {"bad.yaml": "name: x\nforces:\n\tagencies: {}\n"}, validate(),
         "bad.yaml:3: YAML syntax error:", ("'\\t'",)),
    Case("top_level_list", {"bad.yaml": "- name: x\n- seed: 1\n"}, validate(),
         "bad.yaml: not a scenario file", ("a scenario is a mapping of keys", "not a list"),
         extra={"absent": "seed: 1"}),
    Case("not_utf8_yaml", {"bad.yaml": b"name: x\n" + "description: 沙塘\n".encode("gbk")}, validate(),
         "bad.yaml:2: the file is not UTF-8 text", extra={"absent": "b'"}),
    Case("nonexistent_file", {}, validate(file="nothere.yaml"), "nothere.yaml: file not found"),
    # ---------------------------------------------------------------- extends
    Case("extends_missing", {"bad.yaml": "name: x\nextends: base.yaml\nseed: 4\n"}, validate(),
         "bad.yaml:2: extends: got 'base.yaml';", ("base file not found", "base.yaml)")),
    Case("extends_not_a_path", {"bad.yaml": "name: x\n\nextends: [a.yaml, b.yaml]\n"}, validate(),
         "bad.yaml:3: extends: got ['a.yaml', 'b.yaml'];", ("must be the path of a base scenario file",)),
    Case("extends_self", {"bad.yaml": "extends: bad.yaml\nname: x\n"}, validate(),
         "bad.yaml:1: extends: got 'bad.yaml';", ("cycle",)),
    Case("extends_cycle", {"bad.yaml": "name: x\nextends: mid.yaml\n", "mid.yaml": "seed: 2\nextends: bad.yaml\n"},
         validate(), "{dir}/mid.yaml:2: extends: got 'bad.yaml';", ("extends itself through a cycle",)),
    Case("error_in_base_file",
         {"bad.yaml": "extends: base.yaml\nname: child\n",
          "base.yaml": "name: base\nforces:\n  agencies:\n    team_ratio: 2\n"}, validate(),
         "{dir}/base.yaml:4: forces.agencies.team_ratio: got 2;", ("less than or equal to 1",)),
    # ---------------------------------------------------------------- names of grids and towns
    Case("key_area_names_no_grid",
         {"bad.yaml": "name: x\nterritory:\n  key_areas:\n    - T01-C01-G01\n    - G7\n"}, validate(),
         "bad.yaml:5: territory.key_areas[1]: got 'G7';", ("names no grid", "'T01-C01-G01'")),
    Case("hazard_town_names_no_town",
         {"bad.yaml": "name: x\nterritory:\n  generator: {towns: 2, communities: 2, grids: 2}\nincidents:\n"
                      "  hazards:\n    - name: flood\n      towns: [T02, T09]\n"}, validate(),
         "bad.yaml:7: incidents.hazards[0].towns[1]: got 'T09';", ("names no town; towns are T01, T02",)),
    Case("hazard_grid_names_no_grid",
         {"bad.yaml": "name: x\nincidents:\n  hazards:\n    - name: a\n    - name: b\n      grids:\n"
                      "        - G9\n"}, validate(),
         "bad.yaml:7: incidents.hazards[1].grids[0]: got 'G9';", ("names no grid", "'T01-C01-G01'")),
    Case("hazard_after_horizon",
         {"bad.yaml": "name: x\nhorizon_min: 100\nincidents:\n  hazards:\n    - start_min: 500\n"
                      "      duration_min: 60\n"}, validate(),
         "bad.yaml:5: incidents.hazards[0].start_min: got 500.0;", ("after the horizon (100 min)",)),
    # ---------------------------------------------------------------- checks across fields
    Case("class_shares_not_one",  # all five named, so no default share takes part in the sum
         {"bad.yaml": "name: x\nincidents:\n  classes:\n    simple: {share: 0.4}\n    complex: {share: 0.2}\n"
                      "    cross_cutting: {share: 0.1}\n    departmental: {share: 0.05}\n    urgent: {share: 0.05}\n"},
         validate(), "bad.yaml:3: incidents.classes: classes.*.share shares must add up to 1, got 0.8",
         ("simple 0.4, complex 0.2",)),
    Case("severity_mix_not_one",
         {"bad.yaml": "name: x\nincidents:\n  background:\n    rate_per_hour: 2\n"
                      "    severity_mix: {minor: 0.5, serious: 0.2, major: 0.1}\n"}, validate(),
         "bad.yaml:5: incidents.background.severity_mix: got {'minor': 0.5, 'serious': 0.2, 'major': 0.1};",
         ("severity_mix shares must add up to 1, got 0.8",)),
    Case("fewer_grids_than_communities",
         {"bad.yaml": "name: x\nterritory:\n  generator:\n    towns: 1\n    communities: 5\n    grids: 3\n"},
         validate(), "bad.yaml:6: territory.generator.grids: got 3;", ("must be at least communities (5)",)),
    Case("unknown_class_in_must_report",
         {"bad.yaml": "name: x\nreporting:\n  peacetime:\n    must_report: [urgent, flood]\n"}, validate(),
         "bad.yaml:4: reporting.peacetime.must_report[1]: got 'flood';",
         ("'simple', 'complex', 'cross_cutting', 'departmental' or 'urgent'",)),
    Case("route_unknown_level",
         {"bad.yaml": "name: x\nreporting:\n  emergency:\n    route:\n      - community\n      - county\n"},
         validate(), "bad.yaml:6: reporting.emergency.route[1]: got 'county';", ("'community' or 'town'",)),
    # ---------------------------------------------------------------- CSV files
    Case("csv_source_without_file", {"bad.yaml": "name: x\nterritory:\n  source: csv\n"}, validate(),
         "bad.yaml:3: territory.source: got 'csv';", ("csv_file is not set",)),
    Case("csv_file_missing",  # a long value is cut in the middle, so the file name stays in view
         {"bad.yaml": CSV_SCENARIO.replace("grids.csv", LONG_CSV)}, validate(),
         "bad.yaml:4: territory.csv_file: got '/", ("...", f"{LONG_CSV[-30:]}'; file not found")),
    Case("csv_bad_kind",
         {"bad.yaml": CSV_SCENARIO, "grids.csv": GRIDS_HEADER + "G1,T,C,rural,10,0,0\nG2,T,C,farm,10,1,0\n"},
         validate(), "{dir}/grids.csv:3: kind: got 'farm';",
         ("allowed: rural, community, building, commercial, industrial",)),
    Case("csv_negative_households",
         {"bad.yaml": CSV_SCENARIO, "grids.csv": GRIDS_HEADER + "G1,T,C,rural,10,0,0\n\nG2,T,C,rural,-5,1,0\n"},
         validate(), "{dir}/grids.csv:4: households: got -5;", ("whole number >= 0",)),
    Case("csv_short_row",
         {"bad.yaml": CSV_SCENARIO, "grids.csv": GRIDS_HEADER + "G1,T,C,rural,10,0,0\nG2,T\n"},
         validate(), "{dir}/grids.csv:3: got ['G2', 'T'];",
         ("the row has 2 fields but the header has 7: grid, town, community",)),
    Case("csv_not_a_number",
         {"bad.yaml": CSV_SCENARIO, "grids.csv": GRIDS_HEADER + "G1,T,C,rural,10,nan,0\n"},
         validate(), "{dir}/grids.csv:2: x_km: got 'nan';", ("must be a number",), extra={"absent": ">= None"}),
    Case("csv_not_utf8",
         {"bad.yaml": CSV_SCENARIO, "grids.csv": (GRIDS_HEADER + "G1,T,C,rural,10,0,0\n").encode()
          + "G2,沙塘,C,rural,10,1,0\n".encode("gbk")},
         validate(), "{dir}/grids.csv:3: the file is not UTF-8 text", ("CSV UTF-8",), extra={"absent": "b'"}),
    Case("csv_missing_columns",
         {"bad.yaml": CSV_SCENARIO, "grids.csv": "grid,town,kind\nG1,T,rural\n"}, validate(),
         "{dir}/grids.csv:1: header: got 'grid,town,kind';", ("missing columns community, households",)),
    Case("trace_grid_unknown",
         {"bad.yaml": TRACE_SCENARIO,
          "trace.csv": "onset_min,grid,class,severity\n5,T01-C01-G01,simple,minor\n7,ZZ,simple,minor\n"},
         validate(), "{dir}/trace.csv:3: grid: got 'ZZ';", ("names no grid of the territory", "'T01-C01-G01'")),
    Case("trace_bad_class_and_short_row",
         {"bad.yaml": TRACE_SCENARIO, "trace.csv": "onset_min,grid,class,severity\n5,T01-C01-G01,flood,minor\n9\n"},
         validate(), "{dir}/trace.csv:2: class: got 'flood';", ("allowed: simple, complex",), problems=2,
         extra={"second": "{dir}/trace.csv:3: got ['9']; the row has 1 field but the header has 4"}),
    Case("trace_file_missing", {"bad.yaml": TRACE_SCENARIO}, validate(),
         "bad.yaml:3: incidents.trace_file: got '/", ("/trace.csv'; file not found",)),
    # ---------------------------------------------------------------- command line
    Case("set_unknown_key", {"bad.yaml": "name: x\n"}, validate("--set", "forces.nope=1"),
         "--set: forces.nope: got 1;", ("unknown key 'nope' under forces", "allowed keys: grid_workers, teams")),
    Case("set_value_refused", {"bad.yaml": "name: x\n"}, validate("--set", "forces.agencies.team_ratio=lots"),
         "--set forces.agencies.team_ratio=lots: forces.agencies.team_ratio: got 'lots';", ("valid number",)),
    Case("set_value_out_of_range", {"bad.yaml": "name: x\n"}, validate("--set", "replications=0"),
         "--set replications=0: replications: got 0;", ("greater than or equal to 1",)),
    Case("set_without_equals", {"bad.yaml": "name: x\n"}, validate("--set", "forces.agencies.team_ratio"),
         "--set: got 'forces.agencies.team_ratio';", ("an override is written key.path=value",)),
    Case("set_missing_list_item", {"bad.yaml": "name: x\n"}, validate("--set", "incidents.hazards.0.rate_per_hour=3"),
         "--set: incidents.hazards[0].rate_per_hour: got 3;", ("no item 0 in incidents.hazards",)),
    Case("set_inside_plain_value", {"bad.yaml": "name: x\nforces: 5\n"},
         validate("--set", "forces.agencies.count=3"),
         "bad.yaml:2: forces: got 5;", ("must be a mapping of keys",)),
    Case("run_zero_replications", {"bad.yaml": "name: x\n"}, ("run", "bad.yaml", "--replications", "0"),
         "command line: --replications: got 0;", ("whole number >= 1",)),
    Case("duplicate_key", {"bad.yaml": "name: x\nseed: 1\nname: y\n"}, validate(),
         "bad.yaml:3: name: duplicate key", ("already set on line 1",)),
    Case("infinite_number", {"bad.yaml": "name: x\nhorizon_min: .inf\n"}, validate(),
         "bad.yaml:2: horizon_min: got inf;", ("finite number",)),
    Case("community_in_two_towns",
         {"bad.yaml": CSV_SCENARIO, "grids.csv": GRIDS_HEADER + "g1,T1,C1,rural,100,0,0\ng2,T2,C1,rural,100,1,0\n"},
         validate(), "{dir}/grids.csv:3: town: got 'T2';", ("already in town 'T1' (line 2)",)),
    Case("route_level_twice",
         {"bad.yaml": "name: x\nreporting:\n  peacetime:\n    route: [town, town]\n"}, validate(),
         "bad.yaml:4: reporting.peacetime.route: got ['town', 'town'];", ("names a level twice",)),
    Case("scheduled_after_the_end",
         {"bad.yaml": "name: x\nhorizon_min: 100\ndrain_min: 0\nswitch:\n  activation: scheduled\n"
                      "  scheduled_min: 500\n"}, validate(),
         "bad.yaml:6: switch.scheduled_min: got 500;", ("after the end of the run",)),
]

#: run again in a real interpreter, to prove nothing reaches the user as a traceback
SUBPROCESS_CASES = ["yaml_syntax_error", "unknown_nested_key", "csv_short_row", "nonexistent_file",
                    "set_without_equals"]


def _write(case: Case, folder: Path) -> None:
    for name, content in case.files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def _check(case: Case, folder: Path, status: int, out: str, err: str) -> None:
    def fill(text: object) -> str:
        return str(text).replace("{dir}", str(folder.resolve()))

    assert status == 2, err
    assert "Traceback" not in err
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == f"error: invalid input ({case.problems} problem{'s' * (case.problems > 1)}):"
    problems = [ln[2:] for ln in lines[1:]]
    assert len(problems) == case.problems and all(ln.startswith("  ") for ln in lines[1:]), err
    expect = fill(case.expect)
    hits = [p for p in problems if p.startswith(expect)]
    assert hits, f"no problem line starts with {expect!r}:\n{err}"
    for fragment in case.also:
        assert fragment in hits[0], f"{fragment!r} missing from {hits[0]!r}"
    if "second" in case.extra:
        assert any(p.startswith(fill(case.extra["second"])) for p in problems), err
    if "absent" in case.extra:
        assert str(case.extra["absent"]) not in err


def test_enough_cases() -> None:
    assert len(CASES) >= 24
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_in_process(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    _write(case, tmp_path)
    monkeypatch.chdir(tmp_path)  # files are passed by relative path, as a user types them
    status = main(list(case.argv))
    captured = capsys.readouterr()
    _check(case, tmp_path, status, captured.out, captured.err)


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_bad_input_subprocess(case_id: str, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == case_id)
    _write(case, tmp_path)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "sim", *case.argv], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    _check(case, tmp_path, proc.returncode, proc.stdout, proc.stderr)


def test_bad_option_type_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", "x.yaml", "--replications", "many"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--replications: invalid int value: 'many'" in err and "Traceback" not in err


# -------------------------------------------------------------------- inputs that must be accepted

SHIPPED = [("scenarios/gaoming.yaml", "gaoming", 456, 1, 10),
           ("scenarios/shatang.yaml", "shatang", 38, 1, 10),
           ("scenarios/pingcheng.yaml", "pingcheng", 1529, 1, 10),
           ("scenarios/validation/mmc.yaml", "mmc", 1, 0, 10)]


@pytest.mark.parametrize(("path", "name", "grids", "hazards", "reps"), SHIPPED, ids=[s[1] for s in SHIPPED])
def test_validate_shipped_prints_a_digest_and_the_estimate(path: str, name: str, grids: int, hazards: int, reps: int,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["validate", path]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    lines = captured.out.splitlines()
    assert len(lines) == 2, captured.out
    assert lines[0].startswith(f"ok: {path}: {name}: {grids} grids, {hazards} hazard(s), activation ")
    assert lines[1].startswith("estimate: ") and "units" in lines[1] and "MiB per process" in lines[1]
    assert f", {reps} replications of " in lines[0]


def test_set_inside_empty_section_is_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "sc.yaml").write_text("name: x\nforces:\n")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "sc.yaml", "--set", "forces.agencies.count=2"]) == 0
    assert capsys.readouterr().out.startswith("ok: sc.yaml: x: 1 grids")


def test_csv_with_excel_byte_order_mark_is_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "sc.yaml").write_text(CSV_SCENARIO)
    (tmp_path / "grids.csv").write_text(GRIDS_HEADER + "G1,T,C,rural,10,0,0\nG2,T,C,rural,5,1,0\n",
                                        encoding="utf-8-sig")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "sc.yaml"]) == 0
    assert capsys.readouterr().out.startswith("ok: sc.yaml: csvtown: 2 grids")
