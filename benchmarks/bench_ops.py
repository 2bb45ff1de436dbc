"""What the emergency operations cost: a replication with the scenario's operations against the same
replication with them switched off, alternated in one run.

    .venv/bin/python benchmarks/bench_ops.py [--scenarios pingcheng,...] [--reps 7]

"Switched off" means no tasks at any level (no evacuation, posts or warning rounds), no rota and no
fatigue; levels, reporting, command and the incidents are the same. Both models are built once; then,
replication by replication, the two sides run in turn (operations first on even replications, last on odd
ones) with the same seed. Prints, per scenario, the median seconds per replication of each side, SimPy
events per replication, and the median of the per-replication ratios. Writes JSON to
results/bench_ops.json (or --out). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.model import build_model, run_replication  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

OFF = ["levels.IV.tasks=[]", "levels.III.tasks=[]", "levels.II.tasks=[]", "levels.I.tasks=[]",
       "shifts.enabled=false", "fatigue.max_on_min=null", "fatigue.slowdown_per_hour=0"]


def measure(name: str, reps: int) -> dict[str, object]:
    path = ROOT / "scenarios" / f"{name}.yaml"
    sides = {"ops": build_model(load_scenario(path)), "off": build_model(load_scenario(path, OFF))}
    secs: dict[str, list[float]] = {"ops": [], "off": []}
    events: dict[str, list[int]] = {"ops": [], "off": []}
    for side in sides.values():  # warm-up: the first run fills caches neither side should pay for
        run_replication(side, 0)
    for r in range(reps):
        order = ["ops", "off"] if r % 2 == 0 else ["off", "ops"]
        for s in order:
            gc.collect()
            t = time.perf_counter()
            res = run_replication(sides[s], r)
            secs[s].append(time.perf_counter() - t)
            events[s].append(res.n_events)
    ratios = [a / b for a, b in zip(secs["ops"], secs["off"])]
    return {
        "scenario": name, "reps": reps,
        "ops_s": statistics.median(secs["ops"]), "off_s": statistics.median(secs["off"]),
        "ops_events": statistics.median(events["ops"]), "off_events": statistics.median(events["off"]),
        "ratio_median": statistics.median(ratios), "ratios": ratios,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenarios", default="pingcheng,shatang,gaoming,lishui")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "bench_ops.json")
    a = ap.parse_args()
    rows = [measure(n, a.reps) for n in a.scenarios.split(",")]
    print(f"{'scenario':10} {'ops s/rep':>10} {'off s/rep':>10} {'ops events':>11} {'off events':>11} {'ratio':>6}")
    for r in rows:
        print(f"{r['scenario']:10} {r['ops_s']:10.3f} {r['off_s']:10.3f} {r['ops_events']:11.0f} "
              f"{r['off_events']:11.0f} {r['ratio_median']:6.2f}")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
