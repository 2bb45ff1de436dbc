"""Malformed experiment files, checked end to end through `mobsim sweep`.

Every bad file must exit with status 2, print `FILE:LINE: FIELD: got VALUE; WHAT IS ALLOWED`, never a
Python traceback, and leave no sweep folder behind.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sim.cli import main
from tests.conftest import ROOT

SHATANG = ROOT / "scenarios" / "shatang.yaml"


@dataclass(frozen=True)
class Case:
    """`text` is the experiment file (`{scenario}`: the shipped Shatang scenario); `expect` the start of the
    problem line; `also` fragments the same line must hold."""

    id: str
    text: str
    expect: str
    also: tuple[str, ...] = ()


HEAD = "name: bad\nscenario: {scenario}\nreplications: 2\n"  # lines 1-3
ONE_FACTOR = "factors:\n  - key: forces.agencies.team_ratio\n    values: [0.2, 0.3]\n"

CASES = [
    Case("unknown_top_level_key", HEAD + "desgin: lhs\n" + ONE_FACTOR,
         "bad.yaml:4: desgin: got 'lhs';",
         ("unknown key 'desgin'", "allowed keys: name, description, scenario, fixed, design, samples")),
    Case("factor_key_names_no_scenario_key", HEAD + "factors:\n  - key: forces.agencies.team_ration\n"
         "    values: [0.2]\n",
         "bad.yaml:5: factors[0].key: got 'forces.agencies.team_ration';",
         ("unknown key 'team_ration' under forces.agencies", "allowed keys: team_ratio, count, staff_each")),
    Case("factor_key_under_a_plain_value", HEAD + "factors:\n  - key: seed.value\n    values: [1]\n",
         "bad.yaml:5: factors[0].key: got 'seed.value';", ("'seed' is a plain value",)),
    Case("fixed_key_names_no_scenario_key", HEAD + "fixed:\n  horizn_min: 100\n" + ONE_FACTOR,
         "bad.yaml:5: fixed.horizn_min: got 100;", ("unknown key 'horizn_min'", "allowed keys:", "horizon_min")),
    Case("factor_value_the_scenario_refuses", HEAD + "factors:\n  - key: forces.agencies.team_ratio\n"
         "    values: [0.2, 1.5]\n",
         "bad.yaml:6: factors[0].values[1]: got 1.5;",
         ("refused by the scenario for forces.agencies.team_ratio", "less than or equal to 1")),
    Case("range_end_the_scenario_refuses", HEAD + "factors:\n  - key: forces.agencies.team_ratio\n"
         "    range: {low: 0.5, high: 1.2, steps: 3}\n",
         "bad.yaml:6: factors[0].range: got 1.2;", ("less than or equal to 1",)),
    Case("range_high_below_low", HEAD + "factors:\n  - key: forces.agencies.team_ratio\n"
         "    range: {low: 0.5, high: 0.2, steps: 3}\n",
         "bad.yaml:6: factors[0].range.high: got 0.2;", ("must be above low (0.5)",)),
    Case("range_high_equal_to_low", HEAD + "factors:\n  - key: forces.agencies.team_ratio\n"
         "    range:\n      low: 0.3\n      high: 0.3\n      steps: 2\n",
         "bad.yaml:8: factors[0].range.high: got 0.3;", ("must be above low (0.3)",)),
    Case("sobol_samples_not_a_power_of_2", HEAD + "design: sobol\nsamples: 12\nfactors:\n"
         "  - key: forces.agencies.team_ratio\n    range: {low: 0.2, high: 0.5}\n"
         "  - key: forces.grid_workers.full_time\n    range: {low: 20, high: 60}\n    integer: true\n",
         "bad.yaml:5: samples: got 12;", ("must be a power of 2 for a Sobol design",)),
    Case("sobol_with_one_factor", HEAD + "design: sobol\nsamples: 8\nfactors:\n"
         "  - key: forces.agencies.team_ratio\n    range: {low: 0.2, high: 0.5}\n",
         "bad.yaml:6: factors: got [{'key': 'forces.agencies.team_ratio'",
         ("factors (1) are too few: a Sobol design needs at least 2 factors",)),
    Case("two_factors_with_one_key", HEAD + ONE_FACTOR + "  - key: forces.agencies.team_ratio\n    values: [0.4]\n",
         "bad.yaml:4: factors:", ("factors name forces.agencies.team_ratio twice", "a different key")),
    Case("unknown_kpi", HEAD + "kpis: [incidents, respons_mean_min]\n" + ONE_FACTOR,
         "bad.yaml:4: kpis[1]: got 'respons_mean_min';",
         ("unknown KPI; allowed:", "response_mean_min", "emergency.response_p90_min")),
    Case("missing_scenario_file", "name: bad\nscenario: nowhere/shatang.yaml\n" + ONE_FACTOR,
         "bad.yaml:2: scenario: got 'nowhere/shatang.yaml';", ("scenario file not found", "nowhere/shatang.yaml")),
    Case("factor_with_values_and_range", HEAD + "factors:\n  - key: forces.agencies.team_ratio\n"
         "    values: [0.2]\n    range: {low: 0.2, high: 0.5}\n",
         "bad.yaml:5: factors[0]:", ("exactly one of values, range or distribution", "got values, range")),
    Case("factor_with_nothing_to_vary", HEAD + "factors:\n  - key: forces.agencies.team_ratio\n",
         "bad.yaml:5: factors[0]:", ("exactly one of values, range or distribution", "got none")),
    Case("factorial_range_without_steps", HEAD + "factors:\n  - key: forces.agencies.team_ratio\n"
         "    range: {low: 0.2, high: 0.5}\n",
         "bad.yaml:5: factors[0]: got 'forces.agencies.team_ratio';",
         ("a full factorial design needs values, or a range with steps",)),
    Case("unknown_design", HEAD + "design: grid\n" + ONE_FACTOR,
         "bad.yaml:4: design: got 'grid';", ("factorial", "lhs", "sobol")),
    Case("distribution_missing_parameter", HEAD + "design: lhs\nfactors:\n  - key: forces.agencies.team_ratio\n"
         "    distribution: {kind: triangular, low: 0.1, high: 0.5}\n",
         "bad.yaml:7: factors[0].distribution:", ("needs low, mode, high; missing mode",)),
    Case("replications_zero", "name: bad\nscenario: {scenario}\nreplications: 0\n" + ONE_FACTOR,
         "bad.yaml:3: replications: got 0;", ("greater than or equal to 1",)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_experiment_file(case: Case, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text(case.text.replace("{scenario}", str(SHATANG)), encoding="utf-8")
    assert main(["sweep", "bad.yaml", "--out", "out", "--quiet"]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    lines = captured.err.splitlines()
    assert lines[0].startswith("error: invalid input (1 problem)"), captured.err
    problem = lines[1].strip()
    assert problem.startswith(case.expect), problem
    for fragment in case.also:
        assert fragment in problem, (fragment, problem)
    assert not (tmp_path / "out").exists(), "a refused experiment must not start a sweep folder"


def test_every_problem_of_a_file_is_reported_at_once(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text(
        HEAD.replace("{scenario}", str(SHATANG)) + "kpis: [nope]\nfactors:\n"
        "  - key: forces.agencies.team_ration\n    values: [0.2]\n"
        "  - key: forces.grid_workers.fulltime\n    values: [30]\n", encoding="utf-8")
    assert main(["sweep", "bad.yaml", "--out", "out"]) == 2
    err = capsys.readouterr().err
    assert "(3 problems)" in err
    assert "bad.yaml:6: factors[0].key:" in err and "bad.yaml:8: factors[1].key:" in err
    assert "bad.yaml:4: kpis[0]: got 'nope';" in err


def test_a_subprocess_prints_no_traceback(tmp_path):
    import subprocess
    import sys

    (tmp_path / "bad.yaml").write_text(HEAD.replace("{scenario}", str(SHATANG)) + "factors:\n"
                                       "  - key: forces.agencies.team_ratio\n    values: [1.5]\n")
    proc = subprocess.run([sys.executable, "-m", "sim", "sweep", "bad.yaml", "--quiet"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "bad.yaml:6: factors[0].values[0]: got 1.5;" in proc.stderr
    assert not (tmp_path / "results").exists()
