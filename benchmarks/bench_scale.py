"""How cost grows with the district: Pingcheng scaled ×s, this checkout against a baseline commit.

    .venv/bin/python benchmarks/bench_scale.py [--scales 1,2,4,8,16] [--reps 3] [--repeats 3]
                                              [--baseline a9691e6] [--baseline-max-scale 8] [--same-scenario]

Scaling ×s multiplies the towns, communities, grids, full-time grid workers, party members and the winter
storm's rate by s, and the extent by √s (the same density); see `overrides` for what differs between the
baseline's Pingcheng and today's. Each side runs its own scenario file: the baseline predates the emergency
operations, so base / this compares a replication of the old model with one of today's, operations and
all, not like with like (benchmarks/bench_ops.py prices the operations); `--same-scenario` runs both on
the baseline's file, today's side with its operations switched off (no tasks, rota or fatigue: what the
baseline had).
Each measurement is a fresh interpreter (one per code version and scale) that builds the model, runs
`--reps` replications and reports: build seconds, seconds per replication (median), incidents and SimPy
events per replication, units (responders plus party members) and peak RSS. The two code versions are
alternated within each repeat (the machine is noisy): medians over repeats, and the per-repeat ratio
baseline / this checkout at each scale. The growth exponent is the slope of log(seconds per
replication) against log(grids) between the smallest and largest scale measured.

The baseline is `git archive`d from this repository into results/baseline-<ref>/ and imported from
there. Prints a table and writes JSON to results/bench_scale.json (or --out). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import statistics
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Runs in a fresh interpreter with the code version first on sys.path; prints one JSON line.
CHILD = r"""
import json, resource, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from sim.scenario import load_scenario
from sim.model import build_model, run_replication
import sim.model as m
path, reps, overrides = sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
t0 = time.perf_counter()
model = build_model(load_scenario(path, overrides))
build = time.perf_counter() - t0
times, events, incidents = [], [], []
for r in range(reps):
    t = time.perf_counter()
    res = run_replication(model, r)
    times.append(time.perf_counter() - t)
    events.append(res.n_events)
    incidents.append(len(res.phase))
forces = m.build_forces(model.scenario, model.territory, 0, getattr(model, "need", None)) \
    if hasattr(model, "need") else m.build_forces(model.scenario, model.territory, 0)
units = len(forces.units) + int(model.territory.party_members.sum())
print(json.dumps({"build_s": build, "rep_s": times, "events": events, "incidents": incidents,
                  "grids": model.territory.n_grids, "units": units,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


#: today's operations switched off (as in benchmarks/bench_ops.py), for a like-for-like `--same-scenario`
OPS_OFF = ["levels.IV.tasks=[]", "levels.III.tasks=[]", "levels.II.tasks=[]", "levels.I.tasks=[]",
           "shifts.enabled=false", "fatigue.max_on_min=null", "fatigue.slowdown_per_hour=0"]


def overrides(s: int, side: str) -> list[str]:
    """The district ×s. The baseline's Pingcheng (before the emergency operations) counted the 487 compound
    secretaries as part-time grid workers and kept its 90 agencies at every scale; today's has none of
    those part-timers, and its agencies grow with the district (×s), since their posts do."""
    out = [f"territory.generator.towns={18 * s}", f"territory.generator.communities={155 * s}",
           f"territory.generator.grids={1529 * s}", f"territory.generator.extent_km={16 * math.sqrt(s):.6f}",
           f"forces.grid_workers.full_time={1529 * s}", f"forces.party_members.total={13400 * s}",
           f"incidents.hazards.0.rate_per_hour={40 * s}"]
    if side == "base":
        return out + [f"forces.grid_workers.part_time={487 * s}"]
    return out + [f"forces.agencies.count={90 * s}"]


def baseline_tree(ref: str) -> Path:
    out = ROOT / "results" / f"baseline-{ref}"
    if not (out / "scenarios").is_dir():
        data = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "sim", "scenarios"], check=True,
                              capture_output=True).stdout
        out.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(out, filter="data")
    return out


def measure(code: Path, s: int, reps: int, side: str, scenario_of: Path | None = None) -> dict:
    """Each side runs its own code on its own Pingcheng (the scenario file of that commit), or both on
    `scenario_of`'s (`--same-scenario`: the baseline's file, scaled the baseline's way)."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    env.pop("PYTHONPATH", None)
    scenario = (scenario_of or code) / "scenarios" / "pingcheng.yaml"
    how = "base" if scenario_of is not None else side
    extra = OPS_OFF if scenario_of is not None and side == "this" else []
    proc = subprocess.run([sys.executable, "-c", CHILD, str(code), str(scenario), str(reps),
                           json.dumps(overrides(s, how) + extra)], capture_output=True, text=True, env=env, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1,2,4,8,16")
    ap.add_argument("--reps", type=int, default=3, help="replications per measurement")
    ap.add_argument("--repeats", type=int, default=3, help="measurements per code version and scale")
    ap.add_argument("--baseline", default="a9691e6", help="git ref to compare with ('' for none)")
    ap.add_argument("--baseline-max-scale", type=int, default=8,
                    help="largest scale to run the baseline at (it needs grids² memory)")
    ap.add_argument("--same-scenario", action="store_true",
                    help="both sides run the baseline's Pingcheng, today's with its operations off")
    ap.add_argument("--out", default=str(ROOT / "results" / "bench_scale.json"))
    args = ap.parse_args()
    scales = [int(x) for x in args.scales.split(",")]
    sides = {"this": ROOT}
    if args.baseline:
        sides["base"] = baseline_tree(args.baseline)
    runs: dict[str, dict[int, list[dict]]] = {k: {s: [] for s in scales} for k in sides}
    for rep in range(args.repeats):
        for s in scales:
            order = list(sides) if rep % 2 == 0 else list(reversed(sides))
            for side in order:
                if side == "base" and s > args.baseline_max_scale:
                    continue
                r = measure(sides[side], s, args.reps, side,
                            sides.get("base") if args.same_scenario else None)
                runs[side][s].append(r)
                print(f"repeat {rep} x{s} {side}: build {r['build_s']:.2f} s, "
                      f"rep {statistics.median(r['rep_s']):.3f} s, rss {r['rss_mib']:.0f} MiB", flush=True)
    table = []
    for s in scales:
        row: dict = {"scale": s}
        for side in sides:
            got = runs[side][s]
            if not got:
                continue
            row[side] = {
                "grids": got[0]["grids"], "units": got[0]["units"],
                "incidents": statistics.median(x for g in got for x in g["incidents"]),
                "events": statistics.median(x for g in got for x in g["events"]),
                "build_s": statistics.median(g["build_s"] for g in got),
                "rep_s": statistics.median(statistics.median(g["rep_s"]) for g in got),
                "rss_mib": statistics.median(g["rss_mib"] for g in got),
            }
        if "base" in row and "this" in row:
            pairs = zip(runs["base"][s], runs["this"][s])
            row["ratio_per_repeat"] = [statistics.median(b["rep_s"]) / statistics.median(t["rep_s"]) for b, t in pairs]
            row["ratio_median"] = statistics.median(row["ratio_per_repeat"])
        table.append(row)
    result = {"scales": table, "reps": args.reps, "repeats": args.repeats, "baseline": args.baseline,
              "exponent": {}}
    for side in sides:
        pts = [(r[side]["grids"], r[side]["rep_s"]) for r in table if side in r]
        if len(pts) >= 2:
            (g0, t0), (g1, t1) = pts[0], pts[-1]
            result["exponent"][side] = {"from_grids": g0, "to_grids": g1,
                                        "value": math.log(t1 / t0) / math.log(g1 / g0)}
            for (ga, ta), (gb, tb) in zip(pts, pts[1:]):
                result["exponent"].setdefault(f"{side}_steps", []).append(
                    {"from": ga, "to": gb, "value": math.log(tb / ta) / math.log(gb / ga)})
    print()
    print(f"{'scale':>5} {'grids':>7} {'units':>8} {'side':>5} {'incidents':>9} {'events':>8} {'build s':>8} "
          f"{'s/rep':>8} {'RSS MiB':>8}")
    for r in table:
        for side in sides:
            if side in r:
                x = r[side]
                print(f"x{r['scale']:<4} {x['grids']:>7} {x['units']:>8} {side:>5} {x['incidents']:>9.0f} "
                      f"{x['events']:>8.0f} {x['build_s']:>8.2f} {x['rep_s']:>8.3f} {x['rss_mib']:>8.0f}")
        if "ratio_median" in r:
            print(f"      base / this per repeat: {', '.join(f'{v:.2f}' for v in r['ratio_per_repeat'])}"
                  f" (median {r['ratio_median']:.2f})")
    for side, e in result["exponent"].items():
        if isinstance(e, dict):
            print(f"growth exponent ({side}), grids {e['from_grids']} -> {e['to_grids']}: {e['value']:.2f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
