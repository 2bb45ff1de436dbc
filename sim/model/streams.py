"""Named random streams: one per random input, keyed by what a draw belongs to, never by the order of use.

`SeedSequence(seed, spawn_key=(replication, k, *sub))` is the k-th named child of replication r's sequence,
split further by `sub` (a force and a role of it, say). Replication r therefore draws the same incidents
whatever the staffing or reporting rules, and within a force each role has its own stream, so that one
more full-time grid worker leaves the part-timers' draws alone (common random numbers).

Draws that belong to members of a group (the members of a team, the squads of an agency) are laid out in
rows of a fixed width (`slot_width`): member m of team t always gets entry [t, m], so a bigger team adds
members and leaves the others' draws as they were.
"""

from __future__ import annotations

import numpy as np

#: Append only: a stream's position is its identity.
STREAMS = ("arrivals", "classes", "severities", "discovery", "reporting", "mobilisation", "travel", "work",
           "party", "territory")

#: Replication key used for inputs fixed across replications (the generated territory).
FIXED = 2**31 - 1

#: sub-keys of the `mobilisation` stream: (force code, role)
GRID_FULL_TIME, GRID_PART_TIME = (0, 0), (0, 1)
TEAM_DELAY, TEAM_ON_CALL = 0, 1  # roles of each "1+1+N" level (force code 1, 2, 3)
RESIDENT_PRESENCE, RESIDENT_RECALL = (4, 0), (4, 1)
AGENCY_NOTIFY, AGENCY_ASSEMBLE = (5, 0), (5, 1)


def stream(seed: int, replication: int, name: str, *sub: int) -> np.random.Generator:
    """The generator of one named input, optionally split further (for example one per force and role)."""
    k = STREAMS.index(name)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(replication, k, *sub))))


def slot_width(n: int) -> int:
    """Row width for per-member draws: at least 32, else the next power of two, so that sizes within a
    bracket keep every member's draw in place."""
    w = 32
    while w < n:
        w *= 2
    return w


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
