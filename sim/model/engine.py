"""The event engine of one replication: a SimPy environment driven by callbacks, and the event log.

Each stage that takes time is one entry in SimPy's event queue whose callback runs the next stage (no
Event object: the model's events always succeed and nobody waits on them, so building one would only
cost time); a stage with no delay runs at once (a zero-length event would only cost an event). The log,
kept only when a trace is asked for (drills, tests), holds `(minute, event, *detail)` tuples in the order
things happen.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.core import EmptySchedule, SimTime
from simpy.core import Infinity as INFINITY
from simpy.events import NORMAL, Event

_gc_lock = threading.Lock()
_gc_depth = 0  # replications running in this process (threads): the first sets the collector, the last restores it
_gc_saved: tuple[int, int, int] = gc.get_threshold()
#: the collector's first threshold while a replication runs (Python's default is 700): a run allocates
#: millions of short-lived objects that the collector would otherwise keep scanning
GC_THRESHOLD0 = 10_000


@contextmanager
def quiet_collector() -> Iterator[None]:
    """While a replication runs, the cyclic garbage collector leaves alone what existed before it (the
    model: territory, plan, rosters, frozen with `gc.freeze`) and runs less often. Without this, every
    full collection rescans the whole model, so the cost per event grew with the district (a ×8 Pingcheng
    ran about 1.3 times slower per event than ×1). Results are unchanged; garbage is still collected."""
    global _gc_depth, _gc_saved
    with _gc_lock:
        _gc_depth += 1
        if _gc_depth == 1:
            _gc_saved = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(GC_THRESHOLD0, _gc_saved[1], _gc_saved[2])
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0:
                gc.set_threshold(*_gc_saved)
                gc.unfreeze()


def _process(ev: Event) -> None:
    """A SimPy event (a process's timeout, if one is ever added): its callbacks, as Environment.step runs them."""
    callbacks, ev.callbacks = ev.callbacks, None  # type: ignore[assignment]
    for callback in callbacks:
        callback(ev)
    if not ev._ok and not hasattr(ev, "_defused"):
        raise ev._value


class Engine(simpy.Environment):
    """A SimPy environment whose events are callbacks: `at(delay, fn, *args)` puts fn and its arguments
    straight into SimPy's queue, in SimPy's order (time, priority, then the order scheduled), with no
    Event object, and `run` fires them. Any other SimPy event (a process, if one is ever added) is still
    processed as `Environment.step` would."""

    #: the current minute, a plain attribute (SimPy's `now` is a property over `_now`, read millions of times)
    now: float = 0.0

    def __init__(self, trace: bool = False):
        super().__init__()
        self.n_events = 0
        self.log: list[tuple] | None = [] if trace else None

    @property
    def _now(self) -> float:
        return self.now

    @_now.setter
    def _now(self, t: float) -> None:
        self.now = t

    def at(self, delay: float, fn: Callable[..., None], *args: Any) -> None:
        """Run fn(*args) after `delay` minutes."""
        if delay < 0:
            raise ValueError(f"negative delay {delay}")
        self.n_events += 1
        heappush(self._queue, (self.now + delay, NORMAL, next(self._eid), fn, args))  # type: ignore[misc]

    def at_time(self, t: float, fn: Callable[..., None], *args: Any) -> None:
        """Run fn(*args) at minute t (not before now): for an event worked out earlier and scheduled late,
        at exactly the minute it was due."""
        if t < self.now:
            raise ValueError(f"time {t} is before now ({self.now})")
        self.n_events += 1
        heappush(self._queue, (t, NORMAL, next(self._eid), fn, args))  # type: ignore[misc]

    def run(self, until: SimTime | Event | None = None) -> None:
        """Fire what is due before `until` (a number of minutes; events at `until` itself wait, as with
        `Environment.run`), then stand at `until`."""
        if until is not None and not isinstance(until, (int, float)):  # SimPy's own loop cannot read our entries
            raise TypeError(f"until must be a number of minutes, not {type(until).__name__}")
        end = INFINITY if until is None else float(until)
        if end < self.now:
            raise ValueError(f"until ({end}) must not be before the current time ({self.now})")
        q, pop = self._queue, heappop
        while q and q[0][0] < end:
            item: tuple = pop(q)
            self.now = item[0]
            if len(item) == 5:
                item[3](*item[4])
            else:
                _process(item[3])
        if until is not None:
            self.now = end

    def step(self) -> None:
        """Fire the next entry (SimPy's `step`, for entries of `at` as well as SimPy's events)."""
        try:
            item: tuple = heappop(self._queue)
        except IndexError:
            raise EmptySchedule from None
        self.now = item[0]
        if len(item) == 5:
            item[3](*item[4])
        else:
            _process(item[3])

    def soon(self, delay: float, fn: Callable[..., None], *args: Any) -> None:
        """As `at`, but run now when there is no delay."""
        if delay > 0:
            self.at(delay, fn, *args)
        else:
            fn(*args)

    def note(self, what: str, *detail: Any) -> None:
        if self.log is not None:
            self.log.append((round(self.now, 6), what, *detail))
