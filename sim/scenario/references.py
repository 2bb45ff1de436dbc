"""Checks that need more than one field: names of grids and towns, and the CSV files a scenario points to.

The territory table (ids and hierarchy) is known here without drawing any random number, so a key area
that names no grid is caught at load time with the line that names it.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sim.errors import Problem, ScenarioError
from sim.files import MIB, FileRefused, read_bytes_limited
from sim.scenario.limits import check_estimate, estimate
from sim.scenario.loader import decode_utf8
from sim.scenario.schema import CLASSES, GRID_KINDS, SEVERITIES, Generator, Limits

if TYPE_CHECKING:
    from sim.scenario.loader import LoadedScenario

TERRITORY_COLUMNS = ("grid", "town", "community", "kind", "households", "x_km", "y_km")
TRACE_COLUMNS = ("onset_min", "grid", "class", "severity")
#: bounds of a CSV cell beyond which a value is absurd rather than a fact about a place (docs/scenarios.md)
MAX_HOUSEHOLDS = 1_000_000
MAX_KM = 20_000.0
MAX_MIN = 1e8
MAX_RESPONDERS = 100_000
#: a file with more bad rows than this is not read further
MAX_PROBLEMS = 50


@dataclass
class TerritoryTable:
    """Grid rows in a fixed order; positions are None for a generated territory (drawn by the model)."""

    grid: list[str]
    town: list[str]
    community: list[str]
    kind: list[str] = field(default_factory=list)
    households: list[int] = field(default_factory=list)
    x_km: list[float] | None = None
    y_km: list[float] | None = None
    key_area: list[bool] = field(default_factory=list)
    party_members: list[int] | None = None
    vulnerable: list[int] | None = None  # vulnerable residents per grid (evacuation), when the file gives them


@dataclass
class TraceTable:
    onset_min: list[float]
    grid: list[str]
    cls: list[str]
    severity: list[str]
    responders: list[int | None]
    work_min: list[float | None]
    discovery_factor: list[float] | None = None  # 0: known at onset (a drill's inject), else scales discovery


def _pad(n: int) -> int:
    return max(2, len(str(n)))


def generated_ids(gen: Generator) -> TerritoryTable:
    """Towns, communities and grids spread as evenly as the counts allow, with hierarchical ids."""
    towns = [f"T{t + 1:0{_pad(gen.towns)}d}" for t in range(gen.towns)]
    comm_town = [j * gen.towns // gen.communities for j in range(gen.communities)]
    communities = []
    seen: dict[int, int] = {}
    for t in comm_town:
        seen[t] = seen.get(t, 0) + 1
        communities.append(f"{towns[t]}-C{seen[t]:0{_pad(gen.communities)}d}")
    grid_comm = [i * gen.communities // gen.grids for i in range(gen.grids)]
    grids, g_town, g_comm = [], [], []
    count: dict[int, int] = {}
    for c in grid_comm:
        count[c] = count.get(c, 0) + 1
        grids.append(f"{communities[c]}-G{count[c]:0{_pad(gen.grids)}d}")
        g_comm.append(communities[c])
        g_town.append(towns[comm_town[c]])
    return TerritoryTable(grid=grids, town=g_town, community=g_comm)


def _bool(text: str) -> bool | None:
    t = text.strip().lower()
    if t in ("1", "true", "yes", "y"):
        return True
    if t in ("0", "false", "no", "n", ""):
        return False
    return None


def _open_csv(path: str, field: str, limits: Limits, what: str) -> io.StringIO:
    """The text of a CSV file, UTF-8 with or without the byte-order mark that Excel writes; refused, without
    a byte of it quoted, when it is not a regular file of at most limits.file_mb."""
    try:
        raw = read_bytes_limited(path, int(limits.file_mb * MIB), what)
    except FileRefused as exc:
        raise ScenarioError([Problem(path, None, field, None, exc.reason + _raise_hint(exc))]) from None
    return io.StringIO(decode_utf8(raw, path, "save it as UTF-8 (in Excel: 'CSV UTF-8')"), newline="")


def _raise_hint(exc: FileRefused) -> str:
    return " (limits.file_mb)" if "MiB allowed" in exc.reason else ""


def _header(reader: Any, path: str, required: tuple[str, ...], optional: str, what: str) -> list[str]:
    """The header row; a file with none of the required columns is not this kind of table, and is refused
    without quoting its first line (it could be any file the process can read)."""
    try:
        header = list(reader.fieldnames or [])
    except csv.Error as exc:
        raise ScenarioError([Problem(path, 1, "header", None, f"not a {what}: {exc}")]) from None
    missing = [c for c in required if c not in header]
    if len(missing) == len(required):
        raise ScenarioError([Problem(path, 1, "header", None, f"not a {what}: its first line names none of the "
                                     f"required columns {', '.join(required)} (optional: {optional})")])
    if missing:
        raise ScenarioError([Problem(path, 1, "header", ",".join(header),
                                     f"missing columns {', '.join(missing)}; required: {', '.join(required)}"
                                     f" (optional: {optional})")])
    return header


def _rows(reader: Any, path: str, limit: int, key: str) -> Iterator[tuple[int, dict]]:
    """(line, row) of each data row; a malformed file or more than `limit` rows is refused."""
    n = 0
    try:
        for row in reader:
            n += 1
            if n > limit:
                raise ScenarioError([Problem(path, reader.line_num, "", None,
                                             f"more than {limit:,} rows, over {key}; raise it if the machine "
                                             "can take it")])
            yield reader.line_num, row
    except csv.Error as exc:
        raise ScenarioError([Problem(path, reader.line_num, "", None, f"not a valid CSV file: {exc}")]) from None


def _check_width(row: dict, header: Sequence[str], required: tuple[str, ...]) -> None:
    """A row too short for the required columns, or longer than the header (csv.DictReader fills the missing
    fields with None and files the extra ones under None)."""
    extra = row.get(None) or []
    if extra or any(row.get(c) is None for c in required):
        fields = [v for k, v in row.items() if k is not None and v is not None] + list(extra)
        raise ValueError(("", fields, f"the row has {len(fields)} field{'s' * (len(fields) != 1)} but the header "
                          f"has {len(header)}: " + ", ".join(header)))


def read_territory_csv(path: str, limits: Limits | None = None) -> TerritoryTable:
    lim = limits or Limits()
    problems: list[Problem] = []
    fh = _open_csv(path, "territory.csv_file", lim, "territory CSV")
    with fh:
        reader = csv.DictReader(fh)
        header = _header(reader, path, TERRITORY_COLUMNS, "key_area, party_members, vulnerable", "territory CSV")
        t = TerritoryTable([], [], [], [], [], [], [], [], [] if "party_members" in header else None,
                           [] if "vulnerable" in header else None)
        town_of: dict[str, tuple[str, int]] = {}  # community -> (town, first line)
        seen: set[str] = set()
        for line, row in _rows(reader, path, lim.grids, "limits.grids"):
            try:
                _check_width(row, header, TERRITORY_COLUMNS)
                gid = row["grid"].strip()
                if not gid:
                    raise ValueError(("grid", row["grid"], "a grid id is required"))
                if gid in seen:
                    raise ValueError(("grid", gid, "grid ids must be unique"))
                kind = row["kind"].strip()
                if kind not in GRID_KINDS:
                    raise ValueError(("kind", kind, f"allowed: {', '.join(GRID_KINDS)}"))
                hh = _int(row["households"], "households", MAX_HOUSEHOLDS)
                x = _float(row["x_km"], "x_km", -MAX_KM, MAX_KM)
                y = _float(row["y_km"], "y_km", -MAX_KM, MAX_KM)
                key = _bool(row.get("key_area") or "")
                if key is None:
                    raise ValueError(("key_area", row.get("key_area"), "allowed: 0/1, true/false, yes/no"))
                pm = (_int(row["party_members"], "party_members", MAX_HOUSEHOLDS) if t.party_members is not None
                      else 0)
                vul = _int(row["vulnerable"], "vulnerable", MAX_HOUSEHOLDS) if t.vulnerable is not None else 0
                comm, town = row["community"].strip(), row["town"].strip()
                if not comm or not town:
                    raise ValueError(("community" if not comm else "town", "", "a community and a town are required"))
                first = town_of.setdefault(comm, (town, line))
                if first[0] != town:
                    raise ValueError(("town", town, f"community {comm!r} is already in town {first[0]!r} "
                                      f"(line {first[1]}); a community belongs to one town"))
            except ValueError as exc:
                col, val, msg = exc.args[0]
                problems.append(Problem(path, line, col, val, msg))
                if len(problems) >= MAX_PROBLEMS:
                    break
                continue
            seen.add(gid)
            t.grid.append(gid)
            t.town.append(row["town"].strip())
            t.community.append(row["community"].strip())
            t.kind.append(kind)
            t.households.append(hh)
            assert t.x_km is not None and t.y_km is not None
            t.x_km.append(x)
            t.y_km.append(y)
            t.key_area.append(key)
            if t.party_members is not None:
                t.party_members.append(pm)
            if t.vulnerable is not None:
                t.vulnerable.append(vul)
    if not t.grid and not problems:
        problems.append(Problem(path, None, "", None, "territory CSV has no grid rows"))
    if problems:
        raise ScenarioError(_capped(problems))
    return t


def _capped(problems: list[Problem]) -> list[Problem]:
    if len(problems) < MAX_PROBLEMS:
        return problems
    last = problems[-1]
    return problems + [Problem(last.file, None, "", None, f"stopped after {MAX_PROBLEMS} bad rows; fix these first")]


def _int(text: str | None, col: str, maximum: int) -> int:
    try:
        v = int(str(text).strip())
    except ValueError:
        raise ValueError((col, text, "must be a whole number >= 0")) from None
    if not 0 <= v <= maximum:
        raise ValueError((col, v, f"must be a whole number >= 0 and at most {maximum:,}"))
    return v


def _float(text: str | None, col: str, minimum: float, maximum: float) -> float:
    """A finite number in [minimum, maximum]: `inf`, `nan` and `1e308` are refused (the model computes with
    these, and an absurd value would only show up as a hang or a meaningless result)."""
    try:
        v = float(str(text).strip())
    except ValueError:
        raise ValueError((col, text, "must be a number")) from None
    if not (math.isfinite(v) and minimum <= v <= maximum):
        raise ValueError((col, text, f"must be a number, finite and from {minimum:g} to {maximum:g}"))
    return v


def read_trace_csv(path: str, grids: set[str], limits: Limits | None = None) -> TraceTable:
    lim = limits or Limits()
    problems: list[Problem] = []
    fh = _open_csv(path, "incidents.trace_file", lim, "trace CSV")
    tr = TraceTable([], [], [], [], [], [])
    with fh:
        reader = csv.DictReader(fh)
        header = _header(reader, path, TRACE_COLUMNS, "responders, work_min", "trace CSV")
        for line, row in _rows(reader, path, lim.incidents_per_replication, "limits.incidents_per_replication"):
            try:
                _check_width(row, header, TRACE_COLUMNS)
                onset = _float(row["onset_min"], "onset_min", 0.0, MAX_MIN)
                grid = row["grid"].strip()
                if grid not in grids:
                    raise ValueError(("grid", grid, "names no grid of the territory"
                                      + (f"; grid ids look like {min(grids)!r}" if grids else "")))
                cls = row["class"].strip()
                if cls not in CLASSES:
                    raise ValueError(("class", cls, f"allowed: {', '.join(CLASSES)}"))
                sev = row["severity"].strip()
                if sev not in SEVERITIES:
                    raise ValueError(("severity", sev, f"allowed: {', '.join(SEVERITIES)}"))
                resp = row.get("responders") or ""
                r = _int(resp, "responders", MAX_RESPONDERS) if resp.strip() else None
                if r == 0:
                    raise ValueError(("responders", 0, "must be at least 1"))
                work = row.get("work_min") or ""
                w = _float(work, "work_min", 0.0, MAX_MIN) if work.strip() else None
            except ValueError as exc:
                col, val, msg = exc.args[0]
                problems.append(Problem(path, line, col, val, msg))
                if len(problems) >= MAX_PROBLEMS:
                    break
                continue
            tr.onset_min.append(onset)
            tr.grid.append(grid)
            tr.cls.append(cls)
            tr.severity.append(sev)
            tr.responders.append(r)
            tr.work_min.append(w)
    if problems:
        raise ScenarioError(_capped(problems))
    return tr


def _at_key(exc: ScenarioError, loaded: LoadedScenario, loc: tuple[str, str], path: str) -> list[Problem]:
    """A refusal of the whole file (not found, a device, too big) at the line of the key that names it."""
    file, line = loaded.where(loc)
    key = ".".join(loc)
    return [Problem(file, line, key, path, q.message) if q.line is None and q.field == key else q
            for q in exc.problems]


def territory_table(loaded: LoadedScenario) -> TerritoryTable:
    terr = loaded.scenario.territory
    if terr.source == "csv":
        assert terr.csv_file is not None
        try:
            return read_territory_csv(terr.csv_file, loaded.scenario.limits)
        except ScenarioError as exc:
            raise ScenarioError(_at_key(exc, loaded, ("territory", "csv_file"), terr.csv_file)) from None
    return generated_ids(terr.generator)


def check_references(loaded: LoadedScenario) -> TerritoryTable:
    """Every grid, town and file a scenario names must exist, and the run must fit its limits."""
    sc = loaded.scenario
    table = territory_table(loaded)
    grids, towns = set(table.grid), set(table.town)
    problems = []
    for i, g in enumerate(sc.territory.key_areas):
        if g not in grids:
            f, line = loaded.where(("territory", "key_areas", i))
            problems.append(Problem(f, line, f"territory.key_areas[{i}]", g,
                                    f"names no grid; grid ids look like {table.grid[0]!r}"))
    for h, hz in enumerate(sc.incidents.hazards):
        for i, t in enumerate(hz.towns):
            if t not in towns:
                f, line = loaded.where(("incidents", "hazards", h, "towns", i))
                problems.append(Problem(f, line, f"incidents.hazards[{h}].towns[{i}]", t,
                                        f"names no town; towns are {', '.join(sorted(towns)[:6])}"
                                        + (" ..." if len(towns) > 6 else "")))
        for i, g in enumerate(hz.grids):
            if g not in grids:
                f, line = loaded.where(("incidents", "hazards", h, "grids", i))
                problems.append(Problem(f, line, f"incidents.hazards[{h}].grids[{i}]", g,
                                        f"names no grid; grid ids look like {table.grid[0]!r}"))
        if hz.duration_min > 0 and hz.start_min >= sc.horizon_min and sc.incidents.hazard_incidents:
            f, line = loaded.where(("incidents", "hazards", h, "start_min"))
            problems.append(Problem(f, line, f"incidents.hazards[{h}].start_min", hz.start_min,
                                    f"starts after the horizon ({sc.horizon_min:g} min)"))
    trace_rows = None
    if sc.incidents.trace_file:
        try:
            trace = read_trace_csv(sc.incidents.trace_file, grids, sc.limits)
            trace_rows = sum(1 for t in trace.onset_min if t < sc.horizon_min)
        except ScenarioError as exc:
            problems.extend(_at_key(exc, loaded, ("incidents", "trace_file"), sc.incidents.trace_file))
    if not problems:
        try:
            loaded.estimate = estimate(sc, table, trace_rows)
            check_estimate(loaded, loaded.estimate)
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)
    return table
