"""`mobsim compare`: paired differences of KPIs between two real run folders of Shatang (4 replications)."""

from __future__ import annotations

import csv
import json
import math
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest
from scipy import stats

from sim.cli import main
from sim.output.compare import HEADLINE_KPIS, compare_runs, paired_difference, readable_name, unit_of
from tests.conftest import ROOT

SHATANG = str(ROOT / "scenarios" / "shatang.yaml")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A baseline, a byte copy of it, the baseline with a flat peacetime route, and one with another seed.
    Shatang with the reactive switch (threshold), so that the first day is peacetime."""
    root = tmp_path_factory.mktemp("compare")
    global SHATANG
    reactive = root / "shatang.yaml"
    reactive.write_text(f"extends: {ROOT / 'scenarios' / 'shatang.yaml'}\nswitch: {{activation: threshold}}\n")
    SHATANG = str(reactive)
    out = {name: root / name for name in ("base", "copy", "flat", "seed7")}
    common = ["--quiet"]
    assert main(["run", SHATANG, "--replications", "4", *common, "--out", str(out["base"])]) == 0
    shutil.copytree(out["base"], out["copy"])
    assert main(["run", SHATANG, "--replications", "4", *common, "--out", str(out["flat"]),
                 "--set", "reporting.peacetime.route=[]"]) == 0
    assert main(["run", SHATANG, "--replications", "2", "--seed", "7", *common, "--out", str(out["seed7"])]) == 0
    return out


def read_kpis(folder):
    with open(folder / "kpis.csv", newline="") as fh:
        return {int(r["replication"]): r for r in csv.DictReader(fh)}


def test_same_run_gives_zero_differences(runs, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from a t-test on zero variance
        res = compare_runs(runs["base"], runs["copy"])
    assert res["warnings"] == []
    assert res["replications"] == [0, 1, 2, 3]
    assert list(res["kpis"]) == list(HEADLINE_KPIS)
    for k, r in res["kpis"].items():
        assert r["diff_mean"] == 0 and r["ci95_low"] == 0 and r["ci95_high"] == 0, k
        assert r["p_value"] == 1 and not r["significant"], k
        assert r["sentence"].startswith("No significant difference in the "), k
        assert "p = 1)" in r["sentence"], k
    # same scenario and overrides: the folder names tell the runs apart
    assert res["a"]["label"] == "shatang (base)" and res["b"]["label"] == "shatang (copy)"

    assert main(["compare", str(runs["base"]), str(runs["copy"])]) == 0
    cap = capsys.readouterr()
    assert "warning" not in cap.err
    assert cap.out.count("No significant difference") == len(HEADLINE_KPIS)


def test_flat_route_cuts_peacetime_response(runs, capsys, tmp_path):
    out = tmp_path / "cmp.json"
    assert main(["compare", str(runs["base"]), str(runs["flat"]), "--kpi", "peacetime.response_mean_min",
                 "--kpi", "emergency.incidents", "--out", str(out)]) == 0
    cap = capsys.readouterr()
    assert cap.err == ""
    res = json.loads(out.read_text())
    assert res["a"]["label"] == "shatang"
    assert res["b"]["label"] == "shatang [reporting.peacetime.route=[]]"
    r = res["kpis"]["peacetime.response_mean_min"]
    assert r["significant"] and r["p_value"] < 0.05
    assert r["ci95_low"] < r["ci95_high"] < 0
    assert r["sentence"].startswith("B cuts the peacetime mean response by ")
    assert r["sentence"].endswith(" compared with A.")
    assert r["sentence"] in cap.out
    assert "peacetime.response_mean_min" in cap.out and "B: shatang [reporting.peacetime.route=[]]" in cap.out
    # common random numbers: the same incidents in both runs
    inc = res["kpis"]["emergency.incidents"]
    assert inc["diff_mean"] == 0 and inc["p_value"] == 1 and inc["unit"] == "count"


def test_numbers_match_hand_computation(runs):
    a, b = read_kpis(runs["base"]), read_kpis(runs["flat"])
    kpis = ["peacetime.response_mean_min", "within_target_share", "response_p90_min", "staffed_mean_min"]
    res = compare_runs(runs["base"], runs["flat"], kpis)
    for k in kpis:
        x = np.array([float(a[i][k]) for i in sorted(a)])
        y = np.array([float(b[i][k]) for i in sorted(a)])
        d = y - x
        n = len(d)
        m, se = d.mean(), d.std(ddof=1) / math.sqrt(n)
        t = m / se
        half = stats.t.ppf(0.975, n - 1) * se
        r = res["kpis"][k]
        assert r["n"] == n == 4
        assert r["a_mean"] == pytest.approx(x.mean()) and r["b_mean"] == pytest.approx(y.mean())
        assert r["diff_mean"] == pytest.approx(m)
        assert (r["ci95_low"], r["ci95_high"]) == pytest.approx((m - half, m + half))
        assert r["p_value"] == pytest.approx(2 * stats.t.sf(abs(t), n - 1))
        assert r["significant"] == (r["p_value"] < 0.05)
        word = "cuts" if m < 0 else "raises"
        assert (word in r["sentence"]) == r["significant"]
    share = res["kpis"]["within_target_share"]
    assert share["unit"] == "share"
    shown = f"{abs(share['diff_mean']) * 100:.1f} pp"  # a share is told in percentage points
    assert shown in share["sentence"]


def test_seed_mismatch_and_different_replications_warn(runs, capsys):
    assert main(["compare", str(runs["base"]), str(runs["seed7"]), "--kpi", "response_mean_min"]) == 0
    err = capsys.readouterr().err
    assert "warning: the seeds differ (A 20240602, B 7)" in err
    assert "not paired on the same incidents" in err
    assert "warning: the runs have different replications (A 0-3, B 0-1); comparing the 2 both have (0-1)" in err
    res = compare_runs(runs["base"], runs["seed7"], ["response_mean_min"])
    assert res["replications"] == [0, 1] and res["kpis"]["response_mean_min"]["n"] == 2
    assert res["b"]["label"] == "shatang [seed=7, replications=2]"
    assert main(["compare", str(runs["base"]), str(runs["seed7"]), "--kpi", "response_mean_min", "--lang", "zh"]) == 0
    err = capsys.readouterr().err
    assert "警告：随机种子不同（A 为 20240602，B 为 7）" in err
    assert "警告：两次运行所含的重复不同（A 为 0-3，B 为 0-1）；只比较两者共有的 2 次（0-1）" in err
    assert "seeds differ" not in err


def check_refused(capsys, argv, *words):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("error:")
    for w in words:
        assert w in err
    return err


def test_missing_folder(runs, capsys, tmp_path):
    missing = tmp_path / "no-such-run"
    check_refused(capsys, ["compare", str(runs["base"]), str(missing)], str(missing), "no such run folder")


def test_folder_without_kpis(runs, capsys, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    check_refused(capsys, ["compare", str(empty), str(runs["base"])], str(empty), "no kpis.csv")


def test_unknown_kpi_lists_the_available_ones(runs, capsys):
    err = check_refused(capsys, ["compare", str(runs["base"]), str(runs["flat"]), "--kpi", "response_mean",
                                 "--kpi", "response_mean_min"], "'response_mean'", "available:")
    assert "peacetime.response_mean_min" in err and "utilisation.grid_worker" in err


def test_no_common_replication(runs, capsys, tmp_path):
    other = tmp_path / "renumbered"
    shutil.copytree(runs["base"], other)
    lines = (other / "kpis.csv").read_text().splitlines()
    lines[1:] = ["1" + line for line in lines[1:]]  # replications 0-3 become 10-13
    (other / "kpis.csv").write_text("\n".join(lines) + "\n")
    check_refused(capsys, ["compare", str(runs["base"]), str(other)], str(other), "shares no replication",
                  "10-13")


def test_real_command_line_refuses_without_traceback(runs, tmp_path):
    missing = tmp_path / "gone"
    proc = subprocess.run([sys.executable, "-m", "sim", "compare", str(missing), str(runs["base"])],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and str(missing) in proc.stderr


def test_paired_difference_edge_cases():
    nan = math.nan
    r = paired_difference([1.0, 2.0, nan, 4.0], [2.0, 3.0, 5.0, nan])  # only the two complete pairs count
    assert r["n"] == 2 and r["diff_mean"] == 1 and r["p_value"] == 0 and r["ci95_low"] == r["ci95_high"] == 1
    r = paired_difference([nan, 1.0], [2.0, nan])
    assert r["n"] == 0 and math.isnan(r["diff_mean"])
    r = paired_difference([1.0], [3.0])
    assert r["n"] == 1 and r["diff_mean"] == 2 and math.isnan(r["p_value"]) and math.isnan(r["ci95_low"])
    r = paired_difference([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert (r["diff_mean"], r["ci95_low"], r["ci95_high"], r["p_value"]) == (0, 0, 0, 1)


def test_names_and_units():
    assert readable_name("response_mean_min") == "mean response"
    assert readable_name("response_p90_min") == "90th-percentile response"
    assert readable_name("within_target_share") == "share within target"
    assert readable_name("staffed_mean_min") == "mean time to full staffing"
    assert readable_name("unreported_count") == "number of unreported incidents"
    assert readable_name("peacetime.response_mean_min") == "peacetime mean response"
    assert readable_name("emergency.unserved_count") == "number of unserved emergency incidents"
    assert [unit_of(k) for k in ("response_mean_min", "emergency.within_target_share", "unserved_count",
                                 "incidents", "utilisation.grid_worker")] == ["min", "share", "count", "count",
                                                                               "share"]


def test_the_terminal_comparison_in_chinese(runs, capsys):
    """`--lang zh`: the legend, the table's headings and KPI names and the sentences in Chinese, the columns
    aligned as a terminal draws them (a Chinese character two columns wide)."""
    assert main(["compare", str(runs["base"]), str(runs["flat"]), "--kpi", "peacetime.response_mean_min",
                 "--kpi", "emergency.incidents", "--lang", "zh"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("A：shatang（") and "种子" in out[0]
    head = next(i for i, line in enumerate(out) if line.startswith("指标"))
    rows = out[head + 2: head + 4]
    assert rows[0].startswith("平时平均响应时间") and rows[1].startswith("应急事件数")
    width = [sum(2 if ord(c) >= 0x2E80 else 1 for c in line) for line in (out[head], *rows)]
    assert len(set(width)) == 1, width  # every line ends in the same column
    assert any(line.startswith("- B 使平时平均响应时间降低（B − A = ") for line in out), out
    assert any(line.startswith("- 应急事件数无显著差异") for line in out), out
