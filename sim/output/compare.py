"""`mobsim compare` as a function: paired differences of KPIs between two run folders (B minus A).

Replication r of two runs with the same seed sees the same incidents (common random numbers), so the
difference B - A is taken replication by replication over the replications both runs have, and tested
with a paired Student t-test. Values are in each KPI's own units (shares as fractions); only the printed
table and the sentences show shares in percent and percentage points.
"""

from __future__ import annotations

import csv
import io
import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from sim.errors import Problem, ScenarioError
from sim.files import FileRefused, atomic_write_text, read_text_limited
from sim.output.html import read_csv
from sim.output.labels import Lang
from sim.output.messages import pick, t

#: compared when no --kpi is given
HEADLINE_KPIS = ("response_mean_min", "response_p90_min", "within_target_share", "staffed_mean_min",
                 "unreported_count", "unserved_count", "emergency.response_mean_min",
                 "emergency.response_p90_min", "emergency.within_target_share", "emergency.staffed_mean_min")

PHASES = ("peacetime", "emergency")

#: readable names; `{p}` is where a phase qualifier ("peacetime ", "emergency ") goes
NAMES = {
    "incidents": "number of {p}incidents",
    "response_mean_min": "{p}mean response",
    "response_p50_min": "{p}median response",
    "response_p90_min": "{p}90th-percentile response",
    "response_p95_min": "{p}95th-percentile response",
    "within_target_share": "{p}share within target",
    "staffed_mean_min": "{p}mean time to full staffing",
    "unreported_count": "number of unreported {p}incidents",
    "unserved_count": "number of unserved {p}incidents",
    "discovery_mean_min": "{p}mean discovery time",
    "reporting_mean_min": "{p}mean reporting time",
    "dispatch_mean_min": "{p}mean wait for dispatch",
    "travel_mean_min": "{p}mean travel time",
    "closure_mean_min": "{p}mean time to closure",
    "backlog_at_horizon": "{p}backlog at the horizon",
    "activation_min": "{p}activation time",
    "deactivation_min": "{p}deactivation time",
    "branches_formed": "number of {p}temporary branches formed",
}

COUNTS = ("incidents", "backlog_at_horizon", "branches_formed")
SIGNIFICANCE = 0.05
MINUS_HEAD = "B \u2212 A"


# --------------------------------------------------------------------------- names and units


def _split_phase(kpi: str) -> tuple[str, str]:
    head, _, rest = kpi.partition(".")
    return (head, rest) if rest and head in PHASES else ("", kpi)


def readable_name(kpi: str) -> str:
    """'emergency.response_p90_min' -> 'emergency 90th-percentile response'."""
    phase, base = _split_phase(kpi)
    p = f"{phase} " if phase else ""
    if base in NAMES:
        return NAMES[base].format(p=p)
    if base.startswith("utilisation."):
        return f"{p}utilisation of {base.split('.', 1)[1].replace('_', ' ')}s"
    words = base
    for suffix in ("_min", "_share", "_count"):
        words = words.removesuffix(suffix)
    return p + words.replace("_", " ").replace(".", " ")


def unit_of(kpi: str) -> str:
    """'min', 'share' (a fraction, shown as % and differences in percentage points), 'count' or ''."""
    _, base = _split_phase(kpi)
    if base.endswith("_min"):
        return "min"
    if base.endswith("_share") or base.startswith("utilisation."):
        return "share"
    if base.endswith("_count") or base in COUNTS:
        return "count"
    return ""


def _scale(unit: str) -> float:
    return 100.0 if unit == "share" else 1.0


def _num(x: float, decimals: int) -> str:
    """A number with a real minus sign; '-0.0' is shown as 0.0."""
    if math.isnan(x):
        return "-"
    s = f"{x:.{decimals}f}"
    if float(s) == 0:
        s = s.lstrip("-")
    return s.replace("-", "\u2212")


def _decimals(*xs: float) -> int:
    finite = [abs(x) for x in xs if not math.isnan(x) and x != 0]
    return 1 if not finite or max(finite) >= 1 else 2


def _p(p: float) -> str:
    if math.isnan(p):
        return "-"
    if p >= 1:
        return "1"
    if p < 0.001:
        return "< 0.001"
    return f"{p:.2f}" if p >= 0.1 else f"{p:.3f}"


def _with_unit(text: str, unit: str) -> str:
    return {"min": f"{text} min", "share": f"{text} pp", "count": f"{text} per replication"}.get(unit, text)


# --------------------------------------------------------------------------- reading a run folder


def _problem(folder: Path, message: str) -> ScenarioError:
    return ScenarioError([Problem(str(folder), None, "", None, message)])


def _read_kpis(folder: Path) -> tuple[list[str], dict[int, dict[str, float]]]:
    if not folder.exists():
        raise _problem(folder, "no such run folder")
    if not folder.is_dir():
        raise _problem(folder, "not a folder; give the run folder written by `mobsim run`")
    path = folder / "kpis.csv"
    if not path.is_file():
        raise _problem(folder, "no kpis.csv in this folder; is it a run folder written by `mobsim run`? "
                               "(a run whose replications all failed writes none)")
    try:
        rows = list(csv.reader(io.StringIO(read_text_limited(path, what="kpis.csv"), newline="")))
    except (FileRefused, csv.Error) as exc:
        raise ScenarioError([Problem(str(path), None, "", None, getattr(exc, "reason", "not a valid CSV file"))]) \
            from None
    if not rows or not rows[0] or rows[0][0] != "replication":
        raise ScenarioError([Problem(str(path), 1, "", None, "not a kpis.csv: the first column must be "
                                                             "'replication'")])
    header = rows[0]
    data: dict[int, dict[str, float]] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise ScenarioError([Problem(str(path), line, "", None, f"{len(row)} cells, the header has "
                                                                     f"{len(header)}")])
        try:
            rep = int(row[0])
            data[rep] = {k: (float(v) if v.strip() else math.nan) for k, v in zip(header[1:], row[1:])}
        except ValueError:
            raise ScenarioError([Problem(str(path), line, "", None, "a cell is not a number")]) from None
    return header[1:], data


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(read_text_limited(path))
    except (FileRefused, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _overrides(manifest: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in manifest.get("overrides") or []:
        key, _, value = str(item).partition("=")
        out[key.strip()] = value.strip()
    return out


def _ranges(reps: list[int]) -> str:
    """[0, 1, 2, 5] -> '0-2, 5'."""
    spans: list[list[int]] = []
    for r in sorted(reps):
        if spans and r == spans[-1][1] + 1:
            spans[-1][1] = r
        else:
            spans.append([r, r])
    return ", ".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in spans) or "none"


# --------------------------------------------------------------------------- the statistics


def paired_difference(a: list[float] | np.ndarray, b: list[float] | np.ndarray,
                      level: float = 0.95) -> dict[str, Any]:
    """Mean of b - a, its Student-t interval and the two-sided paired t-test p-value.

    Pairs where either value is undefined (NaN) are left out. All differences exactly zero give
    p = 1 and the interval [0, 0]; a constant non-zero difference gives p = 0 and [d, d].
    """
    xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ok = ~(np.isnan(xa) | np.isnan(xb))
    xa, xb = xa[ok], xb[ok]
    d = xb - xa
    n = len(d)
    out: dict[str, Any] = {"n": n, "a_mean": math.nan, "b_mean": math.nan, "diff_mean": math.nan,
                           "ci95_low": math.nan, "ci95_high": math.nan, "p_value": math.nan}
    if n == 0:
        return out
    m = float(d.mean())
    out.update(a_mean=float(xa.mean()), b_mean=float(xb.mean()), diff_mean=m)
    if not d.any():
        out.update(diff_mean=0.0, ci95_low=0.0, ci95_high=0.0, p_value=1.0)
    elif n >= 2 and float(np.ptp(d)) == 0:
        out.update(diff_mean=float(d[0]), ci95_low=float(d[0]), ci95_high=float(d[0]), p_value=0.0)
    elif n >= 2:
        se = float(d.std(ddof=1)) / math.sqrt(n)
        h = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            p = float(stats.ttest_rel(xb, xa).pvalue)
        out.update(ci95_low=m - h, ci95_high=m + h, p_value=p)
    return out


def sentence(kpi: str, r: dict[str, Any]) -> str:
    """One plain sentence a planner can quote."""
    text = _clause(kpi, r)
    return text[0].upper() + text[1:] + "."


def _clause(kpi: str, r: dict[str, Any]) -> str:
    name, unit = readable_name(kpi), unit_of(kpi)
    k = _scale(unit)
    m, lo, hi, p, n = (r["diff_mean"] * k, r["ci95_low"] * k, r["ci95_high"] * k, r["p_value"], r["n"])
    if n == 0:
        return f"the {name} is not defined in any replication both runs have, so it cannot be compared"
    dec = _decimals(m, lo, hi)
    if math.isnan(p):
        return (f"only one replication to compare for the {name} (B \u2212 A = {_with_unit(_num(m, dec), unit)}); "
                f"too few for a confidence interval or a test")
    if p < SIGNIFICANCE and m != 0:
        verb = "cuts" if m < 0 else "raises"
        size, low, high = (-m, -hi, -lo) if m < 0 else (m, lo, hi)
        return (f"B {verb} the {name} by {_with_unit(_num(size, dec), unit)} "
                f"(95 % CI {_num(low, dec)} to {_num(high, dec)}) compared with A")
    return (f"no significant difference in the {name} (B \u2212 A = {_with_unit(_num(m, dec), unit)}, "
            f"95 % CI {_num(lo, dec)} to {_num(hi, dec)}, p = {_p(p)})")


# --------------------------------------------------------------------------- two runs


def _run_info(folder: Path) -> dict[str, Any]:
    manifest = _read_json(folder / "manifest.json")
    summary = _read_json(folder / "summary.json")
    seed = manifest.get("seed", summary.get("seed"))
    return {"dir": str(folder), "scenario": manifest.get("scenario") or summary.get("scenario"), "seed": seed,
            "overrides": _overrides(manifest)}


def _labels(a: dict[str, Any], b: dict[str, Any]) -> tuple[str, str]:
    """Scenario name plus the overrides that differ from the other run's; the folder name if none."""

    def one(x: dict[str, Any], other: dict[str, Any]) -> str:
        if not x["scenario"]:
            return Path(x["dir"]).name
        diff = [f"{k}={v}" for k, v in x["overrides"].items() if other["overrides"].get(k) != v]
        return x["scenario"] + (f" [{', '.join(diff)}]" if diff else "")

    la, lb = one(a, b), one(b, a)
    if la == lb:
        na, nb = Path(a["dir"]).name, Path(b["dir"]).name
        if na == nb:
            na, nb = a["dir"], b["dir"]
        if la != na:
            la, lb = f"{la} ({na})", f"{lb} ({nb})"
        else:
            la, lb = na, nb
    return la, lb


def compare_runs(dir_a: str | Path, dir_b: str | Path, kpis: list[str] | tuple[str, ...] | None = None,
                 lang: Lang = "en") -> dict[str, Any]:
    """Paired differences B - A of each KPI over the replications both run folders have.

    `kpis` defaults to HEADLINE_KPIS (those both runs have). Raises ScenarioError (problems naming the
    folder) for a missing folder, a folder without kpis.csv, an unknown KPI, or no common replication.
    Returns {"a": {...}, "b": {...}, "replications": [...], "warnings": [...], "kpis": {kpi: {...}}},
    each KPI with name, unit, n, a_mean, b_mean, diff_mean, ci95_low, ci95_high, p_value, significant and
    sentence; numbers are in the KPI's own units (shares as fractions), NaN where undefined. The warnings are
    in `lang`.
    """
    pa, pb = Path(dir_a), Path(dir_b)
    cols_a, data_a = _read_kpis(pa)
    cols_b, data_b = _read_kpis(pb)
    a, b = _run_info(pa), _run_info(pb)
    a["label"], b["label"] = _labels(a, b)
    a["replications"], b["replications"] = sorted(data_a), sorted(data_b)
    common = sorted(set(data_a) & set(data_b))
    if not common:
        raise ScenarioError([Problem(str(pb), None, "", None, f"shares no replication with {pa} (B has "
                                     f"{_ranges(list(data_b))}, A has {_ranges(list(data_a))}); nothing to pair")])
    both = [k for k in cols_a if k in set(cols_b)]
    warn: list[str] = []
    if kpis:
        unknown = [k for k in kpis if k not in both]
        if unknown:
            raise ScenarioError([Problem("command line", None, "--kpi", k, "not a KPI of both runs; available: "
                                         + ", ".join(both)) for k in unknown])
        chosen = list(dict.fromkeys(kpis))
    else:
        chosen = [k for k in HEADLINE_KPIS if k in both]
        missing = [k for k in HEADLINE_KPIS if k not in both]
        if missing:
            warn.append(t("cmp.left_out", lang, kpis=", ".join(missing)))
    if a["seed"] is None or b["seed"] is None:
        which = pick(lang, " and ", " 和 ").join(x for x, r in (("A", a), ("B", b)) if r["seed"] is None)
        warn.append(t("cmp.seed_unknown", lang, which=which))
    elif a["seed"] != b["seed"]:
        warn.append(t("cmp.seeds_differ", lang, a=a["seed"], b=b["seed"]))
    warn += relation_warnings(pa, pb, lang)
    if set(data_a) != set(data_b):
        warn.append(t("cmp.replications", lang, a=_ranges(list(data_a)), b=_ranges(list(data_b)), n=len(common),
                      common=_ranges(common)))
    out: dict[str, Any] = {}
    for k in chosen:
        r = paired_difference([data_a[i][k] for i in common], [data_b[i][k] for i in common])
        r = {"name": readable_name(k), "unit": unit_of(k), **r}
        r["significant"] = bool(r["p_value"] < SIGNIFICANCE and r["diff_mean"] != 0)
        r["sentence"] = sentence(k, r)
        out[k] = r
    return {"a": a, "b": b, "replications": common, "warnings": warn, "kpis": out}


def _grid_ids(folder: Path) -> set[str] | None:
    path = folder / "grids.csv"
    if not path.is_file():
        return None
    return {r["grid"] for r in read_csv(path)}


def relation_warnings(pa: Path, pb: Path, lang: Lang = "en") -> list[str]:
    """Warnings when the two runs are not of the same territory or scenario: pairing them then means little."""
    out = []
    ga, gb = _grid_ids(pa), _grid_ids(pb)
    if ga is not None and gb is not None and ga != gb:
        common = len(ga & gb)
        out.append(t("cmp.territories", lang, na=len(ga), nb=len(gb), common=common))
    na, nb = _run_info(pa)["scenario"], _run_info(pb)["scenario"]
    if na and nb and na != nb:
        out.append(t("cmp.scenarios", lang, a=na, b=nb))
    return out


def why_no_difference(result: dict[str, Any], lang: str = "en") -> list[str]:
    """For the KPIs with no significant difference: why, in words, from run A (see `diagnosis`)."""
    from sim.output.breakdown import enrich, targets_of
    from sim.output.diagnosis import compare_diagnosis, kpi_phase, means_of, unphased
    from sim.output.frames import read_incidents

    flat = [k for k, r in result["kpis"].items() if not r["significant"] and r["n"] > 1]
    a = Path(result["a"]["dir"])
    if not flat or not (a / "incidents.csv").is_file():
        return []
    changed = sorted(set(result["a"]["overrides"]) ^ set(result["b"]["overrides"])
                     | {k for k, v in result["b"]["overrides"].items() if result["a"]["overrides"].get(k) != v})
    changed = [k for k in changed if k not in ("lang", "seed", "replications")]
    import yaml

    scenario = yaml.safe_load(read_text_limited(a / "scenario.resolved.yaml", what="resolved scenario")) or {}
    inc = enrich(read_incidents(a / "incidents.csv"), targets_of(scenario))
    summary = _read_json(a / "summary.json")
    phases = sorted({kpi_phase(k) for k in flat}, key=["all", "peacetime", "emergency", "hazard"].index)
    out: list[str] = []
    said: set[str] = set()  # what the first phase said, its phase words dropped: a second phase holding
    for phase in phases[:2]:  # (nearly) the same incidents would only say it again
        lines = compare_diagnosis(changed, means_of(summary), inc, phase, lang)  # type: ignore[arg-type]
        out += [x for x in dict.fromkeys(lines) if x not in out and unphased(x) not in said]
        said |= {unphased(x) for x in lines}
    return out


# --------------------------------------------------------------------------- printing and writing


def _json_ready(x: Any) -> Any:
    if isinstance(x, float):
        return None if math.isnan(x) or math.isinf(x) else x
    if isinstance(x, dict):
        return {k: _json_ready(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_ready(v) for v in x]
    return x


def write_comparison(path: str | Path, result: dict[str, Any]) -> None:
    """The comparison as JSON (undefined numbers as null)."""
    atomic_write_text(path, json.dumps(_json_ready(result), indent=2, ensure_ascii=False) + "\n")
