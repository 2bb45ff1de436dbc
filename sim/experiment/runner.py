"""Replications on one code path: in-process for one job, a `concurrent.futures` executor otherwise.

Each replication's random inputs depend only on (seed, replication index), so results are identical
whichever executor ran them, and they are handed back ordered by replication index.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass

from sim.model import Model, ReplicationResult, run_replication

_MODEL: Model | None = None


@dataclass
class Failure:
    """A replication that raised: which one, and why; the others go on."""

    replication: int
    error: str
    detail: str


def _init(model: Model) -> None:
    global _MODEL
    _MODEL = model


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
    own = executor is None
    ex = executor or ProcessPoolExecutor(max_workers=jobs, initializer=_init, initargs=(model,))
    try:
        if own:
            futures = [ex.submit(_one, r) for r in replications]
        else:
            futures = [ex.submit(_safe, model, r) for r in replications]
        for f in futures:
            yield f.result()
    finally:
        if own:
            ex.shutdown(cancel_futures=True)
