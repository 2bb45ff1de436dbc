"""Tables of a run folder, written with fixed formatting so the same seed gives the same bytes."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import IO, Any

import numpy as np

from sim.files import AtomicFile, atomic_open, atomic_write_text
from sim.model import PHASES, SOURCES, Model, ReplicationResult
from sim.scenario.schema import CLASSES, GRID_KINDS, SEVERITIES

INCIDENT_COLUMNS = ("replication", "incident", "town", "community", "grid", "class", "severity", "phase", "source",
                    "onset_min", "discovered_min", "reported_min", "dispatched_min", "first_arrival_min",
                    "staffed_min", "closed_min", "responders", "served_by")
TIMES = ("onset_min", "discovered_min", "reported_min", "dispatched_min", "first_arrival_min", "staffed_min",
         "closed_min")


def fmt(x: float) -> str:
    return "" if x != x else f"{x:.3f}"


class IncidentWriter:
    """Appends each replication's incidents as it finishes, so a later failure loses nothing."""

    def __init__(self, path: Path, model: Model, inject_column: bool = False):
        self.file = AtomicFile(path, newline="")
        self.fh: IO[str] = self.file.fh
        self.w = csv.writer(self.fh, lineterminator="\n")
        self.inject = inject_column  # a drill's incidents carry the id of their inject
        self.w.writerow(INCIDENT_COLUMNS + (("inject",) if inject_column else ()))
        self.terr = model.territory

    def write(self, r: ReplicationResult) -> None:
        c, terr = r.incidents, self.terr
        grid = c["grid"].tolist()
        times = [[fmt(x) for x in c[k].tolist()] for k in TIMES]
        cls, sev, src, need = c["class"].tolist(), c["severity"].tolist(), c["source"].tolist(), c["responders"].tolist()
        phase = r.phase.tolist()
        town = [terr.town_ids[t] for t in terr.grid_town[grid].tolist()] if grid else []
        comm = [terr.community_ids[k] for k in terr.grid_comm[grid].tolist()] if grid else []
        labels = r.extra.get("labels", [])
        rows = []
        for i in range(len(grid)):
            row = (r.replication, i, town[i], comm[i], terr.grid_ids[grid[i]], CLASSES[cls[i]],
                   SEVERITIES[sev[i]], PHASES[phase[i]], SOURCES[src[i]], *(t[i] for t in times), need[i],
                   r.served_by[i])
            rows.append(row + ((labels[i] if labels else "",) if self.inject else ()))
        self.w.writerows(rows)

    def close(self) -> None:
        """Rename the file into place, whole (what finished replications wrote is kept)."""
        self.file.commit()

    def abort(self) -> None:
        """Remove the partial file (after a write failed, a full disk say)."""
        self.file.abort()


def mobilisation_rows(r: ReplicationResult, step: float) -> list[tuple]:
    grid = np.arange(0.0, r.end_min + step / 2, step)
    rows = []
    for force, (times, counts) in r.mobilisation.items():
        size = r.force_size.get(force, 0)
        if size == 0:
            continue
        idx = np.searchsorted(times, grid, side="right") - 1
        in_place = np.where(idx >= 0, counts[np.maximum(idx, 0)] if len(counts) else 0, 0)
        for t, k in zip(grid.tolist(), np.asarray(in_place).tolist()):
            rows.append((r.replication, force, f"{t:.1f}", int(k), f"{k / size:.4f}"))
    return rows


class MobilisationWriter:
    def __init__(self, path: Path):
        self.file = AtomicFile(path, newline="")
        self.w = csv.writer(self.file.fh, lineterminator="\n")
        self.w.writerow(("replication", "force", "time_min", "in_place", "share"))

    def write(self, rows: list[tuple]) -> None:
        self.w.writerows(rows)

    def close(self) -> None:
        self.file.commit()

    def abort(self) -> None:
        self.file.abort()


def clean(x: Any) -> Any:
    """JSON has no NaN: undefined values are written as null."""
    if isinstance(x, float):
        return None if math.isnan(x) or math.isinf(x) else round(x, 6)
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    return x


def write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(clean(data), indent=2, sort_keys=False) + "\n")


def write_kpi_csv(path: Path, rows: list[tuple[int, dict[str, float]]]) -> None:
    if not rows:
        return
    keys = list(rows[0][1])
    with atomic_open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(("replication", *keys))
        for rep, k in rows:
            w.writerow((rep, *("" if k[key] != k[key] else f"{k[key]:.6g}" for key in keys)))


def write_grids(path: Path, model: Model) -> None:
    """The grids with their town, community, kind, households, position and key-area flag (for maps)."""
    t = model.territory
    with atomic_open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(("grid", "town", "community", "kind", "households", "x_km", "y_km", "key_area"))
        for g in range(t.n_grids):
            w.writerow((t.grid_ids[g], t.town_ids[t.grid_town[g]], t.community_ids[t.grid_comm[g]],
                        GRID_KINDS[t.kind[g]], int(t.households[g]), f"{t.x_km[g]:.3f}", f"{t.y_km[g]:.3f}",
                        int(t.key_area[g])))
