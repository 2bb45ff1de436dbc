"""The scenario's people: grid workers, the "1+1+N" teams, resident teams, agencies, party members in place
and temporary branches, and the forces' peacetime hours (part of the schema, `sim.scenario.schema`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from sim.scenario.base import AGENCY_TEAM_MIN_RATIO, Count, Cv, ForceName, NonNeg, Prob, Strict
from sim.scenario.operations import ClockText, Weekday


class GridWorkers(Strict):
    full_time: Count = 0
    full_time_per_grid: NonNeg | None = None
    part_time: Count = 0
    part_time_availability: Prob = 0.5
    part_time_effort: Prob = 0.5
    absence_share: Prob = 0.1
    ab_backup: bool = True
    deputy_leaders_per_grid: NonNeg = 0.0
    deputy_leaders_per_group: NonNeg = 0.0
    deputy_effort: Prob = 0.05
    call_up_share: Prob = 0.0
    call_up_delay_mean_min: NonNeg = 60.0
    party_part_time_share: Prob = 0.0


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
    days: list[Weekday] = Field(default_factory=list)
    day_start: ClockText = "08:30"
    day_end: ClockText = "17:30"


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
    staging: Literal["need", "towns", "district"] = "need"
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
    scope: Literal["footprint", "key_areas", "all"] = "footprint"
    report_to: Literal["community", "grid"] = "community"
    peacetime_active_share: Prob = 0.0


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
    availability: dict[ForceName, Annotated[list[Prob], Field(min_length=24, max_length=24)]] = Field(
        default_factory=dict)
