"""The event engine of one replication: a SimPy environment driven by callbacks, and the event log.

Each stage that takes time is one SimPy timeout whose callback runs the next stage; a stage with no
delay runs at once (a zero-length timeout would only cost an event). The log, kept only when a trace is
asked for (drills, tests), holds `(minute, event, *detail)` tuples in the order things happen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy
from simpy.events import Timeout


class _Call(Timeout):
    """A timeout that runs fn(*args) when it fires (one shared callback, no closure per event)."""

    __slots__ = ("fn", "args")
    fn: Callable[..., None]
    args: tuple[Any, ...]


def _fire(ev: _Call) -> None:
    ev.fn(*ev.args)


class Engine(simpy.Environment):
    def __init__(self, trace: bool = False):
        super().__init__()
        self.n_events = 0
        self.log: list[tuple] | None = [] if trace else None

    def at(self, delay: float, fn: Callable[..., None], *args: Any) -> None:
        """Run fn(*args) after `delay` minutes."""
        self.n_events += 1
        ev = _Call(self, delay)
        ev.fn = fn
        ev.args = args
        ev.callbacks.append(_fire)

    def soon(self, delay: float, fn: Callable[..., None], *args: Any) -> None:
        """As `at`, but run now when there is no delay."""
        if delay > 0:
            self.at(delay, fn, *args)
        else:
            fn(*args)

    def note(self, what: str, *detail: Any) -> None:
        if self.log is not None:
            self.log.append((round(self.now, 6), what, *detail))
