"""Design points: full factorial, Latin hypercube (`scipy.stats.qmc`), or Sobol (Saltelli sampling).

A Sobol design lays its points out as the matrices A (n points), B (n points), then AB_i for each factor i
(A with factor i taken from B), the layout `scipy.stats.sobol_indices` expects for its `f_A`, `f_B`, `f_AB`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import qmc

from sim.experiment.spec import Experiment


@dataclass
class Design:
    keys: list[str]
    points: list[list[Any]]  # one value per factor, in factor order
    kind: str
    sobol_n: int | None = None

    def overrides(self, p: int) -> dict[str, Any]:
        return dict(zip(self.keys, self.points[p]))


def _engine(cls: Any, d: int, seed: int, **kw: Any) -> Any:
    try:
        return cls(d, rng=np.random.default_rng(seed), **kw)
    except TypeError:  # scipy before 1.15 names it `seed`
        return cls(d, seed=seed, **kw)


def make_design(spec: Experiment) -> Design:
    keys = [f.key for f in spec.factors]
    d = len(keys)
    if spec.design == "factorial":
        points = [list(p) for p in itertools.product(*(f.levels() for f in spec.factors))]
        return Design(keys, points, "factorial")
    if spec.design == "lhs":
        u = _engine(qmc.LatinHypercube, d, spec.design_seed).random(spec.samples)
        return Design(keys, [[f.from_unit(x) for f, x in zip(spec.factors, row)] for row in u], "lhs")
    n = spec.samples
    u = _engine(qmc.Sobol, 2 * d, spec.design_seed, scramble=True).random_base2(int(np.log2(n)))
    a, b = u[:, :d], u[:, d:]
    mats = [a, b]
    for i in range(d):
        ab = a.copy()
        ab[:, i] = b[:, i]
        mats.append(ab)
    rows = np.concatenate(mats)
    return Design(keys, [[f.from_unit(x) for f, x in zip(spec.factors, row)] for row in rows], "sobol", n)
