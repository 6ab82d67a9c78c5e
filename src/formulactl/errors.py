"""Findings and errors as data: checks collect findings, operations raise FormulaError."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Finding:
    """One problem in one place; `line`/`col` are 1-based, 0 when not known."""

    path: str
    line: int
    col: int
    pointer: str
    rule: str
    message: str
    hint: str = ""
    commit: str = ""  # for findings about history: the commit and the person who signed it
    person: str = ""

    def as_line(self) -> str:
        """`path:line:col: message — hint`, the one-line form every user sees."""
        where = self.path
        if where and self.line:
            where += f":{self.line}:{self.col}"
        if self.commit:
            where = f"{self.commit[:10]} {where}".strip()
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} — {self.hint}" if self.hint else text


class FormulaError(Exception):
    """A problem the user can fix; the CLI prints it as one line and exits 2."""

    def __init__(
        self,
        message: str,
        hint: str = "",
        path: str = "",
        line: int = 0,
        col: int = 0,
        rule: str = "error",
        pointer: str = "",
    ) -> None:
        super().__init__(message)
        self.finding = Finding(path, line, col, pointer, rule, message, hint)

    def __str__(self) -> str:
        return self.finding.as_line()

    def __reduce__(self) -> tuple[Any, ...]:
        """Errors raised in a worker process arrive whole, hint and findings included."""
        return _restore, (type(self), self.finding, getattr(self, "findings", None))


def _restore(
    kind: type[FormulaError], finding: Finding, findings: list[Finding] | None
) -> FormulaError:
    error = kind.__new__(kind)
    Exception.__init__(error, finding.message)
    error.finding = finding
    if findings is not None:
        error.findings = findings  # type: ignore[attr-defined]
    return error


class Refused(FormulaError):
    """A change whose result would have findings; nothing was written."""

    def __init__(self, what: str, findings: list[Finding]) -> None:
        super().__init__(f"{what}: nothing was written", rule="refused")
        self.findings = findings


class Interrupted(Exception):
    """The user interrupted an interactive step; nothing was written."""


@dataclass(frozen=True)
class Problem:
    """A schema error before it is placed in a file."""

    pointer: str
    rule: str
    message: str
    hint: str


def pointer_part(key: str | int) -> str:
    return "/" + str(key).replace("~", "~0").replace("/", "~1")
