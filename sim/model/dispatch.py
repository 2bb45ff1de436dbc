"""Dispatch policies: objects passed into the model, not branches inside it.

When an incident becomes ready, it takes the nearest free eligible responders (any policy would: a
farther free responder only arrives later). Policies differ in what a responder who comes free takes
next from the incidents waiting for hands: the smallest `key`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class DispatchPolicy(Protocol):
    name: str
    #: waiting lists are in ready order; a policy whose key is the ready order only compares list heads
    heads_only: bool

    def key(self, travel_row: Sequence[float], grid: int, priority: int, seq: int) -> tuple: ...


class FirstComeFirstServed:
    name = "fcfs"
    heads_only = True

    def key(self, travel_row: Sequence[float], grid: int, priority: int, seq: int) -> tuple:
        return (seq,)


class Nearest:
    name = "nearest"
    heads_only = False

    def key(self, travel_row: Sequence[float], grid: int, priority: int, seq: int) -> tuple:
        return (travel_row[grid], seq)


class PriorityThenNearest:
    name = "priority_nearest"
    heads_only = False

    def key(self, travel_row: Sequence[float], grid: int, priority: int, seq: int) -> tuple:
        return (priority, travel_row[grid], seq)


POLICIES: dict[str, type] = {p.name: p for p in (FirstComeFirstServed, Nearest, PriorityThenNearest)}


def make_policy(name: str) -> DispatchPolicy:
    return POLICIES[name]()
