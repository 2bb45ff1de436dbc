"""Named random streams: one per random input, so that changing one input leaves the others' draws alone.

`SeedSequence(seed, spawn_key=(replication, k))` is the k-th named child of replication r's sequence
(the same as `SeedSequence(seed).spawn(r + 1)[r].spawn(k + 1)[k]`), so replication r draws the same
incidents whatever the staffing or reporting rules: comparisons are paired (common random numbers).
"""

from __future__ import annotations

import numpy as np

#: Append only: a stream's position is its identity.
STREAMS = ("arrivals", "classes", "severities", "discovery", "reporting", "mobilisation", "travel", "work",
           "party", "territory")

#: Replication key used for inputs fixed across replications (the generated territory).
FIXED = 2**31 - 1


def stream(seed: int, replication: int, name: str, *sub: int) -> np.random.Generator:
    """The generator of one named input, optionally split further (for example one per force)."""
    k = STREAMS.index(name)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(replication, k, *sub))))


def lognormal(rng: np.random.Generator, mean: float, cv: float, size: int | tuple[int, ...]) -> np.ndarray:
    """Positive delays with a given mean and coefficient of variation (cv 0 gives the mean itself)."""
    if mean <= 0:
        return np.zeros(size)
    if cv <= 0:
        return np.full(size, float(mean))
    s2 = np.log1p(cv * cv)
    return rng.lognormal(np.log(mean) - s2 / 2, np.sqrt(s2), size)


def lognormal_factor(cv: float, z: np.ndarray) -> np.ndarray:
    """Mean-one lognormal multipliers from standard normal draws (drawn once, scaled per use)."""
    if cv <= 0:
        return np.ones_like(z)
    s2 = np.log1p(cv * cv)
    return np.exp(np.sqrt(s2) * z - s2 / 2)
