"""Replications on one code path: in-process for one job, a `concurrent.futures` executor otherwise.

Each replication's random inputs depend only on (seed, replication index), so results are identical
whichever executor ran them, and they are handed back ordered by replication index.
"""

from __future__ import annotations

import signal
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from sim.model import Model, ReplicationResult, run_replication

_MODEL: Model | None = None


@dataclass
class Failure:
    """A replication that raised: which one, and why; the others go on."""

    replication: int
    error: str
    detail: str


#: times a replication is run again, alone, after its worker process died, before it is a Failure
MAX_ATTEMPTS = 3


def submit(ex: Executor, fn: Callable[..., Any], *args: Any) -> Future:
    """`ex.submit`, except that a pool already broken by a dead worker gives a future holding that error,
    so the caller recovers from it in one place, as from a task lost with the worker."""
    try:
        return ex.submit(fn, *args)
    except BrokenProcessPool as exc:
        fut: Future = Future()
        fut.set_exception(exc)
        return fut


def _init(model: Model) -> None:
    global _MODEL
    _MODEL = model
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: no worker tracebacks


def _one(replication: int) -> ReplicationResult | Failure:
    assert _MODEL is not None
    return _safe(_MODEL, replication)


def _safe(model: Model, replication: int) -> ReplicationResult | Failure:
    try:
        return run_replication(model, replication)
    except Exception as exc:  # a failed replication is recorded, not fatal to the others
        return Failure(replication, f"{type(exc).__name__}: {exc}", traceback.format_exc())


def iter_replications(model: Model, replications: list[int], jobs: int = 1,
                      executor: Executor | None = None) -> Iterator[ReplicationResult | Failure]:
    """Yield each replication's result in index order, as soon as it and all before it are done."""
    if executor is None and jobs <= 1:
        for r in replications:
            yield _safe(model, r)
        return
    if executor is not None:
        futures = [executor.submit(_safe, model, r) for r in replications]
        for f in futures:
            yield f.result()
        return
    yield from _pool_replications(model, replications, jobs)


def _pool_replications(model: Model, replications: list[int], jobs: int) -> Iterator[ReplicationResult | Failure]:
    """On a local pool. A worker process that dies (killed, out of memory, `os._exit`) breaks the pool: the
    replication waited for is run again alone in a new pool (so a crash is blamed on the one that causes
    it), then the others are sent again; what finished is kept."""

    def pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=jobs, initializer=_init, initargs=(model,))

    ex = pool()
    futures: dict[int, Future] = {r: submit(ex, _one, r) for r in replications}
    try:
        for i, r in enumerate(replications):
            try:
                res = futures[r].result()
            except BrokenProcessPool:
                ex.shutdown(wait=True, cancel_futures=True)
                res, ex = _alone(pool, r)
                for q in replications[i + 1:]:
                    f = futures[q]
                    if not (f.done() and not f.cancelled() and f.exception() is None):
                        futures[q] = submit(ex, _one, q)
            yield res
    finally:
        ex.shutdown(cancel_futures=True)


def _alone(pool: Callable[[], ProcessPoolExecutor], r: int) -> tuple[ReplicationResult | Failure, ProcessPoolExecutor]:
    for attempt in range(1, MAX_ATTEMPTS + 1):
        ex = pool()
        try:
            return submit(ex, _one, r).result(), ex
        except BrokenProcessPool:
            ex.shutdown(wait=True, cancel_futures=True)
            if attempt == MAX_ATTEMPTS:
                return Failure(r, f"BrokenProcessPool: its worker process died {attempt} times", ""), pool()
    raise AssertionError("unreachable")
