"""Job records and the work on site: the incidents, then the tasks' jobs added as they start.

One column per stage time (onset, discovered, reported, dispatched, first arrival, fully staffed,
closed), plus who was sent and who is on site. Work is person-minutes (duration × responders needed)
done at the rate of those on site, so a job partly staffed proceeds slower and speeds up as more hands
arrive; the completion is rescheduled (a token marks the live one) whenever the rate changes. Rows
0 .. n-1 are the incidents; a task's job (a grid's evacuation, a post's shift, a grid's warning round)
is appended with `add` and has a kind other than INCIDENT.
"""

from __future__ import annotations

import math

import numpy as np

from sim.model.incidents import IncidentTable
from sim.model.territory import Territory
from sim.scenario.schema import FORCES

NAN = math.nan
INCIDENT = 0


class IncidentRecords:
    def __init__(self, inc: IncidentTable, terr: Territory):
        n = len(inc)
        self.n = n  # incidents
        self.table = inc
        self.kind = [INCIDENT] * n
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
        # kept only for jobs that have any (most incidents of a long run never have both at once)
        self.crew: dict[int, list[int]] = {}  # units on site
        self.enroute: dict[int, list[float]] = {}  # arrival times of hands on their way
        self.served = [0] * n  # bit mask of the forces that served it
        self.seq = [0] * n  # ready order

    def add(self, kind: int, grid: int, cls: int, need: int, work_min: float, now: float, town: int,
            comm: int) -> int:
        """A task's job, ready now: its row number."""
        i = len(self.grid)
        self.kind.append(kind)
        self.grid.append(grid)
        self.cls.append(cls)
        self.sev.append(0)
        self.need.append(need)
        self.onset.append(now)
        self.town.append(town)
        self.comm.append(comm)
        self.t_disc.append(now)  # a task's job is known and reported when it is ready
        self.t_rep.append(now)
        self.t_disp.append(NAN)
        self.t_first.append(NAN)
        self.t_staff.append(NAN)
        self.t_close.append(NAN)
        self.phase.append(1)
        self.channel.append(-1)
        self.assigned.append(0)
        self.trips.append(0)
        self.on_site.append(0)
        self.party_n.append(0)
        self.party_cap.append(0)
        self.token.append(0)
        self.served.append(0)
        self.seq.append(0)
        self.remaining.append(work_min * need)
        self.rate.append(0.0)
        self.last.append(now)
        return i

    def left_at(self, i: int, t: float) -> float:
        """Person-minutes of work still to do at time t (work in progress counted up to t)."""
        if self.t_close[i] == self.t_close[i] and self.t_close[i] <= t:
            return 0.0
        return max(0.0, self.remaining[i] - self.rate[i] * max(0.0, t - self.last[i]))

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
        """The incidents' columns (the tasks' jobs are reported by the tasks)."""
        inc, n = self.table, self.n
        return {
            "grid": inc.grid, "class": inc.cls, "severity": inc.severity, "source": inc.source,
            "responders": inc.need, "onset_min": inc.onset,
            "discovered_min": np.array(self.t_disc[:n]), "reported_min": np.array(self.t_rep[:n]),
            "dispatched_min": np.array(self.t_disp[:n]), "first_arrival_min": np.array(self.t_first[:n]),
            "staffed_min": np.array(self.t_staff[:n]), "closed_min": np.array(self.t_close[:n]),
        }

    def served_by(self) -> list[str]:
        names: dict[int, str] = {}
        out = []
        for mask in self.served[:self.n]:
            if mask not in names:
                names[mask] = "+".join(FORCES[f] for f in range(len(FORCES)) if mask >> f & 1)
            out.append(names[mask])
        return out
