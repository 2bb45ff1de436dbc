"""Errors the user can fix: they carry where the problem is, so the CLI prints them without a traceback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: file, line (if known), dotted field, bad value, what is allowed."""

    file: str
    line: int | None
    field: str
    value: Any
    message: str

    def __str__(self) -> str:
        where = _short(self.file) + (f":{self.line}" if self.line else "")
        field = f" {self.field}:" if self.field else ""
        value = "" if self.value is None else f" got {_show(self.value)};"
        return f"{where}:{field}{value} {self.message}"


def _short(text: str, keep: int = 200) -> str:
    """A file name as it can be shown: control characters (a NUL, say) escaped, and a very long one (a
    5,000-character path) by its start and its end."""
    text = text if text.isprintable() else repr(text)[1:-1]
    return text if len(text) <= keep else text[:keep // 2 - 2] + "..." + text[-(keep // 2 - 1):]


def _show(value: Any) -> str:
    """The value as the user should see it; a long one keeps its start and its end (a file name, say)."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:38] + "..." + text[-39:]


class ScenarioError(Exception):
    """Bad input: one or more problems, each printed on its own line; the CLI exits with status 2."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

