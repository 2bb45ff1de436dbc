"""The scenario schema: every key a scenario file may hold, its type, bounds and default.

Every default lives here and nowhere else, so that the resolved scenario written with each run is the
whole truth about that run. Durations are minutes and say so in their key names.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from sim.scenario.base import (  # noqa: F401 - re-exported: the schema's names
    AGENCY_TEAM_MIN_RATIO,
    CLASSES,
    FORCES,
    GRID_KINDS,
    SEVERITIES,
    ClassName,
    Count,
    Cv,
    ForceName,
    GridKind,
    NonNeg,
    Pos,
    Prob,
    SeverityName,
    Strict,
    _mix_sums_to_one,
    unwrap_type,
)
from sim.scenario.forces import (  # noqa: F401 - re-exported
    Agencies,
    Agency,
    Forces,
    GridWorkers,
    PartyMembers,
    ResidentTeams,
    Team,
    Teams,
    TemporaryBranches,
)
from sim.scenario.operations import (
    Allocation,
    Clock,
    Fatigue,
    Forecast,
    Level,
    LevelName,
    Shifts,
    Tasks,
    Transfers,
    _default_levels,
    parse_clock_fields,
)

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


# --------------------------------------------------------------------------- forces (sim.scenario.forces)


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
    hourly_profile: Annotated[list[NonNeg], Field(min_length=24, max_length=24)] | None = None

    @model_validator(mode="after")
    def _mix(self) -> Background:
        _mix_sums_to_one(self.severity_mix, "severity_mix")
        if self.hourly_profile is not None and sum(self.hourly_profile) <= 0:
            raise ValueError("hourly_profile must have a positive hour")
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
    hazard_incidents: bool = True
    trace_file: str | None = None

    @model_validator(mode="after")
    def _shares(self) -> Incidents:
        _mix_sums_to_one({c: r.share for c, r in self.classes.items()}, "classes.*.share")
        return self


# --------------------------------------------------------------------------- reporting


class VisitRule(Strict):
    """A rule of household visits for one role (seed 003: town cadres 4 visits a month and 10 households)."""

    role: str = "visitors"
    people: Count = 0
    visits_per_month: NonNeg = 4.0
    households_per_visit: NonNeg = 10.0


class Discovery(Strict):
    instant: bool = False
    patrol_revisit_min: Pos = 240.0
    informant_mean_min: Pos = 240.0
    hotline_share: Prob = 0.3
    hotline_mean_min: Pos = 90.0
    emergency_patrol_factor: Annotated[float, Field(ge=1)] = 2.0
    hotline_direct: bool = True
    hotline_after_unreported: bool = True
    visits: list[VisitRule] = Field(default_factory=list)


RouteLevel = Literal["community", "town"]


def _two_levels() -> list[RouteLevel]:
    return ["community", "town"]


def _urgent() -> list[ClassName]:
    return ["urgent"]


def _major() -> list[SeverityName]:
    return ["major"]


class ReportingRules(Strict):
    route: list[RouteLevel] = Field(default_factory=_two_levels, max_length=2)

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
    level: LevelName = "I"


#: the activation rules of `sim.model.switch.RULES` (checked there at import)
ActivationRuleName = Literal["threshold", "scheduled", "never", "warning"]
#: the dispatch policies of `sim.model.dispatch.POLICIES` (checked there at import)
DispatchPolicyName = Literal["priority_nearest", "severity_priority_nearest", "nearest", "fcfs", "roster"]


class Switch(Strict):
    activation: ActivationRuleName = "threshold"
    threshold: Threshold = Field(default_factory=Threshold)
    scheduled_min: NonNeg = 0.0
    scheduled_level: LevelName = "I"
    forecast: Forecast = Field(default_factory=Forecast)
    decision_delay_min: NonNeg = 30.0
    deactivation_quiet_min: NonNeg | None = 720.0
    step_down_min: NonNeg = 240.0

    @model_validator(mode="after")
    def _deactivation(self) -> Switch:
        if self.deactivation_quiet_min == 0:
            raise ValueError("deactivation_quiet_min must be positive, or null for never")
        return self


class Dispatch(Strict):
    policy: DispatchPolicyName = "priority_nearest"
    peacetime_scope: Literal["town", "district"] = "town"
    return_to_base: bool = True
    transfers: Transfers = Field(default_factory=Transfers)


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
    levels: dict[LevelName, Level] = Field(default_factory=_default_levels)
    tasks: Tasks = Field(default_factory=Tasks)
    allocation: Allocation = Field(default_factory=Allocation)
    shifts: Shifts = Field(default_factory=Shifts)
    fatigue: Fatigue = Field(default_factory=Fatigue)
    clock: Clock = Field(default_factory=Clock)
    mobilisation_step_min: Pos = 15.0
    lang: Language = "en"
    limits: Limits = Field(default_factory=Limits)

    @model_validator(mode="before")
    @classmethod
    def _clock_times(cls, data: Any) -> Any:
        return parse_clock_fields(data)

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
