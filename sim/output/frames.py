"""A run folder as pandas DataFrames: `load_run(dir).incidents`, `.kpis`, `.summary`, for notebooks and scripts.

The frames are read from the folder's files when first asked for, so a result object is cheap to hold and
always says what the folder says; `run_scenario` hands back the same kind of object.
"""

from __future__ import annotations

import functools
import io
import math
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sim.files import MAX_OUTPUT_BYTES, read_bytes_limited, read_text_limited
from sim.output.labels import Lang, kind_of, kpi_label

#: incident columns read as text (the rest are numbers; an empty time is NaN: the stage never happened)
TEXT_COLUMNS = ("town", "community", "grid", "class", "severity", "phase", "source", "served_by", "inject")


def read_frame(path: str | Path, **kw: Any) -> pd.DataFrame:
    """A CSV table of a run or sweep folder: a regular file of bounded size (FileRefused otherwise), then
    pandas. A folder's files are mobsim's, but the folder is the user's: a FIFO or a device there must not
    hang or flood the reader."""
    name = Path(path).name
    return pd.read_csv(io.BytesIO(read_bytes_limited(path, MAX_OUTPUT_BYTES, name)), **kw)


def read_incidents(path: str | Path) -> pd.DataFrame:
    """incidents.csv with names as text (a grid called 001 stays '001') and missing times as NaN."""
    df = read_frame(path, dtype={c: str for c in TEXT_COLUMNS}, keep_default_na=False, na_values={
        c: [""] for c in ("onset_min", "discovered_min", "reported_min", "dispatched_min", "first_arrival_min",
                          "staffed_min", "closed_min")})
    for c in TEXT_COLUMNS:
        if c in df:
            df[c] = df[c].fillna("")
    return df


def summary_frame(summary: dict[str, Any], lang: Lang = "en") -> pd.DataFrame:
    """One row per KPI: name, label, unit, kind, group, mean, ci95_low, ci95_high, n (replications defined)."""
    rows = []
    for kpi, k in (summary.get("kpis") or {}).items():
        lab = kpi_label(kpi, lang)
        values = [v for v in k.get("values", []) if v is not None and not (isinstance(v, float) and math.isnan(v))]
        rows.append({"kpi": kpi, "label": lab.name if lab else kpi, "unit": lab.unit if lab else "",
                     "kind": kind_of(kpi), "group": lab.group if lab else "other",
                     "mean": _num(k.get("mean")), "ci95_low": _num(k.get("ci95_low")),
                     "ci95_high": _num(k.get("ci95_high")), "n": len(values)})
    cols = ["kpi", "label", "unit", "kind", "group", "mean", "ci95_low", "ci95_high", "n"]
    return pd.DataFrame(rows, columns=cols).set_index("kpi")


def _num(x: Any) -> float:
    return float("nan") if x is None else float(x)


class RunResult:
    """The tables of one run folder as DataFrames (read on first use)."""

    def __init__(self, out_dir: str | Path, lang: Lang = "en"):
        self.out_dir = Path(out_dir)
        self.lang = lang

    def __repr__(self) -> str:
        return f"RunResult({str(self.out_dir)!r})"

    @functools.cached_property
    def summary_json(self) -> dict[str, Any]:
        import json

        data: dict[str, Any] = json.loads(read_text_limited(self.out_dir / "summary.json", what="summary.json"))
        return data

    @functools.cached_property
    def incidents(self) -> pd.DataFrame:
        """One row per incident per replication (the columns of incidents.csv)."""
        return read_incidents(self.out_dir / "incidents.csv")

    @functools.cached_property
    def kpis(self) -> pd.DataFrame:
        """One row per replication (index), one column per KPI."""
        path = self.out_dir / "kpis.csv"
        if not path.is_file():
            return pd.DataFrame()
        return read_frame(path).set_index("replication")

    @functools.cached_property
    def summary(self) -> pd.DataFrame:
        """One row per KPI (index): label, unit, kind, group, mean, 95 % CI, n."""
        return summary_frame(self.summary_json, self.lang)

    @functools.cached_property
    def mobilisation(self) -> pd.DataFrame:
        return read_frame(self.out_dir / "mobilisation.csv")

    @functools.cached_property
    def scenario(self) -> dict[str, Any]:
        """The resolved scenario, as a dict."""
        data: dict[str, Any] = yaml.safe_load(read_text_limited(self.out_dir / "scenario.resolved.yaml",
                                                                    what="resolved scenario"))
        return data

    def kpi(self, name: str) -> float:
        """The mean of one KPI over the replications."""
        return float(self.summary.at[name, "mean"])  # type: ignore[arg-type]


def load_run(out_dir: str | Path, lang: Lang = "en") -> RunResult:
    """Open a run folder written by `mobsim run` (or `run_scenario`)."""
    d = Path(out_dir)
    if not (d / "summary.json").is_file():
        from sim.errors import Problem, ScenarioError

        raise ScenarioError([Problem(str(d), None, "RUN_DIR", str(d), "not a run folder (no summary.json)")])
    return RunResult(d, lang)
