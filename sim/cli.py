"""The command line: a thin layer over functions a researcher can call from Python.

`main` is the one place that turns every failure into one clear line and an exit status (README, "Safety
and limits"): bad input 2, a refusal of the system (disk full, read-only, permission, name too long, out
of memory, a worker process that died) 3, a bug 4 (its traceback only with --debug), Ctrl-C 130; 1 when
some replications or runs failed and the others were kept.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from sim.errors import Problem, ScenarioError
from sim.files import FileRefused, slug
from sim.output.labels import LANGS

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_SYSTEM, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
_DEBUG_HELP = "on an unexpected error (a bug), show its traceback"


def _command(sub: Any, name: str, help: str) -> argparse.ArgumentParser:
    """A command's parser; every command also takes --debug after its name."""
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help)
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=_DEBUG_HELP)
    return parser


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mobsim", description="Simulate the peacetime-to-emergency switch of a "
                                "grid-governed district.")
    p.add_argument("--debug", action="store_true", help=_DEBUG_HELP)
    sub = p.add_subparsers(dest="command", required=True)
    run = _command(sub, "run", help="run the replications of a scenario into a run folder")
    run.add_argument("scenario", help="scenario YAML file")
    run.add_argument("--replications", type=int, help="number of replications (default: the scenario's)")
    run.add_argument("--seed", type=int, help="master seed (default: the scenario's)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a scenario key, e.g. forces.agencies.team_ratio=0.3 (repeatable)")
    run.add_argument("--out", help="run folder (default: results/<name>-<time>)")
    run.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--lang", choices=LANGS, help="language of the outputs (default: the scenario's lang, else en)")
    run.add_argument("--xlsx", action="store_true", help="also write tables.xlsx (the run's tables for Excel)")
    val = _command(sub, "validate", help="check a scenario file")
    val.add_argument("scenario")
    val.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    cmp = _command(sub, "compare", help="paired differences of the KPIs of two run folders (B minus A)")
    cmp.add_argument("run_a", help="run folder A (the reference)")
    cmp.add_argument("run_b", help="run folder B")
    cmp.add_argument("--kpi", dest="kpis", action="append", default=[], metavar="KPI",
                     help="KPI to compare, e.g. peacetime.response_mean_min (repeatable; default: the headline KPIs)")
    cmp.add_argument("--out", help="also write the comparison to this JSON file")
    cmp.add_argument("--report", nargs="?", const="", metavar="FILE",
                     help="also write a self-contained HTML page (default: results/compare-<A>-vs-<B>.html)")
    cmp.add_argument("--lang", choices=LANGS, help="language of the sentences and the page (default: A's scenario's)")
    sw = _command(sub, "sweep", help="run an experiment: design points x replications")
    sw.add_argument("experiment", help="experiment YAML file")
    sw.add_argument("--jobs", type=int, default=1, help="worker processes of the local pool (default 1)")
    sw.add_argument("--scheduler", help="Dask scheduler address (e.g. tcp://host:8786): run on that cluster")
    sw.add_argument("--out", help="sweep folder (default: results/<name>-sweep-<time>)")
    sw.add_argument("--resume", action="store_true", help="finish an interrupted sweep in --out")
    sw.add_argument("--quiet", action="store_true", help="no progress bar")
    sw.add_argument("--lang", choices=LANGS, help="language of the report, plots and summary (default: the scenario's)")
    sw.add_argument("--xlsx", action="store_true", help="also write tables.xlsx (summary, runs, Sobol indices)")
    tg = _command(sub, "target", help="smallest (or largest) factor value that meets a KPI target")
    tg.add_argument("experiment", help="experiment YAML file (its base scenario, fixed keys, factor range)")
    tg.add_argument("--kpi", required=True, help="KPI, e.g. hazard.response_p90_min")
    bound = tg.add_mutually_exclusive_group(required=True)
    bound.add_argument("--at-most", type=float, help="the KPI must be at most this (95 %% upper bound)")
    bound.add_argument("--at-least", type=float, help="the KPI must be at least this (95 %% lower bound)")
    tg.add_argument("--vary", help="the factor to vary (default: the experiment's only factor)")
    tg.add_argument("--largest", action="store_true", help="find the largest value instead of the smallest")
    tg.add_argument("--tolerance", type=float, help="stop when the bracket is this narrow (default range/64)")
    tg.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    tg.add_argument("--scheduler", help="Dask scheduler address")
    tg.add_argument("--out", help="also write the search to this JSON file")
    rp = _command(sub, "replay", help="replay a drill step by step, or --verify a replay folder")
    rp.add_argument("drill", nargs="?", help="drill YAML file (scenarios/drills/...)")
    rp.add_argument("--seed", type=int, help="seed (default: the drill's, else the scenario's)")
    rp.add_argument("--out", help="drill folder (default: results/<name>-replay-<time>)")
    rp.add_argument("--step", action="store_true", help="walk through the narrative, one key press per step")
    rp.add_argument("--until", metavar="HH:MM", help="stop at this time on the drill clock")
    rp.add_argument("--verify", metavar="RUN_DIR", help="re-run a replay folder and check its event log")
    rp.add_argument("--quiet", action="store_true", help="print only the after-action table and the folder")
    rp.add_argument("--lang", choices=LANGS, help="language of the narrative and the report (default: the scenario's)")
    rep = _command(sub, "report", help="write a self-contained HTML report of a run, sweep or drill folder")
    rep.add_argument("run_dir")
    rep.add_argument("--out", help="HTML file (default: RUN_DIR/report.html)")
    rep.add_argument("--lang", choices=LANGS, help="language of the page (default: the folder's scenario's)")
    mp = _command(sub, "map", help="draw a scenario's territory (towns, communities, key areas, hazards) before any run")
    mp.add_argument("scenario")
    mp.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    mp.add_argument("--out", help="HTML file (default: results/<name>-map.html)")
    mp.add_argument("--lang", choices=LANGS, help="language of the page (default: the scenario's)")
    ini = _command(sub, "init", help="write a commented starting scenario for a new district")
    ini.add_argument("name", help="the scenario's name (the file is NAME.yaml unless --out)")
    ini.add_argument("--out", help="file to write (default: NAME.yaml here)")
    ini.add_argument("--lang", choices=LANGS, default="en", help="language of the comments and of the outputs")
    ini.add_argument("--force", action="store_true", help="overwrite an existing file")
    ex = _command(sub, "export", help="write the tables of a run or sweep folder to an Excel workbook")
    ex.add_argument("run_dir")
    ex.add_argument("--out", help="xlsx file (default: RUN_DIR/tables.xlsx)")
    ex.add_argument("--lang", choices=LANGS, help="language of the labels (default: the folder's)")
    return p


def _replay(args: argparse.Namespace) -> int:
    from sim.output.replay import after_action_text, replay_drill, verify_replay

    if args.verify:
        if args.drill:
            raise ScenarioError([Problem("command line", None, "--verify", args.verify,
                                         "give either a drill file or --verify RUN_DIR, not both")])
        same, message = verify_replay(args.verify)
        print(message)
        return 0 if same else 1
    if not args.drill:
        raise ScenarioError([Problem("command line", None, "DRILL", None, "name a drill file, or --verify RUN_DIR")])
    outcome = replay_drill(args.drill, seed=args.seed, out=args.out, until=args.until, lang=args.lang)
    if args.step:
        print(f"drill {outcome.drill.name}: {len(outcome.narrative)} steps; Enter for the next, q to stop")
        for line in outcome.narrative:
            print(line, end="", flush=True)
            try:
                key = input()
            except EOFError:
                print()
                break
            if not sys.stdin.isatty():
                print()  # nothing echoed the key press: end the line ourselves
            if key.strip().lower() == "q":
                break
    elif not args.quiet:
        print("\n".join(outcome.narrative))
    print()
    print(after_action_text(outcome.after_action))
    print(f"results: {outcome.out}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from sim.output.report import write_report

    path = write_report(args.run_dir, args.out, args.lang)
    print(f"report: {path}")
    return 0


def _map(args: argparse.Namespace) -> int:
    from sim.output.territory_map import write_map
    from sim.scenario import load_scenario

    loaded = load_scenario(args.scenario, args.overrides)
    out = args.out or str(Path("results") / f"{slug(loaded.scenario.name, 'scenario')}-map.html")
    print(f"map: {write_map(loaded, out, args.lang)}")
    return 0


def _init(args: argparse.Namespace) -> int:
    from sim.scenario.template import write_template

    out = Path(args.out or f"{slug(args.name, 'scenario')}.yaml")
    if out.exists() and not args.force:
        raise ScenarioError([Problem(str(out), None, "--out", str(out), "exists; choose another --out or add --force")])
    write_template(out, args.name, args.lang)
    print(f"wrote {out}: a starting scenario; check it with `mobsim validate {out}`, draw it with `mobsim map {out}`")
    return 0


def _export(args: argparse.Namespace) -> int:
    from sim.output.xlsx import export_xlsx

    print(f"xlsx: {export_xlsx(args.run_dir, args.out, args.lang)}")
    return 0


def _positive(name: str, value: int | None) -> None:
    if value is not None and value < 1:
        raise ScenarioError([Problem("command line", None, name, value, "must be a whole number >= 1")])


def _validate(args: argparse.Namespace) -> int:
    from sim.scenario import load_scenario
    from sim.scenario.references import territory_table

    loaded = load_scenario(args.scenario, args.overrides)
    sc = loaded.scenario
    grids = len(territory_table(loaded).grid)
    print(f"ok: {args.scenario}: {sc.name}: {grids} grids, {len(sc.incidents.hazards)} hazard(s), "
          f"activation {sc.switch.activation}, {sc.replications} replications of "
          f"{sc.horizon_min:g} min, seed {sc.seed}")
    if loaded.estimate is not None:
        print(loaded.estimate.text())
    for flag in sc.flags():
        print(f"flag: {flag}")
    return 0


def _run(args: argparse.Namespace, argv: list[str] | None) -> int:
    from sim.output.breakdown import enrich, targets_of
    from sim.output.diagnosis import means_of, run_diagnosis
    from sim.output.fonts import font_note
    from sim.output.run import run_scenario
    from sim.output.terminal import kpi_table
    from sim.scenario import load_scenario

    overrides = list(args.overrides)
    _positive("--replications", args.replications)
    _positive("--jobs", args.jobs)
    if args.seed is not None:
        overrides.append(f"seed={args.seed}")
    if args.replications is not None:
        overrides.append(f"replications={args.replications}")
    if args.lang is not None:
        overrides.append(f"lang={args.lang}")
    loaded = load_scenario(args.scenario, overrides)
    for flag in loaded.scenario.flags():
        print(f"FLAG: {flag}", file=sys.stderr)
    outcome = run_scenario(loaded, args.out, jobs=args.jobs, progress=not args.quiet,
                           command=["mobsim", *(argv if argv is not None else sys.argv[1:])])
    lang = outcome.lang
    print(kpi_table(outcome.summary_json, lang))
    for flag in outcome.flags:
        print(f"FLAG: {flag}")
    for line in run_diagnosis(means_of(outcome.summary_json), enrich(outcome.incidents, targets_of(outcome.scenario)), lang):
        print(f"- {line}")
    note = font_note(lang)
    if note:
        print(f"note: {note}", file=sys.stderr)
    if args.xlsx:
        from sim.output.xlsx import export_xlsx

        print(f"xlsx: {export_xlsx(outcome.out_dir, lang=lang)}")
    print(f"results: {outcome.out_dir}")
    if outcome.failures:
        for f in outcome.failures:
            print(f"error: replication {f.replication} failed: {f.error} (outputs of the others are kept)",
                  file=sys.stderr)
        return 1
    return 0


def _compare(args: argparse.Namespace) -> int:
    try:
        return _compare_runs(args)
    except FileRefused as exc:  # a file of one of the folders is a device, a FIFO, huge, or not UTF-8
        raise ScenarioError([Problem(f"{args.run_a} or {args.run_b}", None, "RUN_DIR", None,
                                     f"a file in it {exc.reason}")]) from None


def _compare_runs(args: argparse.Namespace) -> int:
    from sim.output.compare import compare_runs, why_no_difference, write_comparison
    from sim.output.compare_text import comparison_text
    from sim.output.messages import pick
    from sim.output.report import folder_lang

    lang = args.lang or folder_lang(Path(args.run_a))
    result = compare_runs(args.run_a, args.run_b, args.kpis or None, lang)
    for warning in result["warnings"]:
        print(f"{pick(lang, 'warning: ', '警告：')}{warning}", file=sys.stderr)
    print(comparison_text(result, lang))
    why = why_no_difference(result, lang)
    if why:
        print(pick(lang, "why no significant difference:", "为何无显著差异："))
        print("\n".join(f"- {line}" for line in why))
    if args.out:
        write_comparison(args.out, result)
        print(f"comparison: {args.out}")
    if args.report is not None:
        from sim.output.report_compare import write_compare_report

        out = args.report or str(Path("results") / f"compare-{slug(Path(args.run_a).name)}-vs-{slug(Path(args.run_b).name)}.html")
        print(f"report: {write_compare_report(result, out, lang)}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from sim.experiment.sweep import SweepInterrupted
    from sim.output.sweep import run_sweep, sweep_text

    _positive("--jobs", args.jobs)
    if args.resume and not args.out:
        raise ScenarioError([Problem("command line", None, "--resume", None, "name the sweep folder with --out")])
    def stopping() -> None:
        print("\ninterrupted: stopping; finished runs are kept (waiting for the runs in progress to end)",
              file=sys.stderr, flush=True)

    try:
        outcome = run_sweep(args.experiment, args.out, jobs=args.jobs, scheduler=args.scheduler,
                            resume=args.resume, progress=not args.quiet, lang=args.lang, on_stop=stopping)
    except SweepInterrupted as exc:
        cmd = ["mobsim", "sweep", args.experiment, "--out", str(exc.out), "--resume"]
        cmd += [f"--jobs {args.jobs}"] if args.jobs != 1 else []
        cmd += [f"--scheduler {args.scheduler}"] if args.scheduler else []
        cmd += [f"--lang {args.lang}"] if args.lang else []
        print(f"stopped with {exc.done} of {exc.total} runs done in {exc.out}. Resume with:\n  {' '.join(cmd)}",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    if outcome.progress.stale_lock:
        old = outcome.progress.stale_lock
        print(f"note: the folder's lock was left by pid {old.get('pid')} on {old.get('host')} (since "
              f"{old.get('started')}), which is no longer running; taken over", file=sys.stderr)
    for k in outcome.progress.corrupt:
        print(f"warning: runs/{k:06d}.json was damaged (not a whole run record); run {k} was run again",
              file=sys.stderr)
    print(sweep_text(outcome, lang=outcome.lang))
    if args.xlsx:
        from sim.output.xlsx import export_xlsx

        print(f"xlsx: {export_xlsx(outcome.out, lang=outcome.lang)}")
    failed = outcome.progress.failed
    for run, error in failed:
        print(f"error: run {run} failed: {error} (the others are kept; --resume runs it again)", file=sys.stderr)
    return 1 if failed else 0


def _target(args: argparse.Namespace) -> int:
    from sim.experiment.spec import load_experiment
    from sim.output.target import run_target, target_text

    _positive("--jobs", args.jobs)
    at_most = args.at_most is not None
    limit = args.at_most if at_most else args.at_least
    result = run_target(load_experiment(args.experiment), args.kpi, limit, at_most=at_most, vary=args.vary,
                        largest=args.largest, jobs=args.jobs, scheduler=args.scheduler, tolerance=args.tolerance,
                        out=args.out)
    print(target_text(result))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args, argv)
    except KeyboardInterrupt:
        # a second Ctrl-C must not break the way out: ignored from here to the exit of the program (a
        # SIGINT during the interpreter's shutdown would kill it with -2 rather than our status)
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("\ninterrupted (Ctrl-C); every file written so far is whole", file=sys.stderr)
        if argv is not None:  # called from Python, not as the program: leave its handler as it was
            signal.signal(signal.SIGINT, previous)
        return EXIT_INTERRUPTED


def _dispatch(args: argparse.Namespace, argv: list[str] | None) -> int:
    commands: dict[str, Callable[[], int]] = {
        "validate": lambda: _validate(args),
        "run": lambda: _run(args, argv),
        "compare": lambda: _compare(args),
        "sweep": lambda: _sweep(args),
        "target": lambda: _target(args),
        "replay": lambda: _replay(args),
        "report": lambda: _report(args),
        "map": lambda: _map(args),
        "init": lambda: _init(args),
        "export": lambda: _export(args),
    }
    try:
        return commands[args.command]()
    except ScenarioError as exc:
        print(f"error: invalid input ({len(exc.problems)} problem{'s' * (len(exc.problems) > 1)}):", file=sys.stderr)
        for prob in exc.problems:
            print(f"  {prob}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        raise
    except BrokenPipeError:  # the reader of our output went away (`mobsim ... | head`): nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_SYSTEM
    except BrokenProcessPool:
        _debug(args)
        print("error: a worker process died (killed, or out of memory); what finished is kept: run the command "
              "again (a sweep with --resume)", file=sys.stderr)
        return EXIT_SYSTEM
    except MemoryError:
        _debug(args)
        print("error: out of memory; make the run smaller (see `limits` in docs/scenarios.md) or use fewer --jobs",
              file=sys.stderr)
        return EXIT_SYSTEM
    except OSError as exc:
        _debug(args)
        print(f"error: {_os_error_line(exc)}", file=sys.stderr)
        return EXIT_SYSTEM
    except Exception as exc:
        if getattr(args, "debug", False):
            traceback.print_exc()
        text = str(exc)
        text = text if len(text) <= 200 else text[:200] + "..."
        print(f"error: internal error ({type(exc).__name__}: {text}); this is a bug in mobsim: run the same command "
              "with --debug to see where, and report it", file=sys.stderr)
        return EXIT_BUG


def _debug(args: argparse.Namespace) -> None:
    if getattr(args, "debug", False):
        traceback.print_exc()


def _os_error_line(exc: OSError) -> str:
    """One line for a refusal of the system: what, where, and what to do."""
    import errno

    from sim.errors import _short
    from sim.files import os_error_text

    where = f"{_short(str(exc.filename))}: " if exc.filename else ""
    advice = {errno.ENOSPC: "free some space, or write elsewhere with --out",
              errno.EDQUOT: "free some space, or write elsewhere with --out",
              errno.EROFS: "write elsewhere with --out", errno.EACCES: "write elsewhere with --out",
              errno.EPERM: "write elsewhere with --out", errno.ENAMETOOLONG: "choose a shorter --out"}
    hint = advice.get(exc.errno or 0)
    return f"{where}{os_error_text(exc)}" + (f"; {hint}" if hint else "") + " (nothing was left half-written)"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
