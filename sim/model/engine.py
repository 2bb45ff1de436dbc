"""The event engine of one replication: a SimPy environment driven by callbacks, and the event log.

Each stage that takes time is one SimPy timeout whose callback runs the next stage; a stage with no
delay runs at once (a zero-length timeout would only cost an event). The log, kept only when a trace is
asked for (drills, tests), holds `(minute, event, *detail)` tuples in the order things happen.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import simpy
from simpy.events import Timeout

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
