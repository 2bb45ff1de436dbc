"""Sobol indices from a known function, and the same intervals every time (seeded bootstrap)."""

from types import SimpleNamespace

import numpy as np

from sim.output.sweep import sobol_table


def test_sobol_indices_of_an_additive_function_are_seeded_and_right():
    # y = 4 x1 + x2 (x3 inert), x ~ U(0,1): first-order indices 16/17, 1/17, 0
    n, d = 256, 3
    rng = np.random.default_rng(3)
    a, b = rng.uniform(size=(n, d)), rng.uniform(size=(n, d))
    mats = [a, b] + [np.where(np.arange(d) == i, b, a) for i in range(d)]
    x = np.concatenate(mats)
    y = 4 * x[:, 0] + x[:, 1]
    plan = SimpleNamespace(design=SimpleNamespace(sobol_n=n, keys=["x1", "x2", "x3"]),
                           experiment=SimpleNamespace(spec=SimpleNamespace(design_seed=5)))
    summary = [{"y": v} for v in y]
    first = sobol_table(plan, summary, ["y"])
    assert first == sobol_table(plan, summary, ["y"])  # identical, intervals included
    rows = {r["factor"]: r for r in first["y"]["indices"]}
    assert abs(rows["x1"]["first_order"] - 16 / 17) < 0.1
    assert abs(rows["x2"]["first_order"] - 1 / 17) < 0.05
    assert abs(rows["x3"]["total_order"]) < 1e-9
    for r in rows.values():
        assert r["first_order_ci95_low"] <= r["first_order"] + 1e-9 <= r["first_order_ci95_high"] + 2e-9
