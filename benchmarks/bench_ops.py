"""What the emergency operations cost: a replication with the scenario's operations against the same
replication with them switched off, alternated in one run.

    .venv/bin/python benchmarks/bench_ops.py [--scenarios pingcheng,...] [--reps 7]

"Switched off" means no tasks at any level (no evacuation, posts or warning rounds), no rota and no
fatigue; levels, reporting, command and the incidents are the same. Both models are built once; then,
replication by replication, the two sides run in turn (operations first on even replications, last on odd
ones) with the same seed. Prints, per scenario, the median seconds per replication of each side, SimPy
events per replication, and the median of the per-replication ratios. Writes JSON to
results/bench_ops.json (or --out). Nothing is asserted.

`--repeats N` runs each replication N times on every side (the sides still in turn) and keeps each side's
fastest: the same work each time, so the fastest is the one least disturbed by the rest of the machine,
and the ratio of the two fastest is steadier than one pair's on a noisy host.

`--split` adds two sides to each round, to show where the cost lies: "tasks" (the tasks on, no rota and no
fatigue) and "rota" (the rota and fatigue on, no tasks); each is given as a ratio to "off" as well. The
order of the sides rotates from one replication to the next.
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

TASKS_OFF = ["levels.IV.tasks=[]", "levels.III.tasks=[]", "levels.II.tasks=[]", "levels.I.tasks=[]"]
ROTA_OFF = ["shifts.enabled=false", "fatigue.max_on_min=null", "fatigue.slowdown_per_hour=0"]
OFF = TASKS_OFF + ROTA_OFF


def measure(name: str, reps: int, split: bool = False, repeats: int = 1) -> dict[str, object]:
    path = ROOT / "scenarios" / f"{name}.yaml"
    overrides = {"ops": [], "off": OFF}
    if split:
        overrides.update(tasks=ROTA_OFF, rota=TASKS_OFF)
    sides = {k: build_model(load_scenario(path, v)) for k, v in overrides.items()}
    secs: dict[str, list[float]] = {k: [] for k in sides}
    events: dict[str, list[int]] = {k: [] for k in sides}
    for side in sides.values():  # warm-up: the first run fills caches neither side should pay for
        run_replication(side, 0)
    names = list(sides)
    for r in range(reps):
        order = names[r % len(names):] + names[:r % len(names)] if split else (names if r % 2 == 0 else names[::-1])
        best: dict[str, float] = {}
        for k in range(repeats):
            for s in (order if k % 2 == 0 else order[::-1]):
                gc.collect()
                t = time.perf_counter()
                res = run_replication(sides[s], r)
                took = time.perf_counter() - t
                best[s] = min(best.get(s, took), took)
                if k == 0:
                    events[s].append(res.n_events)
        for s in order:
            secs[s].append(best[s])
    out: dict[str, object] = {"scenario": name, "reps": reps, "repeats": repeats}
    for s in names:
        out[f"{s}_s"] = statistics.median(secs[s])
        out[f"{s}_events"] = statistics.median(events[s])
        if s != "off":
            ratios = [a / b for a, b in zip(secs[s], secs["off"])]
            key = "ratio" if s == "ops" else f"{s}_ratio"
            out[f"{key}_median"] = statistics.median(ratios)
            out[f"{key}s"] = ratios
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenarios", default="pingcheng,shatang,gaoming,lishui")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--split", action="store_true", help="also the tasks alone and the rota alone")
    ap.add_argument("--repeats", type=int, default=1, help="runs of each replication per side; the fastest kept")
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "bench_ops.json")
    a = ap.parse_args()
    rows = [measure(n, a.reps, a.split, a.repeats) for n in a.scenarios.split(",")]
    head = f"{'scenario':10} {'ops s/rep':>10} {'off s/rep':>10} {'ops events':>11} {'off events':>11} {'ratio':>6}"
    print(head + (f" {'tasks s':>8} {'ratio':>6} {'rota s':>8} {'ratio':>6}" if a.split else ""))
    for r in rows:
        line = (f"{r['scenario']:10} {r['ops_s']:10.3f} {r['off_s']:10.3f} {r['ops_events']:11.0f} "
                f"{r['off_events']:11.0f} {r['ratio_median']:6.2f}")
        if a.split:
            line += (f" {r['tasks_s']:8.3f} {r['tasks_ratio_median']:6.2f} {r['rota_s']:8.3f}"
                     f" {r['rota_ratio_median']:6.2f}")
        print(line)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
