"""Smoke test of benchmarks/bench_core.py: it runs and writes the expected JSON. No timing is asserted."""

import importlib.util
import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_core", ROOT / "benchmarks" / "bench_core.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _positive(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


def test_bench_core_quick(tmp_path):
    bench = _load_bench()
    out_file = tmp_path / "bench_core.json"
    returned = bench.main(["--quick"], mmc_customers=2000, skip_pingcheng=True, out_path=out_file, quiet=True)

    data = json.loads(out_file.read_text())
    assert data == json.loads(json.dumps(returned))
    assert {"command", "machine", "config", "pingcheng", "mmc"} <= data.keys()
    assert {"platform", "python", "cpu_count"} <= data["machine"].keys()
    assert data["config"] == {"repeats": 1, "quick": True, "mmc_customers": 2000, "skip_pingcheng": True}
    assert data["pingcheng"] is None

    m = data["mmc"]
    assert m["customers"] == 2000
    for key in ("build_s", "model_median_s", "bare_median_s", "ratio_median", "erlang_c_wait_min",
                "bare_mean_wait_min", "model_mean_wait_min"):
        assert _positive(m[key]), key
    assert len(m["model_s"]) == len(m["bare_s"]) == len(m["ratios"]) == 1
    assert all(_positive(x) for x in m["model_s"] + m["bare_s"] + m["ratios"])
    assert all(n > 0 for n in m["model_incidents"] + m["model_events"])
    assert abs(m["erlang_c_wait_min"] - 2.2161) < 1e-3  # lambda=1, mu=0.25, c=5


def test_bare_mmc_matches_erlang_c():
    bench = _load_bench()
    waits = bench.bare_mmc(20_000, seed=1)
    wq = bench.erlang_c_wait(1.0, 0.25, 5)
    assert len(waits) == 20_000
    assert abs(waits.mean() / wq - 1) < 0.25  # loose: only catches a wrong loop, not noise


def test_bench_ops_split_has_every_side_and_the_workload_shows():
    """benchmarks/bench_ops.py --split on Shatang, 3 replications: the four sides, their ratios to "off",
    and each side's own workload (more events with the tasks, and with the rota, than with neither)."""
    spec = importlib.util.spec_from_file_location("bench_ops", ROOT / "benchmarks" / "bench_ops.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    row = bench.measure("shatang", 3, split=True)
    for side in ("ops", "off", "tasks", "rota"):
        assert _positive(row[f"{side}_s"]) and _positive(row[f"{side}_events"]), side
    assert len(row["ratios"]) == len(row["tasks_ratios"]) == len(row["rota_ratios"]) == 3
    assert row["ratio_median"] == sorted(row["ratios"])[1]
    assert row["ops_events"] > row["tasks_events"] > row["off_events"]
    assert row["rota_events"] > row["off_events"]
    plain = bench.measure("shatang", 2)
    assert "tasks_s" not in plain and len(plain["ratios"]) == 2
    assert plain["ops_events"] > plain["off_events"]
