"""Read scenario files: YAML with line numbers, `extends`, `--set` overrides, and clear errors.

Every error names the file, the line where there is one, the dotted field, the bad value and what is
allowed, because the people who write scenario files are planners, not programmers.
"""

from __future__ import annotations

import copy
import os
import re
import typing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim import safeyaml
from sim.errors import Problem, ScenarioError
from sim.files import MAX_YAML_BYTES, FileRefused, named_file_problem, path_problem, read_bytes_limited
from sim.scenario.operations import CLOCK_FIELDS, CLOCK_HINT, CLOCK_PATTERN
from sim.scenario.schema import Scenario, unwrap_type

Loc = tuple[Any, ...]
Origins = dict[Loc, tuple[str, int | None]]

#: keys holding file paths, resolved against the folder of the file that names them
PATH_KEYS = {("territory", "csv_file"), ("incidents", "trace_file")}


@dataclass
class LoadedScenario:
    """A validated scenario with where each value came from, for later error messages."""

    scenario: Scenario
    path: str
    origins: Origins
    overrides: list[str]
    estimate: Any = None  # sim.scenario.limits.Estimate, set by the reference checks

    def where(self, loc: Loc) -> tuple[str, int | None]:
        return locate(self.origins, loc, self.path)


def fmt_loc(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def locate(origins: Origins, loc: Loc, default_file: str) -> tuple[str, int | None]:
    """The file and line of a field, or of its nearest ancestor that a file names."""
    loc = tuple(loc)
    while loc:
        if loc in origins:
            return origins[loc]
        loc = loc[:-1]
    return origins.get((), (default_file, None))


def _node_lines(node: yaml.Node, file: str, loc: Loc, out: Origins) -> None:
    out[loc] = (file, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                raise ScenarioError([Problem(file, key.start_mark.line + 1, fmt_loc(loc), None,
                                             "a key must be a plain name, not a list or a mapping")])
            k = key.value
            if loc + (k,) in out and out[loc + (k,)][0] == file:
                raise ScenarioError([Problem(file, key.start_mark.line + 1, fmt_loc(loc + (k,)), None,
                                             f"duplicate key: it is already set on line {out[loc + (k,)][1]}")])
            out[loc + (k,)] = (file, key.start_mark.line + 1)
            _node_lines(value, file, loc + (k,), out)
            out[loc + (k,)] = (file, key.start_mark.line + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _node_lines(item, file, loc + (i,), out)


def decode_utf8(data: bytes, file: str, hint: str = "save it as UTF-8") -> str:
    """Text of a file's bytes (a leading byte-order mark is allowed). A file that is not UTF-8 is refused
    with the line of its first bad byte, never the bytes themselves (it may not be a scenario at all)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ScenarioError([Problem(file, line, "", None, f"the file is not UTF-8 text; {hint}")]) from None


def _a(what: str) -> str:
    return ("an " if what[:1] in "aeiou" else "a ") + what


def _allowed(root: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in root.model_fields.items()]


def read_yaml(path: str | Path, what: str = "scenario", root: type[BaseModel] = Scenario,
              extra_keys: tuple[str, ...] = ()) -> tuple[dict[str, Any], Origins]:
    """Parse one file safely, with the line of every key (see read_yaml_node)."""
    data, origins, _node = read_yaml_node(path, what, root, extra_keys)
    return data, origins


def read_yaml_node(path: str | Path, what: str = "scenario", root: type[BaseModel] = Scenario,
                   extra_keys: tuple[str, ...] = ()) -> tuple[dict[str, Any], Origins, yaml.Node]:
    """Parse one file safely: its data, the line of every key, and its node tree (read once).

    The file must be a regular file of at most MAX_YAML_BYTES holding a YAML mapping with at least one key
    of `root`; anything else is refused by name and kind only: an error about a file that is not a
    scenario never shows its lines (it could be any file the process can read).
    """
    file = str(path)
    try:
        raw = read_bytes_limited(path, MAX_YAML_BYTES, f"{what} file")
    except FileRefused as exc:
        raise ScenarioError([Problem(file, None, "", None, exc.reason)]) from None
    text = decode_utf8(raw, file)
    allowed = _allowed(root) + list(extra_keys)
    origins: Origins = {}

    def inspect(node: yaml.Node) -> None:
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null"):
            raise ScenarioError([Problem(file, None, "", None, f"file is empty; {_a(what)} is a mapping of keys")])
        if not isinstance(node, yaml.MappingNode):
            kind = "list" if isinstance(node, yaml.SequenceNode) else "single value"
            raise ScenarioError([Problem(file, None, "", None, f"not a {what} file: {_a(what)} is a mapping of "
                                         f"keys ({', '.join(allowed[:6])}, ...), not a {kind}")])
        keys = [k.value for k, _v in node.value if isinstance(k, yaml.ScalarNode)]
        if node.value and not any(k in allowed for k in keys):
            raise ScenarioError([Problem(file, None, "", None, f"not a {what} file: none of its {len(node.value)} "
                                         f"top-level keys is a {what} key (such as {', '.join(allowed[:6])})")])
        _node_lines(node, file, (), origins)

    try:
        node, data = safeyaml.compose_and_load(text, inspect)
    except safeyaml.YamlRefused as exc:
        raise ScenarioError([Problem(file, exc.line, "", None, f"refused: {exc.reason}")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or "the file is not valid YAML"
        context, cmark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and cmark is not None and cmark.line + 1 != line:
            problem += f" ({context} that starts on line {cmark.line + 1})"
        raise ScenarioError([Problem(file, line, "", None, f"YAML syntax error: {problem}")]) from None
    if node is None:
        raise ScenarioError([Problem(file, None, "", None, f"file is empty; {_a(what)} is a mapping of keys")])
    if not isinstance(data, dict):  # cannot happen for a mapping node; kept for the type checker
        raise ScenarioError([Problem(file, None, "", None, f"not a {what} file")])
    return data, origins, node


def _merge(base: dict, over: dict, base_o: Origins, over_o: Origins, loc: Loc = ()) -> None:
    """Deep-merge `over` into `base`: mappings merge key by key, anything else replaces."""
    for key, value in over.items():
        here = loc + (key,)
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base_o[here] = over_o.get(here, base_o.get(here))  # type: ignore[assignment]
            _merge(base[key], value, base_o, over_o, here)
        else:
            base[key] = copy.deepcopy(value)
            for k in [k for k in base_o if k[: len(here)] == here]:
                del base_o[k]
            for k, v in over_o.items():
                if k[: len(here)] == here:
                    base_o[k] = v


def _load_tree(path: Path, seen: tuple[Path, ...]) -> tuple[dict[str, Any], Origins]:
    data, origins = read_yaml(path, extra_keys=("extends",))
    for key in PATH_KEYS:
        node: Any = data
        for part in key[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and isinstance(node.get(key[-1]), str):
            node[key[-1]] = os.path.normpath(str(path.parent / node[key[-1]]))
    parent = data.pop("extends", None)
    if parent is None:
        return data, origins
    line = origins.get(("extends",), (str(path), None))[1]
    if not isinstance(parent, str):
        raise ScenarioError([Problem(str(path), line, "extends", parent, "must be the path of a base scenario file")])
    if (why := path_problem(path.parent / parent)) is not None:
        raise ScenarioError([Problem(str(path), line, "extends", parent,
                                     named_file_problem("base", path.parent / parent, why))])
    base_path = (path.parent / parent).resolve()
    if base_path in seen:
        raise ScenarioError([Problem(str(path), line, "extends", parent, "extends itself through a cycle")])
    base, base_o = _load_tree(base_path, seen + (base_path,))
    origins.pop(("extends",), None)
    _merge(base, data, base_o, origins)
    base_o[()] = (str(path), None)
    return base, base_o


def parse_override(text: str) -> tuple[Loc, Any]:
    """`dotted.path=value`, the value read as YAML so that numbers, booleans and lists get their type."""
    if "=" not in text:
        raise ScenarioError([Problem("--set", None, "", text,
                                     "an override is written key.path=value, e.g. forces.agencies.team_ratio=0.3")])
    key, _, raw = text.partition("=")
    key = key.strip()
    if not key or any(not p for p in key.split(".")):
        raise ScenarioError([Problem("--set", None, key, raw,
                                     "the key must be a dotted path such as forces.agencies.team_ratio")])
    try:
        value = safeyaml.load(raw) if raw.strip() else ""
    except (yaml.YAMLError, safeyaml.YamlRefused):
        value = raw
    loc: Loc = tuple(int(p) if p.isdigit() else p for p in key.split("."))
    return loc, value


def known_key(loc: Loc, root: type[BaseModel] = Scenario) -> str | None:
    """None when the schema has a field at `loc`, else a message naming what is allowed."""
    cls: Any = root
    for i, part in enumerate(loc):
        cls = unwrap_type(cls)
        origin = typing.get_origin(cls)
        if isinstance(cls, type) and issubclass(cls, BaseModel):
            fields = {(f.alias or name): f for name, f in cls.model_fields.items()}
            if part not in fields:
                where = fmt_loc(loc[:i]) or "the top level"
                return f"unknown key '{part}' under {where}; allowed keys: {', '.join(fields)}"
            cls = fields[part].annotation
        elif origin is list:
            if not isinstance(part, int):
                return f"'{fmt_loc(loc[:i])}' is a list: index it with a number"
            cls = typing.get_args(cls)[0]
        elif origin is dict:
            cls = typing.get_args(cls)[1]
        else:
            return f"'{fmt_loc(loc[:i])}' is a plain value and has no key '{part}'"
    return None


def apply_override(data: dict, origins: Origins, text: str) -> None:
    loc, value = parse_override(text)
    bad = known_key(loc)
    if bad:
        raise ScenarioError([Problem("--set", None, fmt_loc(loc), value, bad)])
    node: Any = data
    for i, part in enumerate(loc[:-1]):
        if isinstance(node, list):
            if not isinstance(part, int) or part >= len(node):
                raise ScenarioError([Problem("--set", None, fmt_loc(loc), value,
                                             f"no item {part} in {fmt_loc(loc[:i]) or 'the list'}")])
            node = node[part]
            continue
        child = node.get(part)
        if child is None and isinstance(loc[i + 1], int):
            raise ScenarioError([Problem("--set", None, fmt_loc(loc), value,
                                         f"no item {loc[i + 1]} in {fmt_loc(loc[:i + 1])}: the scenario has none")])
        if child is None:  # absent, or a key left empty in the file
            child = node[part] = {}
        elif not isinstance(child, (dict, list)):
            file, line = locate(origins, loc[:i + 1], "--set")
            raise ScenarioError([Problem(file, line, fmt_loc(loc[:i + 1]), child,
                                         f"must be a mapping of keys for --set {text} to set a key inside it")])
        node = child
    last = loc[-1]
    if isinstance(node, list):
        if not isinstance(last, int) or last >= len(node):
            raise ScenarioError([Problem("--set", None, fmt_loc(loc), value, "no such list item")])
    node[last] = value
    for k in [k for k in origins if k[: len(loc)] == loc]:
        del origins[k]
    origins[loc] = (f"--set {text}", None)


def _allowed_keys(loc: Loc, root: type[BaseModel] = Scenario) -> str:
    msg = known_key(loc, root)
    return msg.split("; ", 1)[1] if msg and "; " in msg else ""


def _named_field(loc: Loc, value: Any, msg: str, root: type[BaseModel] = Scenario) -> tuple[str, ...] | None:
    """The key a cross-field check names first ("grids (3) must be ...", "switch.scheduled_min (500) ..."),
    if the input at `loc` holds it, so the error points at that key's line and shows its value."""
    match = re.match(r"[A-Za-z_]+(\.[A-Za-z_]+)*", msg)
    if not match:
        return None
    path = tuple(match.group().split("."))
    node = value
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return path if known_key(loc + path, root) is None else None


def problems_from_validation(exc: ValidationError, origins: Origins, file: str,
                             root: type[BaseModel] = Scenario) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if p != "[key]")
        msg = err["msg"].removeprefix("Value error, ")
        value = err.get("input")
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(loc, root)
            msg = f"unknown key '{loc[-1]}'" + (f"; {allowed}" if allowed else "")
        elif err["type"] == "missing":
            msg = "required field is missing"
            value = None
        elif err["type"] == "model_type":
            allowed = _allowed_keys(loc + ("?",), root)
            msg = ("is empty; it " if value is None else "") + "must be a mapping of keys" + (
                f" ({allowed})" if allowed else "")
        elif err["type"] in ("int_type", "float_type", "int_from_float") and isinstance(value, bool):
            msg = "a true/false value is not a number; write a number"
        elif err["type"] in ("int_type", "int_from_float") and isinstance(value, float):
            msg = "must be a whole number, written without a decimal point (e.g. 3, not 3.0)"
        elif err["type"] == "float_type" and isinstance(value, str) and loc and loc[-1] in CLOCK_FIELDS \
                and root is Scenario:
            msg = CLOCK_HINT
        elif err["type"] == "string_pattern_mismatch" and err.get("ctx", {}).get("pattern") == CLOCK_PATTERN:
            msg = "must be a clock time HH:MM, from 00:00 to 23:59"
        elif err["type"] in ("int_type", "float_type") and isinstance(value, str):
            msg = f"must be a number, not text (remove the quotes); {msg[0].lower()}{msg[1:]}"
        elif err["type"] in ("value_error", "assertion_error"):
            key = _named_field(loc, value, msg, root)
            if key is not None:
                loc = loc + key
                for part in key:
                    value = value[part]
            if isinstance(value, (dict, list)) and len(repr(value)) > 80:
                value = None  # the message names what is wrong; a whole section is no help as a value
        where_file, line = locate(origins, loc, file)
        out.append(Problem(where_file, line, fmt_loc(loc), value, msg))
    return out


@dataclass(frozen=True)
class ScenarioSource:
    """A scenario file read and merged with its `extends`, before overrides: read once, varied many times."""

    data: dict[str, Any]
    origins: Origins
    shown: str


def read_scenario(path: str | Path) -> ScenarioSource:
    p = Path(path)
    if (why := path_problem(p)) is not None:
        raise ScenarioError([Problem(str(path), None, "", None, why)])
    # Report errors against the path the user typed, not the resolved absolute path.
    shown, full = str(path), str(p.resolve())
    try:
        data, origins = _load_tree(p.resolve(), (p.resolve(),))
    except ScenarioError as exc:
        raise ScenarioError([replace(q, file=shown) if q.file == full else q
                             for q in exc.problems]) from None
    origins = {k: ((shown if v[0] == full else v[0]), v[1]) for k, v in origins.items()}
    return ScenarioSource(data, origins, shown)


def load_scenario(path: str | Path | ScenarioSource, overrides: list[str] | None = None) -> LoadedScenario:
    """Load, merge `extends`, apply overrides, validate and check references to territory and files."""
    src = path if isinstance(path, ScenarioSource) else read_scenario(path)
    overrides = list(overrides or [])
    data, origins, shown = copy.deepcopy(src.data), dict(src.origins), src.shown
    for text in overrides:
        apply_override(data, origins, text)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc, origins, shown)) from None
    loaded = LoadedScenario(scenario, shown, origins, overrides)
    from sim.scenario.references import check_references  # local: references imports this module's types

    check_references(loaded)
    return loaded


def from_resolved(data: dict[str, Any], label: str = "<resolved scenario>") -> LoadedScenario:
    """A scenario from its resolved form (as written with each run), e.g. in a worker process."""
    return LoadedScenario(Scenario.model_validate(data), label, {}, [])


def flow_override(key: str, value: Any) -> str:
    """A `--set` text for a value (YAML flow style, so lists and mappings survive the round trip)."""
    if isinstance(value, float):
        return f"{key}={value!r}"
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True).strip()
    return f"{key}={text.removesuffix('...').strip()}"


def resolved_yaml(scenario: Scenario) -> str:
    """The scenario with every default filled in, as written into each run folder."""
    return yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
