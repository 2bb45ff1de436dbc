"""docs/scenarios.md must document every scenario key, and only keys that exist, with the real defaults.

The keys come from walking the pydantic schema from `Scenario`: a nested model adds `.field`, a
`list[Model]` adds `[].field` and a `dict[Name, Model]` adds `.<name>.field`, where `<name>` is
`<class>`, `<severity>` or `<kind>` for the three kinds of names the schema uses as keys. A reference
table in the doc is a Markdown table whose header's first cell is `key`; the first cell of each of its
rows holds one or more keys in backticks, and the default cell holds their defaults in backticks, in the
same order, written as YAML.
"""

from __future__ import annotations

import math
import re
import types
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, Field, create_model

from sim.scenario import schema
from sim.scenario.operations import LEVELS
from sim.scenario.schema import Scenario

DOC = Path(__file__).resolve().parents[1] / "docs" / "scenarios.md"

#: the placeholder written for a dict key, by the names the key may take
PLACEHOLDERS = {
    frozenset(schema.CLASSES): "<class>",
    frozenset(schema.SEVERITIES): "<severity>",
    frozenset(schema.GRID_KINDS): "<kind>",
    frozenset(LEVELS): "<level>",
}

#: the names a placeholder stands for
NAMES = {placeholder: names for names, placeholder in PLACEHOLDERS.items()}

TICKED = re.compile(r"`([^`]*)`")


# --------------------------------------------------------------------------- the schema side


def _unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional; a union of several real types stays as it is (a plain value)."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _placeholder(key_type: Any) -> str:
    key_type = _unwrap(key_type)
    if typing.get_origin(key_type) is typing.Literal:
        return PLACEHOLDERS.get(frozenset(typing.get_args(key_type)), "<key>")
    return "<key>"


def schema_fields(model: type[BaseModel] = Scenario, prefix: str = "") -> dict[str, tuple[type[BaseModel], str]]:
    """Every field reachable from `model`, as dotted key -> (the model that declares it, its name)."""
    out: dict[str, tuple[type[BaseModel], str]] = {}
    for name, info in model.model_fields.items():
        key = prefix + name
        out[key] = (model, name)
        tp = _unwrap(info.annotation)
        origin = typing.get_origin(tp)
        if _is_model(tp):
            out.update(schema_fields(tp, key + "."))
        elif origin is list and _is_model(_unwrap(typing.get_args(tp)[0])):
            out.update(schema_fields(_unwrap(typing.get_args(tp)[0]), key + "[]."))
        elif origin is dict and _is_model(_unwrap(typing.get_args(tp)[1])):
            k, v = typing.get_args(tp)
            out.update(schema_fields(_unwrap(v), f"{key}.{_placeholder(k)}."))
    return out


def schema_keys(model: type[BaseModel] = Scenario) -> list[str]:
    """Every field reachable from `model`, as dotted keys in the doc's notation."""
    return list(schema_fields(model))


def _json(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


def effective_default(key: str) -> Any:
    """The value a scenario that leaves `key` out gets, for keys outside lists and dicts of models."""
    node: Any = Scenario()
    for part in key.split("."):
        node = getattr(node, part)
    return _json(node)


def _holds_models(model: type[BaseModel], name: str) -> bool:
    """A section (a nested model) or a dict of models: their defaults are documented field by field."""
    tp = _unwrap(model.model_fields[name].annotation)
    return _is_model(tp) or (typing.get_origin(tp) is dict and _is_model(_unwrap(typing.get_args(tp)[1])))


# --------------------------------------------------------------------------- the doc side


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def doc_tables(text: str) -> list[tuple[list[str], list[list[str]]]]:
    """Every Markdown table of the doc as (header cells, rows of cells)."""
    tables, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        if lines[i].lstrip().startswith("|") and i + 1 < len(lines) and re.match(r"^\s*\|[\s:|-]+\|\s*$", lines[i + 1]):
            header, rows = _cells(lines[i]), []
            i += 2
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            tables.append((header, rows))
        else:
            i += 1
    return tables


def doc_rows() -> list[tuple[list[str], list[str], dict[str, str]]]:
    """Rows of the reference tables: (keys named in the first cell, defaults in backticks, all cells by header)."""
    out = []
    for header, rows in doc_tables(DOC.read_text(encoding="utf-8")):
        if header[0].lower() != "key":
            continue
        assert "default" in header, f"reference table without a default column: {header}"
        for row in rows:
            assert len(row) == len(header), f"row has {len(row)} cells, header {len(header)}: {row}"
            cells = dict(zip(header, row))
            out.append((TICKED.findall(row[0]), TICKED.findall(cells["default"]), cells))
    return out


@pytest.fixture(scope="module")
def rows() -> list[tuple[list[str], list[str], dict[str, str]]]:
    assert DOC.is_file(), "docs/scenarios.md is missing"
    found = doc_rows()
    assert found, "docs/scenarios.md has no reference table (a table whose first header cell is 'key')"
    return found


# --------------------------------------------------------------------------- tests


def test_every_schema_key_has_a_row(rows):
    text = DOC.read_text(encoding="utf-8")
    documented = {k for keys, _, _ in rows for k in keys}
    missing = [k for k in schema_keys() if k not in documented]
    assert not missing, "scenario keys without a row in docs/scenarios.md: " + ", ".join(missing)
    not_ticked = [k for k in schema_keys() if f"`{k}`" not in text]
    assert not not_ticked, "keys not written in backticks: " + ", ".join(not_ticked)


def test_no_stale_or_duplicate_rows(rows):
    known = set(schema_keys())
    named = [k for keys, _, _ in rows for k in keys]
    stale = sorted({k for k in named if k not in known})
    assert not stale, "rows in docs/scenarios.md for keys the schema does not have: " + ", ".join(stale)
    twice = sorted({k for k in named if named.count(k) > 1})
    assert not twice, "keys with more than one row: " + ", ".join(twice)


def _same(doc_value: Any, real: Any) -> bool:
    if isinstance(real, bool) or isinstance(doc_value, bool):
        return doc_value is real
    if isinstance(real, (int, float)) and isinstance(doc_value, (int, float)):
        return math.isclose(doc_value, real, rel_tol=1e-3, abs_tol=1e-9)
    if isinstance(real, dict) and isinstance(doc_value, dict):
        return real.keys() == doc_value.keys() and all(_same(doc_value[k], real[k]) for k in real)
    if isinstance(real, list) and isinstance(doc_value, list):
        return len(real) == len(doc_value) and all(_same(a, b) for a, b in zip(doc_value, real))
    return doc_value == real


def partial_entry_values(key: str) -> dict[str, Any]:
    """For `a.b.<name>.field`: the value each name gets for `field` when a file writes its entry as `{}`."""
    head, placeholder, field = re.match(r"^(.*)\.(<[a-z]+>)\.([a-z_]+)$", key).groups()
    out = {}
    for name in sorted(NAMES[placeholder]):
        data: dict[str, Any] = {name: {}}
        for part in reversed(head.split(".")):
            data = {part: data}
        node: Any = Scenario.model_validate(data)
        for part in head.split("."):
            node = getattr(node, part)
        out[name] = _json(getattr(node[name], field))
    return out


def _read(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def test_defaults_match_the_schema(rows):
    """Each row gives the real default in backticks, as YAML, or says `required`.

    - A plain key: what a scenario that leaves the key out gets.
    - A key of a list item (`[]`): what an item that leaves the field out gets.
    - A key of a named entry (`<class>`): the values of a whole mapping left out are in the per-name
      table (checked below). A value in backticks in the row is what an entry the file writes but leaves
      the field out of gets, and must hold for every name; with no value in backticks, such an entry must
      get the per-name table's value.
    Sections and mappings of models are skipped: their fields have rows of their own.
    """
    fields = schema_fields()
    wrong = []
    for keys, defaults, cells in rows:
        keys = [k for k in keys if k in fields and not _holds_models(*fields[k])]
        for n, key in enumerate(keys):
            model, name = fields[key]
            info = model.model_fields[name]
            text = defaults[n] if n < len(defaults) else None
            if "<" in key:
                if "<key>" in key or "[]" in key or "." in key.split(">", 1)[1][1:]:
                    continue  # names the test does not know, or a section inside an entry (its table checks it)
                partial = partial_entry_values(key)
                if text is None:
                    table = effective_default(key.rsplit(".", 2)[0])
                    off = {k: v for k, v in partial.items() if not _same(v, table[k][name])}
                    if off:
                        wrong.append(f"{key}: an entry written without it gets {off}, not the per-name table's "
                                     "value; give that default in backticks")
                elif not all(_same(_read(text), v) for v in partial.values()):
                    wrong.append(f"{key}: doc says {text!r}, an entry written without it gets {partial}")
                continue
            if info.is_required():
                if text is not None or "required" not in cells["default"]:
                    wrong.append(f"{key}: required, but the doc gives {cells['default']!r}")
                continue
            if text is None:
                wrong.append(f"{key}: default cell {cells['default']!r} gives no value in backticks")
                continue
            if "[]" in key:
                real = _json(info.get_default(call_default_factory=True))
            else:
                real = effective_default(key)
            if not _same(_read(text), real):
                wrong.append(f"{key}: doc says {text!r}, schema default is {real!r}")
    assert not wrong, "defaults in docs/scenarios.md that differ from the schema:\n  " + "\n  ".join(wrong)


@pytest.mark.parametrize("placeholder, field", [("<class>", "incidents.classes"),
                                                ("<severity>", "incidents.severities"),
                                                ("<kind>", "territory.generator.households"),
                                                ("<level>", "levels")])
def test_per_name_default_tables(placeholder, field):
    """The small tables of per-class, per-severity and per-kind defaults match the schema's default entries."""
    real = effective_default(field)
    tables = [(h, r) for h, r in doc_tables(DOC.read_text(encoding="utf-8")) if h[0] == f"`{placeholder}`"]
    assert len(tables) == 1, f"expected one table of per-{placeholder} defaults headed `{placeholder}`"
    header, body = tables[0]
    columns = [TICKED.findall(h)[0] for h in header[1:]]
    seen = {}
    for row in body:
        name = TICKED.findall(row[0])[0]
        seen[name] = {c: yaml.safe_load(TICKED.findall(v)[0]) for c, v in zip(columns, row[1:])}
    assert set(seen) == set(real), f"names in the {placeholder} table: {sorted(seen)}, schema: {sorted(real)}"
    for name, values in seen.items():
        for c, v in values.items():
            assert _same(v, real[name][c]), f"{placeholder} {name}.{c}: doc {v!r}, schema {real[name][c]!r}"
        shown = set(values)
        differing = {c for c in real[name] if any(real[n][c] != real[name][c] for n in real)}
        assert differing <= shown, f"per-{placeholder} table lacks columns {sorted(differing - shown)}"


def test_walker_sees_new_fields():
    """A field added anywhere (nested model, list item, dict entry) yields a key the doc has no row for."""
    travel = create_model("Travel2", __base__=schema.Travel, dummy_min=(float, 0.0))
    territory = create_model("Territory2", __base__=schema.Territory, travel=(travel, Field(default_factory=travel)))
    hazard = create_model("Hazard2", __base__=schema.Hazard, dummy_share=(float, 0.0))
    rule = create_model("ClassRule2", __base__=schema.ClassRule, dummy_flag=(bool, False))
    incidents = create_model("Incidents2", __base__=schema.Incidents,
                             hazards=(list[hazard], Field(default_factory=list)),  # type: ignore[valid-type]
                             classes=(dict[schema.ClassName, rule | None],  # type: ignore[valid-type]
                                      Field(default_factory=dict)))
    root = create_model("Scenario2", __base__=Scenario, dummy_top=(int, 0),
                        territory=(territory, Field(default_factory=territory)),
                        incidents=(incidents, Field(default_factory=incidents)))
    new = set(schema_keys(root)) - set(schema_keys())
    assert new == {"dummy_top", "territory.travel.dummy_min", "incidents.hazards[].dummy_share",
                   "incidents.classes.<class>.dummy_flag"}
    documented = {k for keys, _, _ in doc_rows() for k in keys}
    assert not new & documented
