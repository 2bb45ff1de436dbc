"""Confidence intervals across replications."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def mean_ci(values: list[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t interval over the replications that have a value (NaN where undefined)."""
    x = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    m = float(x.mean())
    if len(x) < 2:
        return m, math.nan, math.nan
    se = float(x.std(ddof=1)) / math.sqrt(len(x))
    h = float(stats.t.ppf(0.5 + level / 2, len(x) - 1)) * se
    return m, m - h, m + h
