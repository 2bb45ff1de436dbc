"""`mobsim target` as a function: run the search on the chosen executor and report the evidence."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

from sim.experiment.spec import LoadedExperiment
from sim.experiment.target import Evaluation, TargetResult, find_target
from sim.files import atomic_write_text
from sim.output.tables import clean


def _line(e: Evaluation) -> str:
    mark = "meets" if e.meets else "fails"
    return (f"{e.value:>12g}  {e.mean:>10.4g}  [{e.ci95_low:.4g}, {e.ci95_high:.4g}]".ljust(52)
            + f"  bound {e.bound:.4g}  {mark}")


def run_target(exp: LoadedExperiment, kpi: str, limit: float, at_most: bool = True, vary: str | None = None,
               largest: bool = False, jobs: int = 1, scheduler: str | None = None, tolerance: float | None = None,
               out: str | Path | None = None, progress: bool = True) -> TargetResult:
    client = executor = None
    if scheduler:
        from dask.distributed import Client

        client = Client(scheduler)
        executor = client.get_executor()
    try:
        result = find_target(exp, kpi, limit, at_most=at_most, vary=vary, largest=largest, jobs=jobs,
                             executor=executor, tolerance=tolerance,
                             on_eval=(lambda e: print("tried " + _line(e), file=sys.stderr)) if progress else None)
    finally:
        if client is not None:
            client.close()
    if out:
        atomic_write_text(out, json.dumps(clean(asdict(result)), indent=2) + "\n")
    return result


def target_text(r: TargetResult) -> str:
    rel = "<=" if r.at_most else ">="
    lines = [f"target: {r.kpi} {rel} {r.limit:g} with 95 % confidence, varying {r.vary} in "
             f"[{r.low:g}, {r.high:g}]; evidence ({len(r.evaluations[0].values) if r.evaluations else 0} "
             "replications each, common random numbers):",
             f"{r.vary.split('.')[-1]:>12}  {'mean':>10}  95 % CI".ljust(52) + "  one-sided bound"]
    lines += [_line(e) for e in r.evaluations]
    lines.append(r.sentence())
    lines += [f"warning: {w}" for w in r.warnings]
    return "\n".join(lines)
