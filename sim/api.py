"""The Python API in one place: everything the command line does, as functions that take paths.

    from sim.api import run_scenario, load_run, compare_runs
    run = run_scenario("scenarios/shatang.yaml", replications=3, overrides=["forces.agencies.team_ratio=0.3"])
    run.incidents, run.kpis, run.summary   # pandas DataFrames

See docs/notebooks/api.ipynb (run by the test suite).
"""

from sim.output.compare import compare_runs, why_no_difference
from sim.output.frames import RunResult, load_run, read_incidents
from sim.output.replay import replay_drill
from sim.output.report import write_report
from sim.output.run import RunOutcome, run_scenario
from sim.output.sweep import SweepOutcome, run_sweep
from sim.output.territory_map import write_map
from sim.output.xlsx import export_xlsx

__all__ = ["RunOutcome", "RunResult", "SweepOutcome", "compare_runs", "export_xlsx", "load_run", "read_incidents",
           "replay_drill", "run_scenario", "run_sweep", "why_no_difference", "write_map", "write_report"]
