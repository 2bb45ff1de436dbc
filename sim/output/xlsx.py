"""The tables of a run or sweep folder as one Excel workbook (`tables.xlsx`), for people who live in Excel.

Sheets carry the labels of the chosen language beside the KPI names, numbers stay numbers (rounded as
read: minutes to one decimal, shares as percentages with a percent format). The workbook's dates and
the zip entries' times are fixed, so the same folder gives the same bytes.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import Problem, ScenarioError
from sim.files import FileRefused, atomic_write_bytes, read_text_limited
from sim.output.breakdown import enrich, summary_by, targets_of
from sim.output.frames import RunResult, read_frame
from sim.output.labels import Lang, kind_of, kpi_label, kpi_name
from sim.output.report import folder_kind, folder_lang

FIXED = datetime(2000, 1, 1)
#: Excel sheet names are at most 31 characters and unique
MAX_ROWS = 1_048_575


def _round(kind: str, x: Any) -> Any:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    v = float(x)
    return round(v, 4) if kind == "share" else round(v, 1) if kind in ("duration", "time") else round(v, 2)


def run_sheets(d: Path, lang: Lang) -> dict[str, pd.DataFrame]:
    r = RunResult(d, lang)
    s = r.summary.reset_index()
    s = s.assign(mean=[_round(k, v) for k, v in zip(s["kind"], s["mean"])],
                 ci95_low=[_round(k, v) for k, v in zip(s["kind"], s["ci95_low"])],
                 ci95_high=[_round(k, v) for k, v in zip(s["kind"], s["ci95_high"])],
                 meaning=[getattr(kpi_label(k, lang), "meaning", "") for k in s["kpi"]])
    inc = r.incidents
    sheets = {"KPIs": s[["kpi", "label", "unit", "group", "mean", "ci95_low", "ci95_high", "n", "meaning"]]}
    sheets["KPIs per replication"] = r.kpis.reset_index()
    if len(inc):
        e = enrich(inc, targets_of(r.scenario))
        sheets["by town"] = summary_by(e, "town")
        sheets["by class"] = summary_by(e, "class")
    sheets["incidents"] = inc.head(MAX_ROWS)
    return sheets


def sweep_sheets(d: Path, lang: Lang) -> dict[str, pd.DataFrame]:
    summary = read_frame(d / "summary.csv")
    keys = pd.DataFrame([{"column": c, "label": kpi_name(c.split(".ci95")[0], lang), "kind": kind_of(c.split(".ci95")[0])}
                         for c in summary.columns])
    sheets = {"summary": summary, "columns": keys, "runs": read_frame(d / "runs.csv").head(MAX_ROWS)}
    if (d / "sobol.json").is_file():
        import json

        sobol = json.loads(read_text_limited(d / "sobol.json", what="sobol.json"))
        rows = [{"kpi": k, **r} for k, v in sobol.items() for r in v.get("indices", [])]
        sheets["sobol"] = pd.DataFrame(rows)
    return sheets


def export_xlsx(folder: str | Path, out: str | Path | None = None, lang: Lang | None = None) -> Path:
    """Write the folder's tables to an .xlsx workbook (default FOLDER/tables.xlsx); returns its path."""
    d = Path(folder)
    kind = folder_kind(d)
    lang = lang or folder_lang(d)
    try:
        sheets = run_sheets(d, lang) if kind == "run" else sweep_sheets(d, lang) if kind == "sweep" else {}
    except FileRefused as exc:  # a file of the folder is a device, a FIFO, huge, or not UTF-8
        raise ScenarioError([Problem(str(d), None, "FOLDER", None, f"a file in it {exc.reason}")]) from None
    except (ValueError, KeyError, pd.errors.ParserError) as exc:  # a damaged file
        raise ScenarioError([Problem(str(d), None, "FOLDER", None, "a file in it is damaged or not one mobsim "
                                     f"wrote ({type(exc).__name__}); re-run it")]) from None
    if not sheets:
        raise ScenarioError([Problem(str(d), None, "FOLDER", str(d), "xlsx export is for run and sweep folders")])
    raw = io.BytesIO()
    with pd.ExcelWriter(raw, engine="openpyxl") as xw:
        for name, df in sheets.items():
            df.to_excel(xw, sheet_name=name[:31], index=False)
            ws = xw.sheets[name[:31]]
            ws.freeze_panes = "A2"
            for col in ws.columns:
                letter = col[0].column_letter
                ws.column_dimensions[letter].width = min(48, max(8, *(len(str(c.value or "")) for c in col[:200])) + 2)
        xw.book.properties.created = FIXED
        xw.book.properties.modified = FIXED
    path = Path(out) if out else d / "tables.xlsx"
    atomic_write_bytes(path, _fixed_zip(raw.getvalue()))
    return path


def _fixed_zip(data: bytes) -> bytes:
    """The same workbook with every zip entry dated 1980-01-01 (openpyxl stamps the time of writing)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl sets `modified` to the time of saving
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z", body)
            dst.writestr(fixed, body)
    return out.getvalue()
