"""`mobsim replay` as functions: play a drill through the model and write what a trainer debriefs with.

A drill folder holds the event log (JSON Lines, format in docs/drills.md), a narrative, a timeline, the
after-action table (expected vs simulated vs actual per inject), the resolved drill and scenario, and a
manifest with their hashes and the event log's, so `verify_replay` can re-run it and prove it identical.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim import safeyaml
from sim.errors import Problem, ScenarioError
from sim.experiment.manifest import git_commit, package_versions, sha256
from sim.files import FileRefused, FolderLock, atomic_open, atomic_write_text, read_text_limited, slug
from sim.model import Model, ReplicationResult, build_model, run_drill
from sim.output.labels import Lang
from sim.output.narrative import narrative
from sim.output.report import write_report
from sim.output.tables import IncidentWriter, write_grids, write_json
from sim.scenario import from_resolved, resolved_yaml
from sim.scenario.drill import Drill, LoadedDrill, clock_to_min, load_drill, min_to_clock

#: the fields of each event kind after `t_min`, `clock` and `event` (docs/drills.md)
FIELDS: dict[str, tuple[str, ...]] = {
    "onset": ("incident", "grid", "class", "severity"),
    "discovered": ("incident", "channel"),
    "on_spot": ("incident",),
    "unreported": ("incident",),
    "reported": ("incident",),
    "ready": ("incident",),
    "dispatched": ("incident", "force", "unit"),
    "arrived": ("incident", "force", "unit"),
    "staffed": ("incident",),
    "closed": ("incident",),
    "activation_ordered": ("inject",),
    "activated": (),
    "deactivated": (),
    "branch_formed": ("community",),
    "on_duty": ("force", "unit", "at"),
    "off_duty": ("force", "unit"),
    "party_member_in_place": ("grid",),
    "unavailable": ("inject", "force", "units", "until_min"),
    "available_again": ("inject", "units"),
    "link_down": ("inject", "grids", "until_min"),
    "link_restored": ("inject",),
    "road_closed": ("inject", "grids", "until_min"),
    "road_opened": ("inject",),
    "level_declared": ("level",),
    "warning_issued": ("inject",),
    "level_ordered": ("inject",),
    "task_started": ("task", "jobs"),
    "shelter_full": ("town",),
    "transferred": ("force", "unit", "from_town", "to_town"),
}
AFTER_ACTION = ("inject", "at", "event", "description", "expected_action", "expected_by", "simulated", "actual",
                "simulated_met", "actual_met", "gap_min")
STAGE_COLUMN = {"discovered": "discovered_min", "reported": "reported_min", "dispatched": "dispatched_min",
                "first_arrival": "first_arrival_min", "staffed": "staffed_min", "closed": "closed_min"}


def event_records(res: ReplicationResult, model: Model, start: float) -> list[dict[str, Any]]:
    """The model's trace as named records, each incident event with its grid, town and inject id."""
    terr = model.territory
    labels: list[str] = res.extra.get("labels", [])
    jobs: list[tuple[str, int]] = res.extra.get("jobs", [])
    grid = res.incidents["grid"].tolist()
    out = []
    for seq, entry in enumerate(res.log or []):
        t, kind, *detail = entry
        rec: dict[str, Any] = {"seq": seq, "t_min": t, "clock": min_to_clock(t, start), "event": kind}
        names = FIELDS.get(kind, tuple(f"detail{k}" for k in range(len(detail))))
        if kind == "activation_ordered" and not detail:
            names = ()  # by the threshold rule, not by an inject
        rec.update(zip(names, detail))
        if kind in ("dispatched", "arrived") and rec.get("force") == "party_member":
            rec["members"] = rec.pop("unit")
        if "incident" in rec and rec["incident"] >= len(grid):  # a task's job, not an incident
            i = rec.pop("incident")
            task, g = jobs[i - len(grid)]
            rec = {**{k: v for k, v in rec.items() if k not in ("force", "unit")}, "job": i, "task": task,
                   **{k: rec[k] for k in ("force", "unit", "members") if k in rec}}
            rec["grid"] = terr.grid_ids[g]
            rec["community"] = terr.community_ids[terr.grid_comm[g]]
            rec["town"] = terr.town_ids[terr.grid_town[g]]
        elif "incident" in rec:
            i = rec["incident"]
            g = grid[i]
            rec.setdefault("grid", terr.grid_ids[g])
            rec["community"] = terr.community_ids[terr.grid_comm[g]]
            rec["town"] = terr.town_ids[terr.grid_town[g]]
            if labels and labels[i]:
                rec["inject"] = labels[i]
        out.append(rec)
    return out


def event_lines(records: Iterable[dict[str, Any]]) -> list[str]:
    return [json.dumps(r, ensure_ascii=False, sort_keys=False) for r in records]


def _activation_for(res: ReplicationResult, at: float) -> float | None:
    """The activation that puts the district in emergency mode at `at`: the one in force then (it may have
    come earlier, by the threshold rule or another inject), else the first after `at`; None if none."""
    before = [t for t in res.activations if t <= at + 1e-9]
    if before and not any(before[-1] < d <= at + 1e-9 for d in res.deactivations):
        return before[-1]
    return next((t for t in res.activations if t >= at - 1e-9), None)


def after_action(drill: Drill, res: ReplicationResult, until: float | None = None) -> list[dict[str, Any]]:
    """Expected vs simulated vs actual per inject. With `until` (a replay stopped early), a target not met by
    then whose time is still to come is "pending", not missed: the replay has not reached it yet."""
    labels: list[str] = res.extra.get("labels", [])
    index = {lab: i for i, lab in enumerate(labels) if lab}
    start = drill.start_min
    rows = []
    for inj in drill.injects:
        at = drill.at_min(inj)
        exp = inj.expected
        sim_t = act_t = due = None
        if exp is not None:
            due = at + exp.within_min
            if exp.action == "activated":
                sim_t = _activation_for(res, at)
            elif inj.id in index:
                v = float(res.incidents[STAGE_COLUMN[exp.action]][index[inj.id]])
                sim_t = None if v != v else v
            if sim_t is not None and until is not None and sim_t > until + 1e-9:
                sim_t = None  # after the stop: not seen yet
            act_t = drill.actual_min(inj)
        pending = exp is not None and due is not None and sim_t is None and until is not None and due > until + 1e-9
        gap = (sim_t - act_t) if (sim_t is not None and act_t is not None) else None
        rows.append({
            "inject": inj.id, "at": min_to_clock(at, start), "event": inj.event, "description": inj.description,
            "expected_action": (f"{exp.action} within {exp.within_min:g} min" if exp else ""),
            "expected_by": min_to_clock(due, start) if due is not None else "",
            "simulated": ("pending" if pending else min_to_clock(sim_t, start) if sim_t is not None
                          else ("never" if exp else "")),
            "actual": min_to_clock(act_t, start) if act_t is not None else "",
            "simulated_met": "" if exp is None or due is None else ("pending" if pending else
                                                                    "yes" if sim_t is not None and sim_t <= due + 1e-9
                                                                    else "no"),
            "actual_met": "" if act_t is None or due is None else ("yes" if act_t <= due + 1e-9 else "no"),
            "gap_min": "" if gap is None else f"{gap:+.1f}",
        })
    return rows


def after_action_text(rows: list[dict[str, Any]], top: int = 3) -> str:
    head = ("inject", "at", "event", "expected_action", "expected_by", "simulated", "actual", "simulated_met",
            "actual_met", "gap_min")
    width = {h: max(len(h), *(len(str(r[h])) for r in rows)) for h in head}
    lines = ["  ".join(h.ljust(width[h]) for h in head)]
    lines += ["  ".join(str(r[h]).ljust(width[h]) for h in head) for r in rows]
    gaps = sorted((r for r in rows if r["gap_min"]), key=lambda r: -abs(float(r["gap_min"])))[:top]
    if gaps:
        lines.append("largest gaps between the model and the real drill:")
        for r in gaps:
            g = float(r["gap_min"])
            lines.append(f"  {r['inject']} ({r['expected_action']}): the model is {abs(g):.1f} min "
                         f"{'later' if g > 0 else 'earlier'} than the drill ({r['simulated']} vs {r['actual']})")
    misses = [r["inject"] for r in rows if r["simulated_met"] == "no"]
    if misses:
        lines.append("targets the model misses: " + ", ".join(misses))
    pending = [r["inject"] for r in rows if r["simulated_met"] == "pending"]
    if pending:
        lines.append("pending (due after the stop, not missed): " + ", ".join(pending))
    return "\n".join(lines)


@dataclass
class ReplayOutcome:
    out: Path
    drill: Drill
    records: list[dict[str, Any]]
    narrative: list[str]
    after_action: list[dict[str, Any]]
    events_sha256: str


def _replay(loaded: LoadedDrill, until: float | None) -> tuple[Model, ReplicationResult]:
    model = build_model(loaded.scenario)
    return model, run_drill(model, loaded.drill, until=until)


def replay_drill(path: str | Path, seed: int | None = None, out: str | Path | None = None,
                 until: str | None = None, lang: Lang | None = None) -> ReplayOutcome:
    """Replay a drill file deterministically and write its folder."""
    t0 = time.perf_counter()
    loaded = load_drill(path, [f"seed={seed}"] if seed is not None else None)
    drill = loaded.drill
    until_min = None
    if until is not None:
        try:
            until_min = clock_to_min(until, drill.start_min)
        except ValueError as exc:
            raise ScenarioError([Problem("command line", None, "--until", until, str(exc))]) from None
    model, res = _replay(loaded, until_min)
    out_dir = Path(out) if out else Path("results") / f"{slug(drill.name, 'drill')}-replay-{datetime.now():%Y%m%d-%H%M%S}"
    with FolderLock(out_dir, "drill"):
        return _write(loaded, model, res, out_dir, path, until, until_min, t0, lang)


def _write(loaded: LoadedDrill, model: Model, res: ReplicationResult, out_dir: Path, path: str | Path,
           until: str | None, until_min: float | None, t0: float, lang: Lang | None) -> ReplayOutcome:
    """The drill folder, every file written whole (a temporary name, then renamed)."""
    drill = loaded.drill
    drill_text = yaml.safe_dump(drill.model_dump(mode="json", by_alias=True), sort_keys=False, allow_unicode=True)
    scen_text = resolved_yaml(model.scenario)
    atomic_write_text(out_dir / "drill.resolved.yaml", drill_text)
    atomic_write_text(out_dir / "scenario.resolved.yaml", scen_text)
    records = event_records(res, model, drill.start_min)
    lines = event_lines(records)
    atomic_write_text(out_dir / "events.jsonl", "\n".join(lines) + "\n")
    lang = lang or model.scenario.lang
    story = narrative(records, drill, lang)
    atomic_write_text(out_dir / "narrative.txt", "\n".join(story) + "\n")
    rows = after_action(drill, res, until_min)
    with atomic_open(out_dir / "after_action.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, AFTER_ACTION, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    atomic_write_text(out_dir / "after_action.txt", after_action_text(rows) + "\n")
    writer = IncidentWriter(out_dir / "incidents.csv", model, inject_column=True)
    try:
        writer.write(res)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    write_grids(out_dir / "grids.csv", model)
    from sim.output import drill_plots

    drill_plots.timeline(out_dir / "timeline.png", records, drill, lang=lang)
    events_sha = sha256("\n".join(lines) + "\n")
    write_json(out_dir / "manifest.json", {
        "kind": "drill", "drill": drill.name, "drill_file": str(path), "seed": model.scenario.seed,
        "start_clock": drill.start_clock, "until": until, "until_min": until_min,
        "drill_sha256": sha256(drill_text), "scenario_sha256": sha256(scen_text), "events_sha256": events_sha,
        "events": len(lines), "activations": res.activations, "versions": package_versions(),
        "git_commit": git_commit(), "started_at": datetime.now().isoformat(timespec="seconds"),
        "wall_seconds": round(time.perf_counter() - t0, 3),
    })
    write_report(out_dir, lang=lang)
    return ReplayOutcome(out_dir, drill, records, story, rows, events_sha)


def verify_replay(run_dir: str | Path) -> tuple[bool, str]:
    """Re-run a drill folder from its recorded resolved drill and scenario; identical event log or the
    first line that differs. Refuses when the recorded inputs were changed since."""
    d = Path(run_dir)
    texts = {}
    for name in ("manifest.json", "drill.resolved.yaml", "scenario.resolved.yaml", "events.jsonl"):
        try:
            texts[name] = read_text_limited(d / name, what="drill folder file")
        except FileRefused as exc:
            raise ScenarioError([Problem(str(d / name), None, "RUN_DIR", None, f"{exc.reason}: not a drill folder "
                                         "written by mobsim replay")]) from None
    drill_text, scen_text = texts["drill.resolved.yaml"], texts["scenario.resolved.yaml"]
    recorded = texts["events.jsonl"]
    try:
        manifest = json.loads(texts["manifest.json"])
    except json.JSONDecodeError as exc:
        manifest = exc.msg
    if not isinstance(manifest, dict):
        raise ScenarioError([Problem(str(d / "manifest.json"), None, "manifest.json", None,
                                     "is not a mobsim manifest (not a JSON object)")])
    if manifest.get("kind") != "drill":
        raise ScenarioError([Problem(str(d / "manifest.json"), None, "kind", manifest.get("kind"),
                                     "not a drill folder: --verify re-runs folders written by mobsim replay")])
    changed = [name for name, text, key in (("drill.resolved.yaml", drill_text, "drill_sha256"),
                                            ("scenario.resolved.yaml", scen_text, "scenario_sha256"),
                                            ("events.jsonl", recorded, "events_sha256"))
               if sha256(text) != manifest.get(key)]
    if changed:
        raise ScenarioError([Problem(str(d / name), None, name, None,
                                     "changed since the replay recorded it (its sha256 no longer matches "
                                     "manifest.json): the recorded inputs cannot be trusted to re-run")
                             for name in changed])
    try:
        drill = Drill.model_validate(safeyaml.load(drill_text))
        scenario = from_resolved(safeyaml.load(scen_text))
    except (ValidationError, yaml.YAMLError, safeyaml.YamlRefused) as exc:
        raise ScenarioError([Problem(str(d), None, "RUN_DIR", None, "its recorded drill or scenario does not "
                                     f"validate ({type(exc).__name__}): not a folder this mobsim can re-run")]) from None
    loaded = LoadedDrill(drill, str(d / "drill.resolved.yaml"), {}, scenario)
    model, res = _replay(loaded, manifest.get("until_min"))
    lines = event_lines(event_records(res, model, drill.start_min))
    now = "\n".join(lines) + "\n"
    if sha256(now) == manifest["events_sha256"]:
        return True, f"identical: {len(lines)} events, sha256 {manifest['events_sha256'][:16]}"
    old = recorded.splitlines()
    for k, (a, b) in enumerate(zip(old, lines)):
        if a != b:
            return False, f"differs at line {k + 1}:\n  recorded: {a}\n  now:      {b}"
    return False, f"differs in length: recorded {len(old)} events, now {len(lines)}"
