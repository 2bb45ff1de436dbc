"""The schema of emergency operations: response levels, forecast warnings, the tasks that take people
(evacuation, posts, warning rounds), how people are allocated when short, shifts and fatigue, the clock,
and town command.

Every value here is an assumption unless a scenario cites a source; the defaults are a starting point a
planner replaces with their district's plan.
"""

from __future__ import annotations

import re
import typing
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from sim.scenario.base import Count, ForceName, NonNeg, Pos, Prob, Strict

LevelName = Literal["IV", "III", "II", "I"]
#: lowest to highest: IV is the least severe response, I the most
LEVELS: tuple[LevelName, ...] = typing.get_args(LevelName)
TaskName = Literal["evacuation", "posts", "warnings"]
TASKS: tuple[TaskName, ...] = typing.get_args(TaskName)
BandName = Literal["urgent_incidents", "posts", "evacuation", "warnings", "incidents"]
BANDS: tuple[BandName, ...] = typing.get_args(BandName)
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = typing.get_args(Weekday)

_CLOCK = re.compile(r"^(?:(?:day\s*|d)(\d+)\s+)?([01]?\d|2[0-3]):([0-5]\d)$", re.IGNORECASE)


def clock_minutes(text: str) -> tuple[int | None, int]:
    """`HH:MM` or `day N HH:MM` (day 1 is the first day) as (day or None, minutes after midnight)."""
    m = _CLOCK.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a clock time; write HH:MM or day N HH:MM")
    day = int(m.group(1)) if m.group(1) else None
    if day is not None and day < 1:
        raise ValueError(f"{text!r}: days are counted from day 1")
    return day, int(m.group(2)) * 60 + int(m.group(3))


CLOCK_PATTERN = r"^([01]?\d|2[0-3]):[0-5]\d$"
ClockText = Annotated[str, Field(pattern=CLOCK_PATTERN)]


class Clock(Strict):
    """What minute 0 of the run is on the wall clock: times in a scenario may be written as clock times
    (`start_min: "day 2 06:00"`), resident teams keep their weekdays, and hourly profiles line up."""

    start: ClockText = "00:00"
    weekday: Weekday = "mon"


# --------------------------------------------------------------------------- response levels


class Mobilise(Strict):
    """Share of each force's call-up roster called up at a level (a section: a file changes it force by
    force). Grid workers: the part-timers not on duty, called up; agency teams: the share of each agency's
    standing team sent."""

    grid_worker: Prob = 0.0
    town_team: Prob = 0.0
    village_team: Prob = 0.0
    group_team: Prob = 0.0
    resident_team: Prob = 0.0
    agency_team: Prob = 0.0
    party_member: Prob = 0.0

    def share(self, force: str) -> float:
        return float(getattr(self, force, 1.0))


def _everyone() -> Mobilise:
    return Mobilise(**{f: 1.0 for f in Mobilise.model_fields})


class Level(Strict):
    """What one response level mobilises and changes."""

    mobilise: Mobilise = Field(default_factory=_everyone)
    reporting: Literal["peacetime", "emergency"] = "emergency"
    patrol_share: Prob = 1.0
    tasks: list[TaskName] = Field(default_factory=lambda: list(TASKS))
    command: Literal["town", "district"] = "town"


def _default_levels() -> dict[LevelName, Level]:
    return {
        # the alert levels keep the everyday reporting chain; flat command comes with II and I
        "IV": Level(mobilise=Mobilise(grid_worker=0.25, town_team=0.25, village_team=0.5, resident_team=1.0),
                    reporting="peacetime", patrol_share=0.25, tasks=["warnings"]),
        "III": Level(mobilise=Mobilise(grid_worker=0.5, town_team=0.5, village_team=1.0, group_team=0.5,
                                       resident_team=1.0, agency_team=0.25, party_member=0.5),
                     reporting="peacetime", patrol_share=0.5, tasks=["warnings", "posts"]),
        "II": Level(mobilise=Mobilise(grid_worker=1.0, town_team=1.0, village_team=1.0, group_team=1.0,
                                      resident_team=1.0, agency_team=0.5, party_member=1.0),
                    patrol_share=0.75, tasks=["warnings", "posts", "evacuation"]),
        "I": Level(),
    }


class WarningStep(Strict):
    before_onset_min: NonNeg
    level: LevelName


def _default_steps() -> list[WarningStep]:
    return [WarningStep(before_onset_min=1440, level="IV"), WarningStep(before_onset_min=720, level="III"),
            WarningStep(before_onset_min=360, level="II"), WarningStep(before_onset_min=0, level="I")]


class Forecast(Strict):
    """A forecast warning: levels declared ahead of a hazard's onset, escalating as it nears."""

    hazard: Count = 0
    steps: list[WarningStep] = Field(default_factory=_default_steps, min_length=1)

    @model_validator(mode="after")
    def _rising(self) -> Forecast:
        times = [s.before_onset_min for s in self.steps]
        if times != sorted(times, reverse=True):
            raise ValueError("steps must come in time order: before_onset_min from the largest to the smallest")
        return self


# --------------------------------------------------------------------------- tasks


def _forces(*names: str) -> list[ForceName]:
    return [typing.cast(ForceName, n) for n in names]


class Evacuation(Strict):
    """Moving vulnerable residents (elderly living alone, disabled, bedridden) to shelters."""

    vulnerable_share: Prob = 0.05
    escorts: Annotated[int, Field(ge=1)] = 2
    minutes_each: Pos = 40.0
    crew: Annotated[int, Field(ge=1)] = 4
    deadline_min: NonNeg = 120.0
    deadline_from: Literal["onset", "start"] = "onset"
    shelter_places_per_resident: NonNeg = 1.2
    shelter_capacity: dict[str, Count] = Field(default_factory=dict)
    forces: list[ForceName] = Field(default_factory=lambda: _forces("village_team", "town_team", "group_team",
                                                                    "resident_team", "agency_team", "party_member"))
    party_share: Prob = 0.5


class Posts(Strict):
    """Key sites (embankments, reservoirs, plants) staffed continuously, relieved in shifts."""

    sites: Literal["key_areas", "listed"] = "key_areas"
    grids: list[str] = Field(default_factory=list)
    people: Annotated[int, Field(ge=1)] = 2
    shift_min: Pos = 480.0
    relief_lead_min: NonNeg = 30.0
    before_onset_min: NonNeg = 360.0
    until_after_hazard_min: NonNeg = 360.0
    stay_until_relieved: bool = True
    forces: list[ForceName] = Field(default_factory=lambda: _forces("agency_team", "village_team", "town_team",
                                                                    "group_team", "party_member"))
    party_share: Prob = 0.5


class WarningRounds(Strict):
    """Every household of the footprint visited and told (入户通知/劝离)."""

    minutes_per_household: Pos = 4.0
    crew: Annotated[int, Field(ge=1)] = 2
    deadline_min: NonNeg = 360.0
    deadline_from: Literal["onset", "start"] = "start"
    forces: list[ForceName] = Field(default_factory=lambda: _forces("grid_worker", "group_team", "village_team",
                                                                    "resident_team", "party_member"))
    party_share: Prob = 0.5


class Tasks(Strict):
    hazard: Count = 0
    evacuation: Evacuation = Field(default_factory=Evacuation)
    posts: Posts = Field(default_factory=Posts)
    warnings: WarningRounds = Field(default_factory=WarningRounds)


def _default_order() -> list[BandName]:
    return list(BANDS)


class Allocation(Strict):
    """What comes first when people are short: a unit that comes free takes the first band with work
    waiting, then ranks within it by the dispatch policy."""

    order: list[BandName] = Field(default_factory=_default_order)

    @field_validator("order")
    @classmethod
    def _each_once(cls, v: list[str]) -> list[str]:
        if sorted(v) != sorted(BANDS):
            raise ValueError(f"order must name each of {', '.join(BANDS)} exactly once")
        return v


# --------------------------------------------------------------------------- people over days


def _shift_forces() -> list[ForceName]:
    # grid workers here are the part-timers called up: the standing staff keep their own hours
    return ["grid_worker", "town_team", "village_team", "group_team", "resident_team", "agency_team"]


class Shifts(Strict):
    """A rota after activation: each force in two crews, on and off duty in turn."""

    enabled: bool = False
    on_min: Pos = 720.0
    off_min: Pos = 720.0
    forces: list[ForceName] = Field(default_factory=_shift_forces)


class Fatigue(Strict):
    """People slow down late in a long stint and must rest after the longest one (from activation on)."""

    onset_min: NonNeg = 600.0
    slowdown_per_hour: NonNeg = 0.05
    max_on_min: Pos | None = 1080.0
    rest_min: Pos = 480.0
    debt_per_hour: NonNeg = 0.5
    forces: list[ForceName] = Field(default_factory=_shift_forces)


class Transfers(Strict):
    """The district moves idle units from towns with nothing waiting to a town with a backlog."""

    enabled: bool = True
    review_min: Pos = 60.0
    delay_min: NonNeg = 30.0
    min_backlog: Annotated[int, Field(ge=1)] = 3
    max_units: Count = 10


#: what a time that may be written as a clock time must be, for the message on a bad one
CLOCK_HINT = "must be minutes from the start of the run or a clock time (HH:MM, or day N HH:MM with day 1 the first)"
CLOCK_FIELDS = ("start_min", "scheduled_min")


def parse_clock_fields(data: Any) -> Any:
    """Scenario times written as clock times become minutes from the start of the run (in place)."""
    if not isinstance(data, dict):
        return data
    clock = data.get("clock")
    start = clock.get("start", "00:00") if isinstance(clock, dict) else "00:00"
    try:
        start_min = clock_minutes(str(start))[1]
    except ValueError:
        return data  # the clock itself is reported by its own field

    def conv(v: Any) -> Any:
        if not isinstance(v, str):
            return v
        try:
            day, minute = clock_minutes(v)
        except ValueError:
            return v  # left as written: the field reports it, by its name (`CLOCK_HINT`)
        if day is None:  # the first such time at or after the start
            return float(minute - start_min if minute >= start_min else minute - start_min + 1440)
        return float((day - 1) * 1440 + minute - start_min)

    out = dict(data)
    incidents = out.get("incidents")
    if isinstance(incidents, dict) and isinstance(incidents.get("hazards"), list):
        hz = []
        for h in incidents["hazards"]:
            if isinstance(h, dict) and isinstance(h.get("start_min"), str):
                h = {**h, "start_min": conv(h["start_min"])}
            hz.append(h)
        out["incidents"] = {**incidents, "hazards": hz}
    switch = out.get("switch")
    if isinstance(switch, dict) and isinstance(switch.get("scheduled_min"), str):
        out["switch"] = {**switch, "scheduled_min": conv(switch["scheduled_min"])}
    return out
