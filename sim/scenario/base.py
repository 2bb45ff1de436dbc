"""What every part of the schema shares: the names written once as Literal types, the number types, and the
`Strict` base that refuses unknown keys and merges a section over its defaults key by key."""

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
