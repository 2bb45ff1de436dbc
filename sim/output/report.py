"""`mobsim report`: one self-contained HTML page for a run, sweep or drill folder, in English or Chinese.

The page needs no network: plots are embedded as base64 `data:` URIs, the CSS and the little JavaScript are
inline, the CJK glyphs it uses are an embedded font, and a Content-Security-Policy forbids fetching anything
else. It is built from the folder's files alone, so the same folder always gives the same bytes. Each kind
of page has its own module (report_run, report_sweep, report_drill; report_compare for `compare --report`).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import yaml

from sim.errors import Problem, ScenarioError
from sim.files import FileRefused, atomic_write_text, read_text_limited
from sim.output.html import read_json
from sim.output.labels import LANGS, Lang


def folder_kind(run_dir: str | Path) -> str:
    """'run', 'sweep' or 'drill'; a folder mobsim did not write is bad input."""
    d = Path(run_dir)
    if (d / "sweep.json").is_file():
        return "sweep"
    if (d / "manifest.json").is_file():
        try:
            kind = read_json(d / "manifest.json").get("kind", "run")
        except (json.JSONDecodeError, AttributeError) as exc:
            raise ScenarioError([Problem(str(d / "manifest.json"), None, "manifest.json", None,
                                         f"is not a mobsim manifest ({exc})")]) from None
        if kind == "drill":
            return "drill"
        if kind == "run" and (d / "summary.json").is_file():
            return "run"
    raise ScenarioError([Problem(str(d), None, "RUN_DIR", str(run_dir),
                                 "not a run, sweep or drill folder written by mobsim (it needs manifest.json and "
                                 "summary.json, sweep.json, or a drill manifest)")])


def folder_lang(d: Path) -> Lang:
    """The language the folder's scenario asks for (`lang:`), English where it says nothing."""
    if (d / "sweep.json").is_file():
        lang = read_json(d / "sweep.json").get("lang")
        return lang if lang in LANGS else "en"
    path = d / "scenario.resolved.yaml"
    if path.is_file():
        try:
            lang = (yaml.safe_load(read_text_limited(path, what="resolved scenario")) or {}).get("lang")
        except (yaml.YAMLError, AttributeError, FileRefused):  # the command that needs the file says what is wrong
            lang = None
        if lang in LANGS:
            return lang  # type: ignore[return-value,unused-ignore]
    return "en"


def write_report(run_dir: str | Path, out: str | Path | None = None, lang: Lang | None = None) -> Path:
    """Write the HTML report of a run, sweep or drill folder (default RUN_DIR/report.html); returns its path.
    `lang`: 'en' or 'zh' (default: the scenario's `lang`)."""
    from sim.output.report_drill import drill_page
    from sim.output.report_run import run_page
    from sim.output.report_sweep import sweep_page

    d = Path(run_dir)
    try:
        kind = folder_kind(d)
        page = {"run": run_page, "sweep": sweep_page, "drill": drill_page}[kind](d, lang or folder_lang(d))
    except FileRefused as exc:  # a file of the folder is a device, a FIFO, huge, or not UTF-8
        raise ScenarioError([Problem(str(d), None, "RUN_DIR", None, f"a file in it {exc.reason}")]) from None
    except (ValueError, csv.Error) as exc:  # JSONDecodeError included: a damaged file
        raise ScenarioError([Problem(str(d), None, "RUN_DIR", None, "a file in it is damaged or not one mobsim "
                                     f"wrote ({type(exc).__name__}); re-run it, or report another folder")]) from None
    path = Path(out) if out else d / "report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, page)
    return path
