"""What a planner reads and acts on: diagnosis sentences, pending injects, DataFrames, xlsx sheets, the map,
the starting template, the comparison page and the sweep summary's width."""

from __future__ import annotations

import re
import zipfile

import openpyxl
import pytest

from sim.cli import main
from sim.output.compare import compare_runs, why_no_difference
from sim.output.diagnosis import Use, elsewhere_sentence, idle_sentence, unphased, use_sentence
from sim.output.replay import replay_drill
from sim.output.run import run_scenario
from sim.output.terminal import width
from sim.output.xlsx import export_xlsx
from tests.conftest import ROOT

SHATANG = ROOT / "scenarios" / "shatang.yaml"
DRILL = ROOT / "scenarios" / "drills" / "shatang_typhoon.yaml"
SHORT = ["horizon_min=2400", "drain_min=600"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("planner")
    base = run_scenario(str(SHATANG), root / "base", progress=False, replications=3, overrides=SHORT)
    more = run_scenario(str(SHATANG), root / "more", progress=False, replications=3,
                        overrides=[*SHORT, "forces.agencies.team_ratio=0.4"])
    return base, more


def test_run_scenario_takes_a_path_and_gives_dataframes(runs):
    base, _ = runs
    inc = base.incidents
    assert list(inc.columns[:6]) == ["replication", "incident", "town", "community", "grid", "class"]
    assert inc["grid"].map(type).eq(str).all() and set(inc["replication"]) == {0, 1, 2}
    assert list(base.kpis.index) == [0, 1, 2] and "emergency.response_p90_min" in base.kpis.columns
    s = base.summary
    assert {"label", "unit", "kind", "mean", "ci95_low", "ci95_high", "n"} <= set(s.columns)
    assert s.at["within_target_share", "kind"] == "share" and s.at["activation_min", "kind"] == "time"
    assert base.kpi("incidents") == pytest.approx(float(base.kpis["incidents"].mean()))


def test_an_unused_force_is_named_with_its_numbers():
    u = Use("agency_team", 0.018, 34, 1277, "emergency")
    assert u.barely
    assert use_sentence(u, "en") == ("Agency teams were barely used: they served 34 of 1,277 emergency incidents (2.7 %) "
                                     "and were busy 1.8 % of their time on duty.")
    assert "机关应急队几乎未被使用" in use_sentence(u, "zh")


def test_a_force_busy_with_the_operations_is_not_called_unused():
    """Few incidents served but half the time busy: the tasks took them, and the sentence says so."""
    u = Use("resident_team", 0.523, 27, 672, "emergency")
    assert not u.barely and u.elsewhere
    assert elsewhere_sentence(u, "en") == (
        "Resident teams served few incidents (27 of 672 emergency incidents, 4.0 %) but were busy 52.3 % of their "
        "time on duty: the operations (evacuation, posts, warning rounds) took them.")
    assert "驻村团队参与处置的事件不多" in elsewhere_sentence(u, "zh")
    # at the boundary: busy just under a fifth of the time, it is barely used after all
    assert Use("resident_team", 0.199, 27, 672, "emergency").barely
    assert not Use("resident_team", 0.20, 27, 672, "emergency").barely
    idle = [Use("grid_worker", 0.041, 300, 672, "emergency")]
    assert idle_sentence(idle, "en").startswith("Forces idle most of their time on duty (busy under 5 %): grid workers 4.1 %;")
    assert idle_sentence(idle, "zh").startswith("以下力量大部分在岗时间处于空闲（忙碌时间不足5%）：网格员 4.1%")


def test_no_difference_is_explained_and_the_report_says_why(runs, tmp_path, capsys):
    base, more = runs
    res = compare_runs(base.out_dir, more.out_dir)
    why = why_no_difference(res)
    assert any(s.startswith("B changes forces.agencies.team_ratio (agency teams)") for s in why), why
    assert any("Where the minutes go" in s for s in why)
    # the emergency phase holds nearly all of the run's incidents: what it would say again is said once
    assert len({unphased(s) for s in why}) == len(why), why
    out = tmp_path / "cmp.html"
    assert main(["compare", str(base.out_dir), str(more.out_dir), "--report", str(out), "--lang", "zh"]) == 0
    assert "为何无显著差异" in capsys.readouterr().out
    text = out.read_text(encoding="utf-8")
    assert text.count("<img ") == 4 and 'id="town-diff"' in text and "B 改变了 forces.agencies.team_ratio" in text
    assert "@font-face" in text and "http" not in text.replace("http-equiv", "")


def test_unrelated_runs_are_called_so(runs, tmp_path):
    base, _ = runs
    other = run_scenario(str(ROOT / "scenarios" / "validation" / "mmc.yaml"), tmp_path / "mmc", progress=False,
                         replications=3, overrides=["horizon_min=600"])
    warnings = compare_runs(base.out_dir, other.out_dir)["warnings"]
    assert any("different territories" in w for w in warnings)
    assert any("different scenarios" in w for w in warnings)


def test_xlsx_has_the_run_tables_and_is_deterministic(runs, tmp_path):
    base, _ = runs
    a = export_xlsx(base.out_dir, tmp_path / "a.xlsx", lang="zh")
    b = export_xlsx(base.out_dir, tmp_path / "b.xlsx", lang="zh")
    assert a.read_bytes() == b.read_bytes()
    wb = openpyxl.load_workbook(a)
    assert wb.sheetnames == ["KPIs", "KPIs per replication", "by town", "by class", "incidents"]
    labels = [c.value for c in wb["KPIs"]["B"]][1:]
    assert "平均响应时间" in labels
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in zipfile.ZipFile(a).infolist())


def test_replay_until_calls_later_targets_pending_not_missed(tmp_path, capsys):
    out = replay_drill(DRILL, out=tmp_path / "d", until="09:00")
    by = {r["inject"]: r for r in out.after_action}
    assert by["I1"]["simulated_met"] == "yes"
    assert by["I4"]["simulated_met"] == "pending"  # due 09:10, after the stop
    assert all(by[i]["simulated_met"] == "pending" for i in ("I7", "I8", "I9"))
    assert main(["replay", str(DRILL), "--until", "09:00", "--quiet", "--out", str(tmp_path / "e")]) == 0
    text = capsys.readouterr().out
    assert "targets the model misses" not in text
    assert "pending (due after the stop, not missed): I4, I7, I8, I9" in text
    page = (tmp_path / "e" / "report.html").read_text(encoding="utf-8")
    assert '<tr class="pending">' in page and 'id="pending"' in page


def test_map_and_init(tmp_path, capsys):
    out = tmp_path / "m.html"
    assert main(["map", str(ROOT / "scenarios" / "gaoming.yaml"), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.count('class="g"') == 456 and "footprint" in text and 'id="kpi-table"' in text
    new = tmp_path / "mydistrict.yaml"
    assert main(["init", "mydistrict", "--out", str(new), "--lang", "zh"]) == 0
    assert new.read_text().count("#") > 20  # commented
    assert main(["validate", str(new)]) == 0
    assert "ok:" in capsys.readouterr().out
    assert main(["init", "mydistrict", "--out", str(new)]) == 2  # no silent overwrite


def test_sweep_summary_fits_100_columns(tmp_path, capsys):
    exp = tmp_path / "e.yaml"
    exp.write_text(f"""name: e
scenario: {SHATANG}
replications: 2
fixed: {{horizon_min: 1500, drain_min: 300}}
kpis: [response_mean_min, within_target_share, emergency.response_p90_min, hazard.staffed_mean_min, unserved_count]
factors:
  - {{key: forces.agencies.team_ratio, values: [0.1, 0.3]}}
  - {{key: reporting.peacetime.route, values: [[community, town], []]}}
""")
    assert main(["sweep", str(exp), "--out", str(tmp_path / "s"), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert all(width(line) <= 100 for line in text.splitlines() if not line.startswith(("sweep ", "results:", "factors:"))), text
    assert "A=0.3 · B=direct" in text and "B=community → town" in text
    assert not re.search(r"\d\.\d{3,}", text)  # rounded as read


def test_a_sentence_read_without_its_phase_words_matches_only_the_same_sentence():
    """Why a second phase's sentence is dropped: it says what the whole run's said, in its own words."""
    assert unphased("Where the minutes go in emergency mode: of the mean 52.2 min to first arrival") == \
        unphased("Where the minutes go: of the mean 52.2 min to first arrival")
    assert unphased("应急期间时间花在哪里：首批到场平均 52.2 分钟") == unphased("时间花在哪里：首批到场平均 52.2 分钟")
    assert unphased("B changes k (village teams), but in A village teams served 0 of 1,200 emergency incidents") == \
        "B changes k (village teams), but in A village teams served 0 of 1,200 incidents"
    # two forces with the same figures are two sentences
    assert unphased("village teams served 0 of 1,200 incidents") != unphased("group teams served 0 of 1,200 incidents")
