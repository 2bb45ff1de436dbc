"""Incident records and the work on site.

One column per stage time (onset, discovered, reported, dispatched, first arrival, fully staffed,
closed), plus who was sent and who is on site. Work is person-minutes (duration × responders needed)
done at the rate of those on site, so an incident partly staffed proceeds slower and speeds up as more
hands arrive; the completion is rescheduled (a token marks the live one) whenever the rate changes.
"""

from __future__ import annotations

import math

import numpy as np

from sim.model.incidents import IncidentTable
from sim.model.territory import Territory
from sim.scenario.schema import FORCES

NAN = math.nan


class IncidentRecords:
    def __init__(self, inc: IncidentTable, terr: Territory):
        n = len(inc)
        self.n = n
        self.table = inc
        self.grid: list[int] = inc.grid.tolist()
        self.cls: list[int] = inc.cls.tolist()
        self.sev: list[int] = inc.severity.tolist()
        self.need: list[int] = inc.need.tolist()
        self.onset: list[float] = inc.onset.tolist()
        self.town: list[int] = terr.grid_town[inc.grid].tolist()
        self.comm: list[int] = terr.grid_comm[inc.grid].tolist()
        self.t_disc = [NAN] * n
        self.t_rep = [NAN] * n
        self.t_disp = [NAN] * n
        self.t_first = [NAN] * n
        self.t_staff = [NAN] * n
        self.t_close = [NAN] * n
        self.phase = [0] * n  # the phase at onset
        self.channel = [-1] * n
        self.assigned = [0] * n  # responders sent (units and party members)
        self.trips = [0] * n  # units sent: the slot of the next trip's noise
        self.on_site = [0] * n
        self.party_n = [0] * n  # party members sent
        self.party_cap = [0] * n  # party members it may take (set by the dispatch desk)
        self.remaining: list[float] = (inc.work_min * inc.need).tolist()  # person-minutes
        self.rate = [0.0] * n
        self.last = [0.0] * n
        self.token = [0] * n
        self.crew: list[list[int]] = [[] for _ in range(n)]
        self.enroute: list[list[float]] = [[] for _ in range(n)]  # arrival times of hands on their way
        self.served = [0] * n  # bit mask of the forces that served it
        self.seq = [0] * n  # ready order

    def work(self, i: int, k: int, speed: float, now: float) -> float:
        """k more hands on site at `speed` each: record first arrival and full staffing; return the minutes
        of work left at the new rate (0 when done)."""
        self.remaining[i] -= self.rate[i] * (now - self.last[i])
        self.last[i] = now
        self.rate[i] += k * speed
        self.on_site[i] += k
        if self.t_first[i] != self.t_first[i]:
            self.t_first[i] = now
        self.token[i] += 1
        left = self.remaining[i]
        return left / self.rate[i] if left > 0 else 0.0

    def columns(self) -> dict[str, np.ndarray]:
        inc = self.table
        return {
            "grid": inc.grid, "class": inc.cls, "severity": inc.severity, "source": inc.source,
            "responders": inc.need, "onset_min": inc.onset,
            "discovered_min": np.array(self.t_disc), "reported_min": np.array(self.t_rep),
            "dispatched_min": np.array(self.t_disp), "first_arrival_min": np.array(self.t_first),
            "staffed_min": np.array(self.t_staff), "closed_min": np.array(self.t_close),
        }

    def served_by(self) -> list[str]:
        names: dict[int, str] = {}
        out = []
        for mask in self.served:
            if mask not in names:
                names[mask] = "+".join(FORCES[f] for f in range(len(FORCES)) if mask >> f & 1)
            out.append(names[mask])
        return out
