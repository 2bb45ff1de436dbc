"""Checks that need more than one field: names of grids and towns, and the CSV files a scenario points to.

The territory table (ids and hierarchy) is known here without drawing any random number, so a key area
that names no grid is caught at load time with the line that names it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sim.errors import Problem, ScenarioError
from sim.scenario.loader import decode_utf8
from sim.scenario.schema import CLASSES, GRID_KINDS, SEVERITIES, Generator

if TYPE_CHECKING:
    from sim.scenario.loader import LoadedScenario

TERRITORY_COLUMNS = ("grid", "town", "community", "kind", "households", "x_km", "y_km")
TRACE_COLUMNS = ("onset_min", "grid", "class", "severity")


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


def _open_csv(path: str, field: str, not_found: str) -> io.StringIO:
    """The text of a CSV file, UTF-8 with or without the byte-order mark that Excel writes."""
    try:
        raw = Path(path).read_bytes()
    except OSError:
        raise ScenarioError([Problem(path, None, field, path, not_found)]) from None
    return io.StringIO(decode_utf8(raw, path, "save it as UTF-8 (in Excel: 'CSV UTF-8')"), newline="")


def _check_width(row: dict, header: Sequence[str], required: tuple[str, ...]) -> None:
    """A row too short for the required columns, or longer than the header (csv.DictReader fills the missing
    fields with None and files the extra ones under None)."""
    extra = row.get(None) or []
    if extra or any(row.get(c) is None for c in required):
        fields = [v for k, v in row.items() if k is not None and v is not None] + list(extra)
        raise ValueError(("", fields, f"the row has {len(fields)} field{'s' * (len(fields) != 1)} but the header "
                          f"has {len(header)}: " + ", ".join(header)))


def read_territory_csv(path: str) -> TerritoryTable:
    problems: list[Problem] = []
    fh = _open_csv(path, "territory.csv_file", "territory CSV file not found")
    with fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        missing = [c for c in TERRITORY_COLUMNS if c not in header]
        if missing:
            raise ScenarioError([Problem(path, 1, "header", ",".join(header),
                                         f"missing columns {', '.join(missing)}; required: {', '.join(TERRITORY_COLUMNS)}"
                                         " (optional: key_area, party_members, vulnerable)")])
        t = TerritoryTable([], [], [], [], [], [], [], [], [] if "party_members" in header else None,
                           [] if "vulnerable" in header else None)
        town_of: dict[str, tuple[str, int]] = {}  # community -> (town, first line)
        for row in reader:
            line = reader.line_num
            try:
                _check_width(row, header, TERRITORY_COLUMNS)
                gid = row["grid"].strip()
                if not gid:
                    raise ValueError(("grid", row["grid"], "a grid id is required"))
                if gid in t.grid:
                    raise ValueError(("grid", gid, "grid ids must be unique"))
                kind = row["kind"].strip()
                if kind not in GRID_KINDS:
                    raise ValueError(("kind", kind, f"allowed: {', '.join(GRID_KINDS)}"))
                hh = _int(row["households"], "households")
                x, y = _float(row["x_km"], "x_km"), _float(row["y_km"], "y_km")
                key = _bool(row.get("key_area") or "")
                if key is None:
                    raise ValueError(("key_area", row.get("key_area"), "allowed: 0/1, true/false, yes/no"))
                pm = _int(row["party_members"], "party_members") if t.party_members is not None else 0
                vul = _int(row["vulnerable"], "vulnerable") if t.vulnerable is not None else 0
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
                continue
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
        raise ScenarioError(problems)
    return t


def _int(text: str | None, col: str) -> int:
    try:
        v = int(str(text).strip())
    except ValueError:
        raise ValueError((col, text, "must be a whole number >= 0")) from None
    if v < 0:
        raise ValueError((col, v, "must be a whole number >= 0"))
    return v


def _float(text: str | None, col: str, minimum: float | None = None) -> float:
    try:
        v = float(str(text).strip())
    except ValueError:
        raise ValueError((col, text, "must be a number")) from None
    if v != v or (minimum is not None and v < minimum):
        raise ValueError((col, text, "must be a number" + ("" if minimum is None else f" >= {minimum:g}")))
    return v


def read_trace_csv(path: str, grids: set[str]) -> TraceTable:
    problems: list[Problem] = []
    fh = _open_csv(path, "incidents.trace_file", "trace file not found")
    tr = TraceTable([], [], [], [], [], [])
    with fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        missing = [c for c in TRACE_COLUMNS if c not in header]
        if missing:
            raise ScenarioError([Problem(path, 1, "header", ",".join(header),
                                         f"missing columns {', '.join(missing)}; required: {', '.join(TRACE_COLUMNS)}"
                                         " (optional: responders, work_min)")])
        for row in reader:
            line = reader.line_num
            try:
                _check_width(row, header, TRACE_COLUMNS)
                onset = _float(row["onset_min"], "onset_min", 0.0)
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
                r = _int(resp, "responders") if resp.strip() else None
                if r == 0:
                    raise ValueError(("responders", 0, "must be at least 1"))
                work = row.get("work_min") or ""
                w = _float(work, "work_min", 0.0) if work.strip() else None
            except ValueError as exc:
                col, val, msg = exc.args[0]
                problems.append(Problem(path, line, col, val, msg))
                continue
            tr.onset_min.append(onset)
            tr.grid.append(grid)
            tr.cls.append(cls)
            tr.severity.append(sev)
            tr.responders.append(r)
            tr.work_min.append(w)
    if problems:
        raise ScenarioError(problems)
    return tr


def territory_table(loaded: LoadedScenario) -> TerritoryTable:
    terr = loaded.scenario.territory
    if terr.source == "csv":
        assert terr.csv_file is not None
        file, line = loaded.where(("territory", "csv_file"))
        try:
            return read_territory_csv(terr.csv_file)
        except ScenarioError as exc:
            if exc.problems and exc.problems[0].message.endswith("not found"):
                raise ScenarioError([Problem(file, line, "territory.csv_file", terr.csv_file, "file not found")]) from None
            raise
    return generated_ids(terr.generator)


def check_references(loaded: LoadedScenario) -> TerritoryTable:
    """Every grid, town and file a scenario names must exist."""
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
    if sc.incidents.trace_file:
        f, line = loaded.where(("incidents", "trace_file"))
        try:
            read_trace_csv(sc.incidents.trace_file, grids)
        except ScenarioError as exc:
            if exc.problems and exc.problems[0].message == "trace file not found":
                problems.append(Problem(f, line, "incidents.trace_file", sc.incidents.trace_file, "file not found"))
            else:
                problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)
    return table
