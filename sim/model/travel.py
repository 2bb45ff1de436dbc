"""Travel: minutes between locations from their positions, roads closed by a drill, and trip noise.

Times are computed on demand (set-up + detour × distance / speed) instead of read from a grid × grid
matrix, so memory grows with the grids, not their square. Noise is keyed by the trip's identity (the
j-th responder sent to incident i), not by the order trips happen in: a change of dispatch order moves
no noise from one trip to another (common random numbers).
"""

from __future__ import annotations

import math

import numpy as np

from sim.model.streams import lognormal_factor
from sim.model.territory import Territory
from sim.scenario.schema import Travel as TravelRules


class Travel:
    def __init__(self, terr: Territory, rules: TravelRules):
        self.x: list[float] = terr.loc_x.tolist()
        self.y: list[float] = terr.loc_y.tolist()
        self.setup = float(rules.setup_min)
        self.per_km = rules.detour_factor / rules.speed_kmh * 60.0
        self.cv = float(rules.cv)
        G = terr.n_grids
        # roads closed by a drill inject: trips to the grid take factor × time + extra until `closed_until`
        self.closed_until = [0.0] * G
        self.factor = [1.0] * G
        self.extra = [0.0] * G
        self.n_closed = 0

    def between(self, a: int, b: int) -> float:
        """Deterministic minutes from location a to location b (set-up included)."""
        return self.setup + self.per_km * math.hypot(self.x[a] - self.x[b], self.y[a] - self.y[b])

    def to_grid(self, a: int, g: int, now: float) -> float:
        """Deterministic minutes from location a to grid g, detours of closed roads included."""
        t = self.setup + self.per_km * math.hypot(self.x[a] - self.x[g], self.y[a] - self.y[g])
        if self.n_closed and self.closed_until[g] > now:
            t = t * self.factor[g] + self.extra[g]
        return t


class TripNoise:
    """Mean-one lognormal factors, one per (incident, responder slot), drawn once per replication."""

    def __init__(self, cv: float, need: np.ndarray, rng: np.random.Generator):
        self.on = cv > 0
        self.offset: list[int] = np.concatenate([[0], np.cumsum(need)]).astype(np.int64).tolist()
        self.factors: list[float] = (lognormal_factor(cv, rng.standard_normal(int(self.offset[-1]))).tolist()
                                     if self.on else [])

    def factor(self, i: int, slot: int) -> float:
        return self.factors[self.offset[i] + slot] if self.on else 1.0
