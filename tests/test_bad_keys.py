"""Bad input for every key of the schema, walked from the schema itself so a new key cannot be missed.

For each leaf key a scenario sets that key alone (inside whatever it sits in: a level, an incident class,
a list item written out whole) to a value of the wrong kind. `mobsim validate` must exit with status 2 and
print one problem line `bad.yaml:LINE: FIELD: got VALUE; ...` naming that key and that value, never a
traceback. The same scenario with the key left out must validate, so the error is the key's own.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path

import pydantic
import pytest
import yaml

from sim.cli import main
from sim.scenario.schema import Scenario

# a list item is written out whole: the required keys of each kind of item (the key under test replaces
# or joins them)
ITEMS: dict[str, dict[str, object]] = {
    "incidents.hazards": {"name": "storm", "start_min": 0, "duration_min": 60, "rate_per_hour": 1},
    "forces.agencies.listed": {"name": "water bureau", "staff": 20},
    "reporting.discovery.visits": {"role": "cadres", "people": 10, "visits_per_month": 4,
                                   "households_per_visit": 10},
    "switch.forecast.steps": {"before_onset_min": 60, "level": "IV"},
}
# the key a mapping of items is written under
KEYS = {"territory.generator.households": "rural", "incidents.classes": "simple", "incidents.severities": "serious",
        "levels": "III", "forces.availability": "grid_worker"}
# a free-text key of the wrong kind is a list; a number, a yes/no, a choice, a list or a mapping is a word
WORD = "lots"


def _model_of(ann: object) -> type[pydantic.BaseModel] | None:
    for a in (ann, *typing.get_args(ann)):
        if isinstance(a, type) and issubclass(a, pydantic.BaseModel):
            return a
        for b in typing.get_args(a):  # dict[K, Model], list[Model]
            if isinstance(b, type) and issubclass(b, pydantic.BaseModel):
                return b
    return None


def _container(ann: object) -> str:
    """'list', 'dict' or '' for what holds a sub-model."""
    for a in (ann, *typing.get_args(ann)):
        origin = typing.get_origin(a)
        if origin is list:
            return "list"
        if origin is dict:
            return "dict"
    return ""


def _is_free_text(ann: object) -> bool:
    args = [a for a in typing.get_args(ann) if a is not type(None)] if isinstance(ann, types.UnionType) or \
        typing.get_origin(ann) is typing.Union else [ann]
    return all(a is str for a in args)


def leaves(model: type[pydantic.BaseModel], prefix: str = "") -> list[tuple[str, list[tuple[str, str]], object]]:
    """(dotted key, the containers on the way as (section, 'list' or 'dict'), annotation) of every leaf."""
    out = []
    for name, f in model.model_fields.items():
        path = prefix + name
        sub = _model_of(f.annotation)
        if sub is None:
            out.append((path, [], f.annotation))
            continue
        kind = _container(f.annotation)
        for leaf, chain, ann in leaves(sub, path + "."):
            out.append((leaf, ([(path, kind)] if kind else []) + chain, ann))
    return out


def document(path: str, chain: list[tuple[str, str]], value: object, with_key: bool) -> tuple[dict, str]:
    """The scenario as a mapping, and the dotted name the error must give."""
    doc: dict[str, object] = {"name": "bad"}
    here: dict[str, object] = doc
    shown: list[str] = []
    holders = dict(chain)
    parts = path.split(".")
    for i, part in enumerate(parts[:-1]):
        sect = ".".join(parts[: i + 1])
        shown.append(part)
        nxt: dict[str, object] = {}
        kind = holders.get(sect)
        if kind == "list":
            nxt = dict(ITEMS[sect])
            here[part] = [nxt]
            shown[-1] = f"{part}[0]"
        elif kind == "dict":
            key = KEYS[sect]
            inner: dict[str, object] = {}
            here[part] = {key: inner}
            nxt = inner
            shown.append(key)
        else:
            here[part] = nxt
        here = nxt
    last = parts[-1]
    if with_key:
        here[last] = value
    return doc, ".".join([*shown, last])


CASES = [(p, c, a) for p, c, a in leaves(Scenario) if p not in {"name"}]


def test_the_walk_reaches_the_new_keys():
    got = {p for p, _, _ in CASES}
    for key in ("levels.mobilise.agency_team", "levels.tasks", "tasks.evacuation.shelter_capacity",
                "tasks.posts.relief_lead_min", "tasks.warnings.deadline_from", "allocation.order",
                "shifts.on_min", "fatigue.debt_per_hour", "clock.weekday", "switch.forecast.steps.level",
                "dispatch.transfers.max_units", "reporting.discovery.visits.households_per_visit",
                "forces.resident_teams.days", "forces.grid_workers.call_up_delay_mean_min",
                "forces.party_members.scope", "limits.memory_mb", "lang"):
        assert key in got, key
    assert len(CASES) > 200


@pytest.mark.parametrize("path,chain,ann", CASES, ids=[c[0] for c in CASES])
def test_a_bad_value_for_each_key(tmp_path: Path, monkeypatch, capsys, path, chain, ann):
    monkeypatch.chdir(tmp_path)
    value: object = [1, 2] if _is_free_text(ann) else WORD
    doc, shown = document(path, chain, value, with_key=False)
    Path("bad.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    assert main(["validate", "bad.yaml"]) == 0, capsys.readouterr().err  # the scenario around the key is good
    capsys.readouterr()
    doc, shown = document(path, chain, value, with_key=True)
    Path("bad.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    assert main(["validate", "bad.yaml"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line.strip() for line in err.splitlines() if f": {shown}: got {value!r};" in line]
    assert lines, err
    assert lines[0].startswith("bad.yaml:"), err
    line_no = lines[0].split(":")[1]
    assert line_no.isdigit(), err
    assert "; " in lines[0] and lines[0].split("; ", 1)[1].strip(), err  # says what is allowed


@pytest.mark.parametrize("yaml_text,shown,value", [
    ("incidents:\n  hazards:\n    - {name: h, start_min: '25:00', duration_min: 60, rate_per_hour: 1}\n",
     "incidents.hazards[0].start_min", "25:00"),
    ("switch: {activation: scheduled, scheduled_min: 'day 0 08:00'}\n", "switch.scheduled_min", "day 0 08:00"),
    ("clock: {start: '7 am'}\n", "clock.start", "7 am"),
    ("forces:\n  resident_teams: {day_end: '18.00'}\n", "forces.resident_teams.day_end", "18.00"),
])
def test_a_time_that_is_not_a_clock_time(tmp_path: Path, monkeypatch, capsys, yaml_text, shown, value):
    """Times may be minutes or clock times; a bad one is named with its field, its line and what is allowed."""
    monkeypatch.chdir(tmp_path)
    Path("bad.yaml").write_text("name: bad\n" + yaml_text, encoding="utf-8")
    assert main(["validate", "bad.yaml"]) == 2
    err = capsys.readouterr().err
    line = next(x.strip() for x in err.splitlines() if f": {shown}: got {value!r};" in x)
    assert line.startswith(f"bad.yaml:{1 + yaml_text.count(chr(10))}:"), err
    assert "clock time" in line and "HH:MM" in line, err
