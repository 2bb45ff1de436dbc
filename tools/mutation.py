"""Mutation testing of the model and the KPIs: does the suite notice when the code is wrong?

    .venv/bin/python tools/mutation.py [--sample 300] [--jobs 2] [--seed 1] [FILE ...]
    .venv/bin/python tools/mutation.py --replay results/mutation-before.json [--jobs 2]
    .venv/bin/python tools/mutation.py --since COMMIT [--sample 0] [FILE ...]

Each mutant changes one thing in one module of `sim/model/` or `sim/experiment/kpis.py` (a comparison
turned around or its boundary moved, + for -, * for /, `and` for `or`, a condition negated, a `not`
dropped, a number off by one, True for False, min for max, += for -=), then the model's tests run against
it in a copy of the project (stopping at the first failure). A mutant is killed when a test fails or it
runs past the time limit (an endless loop); it survives when every test passes. Mutants are drawn at
random (seeded) from all of them, `--sample` in all; `--sample 0` runs every one. The draw picks positions in
the list of all mutants, so a change to a target module draws a different sample: `--replay RESULTS` runs
the mutants of an earlier results file instead, each found again by its file, its source line's text and
its change (the n-th such on that line), so that scores before and after a change compare the same
mutants; one whose line no longer exists is listed and left out. `--since COMMIT` keeps only the mutants of
lines changed since that commit (`git diff -U0`), to test what a change wrote.

Writes results/mutation.json (every mutant: file, line, what changed, killed or survived) and prints the
score and the survivors. Source lines are rewritten with `ast.unparse`, so line numbers refer to the
original file (the mutated node's line).
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "sim" / "model").glob("*.py")) + [
    "sim/experiment/kpis.py"]
TESTS = ["tests/test_traces.py", "tests/test_policies.py", "tests/test_reporting_rules.py", "tests/test_kpis.py",
         "tests/test_model_parts.py", "tests/test_pairing.py", "tests/test_analytic.py", "tests/test_functional.py",
         "tests/test_drills.py", "tests/test_operations.py", "tests/test_model_units.py", "tests/test_duty.py",
         "tests/test_party.py", "tests/test_engine.py"]
TIMEOUT_S = 240

SWAP_CMP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
            ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
SWAP_BIN = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Mult}
SWAP_NAME = {"min": "max", "max": "min"}


@dataclass
class Mutant:
    file: str
    index: int  # the n-th mutation point of the file
    line: int
    change: str
    code: str = ""  # the source line, stripped (to find the mutant again when lines move: `--replay`)
    nth: int = 0  # the n-th mutant of this change on a line with this text, in the file
    outcome: str = ""
    seconds: float = 0.0


def _docstring_ids(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def points(tree: ast.AST) -> list[tuple[ast.AST, str, str]]:
    """(node, kind, description) for every place a mutation applies, in a fixed walk order."""
    skip = _docstring_ids(tree)
    out: list[tuple[ast.AST, str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for k, op in enumerate(node.ops):
                if type(op) in SWAP_CMP:
                    out.append((node, f"cmp{k}", f"{type(op).__name__} -> {SWAP_CMP[type(op)].__name__}"))
        elif isinstance(node, ast.BinOp) and type(node.op) in SWAP_BIN:
            out.append((node, "bin", f"{type(node.op).__name__} -> {SWAP_BIN[type(node.op)].__name__}"))
        elif isinstance(node, ast.AugAssign) and type(node.op) in (ast.Add, ast.Sub):
            out.append((node, "aug", f"{type(node.op).__name__}= -> {SWAP_BIN[type(node.op)].__name__}="))
        elif isinstance(node, ast.BoolOp):
            out.append((node, "bool", f"{type(node.op).__name__} -> {'Or' if isinstance(node.op, ast.And) else 'And'}"))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            out.append((node, "not", "drop not"))
        elif isinstance(node, (ast.If, ast.While)) and not isinstance(node.test, ast.Constant):
            out.append((node, "neg", "negate condition"))
        elif isinstance(node, ast.Constant) and id(node) not in skip:
            if isinstance(node.value, bool):
                out.append((node, "const", f"{node.value} -> {not node.value}"))
            elif isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
                out.append((node, "const", f"{node.value!r} -> {node.value + 1!r}"))
        elif isinstance(node, ast.Name) and node.id in SWAP_NAME and isinstance(node.ctx, ast.Load):
            out.append((node, "name", f"{node.id} -> {SWAP_NAME[node.id]}"))
    return out


def mutate(source: str, index: int) -> str:
    tree = ast.parse(source)
    node, kind, _ = points(tree)[index]
    if kind.startswith("cmp"):
        k = int(kind[3:])
        node.ops[k] = SWAP_CMP[type(node.ops[k])]()  # type: ignore[attr-defined]
    elif kind == "bin" or kind == "aug":
        node.op = SWAP_BIN[type(node.op)]()  # type: ignore[attr-defined]
    elif kind == "bool":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()  # type: ignore[attr-defined]
    elif kind == "not":
        parent = _parent(tree, node)
        _replace(parent, node, node.operand)  # type: ignore[attr-defined]
    elif kind == "neg":
        node.test = ast.UnaryOp(op=ast.Not(), operand=node.test)  # type: ignore[attr-defined]
    elif kind == "const":
        v = node.value  # type: ignore[attr-defined]
        node.value = (not v) if isinstance(v, bool) else v + 1  # type: ignore[attr-defined]
    elif kind == "name":
        node.id = SWAP_NAME[node.id]  # type: ignore[attr-defined]
    return ast.unparse(ast.fix_missing_locations(tree))


def _parent(tree: ast.AST, child: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        for field in ast.iter_child_nodes(node):
            if field is child:
                return node
    raise LookupError


def _replace(parent: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for name, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, name, new)
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                if item is old:
                    value[i] = new
                    return


def enumerate_mutants(files: list[str]) -> list[Mutant]:
    out = []
    for f in files:
        ORIGINALS[f] = (ROOT / f).read_text()
        tree = ast.parse(ORIGINALS[f])
        lines = ORIGINALS[f].splitlines()
        seen: dict[tuple[str, str], int] = {}
        for i, (node, _kind, desc) in enumerate(points(tree)):
            line = getattr(node, "lineno", 0)
            code = lines[line - 1].strip() if 0 < line <= len(lines) else ""
            nth = seen[(code, desc)] = seen.get((code, desc), -1) + 1
            out.append(Mutant(f, i, line, desc, code, nth))
    return out


def changed_lines(since: str, files: list[str]) -> dict[str, set[int]]:
    """Per file, the numbers of its lines added or changed since a commit (the new side of `git diff -U0`)."""
    out: dict[str, set[int]] = {}
    for f in files:
        diff = subprocess.run(["git", "diff", "-U0", since, "--", f], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout
        for line in diff.splitlines():
            if line.startswith("@@"):
                new = line.split()[2]  # +start[,count]
                start, _, count = new[1:].partition(",")
                n = int(count) if count else 1
                out.setdefault(f, set()).update(range(int(start), int(start) + n))
    return out


def replayed(every: list[Mutant], results: Path) -> tuple[list[Mutant], list[dict]]:
    """The mutants of an earlier results file found in the current sources, and those no longer there."""
    here = {(m.file, m.code, m.change, m.nth): m for m in every}
    found, missing = [], []
    for old in json.loads(results.read_text())["mutants"]:
        m = here.get((old["file"], old.get("code"), old["change"], old.get("nth", 0)))
        if m is None:
            missing.append(old)
        else:
            found.append(m)
    return sorted(found, key=lambda m: (m.file, m.index)), missing


#: the sources as they were when the run started (the tree may change while it runs)
ORIGINALS: dict[str, str] = {}


def run_one(m: Mutant, work: Path) -> Mutant:
    target = work / m.file
    original = ORIGINALS[m.file]
    target.write_text(mutate(original, m.index))
    _drop_bytecode(target)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                               "-p", "no:randomly", *TESTS], cwd=work, capture_output=True, timeout=TIMEOUT_S)
        m.outcome = "survived" if proc.returncode == 0 else "killed"
    except subprocess.TimeoutExpired:
        m.outcome = "killed (timeout)"
    finally:
        target.write_text(original)
        _drop_bytecode(target)
    m.seconds = round(time.perf_counter() - t0, 1)
    return m


def _drop_bytecode(source: Path) -> None:
    """Remove the cached bytecode of `source`: a .pyc is trusted when the source's mtime (whole seconds) and
    size match, and two mutants of one file often have the same size, so a mutant written in the same second
    as the one before (a run that dies at import takes under a second) would run the previous mutant's code."""
    for pyc in (source.parent / "__pycache__").glob(source.stem + ".*.pyc"):
        pyc.unlink(missing_ok=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", default=TARGETS)
    ap.add_argument("--sample", type=int, default=300, help="mutants to run (0: all)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--replay", metavar="RESULTS", help="run the mutants of an earlier results file (found again "
                    "by file, source line and change) instead of a sample")
    ap.add_argument("--since", metavar="COMMIT", help="only the mutants of lines changed since COMMIT")
    ap.add_argument("--out", default=str(ROOT / "results" / "mutation.json"))
    args = ap.parse_args()
    every = enumerate_mutants(args.files)
    if args.since:
        changed = changed_lines(args.since, args.files)
        every = [m for m in every if m.line in changed.get(m.file, set())]
    if args.replay:
        chosen, missing = replayed(every, Path(args.replay))
        for old in missing:
            print(f"  gone (its line changed): {old['file']}:{old['line']} {old['change']}")
        args.sample = len(chosen)
    else:
        chosen = every if args.sample <= 0 or args.sample >= len(every) else sorted(
            random.Random(args.seed).sample(every, args.sample), key=lambda m: (m.file, m.index))
    print(f"{len(every)} mutants in {len(args.files)} files; running {len(chosen)} with {args.jobs} jobs",
          flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        works = []
        for j in range(args.jobs):
            w = Path(tmp) / f"w{j}"
            w.mkdir()
            for part in ("sim", "tests", "scenarios", "docs", "experiments", "benchmarks", "README.md",
                         "pyproject.toml"):
                src = ROOT / part
                (shutil.copytree if src.is_dir() else shutil.copy)(src, w / part)
            works.append(w)
        # the copy, every target rewritten by ast.unparse but not mutated, must pass: else every mutant
        # would look killed
        for f in args.files:
            (works[0] / f).write_text(ast.unparse(ast.parse(ORIGINALS[f])))
        check = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *TESTS],
                               cwd=works[0], capture_output=True, text=True)
        for f in args.files:
            (works[0] / f).write_text(ORIGINALS[f])
        if check.returncode != 0:
            print("the unmutated copy fails its tests; fix that first:\n" + check.stdout[-3000:])
            return 1
        done: list[Mutant] = []
        with ThreadPoolExecutor(args.jobs) as ex:
            queue = [ex.submit(_worker, chosen[j::args.jobs], works[j], done, args, len(every))
                     for j in range(args.jobs)]
            for q in queue:
                q.result()
    done.sort(key=lambda m: (m.file, m.index))
    _write(args, len(every), done)
    killed = sum(m.outcome.startswith("killed") for m in done)
    survivors = [m for m in done if m.outcome == "survived"]
    print(f"\nkilled {killed} of {len(done)} ({100 * killed / max(len(done), 1):.1f} %)")
    for m in survivors:
        print(f"  survived: {m.file}:{m.line} {m.change}")
    return 0


def _write(args: argparse.Namespace, total: int, done: list[Mutant]) -> None:
    """The results so far (rewritten after every mutant, so an interrupted run keeps what it found)."""
    killed = sum(m.outcome.startswith("killed") for m in done)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps({"total_mutants": total, "sample": args.sample, "run": len(done), "killed": killed,
                               "seed": args.seed, "replay": args.replay, "tests": TESTS,
                               "mutants": [asdict(m) for m in sorted(done, key=lambda m: (m.file, m.index))]},
                              indent=1))
    tmp.replace(out)


def _worker(items: list[Mutant], work: Path, done: list[Mutant], args: argparse.Namespace, total: int) -> None:
    for m in items:
        done.append(run_one(copy.copy(m), work))
        print(f"{len(done):4d} {m.file}:{m.line} {m.change}: {done[-1].outcome} ({done[-1].seconds} s)", flush=True)
        _write(args, total, list(done))


if __name__ == "__main__":
    sys.exit(main())
