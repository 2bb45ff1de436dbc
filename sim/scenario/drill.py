"""Drill files: a scenario plus a master scenario events list (MSEL) of injects.

Each inject has a scenario time (`HH:MM` on the drill clock, or minutes), an event, optionally an expected
action with a target time, and optionally the time it actually happened in the real drill. Validated like
scenarios: file, line, field, value and what is allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from sim.errors import Problem, ScenarioError
from sim.files import named_file_problem, path_problem
from sim.scenario.loader import (
    LoadedScenario,
    Origins,
    load_scenario,
    locate,
    problems_from_validation,
    read_yaml_node,
)
from sim.scenario.operations import LevelName
from sim.scenario.references import territory_table
from sim.scenario.schema import ClassName, ForceName, SeverityName, Strict

_CLOCK = re.compile(r"^(\d{1,3}):([0-5]\d)$")


def clock_to_min(text: str | float | int, start: float = 0.0) -> float:
    """`HH:MM` on the drill clock (hours may pass 24 for a long drill) or plain minutes, to scenario minutes."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    m = _CLOCK.match(str(text).strip())
    if not m:
        raise ValueError(f"{text!r} is not a time: write HH:MM (e.g. 08:30) or minutes")
    minutes = int(m.group(1)) * 60 + int(m.group(2)) - start
    if minutes < 0:
        minutes += 24 * 60  # past midnight on the drill clock
    return float(minutes)


def min_to_clock(t: float, start: float = 0.0) -> str:
    total = int(round(t + start))
    return f"{(total // 60) % 24:02d}:{total % 60:02d}" + (f" (+{total // 1440}d)" if total >= 1440 else "")


Time = str | Annotated[float, Field(ge=0)]


class Expected(Strict):
    action: Literal["discovered", "reported", "dispatched", "first_arrival", "staffed", "closed", "activated"]
    within_min: Annotated[float, Field(gt=0)]


class Inject(Strict):
    id: str
    at: Time
    event: Literal["incident", "unavailable", "link_down", "road_closed", "activate", "warning", "level",
                   "shelter_full"]
    description: str = ""
    # incident
    grid: str | None = None
    cls: ClassName | None = Field(default=None, alias="class")
    severity: SeverityName = "minor"
    responders: Annotated[int, Field(ge=1)] | None = None
    work_min: Annotated[float, Field(ge=0)] | None = None
    discovery: Literal["immediate", "simulated"] = "immediate"
    # unavailable, link_down, road_closed
    force: ForceName | None = None
    share: Annotated[float, Field(gt=0, le=1)] = 1.0
    towns: list[str] = Field(default_factory=list)
    communities: list[str] = Field(default_factory=list)
    grids: list[str] = Field(default_factory=list)
    duration_min: Annotated[float, Field(gt=0)] | None = None
    extra_min: Annotated[float, Field(ge=0)] = 0.0
    factor: Annotated[float, Field(ge=1)] = 1.0
    # warning, level
    level: LevelName | None = None
    # the master scenario events list columns
    expected: Expected | None = None
    actual: Time | None = None

    model_config = Strict.model_config | {"populate_by_name": True}

    @field_validator("at", "actual")
    @classmethod
    def _time(cls, v: Any) -> Any:
        if isinstance(v, str):
            clock_to_min(v)
        return v

    @model_validator(mode="after")
    def _fields_of_event(self) -> Inject:
        need: dict[str, tuple[str, ...]] = {"incident": ("grid", "cls"), "unavailable": ("force", "duration_min"),
                                            "link_down": ("duration_min",), "road_closed": ("duration_min",),
                                            "activate": (), "warning": (), "level": ("level",), "shelter_full": ()}
        missing = [("class" if k == "cls" else k) for k in need[self.event] if getattr(self, k) is None]
        if missing:
            raise ValueError(f"event {self.event!r} needs {', '.join(missing)}")
        if self.event == "road_closed" and not self.grids:
            raise ValueError("event 'road_closed' needs grids (the grids whose roads are closed)")
        if self.event == "road_closed" and self.extra_min == 0 and self.factor == 1:
            raise ValueError("event 'road_closed' needs extra_min or factor to raise travel time")
        if self.event == "shelter_full" and not self.towns:
            raise ValueError("event 'shelter_full' needs towns (whose shelters take nobody more)")
        if self.event == "link_down" and not (self.towns or self.communities or self.grids):
            raise ValueError("event 'link_down' needs towns, communities or grids (whose reports are cut off)")
        if self.event == "unavailable" and self.force == "party_member":
            raise ValueError("force 'party_member' cannot be made unavailable: party members are counted per "
                             "grid, not units; use grid_worker, town_team, village_team, group_team, "
                             "resident_team, agency_duty or agency_team")
        if self.expected is not None:
            if self.event == "incident" and self.expected.action == "activated":
                pass
            elif self.event != "incident" and self.expected.action != "activated":
                raise ValueError(f"expected.action {self.expected.action!r} is for incident injects: an inject "
                                 f"of event {self.event!r} can only expect 'activated'")
        return self


class Drill(Strict):
    name: str = "drill"
    description: str = ""
    scenario: str
    fixed: dict[str, Any] = Field(default_factory=dict)
    seed: Annotated[int, Field(ge=0)] | None = None
    start_clock: str = "00:00"
    background: bool = False
    horizon_min: Annotated[float, Field(gt=0)] | None = None
    injects: list[Inject] = Field(min_length=1)

    @field_validator("start_clock")
    @classmethod
    def _clock(cls, v: str) -> str:
        clock_to_min(v)
        return v

    @model_validator(mode="after")
    def _unique_ids(self) -> Drill:
        ids = [i.id for i in self.injects]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"injects: ids must be unique; repeated: {', '.join(dup)}")
        return self

    @property
    def start_min(self) -> float:
        return clock_to_min(self.start_clock)

    def at_min(self, inject: Inject) -> float:
        return clock_to_min(inject.at, self.start_min) if isinstance(inject.at, str) else float(inject.at)

    def actual_min(self, inject: Inject) -> float | None:
        if inject.actual is None:
            return None
        return clock_to_min(inject.actual, self.start_min) if isinstance(inject.actual, str) else float(inject.actual)


@dataclass
class LoadedDrill:
    drill: Drill
    path: str
    origins: Origins
    scenario: LoadedScenario


def drill_overrides(d: Drill) -> list[str]:
    from sim.scenario.loader import flow_override

    out = [flow_override(k, v) for k, v in d.fixed.items()]
    if d.seed is not None:
        out.append(f"seed={d.seed}")
    out.append("replications=1")
    if d.horizon_min is not None:
        out.append(f"horizon_min={d.horizon_min!r}")
    if not d.background:
        out += ["incidents.background.rate_per_household_per_day=0", "incidents.background.rate_per_hour=null",
                "incidents.hazard_incidents=false", "incidents.trace_file=null"]
    return out


def _clock_scalars(root: yaml.Node, data: dict[str, Any]) -> None:
    """YAML 1.1 reads an unquoted `8:30` or `10:00` as the base-60 integer 510 or 600; in a drill file the
    times are clock times, so an unquoted one is kept as the text it was written as."""

    def plain_clock(node: Any, key: str) -> str | None:
        for k, v in node.value if isinstance(node, yaml.MappingNode) else ():
            if (k.value == key and isinstance(v, yaml.ScalarNode) and v.style is None
                    and _CLOCK.match(v.value)):
                return str(v.value)
        return None

    if (text := plain_clock(root, "start_clock")) is not None:
        data["start_clock"] = text
    items = next((v for k, v in root.value if k.value == "injects"), None) \
        if isinstance(root, yaml.MappingNode) else None
    if not isinstance(items, yaml.SequenceNode) or not isinstance(data.get("injects"), list):
        return
    for node, item in zip(items.value, data["injects"]):
        for key in ("at", "actual"):
            if isinstance(item, dict) and (text := plain_clock(node, key)) is not None:
                item[key] = text


def _repeated_ids(data: dict[str, Any], origins: Origins, shown: str) -> list[Problem]:
    """Each inject whose id an earlier inject already has, at the line of its id."""
    items = data.get("injects")
    first: dict[str, int] = {}
    out = []
    for n, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        if item["id"] in first:
            f, line = locate(origins, ("injects", n, "id"), shown)
            k = first[item["id"]]
            earlier = locate(origins, ("injects", k, "id"), shown)[1]
            out.append(Problem(f, line, f"injects[{n}].id", item["id"],
                               f"repeats the id of injects[{k}] (line {earlier}); each inject needs its own id"))
        else:
            first[item["id"]] = n
    return out


def _at_fixed(problems: list[Problem], drill: Drill, origins: Origins, shown: str) -> list[Problem]:
    """Problems of the scenario keys set in `fixed` (applied as `--set` overrides), at their drill line."""
    from sim.scenario.loader import flow_override

    by_text = {f"--set {flow_override(k, v)}": k for k, v in drill.fixed.items()}
    out = []
    for q in problems:
        key = by_text.get(q.file)
        if key is None and q.file == "--set":  # an unknown key or list item, refused before it is applied
            dotted = re.sub(r"\[(\d+)\]", r".\1", q.field)
            key = next((k for k in drill.fixed if dotted == k or dotted.startswith(k + ".")), None)
        if key is None:
            out.append(q)
            continue
        f, line = locate(origins, ("fixed", key), shown)
        out.append(replace(q, file=f, line=line, field=f"fixed: {q.field}"))
    return out


#: top-level keys whose error does not stop the other checks (the scenario and the injects do not need them)
_HARMLESS = {"name", "description", "seed"}


def _checkable(data: dict[str, Any], problems: list[Problem]) -> tuple[Drill, list[int]] | None:
    """After a failed validation, the drill without what failed (the injects that validate on their own, the
    default for a harmless top-level key) so that the scenario and the injects' names can still be checked
    and every error reported at once, with the index of each inject kept; None when the scenario cannot be
    known."""
    bad_top = {q.field.split(".")[0].split("[")[0] for q in problems} - {"injects", ""}
    if bad_top - _HARMLESS:
        return None
    good: dict[str, tuple[int, Inject]] = {}
    items = data.get("injects")
    for n, item in enumerate(items if isinstance(items, list) else []):
        try:
            inj = Inject.model_validate(item)
        except ValidationError:
            continue
        good.setdefault(inj.id, (n, inj))
    top = {k: v for k, v in data.items() if k not in bad_top and k != "injects"}
    try:
        drill = Drill.model_validate({**top, "injects": [{"id": "-", "at": 0, "event": "activate"}]})
    except ValidationError:
        return None
    return drill.model_copy(update={"injects": [i for _n, i in good.values()]}), [n for n, _i in good.values()]


def load_drill(path: str | Path, extra_overrides: list[str] | None = None) -> LoadedDrill:
    """Load and check a drill: every problem of the file, its injects and its scenario, reported at once."""
    shown = str(path)
    data, origins, root = read_yaml_node(Path(path), "drill", Drill)
    origins = {k: (shown, v[1]) for k, v in origins.items()}
    _clock_scalars(root, data)
    problems: list[Problem] = []
    try:
        drill = Drill.model_validate(data)
        index = list(range(len(drill.injects)))
    except ValidationError as exc:
        problems = problems_from_validation(exc, origins, shown, root=Drill)
        repeated = _repeated_ids(data, origins, shown)
        if repeated:  # at the repeated id's line, rather than at `injects`
            problems = [q for q in problems if "ids must be unique" not in q.message] + repeated
        checkable = _checkable(data, problems)
        if checkable is None:
            raise ScenarioError(problems) from None
        drill, index = checkable
    scen_path = Path(path).parent / drill.scenario
    if (why := path_problem(scen_path)) is not None:
        f, line = locate(origins, ("scenario",), shown)
        raise ScenarioError(problems + [Problem(f, line, "scenario", drill.scenario,
                                                named_file_problem("scenario", scen_path, why))])
    try:
        loaded = load_scenario(scen_path, drill_overrides(drill) + list(extra_overrides or []))
    except ScenarioError as exc:
        raise ScenarioError(problems + _at_fixed(exc.problems, drill, origins, shown)) from None
    table = territory_table(loaded)
    grids, towns, comms = set(table.grid), set(table.town), set(table.community)
    horizon = loaded.scenario.horizon_min + loaded.scenario.drain_min
    for n, inj in zip(index, drill.injects):
        def bad(field: str, value: Any, msg: str, idx: int | None = None) -> None:
            loc: tuple[Any, ...] = ("injects", n, field) + (() if idx is None else (idx,))  # noqa: B023
            f, line = locate(origins, loc, shown)
            name = f"injects[{n}].{field}" + ("" if idx is None else f"[{idx}]")  # noqa: B023 (called in the loop)
            problems.append(Problem(f, line, name, value, msg))
        if inj.grid is not None and inj.grid not in grids:
            bad("grid", inj.grid, f"names no grid; grid ids look like {table.grid[0]!r}")
        for i, g in enumerate(inj.grids):
            if g not in grids:
                bad("grids", g, f"names no grid; grid ids look like {table.grid[0]!r}", i)
        for i, t in enumerate(inj.towns):
            if t not in towns:
                bad("towns", t, "names no town; towns are " + ", ".join(sorted(towns)[:8]), i)
        for i, c in enumerate(inj.communities):
            if c not in comms:
                bad("communities", c, "names no community; e.g. " + ", ".join(sorted(comms)[:5]), i)
        if drill.at_min(inj) >= horizon:
            bad("at", inj.at, f"is after the end of the drill run ({min_to_clock(horizon, drill.start_min)}); "
                              "raise horizon_min")
        elif inj.event == "incident" and drill.at_min(inj) >= loaded.scenario.horizon_min:
            # no incident starts in the drain time (it only finishes the work under way): the model would drop it
            bad("at", inj.at, "is after the last time an incident can start "
                              f"({min_to_clock(loaded.scenario.horizon_min, drill.start_min)}, the end of "
                              "horizon_min; drain_min only finishes the work under way); raise horizon_min")
    if problems:
        raise ScenarioError(problems)
    return LoadedDrill(drill, shown, origins, loaded)
