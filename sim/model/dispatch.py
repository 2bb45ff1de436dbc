"""Dispatch policies: objects passed into the model, not branches inside it.

A policy answers both questions of dispatch: which free units a newly ready incident gets
(`units_for`), and which waiting incident a unit that comes free takes next (`incident_for`). It ranks
waiting incidents by a band (`level`: lower first) and, within a band, by place or by ready order; the
pool and the waiting list keep indexes that answer those rankings without scanning.

The registry `POLICIES` is the one list of names; the schema's `DispatchPolicyName` must name exactly
these (checked at import).
"""

from __future__ import annotations

import typing
from typing import Protocol

from sim.model.pool import ResponderPool
from sim.model.waiting import WaitingIncidents
from sim.scenario.schema import SEVERITIES, DispatchPolicyName

MAJOR = len(SEVERITIES) - 1


class DispatchPolicy(Protocol):
    name: str
    #: within a band, waiting incidents are ranked by place (nearest first) rather than by ready order
    by_place: bool
    #: `units_for` needs the pool's duty roster (units in the order they came free)
    idle_order: bool
    #: how many bands `level` can return (0 .. levels - 1)
    levels: int

    def level(self, priority: int, severity: int) -> int: ...

    def units_for(self, pool: ResponderPool, group: int, town: int | None, grid: int, k: int) -> list[int]: ...

    def incident_for(self, waiting: WaitingIncidents, groups: list[int], town: int | None,
                     loc: int) -> int | None: ...


class _Nearest:
    """Units: the nearest free eligible ones (a farther free unit would only arrive later)."""

    idle_order = False

    def units_for(self, pool: ResponderPool, group: int, town: int | None, grid: int, k: int) -> list[int]:
        return pool.nearest(group, town, grid, k)


class FirstComeFirstServed(_Nearest):
    """Waiting incidents in the order they became ready, whatever their class or place."""

    name = "fcfs"
    by_place = False
    levels = 1

    def level(self, priority: int, severity: int) -> int:
        return 0

    def incident_for(self, waiting: WaitingIncidents, groups: list[int], town: int | None,
                     loc: int) -> int | None:
        return waiting.oldest(groups, town)


class Nearest(_Nearest):
    """The waiting incident nearest the unit, whatever its class."""

    name = "nearest"
    by_place = True
    levels = 1

    def level(self, priority: int, severity: int) -> int:
        return 0

    def incident_for(self, waiting: WaitingIncidents, groups: list[int], town: int | None,
                     loc: int) -> int | None:
        return waiting.nearest(groups, town, loc)


class PriorityThenNearest(Nearest):
    """The class priority first (0 is most urgent), then the nearest."""

    name = "priority_nearest"
    levels = 10

    def level(self, priority: int, severity: int) -> int:
        return priority


class SeverityThenPriority(Nearest):
    """Severity first (major, then serious, then minor), then class priority, then the nearest: a major
    incident of a low-priority class does not wait behind a minor one of a high class."""

    name = "severity_priority_nearest"
    levels = 10 * len(SEVERITIES)

    def level(self, priority: int, severity: int) -> int:
        return (MAJOR - severity) * 10 + priority


class Roster:
    """A duty roster: incidents in ready order, units in the order they came free, places ignored (a
    command centre that does not track where its people are)."""

    name = "roster"
    by_place = False
    idle_order = True
    levels = 1

    def level(self, priority: int, severity: int) -> int:
        return 0

    def units_for(self, pool: ResponderPool, group: int, town: int | None, grid: int, k: int) -> list[int]:
        return pool.longest_idle(group, town, k)

    def incident_for(self, waiting: WaitingIncidents, groups: list[int], town: int | None,
                     loc: int) -> int | None:
        return waiting.oldest(groups, town)


POLICIES: dict[str, type[DispatchPolicy]] = {
    p.name: p for p in (PriorityThenNearest, SeverityThenPriority, Nearest, FirstComeFirstServed, Roster)}

if set(POLICIES) != set(typing.get_args(DispatchPolicyName)):  # pragma: no cover - a programming error
    raise ImportError(f"dispatch policies {sorted(POLICIES)} differ from the schema's "
                      f"{sorted(typing.get_args(DispatchPolicyName))}")


def make_policy(name: str) -> DispatchPolicy:
    return POLICIES[name]()
