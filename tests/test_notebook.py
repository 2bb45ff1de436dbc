"""docs/notebooks/api.ipynb runs: every code cell in order, in one namespace, as Jupyter would (no kernel
needed), in a scratch folder where `scenarios/` is the repository's, so its results/ stay out of the tree."""

from __future__ import annotations

import json
import os

from tests.conftest import ROOT

NOTEBOOK = ROOT / "docs" / "notebooks" / "api.ipynb"


def test_the_notebook_runs(tmp_path):
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(not c["outputs"] for c in code), "commit the notebook without outputs"
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        ns: dict = {}
        for cell in code:
            exec(compile("".join(cell["source"]), str(NOTEBOOK), "exec"), ns)  # noqa: S102 - our own notebook
    finally:
        os.chdir(here)
    assert list(ns["inc"].columns[:3]) == ["replication", "incident", "town"]
    assert ns["base"].summary.at["response_mean_min", "unit"] == "min"
    assert (tmp_path / "results" / "notebook" / "base" / "report.html").is_file()
