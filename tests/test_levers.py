"""Every lever acts, measurably, on every shipped district (issue 8): 20 paired replications of a low and
a high setting, the paired difference significant (p < 0.05), material (5 % of the KPI and a minute, an
hour or a percentage point) and in the expected direction. docs/levers.md holds the figures
(tools/levers.py writes it from the same code)."""

from __future__ import annotations

import pytest

from sim.experiment.levers import DISTRICTS, LEVERS, effect
from tests.conftest import ROOT


@pytest.mark.parametrize("lever", LEVERS, ids=[lv.name for lv in LEVERS])
@pytest.mark.parametrize("district", DISTRICTS)
def test_the_lever_acts(district, lever):
    e = effect(ROOT / "scenarios", district, lever, reps=20)
    assert e.right_way, f"{district}, {lever.name}: {e.kpi} moved the wrong way ({e.low:g} -> {e.high:g})"
    assert e.p < 0.05, f"{district}, {lever.name}: not significant (p = {e.p:.3g}, diff {e.diff:+g})"
    assert e.material, f"{district}, {lever.name}: too small to matter ({e.kpi} {e.low:g} -> {e.high:g})"


def test_the_docs_table_names_every_lever_and_district():
    text = (ROOT / "docs" / "levers.md").read_text()
    for d in DISTRICTS:
        for lv in LEVERS:
            assert f"| {d} | {lv.name} | `{lv.kpi[d]}` |" in text, (d, lv.name)
    assert "NO |" not in text
