"""YAML read safely and within bounds: PyYAML's safe loader (no tags that run code), plus a depth limit
while composing and a budget on the nodes that aliases expand to, so `[[[[...]]]]` or a billion laughs
is refused in milliseconds instead of exhausting the stack, the memory or the patience of the user.

Numbers written `1e7` are read as numbers, as YAML 1.2 reads them (YAML 1.1 would make them strings).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import yaml

#: nesting of mappings and lists, aliases expanded (a scenario needs 6)
MAX_DEPTH = 40
#: nodes after expanding aliases (the largest shipped file has about 2,000)
MAX_NODES = 200_000


class YamlRefused(Exception):
    """A YAML text over a bound; `line` is where the problem shows, if known."""

    def __init__(self, reason: str, line: int | None = None):
        self.reason, self.line = reason, line
        super().__init__(reason)


class BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses nesting deeper than MAX_DEPTH before it can exhaust the stack."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise YamlRefused(f"nested deeper than {MAX_DEPTH} levels", mark.line + 1 if mark else None)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


BoundedLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"), list("-+0123456789"))


def _measure(root: yaml.Node) -> None:
    """Refuse a document whose aliases expand past MAX_NODES nodes or MAX_DEPTH levels, or refer to
    themselves; iterative and memoised, so it costs one visit per distinct node."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        kids: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            kids = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            kids = list(node.value)
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            line = node.start_mark.line + 1 if node.start_mark else None
            if size[key] > MAX_NODES:
                raise YamlRefused(f"its aliases expand to more than {MAX_NODES:,} values", line)
            if depth[key] > MAX_DEPTH:
                raise YamlRefused(f"nested deeper than {MAX_DEPTH} levels (aliases expanded)", line)
            continue
        if key in size:
            continue
        if key in on_path:
            raise YamlRefused("an alias refers to the mapping or list that contains it",
                              node.start_mark.line + 1 if node.start_mark else None)
        on_path.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in kids if id(k) not in size)


def compose_and_load(text: str, inspect: Callable[[yaml.Node], None] | None = None) -> tuple[yaml.Node | None, Any]:
    """The root node and the data of one YAML document, within the bounds. `inspect` sees the node tree
    before construction (which rewrites merge keys `<<` in place), e.g. to record the line of each key.
    Raises YamlRefused, or yaml.YAMLError for a syntax error."""
    loader = BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _measure(node)
        if inspect is not None:
            inspect(node)
        return node, loader.construct_document(node)
    finally:
        loader.dispose()


def load(text: str) -> Any:
    """The data of a YAML text (a `--set` value, a resolved file read back), within the bounds."""
    return compose_and_load(text)[1]
