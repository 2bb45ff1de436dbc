"""The scenario schema: every key a scenario file may hold, its type, bounds and default.

Every default lives here and nowhere else, so that the resolved scenario written with each run is the
whole truth about that run. Durations are minutes and say so in their key names.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ClassName = Literal["simple", "complex", "cross_cutting", "departmental", "urgent"]
SeverityName = Literal["minor", "serious", "major"]
GridKind = Literal["rural", "community", "building", "commercial", "industrial"]
ForceName = Literal[
    "grid_worker",
    "town_team",
    "village_team",
    "group_team",
    "resident_team",
    "agency_duty",
    "agency_team",
    "party_member",
]
#: the names in order, written once in the Literal types above (an index into these is a model code)
CLASSES: tuple[ClassName, ...] = typing.get_args(ClassName)
SEVERITIES: tuple[SeverityName, ...] = typing.get_args(SeverityName)
GRID_KINDS: tuple[GridKind, ...] = typing.get_args(GridKind)
FORCES: tuple[ForceName, ...] = typing.get_args(ForceName)
AGENCY_TEAM_MIN_RATIO = 0.20

NonNeg = Annotated[float, Field(ge=0)]
Pos = Annotated[float, Field(gt=0)]
Prob = Annotated[float, Field(ge=0, le=1)]
Count = Annotated[int, Field(ge=0)]
Cv = Annotated[float, Field(ge=0, le=5)]


class Strict(BaseModel):
    """Refuses unknown keys: a misspelt key must fail loudly, not fall back to a default. Types are strict:
    a boolean or a number written with a decimal point is refused where a whole number is meant.

    A section a file writes only in part changes its defaults key by key: `teams: {town: {members: 5}}`
    keeps every other default of the town team, and `classes: {urgent: {responders: 4}}` keeps the other
    classes and every other default of `urgent`. Mixes of shares (`kind_mix`, `severity_mix`) and lists
    are values, not sections: a file that writes them replaces them whole.
    """

    # strict: `true` is not 1, `3.0` or `-0.0` is not a count, "30" is not a number (an int is a float)
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _over_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for name, f in cls.model_fields.items():
            if f.default_factory is not None and isinstance(out.get(name), dict):
                out[name] = _merge_typed(f.annotation, f.default_factory(), out[name])  # type: ignore[call-arg]
        return out


def unwrap_type(tp: Any) -> Any:
    """The type under Annotated and Optional."""
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            tp = next(a for a in typing.get_args(tp) if a is not type(None))
        else:
            return tp


def _merge_typed(tp: Any, default: Any, given: Any) -> Any:
    """`given` over `default`, key by key where the schema type is a section (a model or a dict of models)."""
    tp = unwrap_type(tp)
    if not isinstance(given, dict):
        return given
    if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(default, BaseModel):
        out = {k: v for k, v in default.model_dump().items()}
        for k, v in given.items():
            f = tp.model_fields.get(k)
            out[k] = _merge_typed(f.annotation, getattr(default, k), v) if f is not None else v
        return out
    if typing.get_origin(tp) is dict and isinstance(default, dict):
        value_tp = typing.get_args(tp)[1]
        if isinstance(unwrap_type(value_tp), type) and issubclass(unwrap_type(value_tp), BaseModel):
            out = {k: v.model_dump() for k, v in default.items()}
            for k, v in given.items():
                out[k] = _merge_typed(value_tp, default[k], v) if k in default else v
            return out
    return given


def _mix_sums_to_one(mix: Mapping[Any, float], what: str) -> None:
    total = sum(mix.values())
    if abs(total - 1.0) > 1e-6:
        parts = ", ".join(f"{k} {v:g}" for k, v in mix.items())
        raise ValueError(f"{what} shares must add up to 1, got {total:g} ({parts})")


# --------------------------------------------------------------------------- territory


class HouseholdRange(Strict):
    min: Count = 100
    max: Count = 150

    @model_validator(mode="after")
    def _ordered(self) -> HouseholdRange:
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min})")
        return self


def _rural_only() -> dict[GridKind, float]:
    return {"rural": 1.0}


def _default_households() -> dict[GridKind, HouseholdRange]:
    # Hangzhou (003): 100-150 households a grid in a village, 200-300 in an urban community.
    return {
        "rural": HouseholdRange(min=100, max=150),
        "community": HouseholdRange(min=200, max=300),
        "building": HouseholdRange(min=150, max=250),
        "commercial": HouseholdRange(min=50, max=120),
        "industrial": HouseholdRange(min=20, max=60),
    }


class Generator(Strict):
    """A seeded territory: towns placed in a square, communities around towns, grids around those."""

    towns: Annotated[int, Field(ge=1)] = 1
    communities: Annotated[int, Field(ge=1)] = 1
    grids: Annotated[int, Field(ge=1)] = 1
    kind_mix: dict[GridKind, Prob] = Field(default_factory=_rural_only)
    households: dict[GridKind, HouseholdRange] = Field(default_factory=_default_households)
    extent_km: NonNeg = 20.0
    town_radius_km: NonNeg = 3.0
    community_radius_km: NonNeg = 0.8
    key_area_share: Prob = 0.0

    @model_validator(mode="after")
    def _consistent(self) -> Generator:
        if self.communities < self.towns:
            raise ValueError(f"communities ({self.communities}) must be at least towns ({self.towns})")
        if self.grids < self.communities:
            raise ValueError(f"grids ({self.grids}) must be at least communities ({self.communities})")
        _mix_sums_to_one(self.kind_mix, "kind_mix")
        return self


class Travel(Strict):
    speed_kmh: Pos = 30.0
    detour_factor: Annotated[float, Field(ge=1)] = 1.3
    setup_min: NonNeg = 5.0
    cv: Cv = 0.2


class Territory(Strict):
    source: Literal["generated", "csv"] = "generated"
    csv_file: str | None = None
    generator: Generator = Field(default_factory=Generator)
    key_areas: list[str] = Field(default_factory=list)
    travel: Travel = Field(default_factory=Travel)

    @model_validator(mode="after")
    def _file_given(self) -> Territory:
        if self.source == "csv" and not self.csv_file:
            raise ValueError("source is 'csv' but csv_file is not set")
        return self


# --------------------------------------------------------------------------- forces


class GridWorkers(Strict):
    full_time: Count = 0
    full_time_per_grid: NonNeg | None = None
    part_time: Count = 0
    part_time_availability: Prob = 0.5
    part_time_effort: Prob = 0.5
    absence_share: Prob = 0.1
    ab_backup: bool = True
    deputy_leaders_per_grid: NonNeg = 0.0
    deputy_effort: Prob = 0.05


class Team(Strict):
    """One level of the "1+1+N" emergency support and volunteer teams."""

    per_unit: Count = 1
    members: Count = 0
    peacetime_share: Prob = 0.0
    assemble_mean_min: NonNeg = 30.0
    assemble_cv: Cv = 0.5


class Teams(Strict):
    town: Team = Field(default_factory=lambda: Team(per_unit=1, members=20, assemble_mean_min=45))
    village: Team = Field(default_factory=lambda: Team(per_unit=1, members=8, assemble_mean_min=30))
    group: Team = Field(default_factory=lambda: Team(per_unit=0, members=5, assemble_mean_min=20))


class ResidentTeams(Strict):
    members_per_village: Count = 3
    presence_share: Prob = 2 / 7
    recall_mean_min: NonNeg = 90.0


class Agency(Strict):
    name: str
    staff: Annotated[int, Field(ge=1)]
    team_ratio: Prob | None = None


class Agencies(Strict):
    team_ratio: Prob = AGENCY_TEAM_MIN_RATIO
    count: Count = 0
    staff_each: Annotated[int, Field(ge=1)] = 50
    listed: list[Agency] = Field(default_factory=list)
    duty_officers_each: Count = 1
    squad_size: Annotated[int, Field(ge=1)] = 5
    staging: Literal["towns", "district"] = "towns"
    notify_mean_min: NonNeg = 20.0
    assemble_mean_min: NonNeg = 40.0
    assemble_cv: Cv = 0.5


class PartyMembers(Strict):
    total: Count = 0
    report_prob: Prob = 0.8
    report_delay_mean_min: NonNeg = 60.0
    report_delay_cv: Cv = 0.6
    coverage_each: NonNeg = 0.02
    responder_share: Prob = 0.5
    local_setup_min: NonNeg = 5.0


class TemporaryBranches(Strict):
    enabled: bool = True
    min_members: Annotated[int, Field(ge=3)] = 3
    formation_delay_min: NonNeg = 30.0
    report_delay_min: NonNeg = 5.0
    work_factor: Annotated[float, Field(gt=0, le=1)] = 0.8


class Forces(Strict):
    grid_workers: GridWorkers = Field(default_factory=GridWorkers)
    teams: Teams = Field(default_factory=Teams)
    resident_teams: ResidentTeams = Field(default_factory=ResidentTeams)
    agencies: Agencies = Field(default_factory=Agencies)
    party_members: PartyMembers = Field(default_factory=PartyMembers)
    temporary_branches: TemporaryBranches = Field(default_factory=TemporaryBranches)


# --------------------------------------------------------------------------- incidents


def _local_forces() -> list[ForceName]:
    return ["grid_worker", "village_team", "resident_team"]


class ClassRule(Strict):
    """How one of the "five ways" is handled."""

    share: Prob = 0.2
    responders: Annotated[int, Field(ge=1)] = 1
    work_mean_min: NonNeg = 30.0
    work_dist: Literal["exponential", "lognormal", "fixed"] = "lognormal"
    work_cv: Cv = 0.5
    target_min: Pos = 60.0
    priority: Annotated[int, Field(ge=0, le=9)] = 2
    pre_dispatch_min: NonNeg = 0.0
    on_spot: bool = False
    forces: list[ForceName] = Field(default_factory=_local_forces)

    @model_validator(mode="after")
    def _has_forces(self) -> ClassRule:
        if not self.forces:
            raise ValueError("forces must name at least one force")
        return self


_GENERAL: list[ForceName] = ["grid_worker", "town_team", "village_team", "group_team", "resident_team", "agency_team",
                             "party_member"]


def _default_classes() -> dict[ClassName, ClassRule]:
    return {
        "simple": ClassRule(share=0.55, responders=1, work_mean_min=20, target_min=60, priority=3, on_spot=True,
                            forces=list(_GENERAL)),
        "complex": ClassRule(share=0.2, responders=2, work_mean_min=90, target_min=240, priority=2,
                             pre_dispatch_min=60, forces=list(_GENERAL)),
        "cross_cutting": ClassRule(share=0.08, responders=3, work_mean_min=120, target_min=480, priority=2,
                                   pre_dispatch_min=120, forces=list(_GENERAL)),
        "departmental": ClassRule(share=0.12, responders=1, work_mean_min=60, target_min=480, priority=2,
                                  pre_dispatch_min=90, forces=["agency_duty", "agency_team"]),
        "urgent": ClassRule(share=0.05, responders=2, work_mean_min=60, target_min=30, priority=0,
                            forces=[*(f for f in _GENERAL if f != "grid_worker"), "agency_duty"]),
    }


class SeverityRule(Strict):
    responders_factor: Annotated[float, Field(ge=1)] = 1.0
    work_factor: Pos = 1.0


def _default_severities() -> dict[SeverityName, SeverityRule]:
    return {
        "minor": SeverityRule(),
        "serious": SeverityRule(responders_factor=1.5, work_factor=1.5),
        "major": SeverityRule(responders_factor=3.0, work_factor=2.0),
    }


def _default_bg_severity() -> dict[SeverityName, float]:
    return {"minor": 0.9, "serious": 0.09, "major": 0.01}


class Background(Strict):
    rate_per_household_per_day: NonNeg = 0.002
    rate_per_hour: NonNeg | None = None
    severity_mix: dict[SeverityName, Prob] = Field(default_factory=_default_bg_severity)

    @model_validator(mode="after")
    def _mix(self) -> Background:
        _mix_sums_to_one(self.severity_mix, "severity_mix")
        return self


def _hazard_classes() -> dict[ClassName, float]:
    return {"simple": 0.2, "complex": 0.2, "cross_cutting": 0.1, "departmental": 0.1, "urgent": 0.4}


def _hazard_severities() -> dict[SeverityName, float]:
    return {"minor": 0.5, "serious": 0.35, "major": 0.15}


class Hazard(Strict):
    name: str = "hazard"
    start_min: NonNeg = 0.0
    duration_min: NonNeg = 0.0
    rate_per_hour: NonNeg = 0.0
    towns: list[str] = Field(default_factory=list)
    grids: list[str] = Field(default_factory=list)
    key_areas_only: bool = False
    class_mix: dict[ClassName, Prob] = Field(
        default_factory=_hazard_classes)
    severity_mix: dict[SeverityName, Prob] = Field(
        default_factory=_hazard_severities)
    discovery_factor: NonNeg = 0.5

    @model_validator(mode="after")
    def _mix(self) -> Hazard:
        _mix_sums_to_one(self.class_mix, "class_mix")
        _mix_sums_to_one(self.severity_mix, "severity_mix")
        return self


class Incidents(Strict):
    classes: dict[ClassName, ClassRule] = Field(default_factory=_default_classes)
    severities: dict[SeverityName, SeverityRule] = Field(default_factory=_default_severities)
    background: Background = Field(default_factory=Background)
    hazards: list[Hazard] = Field(default_factory=list)
    trace_file: str | None = None

    @model_validator(mode="after")
    def _shares(self) -> Incidents:
        _mix_sums_to_one({c: r.share for c, r in self.classes.items()}, "classes.*.share")
        return self


# --------------------------------------------------------------------------- reporting


class Discovery(Strict):
    instant: bool = False
    patrol_revisit_min: Pos = 240.0
    informant_mean_min: Pos = 240.0
    hotline_share: Prob = 0.3
    hotline_mean_min: Pos = 90.0
    emergency_patrol_factor: Annotated[float, Field(ge=1)] = 2.0


Level = Literal["community", "town"]


def _two_levels() -> list[Level]:
    return ["community", "town"]


def _urgent() -> list[ClassName]:
    return ["urgent"]


def _major() -> list[SeverityName]:
    return ["major"]


class ReportingRules(Strict):
    route: list[Level] = Field(default_factory=_two_levels, max_length=2)

    @model_validator(mode="after")
    def _route_once(self) -> ReportingRules:
        if len(set(self.route)) != len(self.route):
            raise ValueError(f"route names a level twice ({self.route}); each level is passed once")
        return self
    hop_delay_min: NonNeg = 20.0
    hop_cv: Cv = 0.5
    batching_interval_min: NonNeg = 0.0
    compliance: Prob = 0.95
    must_report: list[ClassName] = Field(default_factory=_urgent)
    must_report_severities: list[SeverityName] = Field(default_factory=_major)
    direct_delay_min: NonNeg = 5.0
    decision_delay_min: NonNeg = 10.0
    pre_dispatch_factor: NonNeg = 1.0


def _emergency_rules() -> ReportingRules:
    return ReportingRules(route=[], hop_delay_min=5.0, compliance=1.0, direct_delay_min=3.0,
                          decision_delay_min=5.0, pre_dispatch_factor=0.3)


class Reporting(Strict):
    discovery: Discovery = Field(default_factory=Discovery)
    peacetime: ReportingRules = Field(default_factory=ReportingRules)
    emergency: ReportingRules = Field(default_factory=_emergency_rules)


# --------------------------------------------------------------------------- switch and dispatch


class Threshold(Strict):
    severity: SeverityName = "major"
    count: Annotated[int, Field(ge=1)] = 3
    window_min: Pos = 120.0


#: the activation rules of `sim.model.switch.RULES` (checked there at import)
ActivationRuleName = Literal["threshold", "scheduled", "never"]
#: the dispatch policies of `sim.model.dispatch.POLICIES` (checked there at import)
DispatchPolicyName = Literal["priority_nearest", "severity_priority_nearest", "nearest", "fcfs", "roster"]


class Switch(Strict):
    activation: ActivationRuleName = "threshold"
    threshold: Threshold = Field(default_factory=Threshold)
    scheduled_min: NonNeg = 0.0
    decision_delay_min: NonNeg = 30.0
    deactivation_quiet_min: NonNeg | None = 720.0

    @model_validator(mode="after")
    def _deactivation(self) -> Switch:
        if self.deactivation_quiet_min == 0:
            raise ValueError("deactivation_quiet_min must be positive, or null for never")
        return self


class Dispatch(Strict):
    policy: DispatchPolicyName = "priority_nearest"
    peacetime_scope: Literal["town", "district"] = "town"


class Limits(Strict):
    """Bounds on the size of a run, checked against estimates made from the scenario before any work
    (`sim/scenario/limits.py`): a run that would exhaust the machine is refused with its figures."""

    grids: Annotated[int, Field(ge=1)] = 200_000
    units: Annotated[int, Field(ge=1)] = 2_000_000
    incidents_per_replication: Annotated[int, Field(ge=1)] = 2_000_000
    mobilisation_points: Annotated[int, Field(ge=1)] = 1_000_000
    replications: Annotated[int, Field(ge=1)] = 10_000
    memory_mb: Pos = 8192.0
    file_mb: Pos = 256.0


Language = Literal["en", "zh"]


class Scenario(Strict):
    name: str = "scenario"
    description: str = ""
    seed: Annotated[int, Field(ge=0)] = 20260101
    replications: Annotated[int, Field(ge=1)] = 5
    horizon_min: Pos = 4320.0
    drain_min: NonNeg = 1440.0
    territory: Territory = Field(default_factory=Territory)
    forces: Forces = Field(default_factory=Forces)
    incidents: Incidents = Field(default_factory=Incidents)
    reporting: Reporting = Field(default_factory=Reporting)
    switch: Switch = Field(default_factory=Switch)
    dispatch: Dispatch = Field(default_factory=Dispatch)
    mobilisation_step_min: Pos = 15.0
    lang: Language = "en"
    limits: Limits = Field(default_factory=Limits)

    @model_validator(mode="after")
    def _scheduled_in_run(self) -> Scenario:
        if self.switch.activation == "scheduled" and self.switch.scheduled_min >= self.horizon_min + self.drain_min:
            raise ValueError(f"switch.scheduled_min ({self.switch.scheduled_min:g}) is after the end of the run "
                             f"(horizon_min + drain_min = {self.horizon_min + self.drain_min:g})")
        return self

    @model_validator(mode="after")
    def _within_limits(self) -> Scenario:
        from sim.scenario.limits import check_static  # local: the estimates import this module

        check_static(self)
        return self

    def flags(self) -> list[str]:
        """Warnings carried into every output: settings allowed for what-if study but below the rule."""
        out = []
        ag = self.forces.agencies
        low = []
        if ag.count and ag.team_ratio < AGENCY_TEAM_MIN_RATIO:
            low.append(f"{ag.count} generated agencies at {ag.team_ratio:.0%}")
        for a in ag.listed:
            r = ag.team_ratio if a.team_ratio is None else a.team_ratio
            if r < AGENCY_TEAM_MIN_RATIO:
                low.append(f"{a.name} at {r:.0%}")
        if low:
            out.append("agency team ratio below the 20 % rule: " + "; ".join(low))
        return out
