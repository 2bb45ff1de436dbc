"""The HTML report of a run, a sweep and a drill folder: self-contained, complete and deterministic."""

from __future__ import annotations

import base64
import html
import itertools
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from sim.cli import main
from sim.errors import ScenarioError
from sim.output.replay import replay_drill
from sim.output.report import folder_kind, write_report
from sim.output.run import run_scenario
from sim.output.sweep import run_sweep
from sim.scenario import load_scenario
from tests.conftest import ROOT

SHATANG = ROOT / "scenarios" / "shatang.yaml"
DRILL = ROOT / "scenarios" / "drills" / "shatang_typhoon.yaml"
PNG = b"\x89PNG\r\n\x1a\n"
#: any attribute or CSS reference that would make the browser fetch something from the network
NETWORK_REF = re.compile(r"""(?:\b(?:src|href|action|poster|srcset|data)\s*=\s*["']?\s*(?:https?:)?//)"""
                         r"""|url\(\s*["']?\s*(?:https?:)?//|@import|<link\b|<script[^>]*\bsrc=|<iframe\b""",
                         re.IGNORECASE)


def build_folders(base: Path) -> dict[str, Path]:
    """A run (2 replications, agency teams below the 20 % rule), a factorial sweep (2 points x 2 replications)
    and the Shatang typhoon drill, each with the report its command writes by default."""
    run = base / "run"
    loaded = load_scenario(str(SHATANG), ["replications=2", "forces.agencies.team_ratio=0.15"])
    run_scenario(loaded, run, progress=False)
    exp = base / "tiny.yaml"
    exp.write_text(yaml.safe_dump({
        "name": "tiny", "scenario": str(SHATANG), "design": "factorial", "replications": 2,
        "kpis": ["response_mean_min", "within_target_share"],
        "factors": [{"key": "forces.agencies.team_ratio", "values": [0.1, 0.3]}]}))
    sweep = base / "sweep"
    run_sweep(exp, sweep, progress=False)
    drill = base / "drill"
    replay_drill(DRILL, out=drill)
    return {"run": run, "sweep": sweep, "drill": drill}


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    return build_folders(tmp_path_factory.mktemp("report"))


def images(text: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)]


def element_ids(text: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', text))


@pytest.mark.parametrize("kind", ["run", "sweep", "drill"])
def test_each_folder_gets_a_self_contained_deterministic_report(folders, tmp_path, kind):
    d = folders[kind]
    assert folder_kind(d) == kind
    html_path = d / "report.html"
    assert html_path.is_file(), "the command writes the report by default"
    text = html_path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert not NETWORK_REF.search(text), NETWORK_REF.search(text)
    assert "http://" not in text and "https://" not in text
    assert "default-src 'none'" in text  # the page forbids itself any fetch
    pngs = images(text)
    assert pngs and all(p.startswith(PNG) for p in pngs)
    assert text.count("<img ") == len(pngs), "every image is an embedded PNG"
    ids = element_ids(text)
    assert "kpi-table" in ids and "manifest" in ids
    assert re.search(r'<table id="kpi-table"( class="kpis")?><thead><tr>.*?</tr></thead><tbody><tr>', text)
    # the same folder gives the same bytes, wherever the report goes
    a, b = write_report(d, tmp_path / "a.html"), write_report(d, tmp_path / "b" / "b.html")
    assert a.read_bytes() == b.read_bytes() == html_path.read_bytes()


def test_run_report_shows_kpis_flags_plots_assumptions_and_manifest(folders):
    d = folders["run"]
    text = (d / "report.html").read_text(encoding="utf-8")
    summary = json.loads((d / "summary.json").read_text())
    table = re.search(r'<table id="kpi-table" class="kpis">(.*?)</table>', text, re.DOTALL).group(1)
    assert [re.sub("<.*?>", "", h) for h in re.findall(r"<th[^>]*>(.*?)</th>", table)] == [
        "KPI", "all incidents", "peacetime", "emergency", "hazard"]
    assert 'data-kpi="emergency.response_p90_min"' in table  # the phase variants are the columns
    every = re.search(r'<table id="all-kpis">(.*?)</table>', text, re.DOTALL).group(1)
    assert every.count("<tr>") == len(summary["kpis"]) + 1  # every KPI, with its name in the tables
    assert "<code>emergency.response_p90_min</code>" in every
    assert 'class="scroll"' not in text and "max-height:560px" not in text  # nothing scrolls inside the page
    assert "@media print" in text
    flags = re.search(r'<div id="flags">(.*?)</div>', text, re.DOTALL).group(1)
    assert summary["flags"] and all(html.escape(f) in flags for f in summary["flags"])
    assert "20 %" in flags and 'class="flags warn"' in text
    assert len(images(text)) == 4  # stages, ECDF, mobilisation, map
    assert "<details><summary>resolved scenario (scenario.resolved.yaml)</summary><pre>" in text
    assert "scenario_sha256" in text


def test_sweep_report_shows_design_points_and_failures(folders):
    text = (folders["sweep"] / "report.html").read_text(encoding="utf-8")
    table = re.search(r'<table id="kpi-table">(.*?)</table>', text, re.DOTALL).group(1)
    head = re.findall(r"<th(?: [^>]*)?>(.*?)</th>", table)
    # the KPIs first, the design point as a compact key after them
    assert head == ["mean response (min)", "within target (%)", "design point", "runs ok / failed"]
    assert table.count("<tr>") == 3
    assert "A=0.1" in table and "A=0.3" in table
    assert "<b>A</b> team ratio" in text and "(forces.agencies.team_ratio)" in text
    assert 'id="failures"' in text and "No run failed" in text
    assert len(images(text)) == 2  # kpi_response_mean_min.png, kpi_within_target_share.png


def test_sobol_sweep_report_has_the_indices_table(tmp_path):
    exp = tmp_path / "sob.yaml"
    exp.write_text(yaml.safe_dump({
        "name": "sob", "scenario": str(SHATANG), "design": "sobol", "samples": 2, "replications": 1,
        "fixed": {"horizon_min": 2000, "drain_min": 240}, "kpis": ["response_mean_min"],
        "factors": [{"key": "forces.agencies.team_ratio", "range": {"low": 0.05, "high": 0.4}},
                    {"key": "territory.travel.speed_kmh", "range": {"low": 20, "high": 60}}]}))
    run_sweep(exp, tmp_path / "s", progress=False)
    text = (tmp_path / "s" / "report.html").read_text(encoding="utf-8")
    assert 'id="sobol-table"' in text or "not computed" in text
    assert images(text) and 'id="kpi-table"' in text


def test_drill_report_has_after_action_stages_and_an_animated_map(folders):
    d = folders["drill"]
    text = (d / "report.html").read_text(encoding="utf-8")
    ids = element_ids(text)
    assert {"after-action", "kpi-table", "map", "play", "slider", "clock", "narrative", "gaps"} <= ids
    aa = re.search(r'<table id="after-action">(.*?)</table>', text, re.DOTALL).group(1)
    assert aa.count("<tr") == 10  # header + 9 injects
    assert '<tr class="miss"><td>I4</td>' in aa and '<td class="bad">no</td>' in aa  # the model misses I4
    assert "the model is 59.2 min later than the drill" in text
    stages = re.search(r'<table id="kpi-table">(.*?)</table>', text, re.DOTALL).group(1)
    assert [re.match(r"<td>([^<]*)</td>", r).group(1) for r in re.findall(r"<tr>(<td>.*?)</tr>", stages)] == \
        ["I1", "I4", "I7", "I8", "I9"]
    assert len(images(text)) == 1  # timeline.png
    # the map: one circle per grid, frames every few minutes with only the grids that are not idle
    n_grids = len((d / "grids.csv").read_text().splitlines()) - 1
    assert text.count('<circle class="g') == n_grids and text.count('class="g key"') >= 1
    data = json.loads(re.search(r'<script type="application/json" id="map-data">(.*?)</script>', text,
                                re.DOTALL).group(1))
    frames = data["frames"]
    assert frames[0]["c"].startswith("08:00") and len(frames) >= 50
    assert all(b["t"] - a["t"] == data["step_min"] for a, b in itertools.pairwise(frames[:-1]))
    assert all(0 <= g < n_grids and s in (1, 2, 3) for f in frames for g, s in f["g"])
    states = {s for f in frames for _g, s in f["g"]}
    assert states == {1, 2, 3}
    assert any(f["e"] for f in frames) and not frames[0]["e"]
    assert any(f["d"] for f in frames), "the link-down and road-closed injects show on the map"
    labels = [m["label"] for m in data["markers"]]
    assert {"I1", "I4", "I7", "I8", "I9"} <= set(labels)
    assert len(json.dumps(frames)) < 60_000


def test_text_is_escaped(folders, tmp_path):
    d = tmp_path / "run"
    shutil.copytree(folders["run"], d)
    summary = json.loads((d / "summary.json").read_text())
    summary["flags"] = ['<script>alert("x")</script> & <b>bold</b>']
    (d / "summary.json").write_text(json.dumps(summary))
    text = write_report(d).read_text(encoding="utf-8")
    assert "<script>alert" not in text and "<b>bold</b>" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in text


def test_report_command_and_a_folder_that_is_not_one(folders, tmp_path, capsys):
    out = tmp_path / "elsewhere" / "r.html"
    assert main(["report", str(folders["drill"]), "--out", str(out)]) == 0
    assert f"report: {out}" in capsys.readouterr().out
    assert out.read_bytes() == (folders["drill"] / "report.html").read_bytes()
    with pytest.raises(ScenarioError):
        write_report(tmp_path)
    assert main(["report", str(tmp_path)]) == 2
    assert "not a run, sweep or drill folder" in capsys.readouterr().err


def test_a_report_in_another_language_redraws_the_plots(folders, tmp_path):
    """An English run reported in Chinese: the four plots are drawn again in Chinese from the folder's
    tables (not the folder's English PNGs, which stay as they were), the same bytes every time; reported in
    its own language, the page embeds the folder's own plots."""
    d = folders["run"]
    own = [(d / n).read_bytes() for n in ("stages.png", "response_ecdf.png", "mobilisation.png", "response_map.png")]
    en = images(write_report(d, tmp_path / "en.html", lang="en").read_text(encoding="utf-8"))
    assert en == own
    zh1 = images(write_report(d, tmp_path / "zh1.html", lang="zh").read_text(encoding="utf-8"))
    zh2 = images(write_report(d, tmp_path / "zh2.html", lang="zh").read_text(encoding="utf-8"))
    assert len(zh1) == 4 and zh1 == zh2
    assert all(a != b for a, b in zip(zh1, own))
    assert [(d / n).read_bytes() for n in ("stages.png", "response_ecdf.png", "mobilisation.png",
                                           "response_map.png")] == own


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_response_plot_with_no_incident_reached_says_so_instead_of_an_empty_legend(tmp_path, monkeypatch, lang):
    """A run where nobody reached any incident (nobody on duty) still gets its plot, with a line saying
    why it is empty, and no matplotlib warning about a legend with nothing in it."""
    import warnings

    import numpy as np
    from matplotlib.axes import Axes

    from sim.output import plots
    from sim.output.messages import M

    texts: list[str] = []
    real_text = Axes.text
    monkeypatch.setattr(Axes, "text", lambda self, x, y, s, *a, **k: texts.append(s) or real_text(self, x, y, s, *a, **k))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plots.response_ecdf(tmp_path / "none.png", np.full(4, np.nan), np.array([0, 1, 1, 2]), {"simple": 30.0}, lang)
        n_empty = len(texts)
        plots.response_ecdf(tmp_path / "some.png", np.array([5.0, np.nan, 12.0]), np.array([0, 1, 1]),
                            {"simple": 30.0}, lang)
    none = M["plot.ecdf_none"][0 if lang == "en" else 1]
    assert none in texts[:n_empty] and none not in texts[n_empty:]
    assert (tmp_path / "none.png").stat().st_size > 0 and (tmp_path / "some.png").stat().st_size > 0
