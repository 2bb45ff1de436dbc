"""How well common random numbers pair two configurations: paired replications of a shipped scenario.

    .venv/bin/python benchmarks/pairing.py [--scenario scenarios/shatang.yaml] [--reps 30] [--kpi response_mean_min]

For each change (one more full-time grid worker, two, four; a higher agency team ratio; a shorter hop; a
flat route; slower travel) it runs the same replications with and without the change and prints, per
change, how many replications got worse, the largest worsening and the mean difference. It also checks
that part-timers' availability does not depend on the full-time count. Runs against whatever `sim`
package is first on the path, so `PYTHONPATH=<old checkout>` measures an older commit the same way.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

from sim.experiment import replication_kpis  # noqa: E402
from sim.model import build_model, run_replication  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

#: (label, overrides, expected direction of the KPI: -1 lower is expected, +1 higher)
CHANGES: list[tuple[str, list[str], int]] = [
    ("+1 full-time grid worker", ["forces.grid_workers.full_time=45"], -1),
    ("+2 full-time grid workers", ["forces.grid_workers.full_time=46"], -1),
    ("+4 full-time grid workers", ["forces.grid_workers.full_time=48"], -1),
    ("agency team ratio 0.20 -> 0.30", ["forces.agencies.team_ratio=0.3"], -1),
    ("peacetime hop 25 -> 15 min", ["reporting.peacetime.hop_delay_min=15"], -1),
    ("flat peacetime route", ["reporting.peacetime.route=[]"], -1),
    ("slower travel 25 -> 20 km/h", ["territory.travel.speed_kmh=20"], +1),
]


def kpis(path: Path, overrides: list[str], reps: int, key: str) -> np.ndarray:
    loaded = load_scenario(path, overrides)
    model = build_model(loaded)
    return np.array([replication_kpis(loaded.scenario, run_replication(model, r))[key] for r in range(reps)])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "shatang.yaml"))
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--kpi", default="response_mean_min")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    path = Path(args.scenario)
    base = kpis(path, [], args.reps, args.kpi)
    rows = []
    print(f"{path.name}, {args.reps} paired replications, KPI {args.kpi} (changed minus base)")
    print(f"{'change':34} {'wrong way':>9} {'largest wrong':>13} {'mean diff':>10}")
    for label, over, sign in CHANGES:
        d = kpis(path, over, args.reps, args.kpi) - base
        wrong = d * sign < -1e-9  # moved against the expected direction
        largest = float(max(0.0, (-(d * sign)).max()))
        rows.append({"change": label, "overrides": over, "wrong_way": int(wrong.sum()),
                     "largest_wrong_min": largest, "mean_diff": float(d.mean()),
                     "median_diff": float(statistics.median(d.tolist()))})
        print(f"{label:34} {int(wrong.sum()):>9} {largest:>13.2f} {float(d.mean()):>+10.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
