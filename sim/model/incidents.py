"""Incidents of one replication, drawn up front in blocks: background issues, hazards, or a trace.

Drawing everything before the run keeps the incidents identical whatever the forces and reporting
rules (common random numbers), and costs one numpy call per input instead of one per incident.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.model.streams import lognormal_factor, stream
from sim.model.territory import Territory
from sim.scenario.references import TraceTable
from sim.scenario.schema import CLASSES, SEVERITIES, Hazard, Scenario

SOURCES = ("background", "hazard", "trace", "drill")


@dataclass
class IncidentTable:
    onset: np.ndarray
    grid: np.ndarray
    cls: np.ndarray  # index into CLASSES
    severity: np.ndarray  # index into SEVERITIES
    source: np.ndarray  # index into SOURCES
    need: np.ndarray  # responders needed
    work_min: np.ndarray  # duration with the full crew on site
    discovery_factor: np.ndarray  # hazards are often obvious: their discovery delays are scaled
    label: list[str]  # the inject id of a drill's incident, else ""

    def __len__(self) -> int:
        return len(self.onset)


def footprint(terr: Territory, hz: Hazard) -> np.ndarray:
    """The grids a hazard's area names (its towns and grids); none named: the whole district."""
    grid_names = {g: i for i, g in enumerate(terr.grid_ids)}
    town_names = {t: i for i, t in enumerate(terr.town_ids)}
    mask = np.zeros(terr.n_grids, dtype=bool)
    for t in hz.towns:
        mask |= terr.grid_town == town_names[t]
    for g in hz.grids:
        mask[grid_names[g]] = True
    if not mask.any():
        mask[:] = True
    return mask


def hazard_mask(terr: Territory, hz: Hazard) -> np.ndarray:
    """Where a hazard's incidents happen: its footprint, or only its key areas with `key_areas_only`."""
    mask = footprint(terr, hz)
    if hz.key_areas_only and (mask & terr.key_area).any():
        mask &= terr.key_area
    return mask


def _pick(rng: np.random.Generator, mix: Mapping[Any, float], names: tuple[str, ...], n: int) -> np.ndarray:
    p = np.array([mix.get(k, 0.0) for k in names], dtype=float)
    return rng.choice(len(names), n, p=p / p.sum())


def _rows(terr: Territory, rows: TraceTable, source: str, H: float) -> tuple[tuple[np.ndarray, ...], list, list]:
    """Incidents given one by one (a trace file, or a drill's incident injects) as arrays."""
    gid = {g: i for i, g in enumerate(terr.grid_ids)}
    keep = [i for i, t in enumerate(rows.onset_min) if t < H]
    arrays = (np.array([rows.onset_min[i] for i in keep], dtype=float),
              np.array([gid[rows.grid[i]] for i in keep], dtype=np.int64),
              np.array([CLASSES.index(rows.cls[i]) for i in keep], dtype=np.int64),
              np.array([SEVERITIES.index(rows.severity[i]) for i in keep], dtype=np.int64),
              np.full(len(keep), SOURCES.index(source), dtype=np.int64),
              np.array([rows.discovery_factor[i] for i in keep], dtype=float) if rows.discovery_factor is not None
              else np.ones(len(keep)))
    return arrays, [rows.responders[i] for i in keep], [rows.work_min[i] for i in keep]


def generate_incidents(sc: Scenario, terr: Territory, replication: int, trace: TraceTable | None,
                       injected: TraceTable | None = None, labels: list[str] | None = None) -> IncidentTable:
    """`injected`: incidents a drill adds on top (labelled with their inject ids in `labels`)."""
    seed, H = sc.seed, sc.horizon_min
    inc = sc.incidents
    need_over: list = []
    work_over: list = []
    if trace is not None:
        arrays, need_over, work_over = _rows(terr, trace, "trace", H)
        parts = [arrays]
    else:
        arr = stream(seed, replication, "arrivals")
        crng = stream(seed, replication, "classes")
        srng = stream(seed, replication, "severities")
        hh = terr.households.astype(float)
        per_min = (inc.background.rate_per_hour / 60.0 if inc.background.rate_per_hour is not None
                   else inc.background.rate_per_household_per_day * hh.sum() / 1440.0)
        n = arr.poisson(per_min * H) if per_min > 0 and hh.sum() > 0 else 0
        parts = [(
            np.sort(arr.uniform(0, H, n)),
            arr.choice(terr.n_grids, n, p=hh / hh.sum()) if n else np.zeros(0, dtype=np.int64),
            _pick(crng, {c: r.share for c, r in inc.classes.items()}, CLASSES, n),
            _pick(srng, inc.background.severity_mix, SEVERITIES, n),
            np.full(n, 0),
            np.ones(n),
        )]
        for hz in inc.hazards if inc.hazard_incidents else []:
            start, end = hz.start_min, min(hz.start_min + hz.duration_min, H)
            mask = hazard_mask(terr, hz)
            w = np.where(mask, hh, 0.0)
            if w.sum() == 0:
                w = mask.astype(float)
            m = arr.poisson(hz.rate_per_hour / 60.0 * (end - start)) if end > start else 0
            parts.append((
                np.sort(arr.uniform(start, end, m)),
                arr.choice(terr.n_grids, m, p=w / w.sum()) if m else np.zeros(0, dtype=np.int64),
                _pick(crng, hz.class_mix, CLASSES, m),
                _pick(srng, hz.severity_mix, SEVERITIES, m),
                np.full(m, 1),
                np.full(m, hz.discovery_factor),
            ))
        need_over = [None] * sum(len(p[0]) for p in parts)
        work_over = list(need_over)
    label = [""] * len(need_over)
    if injected is not None:
        arrays, n_over, w_over = _rows(terr, injected, "drill", H)
        parts.append(arrays)
        need_over += n_over
        work_over += w_over
        label += [(labels or [])[i] for i, t in enumerate(injected.onset_min) if t < H]
    onset, grid, cls, sev, source, disc = (np.concatenate([p[i] for p in parts]) for i in range(6))

    order = np.argsort(onset, kind="stable")
    onset, grid, cls, sev, source, disc = (a[order] for a in (onset, grid, cls, sev, source, disc))
    n = len(onset)
    rules = [inc.classes[c] for c in CLASSES]
    srules = [inc.severities[s] for s in SEVERITIES]
    cls, sev = np.asarray(cls, dtype=np.int64), np.asarray(sev, dtype=np.int64)
    responders = np.array([r.responders for r in rules], dtype=float)
    factor = np.array([r.responders_factor for r in srules])
    need = np.ceil(responders[cls] * factor[sev] - 1e-9).astype(np.int64)
    mean = np.array([r.work_mean_min for r in rules])[cls] * np.array([r.work_factor for r in srules])[sev]
    wrng = stream(seed, replication, "work")
    e, z = wrng.standard_exponential(n), wrng.standard_normal(n)
    work = np.empty(n)
    for c, rule in enumerate(rules):
        sel = cls == c
        if rule.work_dist == "exponential":
            work[sel] = mean[sel] * e[sel]
        elif rule.work_dist == "lognormal":
            work[sel] = mean[sel] * lognormal_factor(rule.work_cv, z[sel])
        else:
            work[sel] = mean[sel]
    for k, j in enumerate(order.tolist()):
        if need_over[j] is not None:
            need[k] = need_over[j]
        if work_over[j] is not None:
            work[k] = work_over[j]
    return IncidentTable(onset=onset, grid=np.asarray(grid, dtype=np.int64), cls=np.asarray(cls, dtype=np.int64),
                         severity=np.asarray(sev, dtype=np.int64), source=np.asarray(source, dtype=np.int64),
                         need=need, work_min=work, discovery_factor=np.asarray(disc, dtype=float),
                         label=[label[j] for j in order.tolist()])
