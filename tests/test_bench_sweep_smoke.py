"""Smoke test of benchmarks/bench_sweep.py: a tiny sweep (4 runs of Shatang, jobs 1 and 2, no Dask, no memory
part) runs and writes the expected JSON. No timing is asserted."""

import importlib.util
import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_sweep", ROOT / "benchmarks" / "bench_sweep.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _positive(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


def test_bench_sweep_tiny(tmp_path):
    bench = _load_bench()
    out_file = tmp_path / "bench_sweep.json"
    returned = bench.main(["--runs", "4", "--repeats", "1", "--scenario", str(ROOT / "scenarios" / "shatang.yaml"),
                           "--skip-dask", "--skip-memory"], out_path=out_file, quiet=True)

    data = json.loads(out_file.read_text())
    assert data == json.loads(json.dumps(returned))
    assert {"command", "machine", "config", "pool", "dask", "memory", "identical"} <= data.keys()
    assert {"platform", "python", "cpu_count", "simpy", "numpy", "dask"} <= data["machine"].keys()
    assert data["config"]["runs"] == 4 and data["config"]["repeats"] == 1
    assert data["config"]["scenario"].endswith("shatang.yaml")
    assert data["dask"] is None and data["memory"] is None
    assert data["identical"] is True

    p = data["pool"]
    assert p["runs_failed"] == 0
    for key in ("jobs1_median_s", "jobs2_median_s", "efficiency_median", "efficiency_of_medians", "speedup_median"):
        assert _positive(p[key]), key
    assert len(p["jobs1_s"]) == len(p["jobs2_s"]) == len(p["efficiency"]) == 1
    assert all(_positive(x) for x in p["jobs1_s"] + p["jobs2_s"] + p["efficiency"])
    labels = {h["label"] for h in data["runs_csv_sha256"]}
    assert labels == {"jobs1", "jobs2"}
