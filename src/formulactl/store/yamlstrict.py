"""What libyaml reads although YAML 1.2 forbids it: the checks the strict loader adds to
libyaml's events, each naming the place (0-based line and column, like libyaml's marks)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# A block scalar header (`|`, `>-`, `|2+`) ending its line, with or without a comment.
_HEADER = re.compile(r"(?:^|[\s:-])[|>]([1-9][+-]?|[+-][1-9]?)?(?:[ \t]+#.*)?[ \t]*\r?$")
_NO_SPACE = "put a space before the `#`"


@dataclass(frozen=True)
class Flaw:
    line: int
    col: int
    message: str
    hint: str


class Source:
    """A file's lines, decoded only when a check needs them (most files never do)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._lines: list[str] | None = None

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.data.decode("utf-8", "replace").removeprefix("\ufeff").split("\n")
        return self._lines

    def char(self, mark: Any) -> str:
        """The character at a libyaml mark, "" past the end of its line."""
        line = self.lines[mark.line] if mark.line < len(self.lines) else ""
        return line[mark.column] if mark.column < len(line) else ""


def quoted_flaw(source: Source, event: Any, parent: int, in_flow: bool) -> Flaw | None:
    """A quoted scalar: a comment right after its closing quote, or (in block context) a
    continuation line indented no deeper than the collection holding it."""
    if source.char(event.end_mark) == "#":
        mark = event.end_mark
        return Flaw(mark.line, mark.column, "a comment needs a space before `#`", _NO_SPACE)
    if in_flow or event.start_mark.line == event.end_mark.line:
        return None
    return underindented(source, event.start_mark, event.end_mark, parent, comments=False)


def header_flaw(source: Source, event: Any) -> Flaw | None:
    """A block scalar's header (`|`, `>-`, `|2`) followed by `#` with no space between."""
    mark = event.start_mark
    line = source.lines[mark.line] if mark.line < len(source.lines) else ""
    end = mark.column + 1
    while end < len(line) and line[end] in "123456789+-":
        end += 1
    if line[end : end + 1] == "#":
        return Flaw(mark.line, end, "a comment needs a space before `#`", _NO_SPACE)
    return None


def flow_flaw(source: Source, start: Any, end: Any, parent: int) -> Flaw | None:
    """A flow collection (`[…]`, `{…}`): a comment right after it, or a continuation line
    indented no deeper than the collection holding it."""
    if source.char(end) == "#":
        return Flaw(end.line, end.column, "a comment needs a space before `#`", _NO_SPACE)
    return underindented(source, start, end, parent, comments=True)


def underindented(source: Source, start: Any, end: Any, parent: int, comments: bool) -> Flaw | None:
    """The first line after the first of a multi-line value that is not indented past
    `parent`, the column of the entries of the block collection the value is in (-1 at the
    top, where any indentation will do). Blank lines, and comment lines in flow
    collections, may sit anywhere."""
    if parent < 0:
        return None
    for number in range(start.line + 1, end.line + 1):
        line = source.lines[number]
        text = line.lstrip(" ")
        if not text.strip() or (comments and text.lstrip(" \t").startswith("#")):
            continue
        indent = len(line) - len(text)
        if indent <= parent:
            return Flaw(
                number,
                indent,
                f"a line of a multi-line value must be indented more than its field "
                f"({parent} spaces), found {indent}",
                f"indent it by at least {parent + 1} spaces, or write the value on one line",
            )
    return None


def blank_lead_flaw(data: bytes, line: int) -> Flaw | None:
    """Where libyaml stops at a block scalar's first line of text because a blank line
    before it had more spaces: the blank line, said plainly (0-based line)."""
    lines = Source(data).lines
    if line >= len(lines) or not lines[line].strip():
        return None
    indent = len(lines[line]) - len(lines[line].lstrip(" "))
    first = line
    while first > 0 and not lines[first - 1].strip():
        first -= 1
    header = _HEADER.search(lines[first - 1]) if 0 < first < line else None
    if header is None or any(char.isdigit() for char in header.group(1) or ""):
        return None  # not a block scalar's start, or its indentation is given explicitly
    for number in range(first, line):
        if len(lines[number].rstrip("\r")) > indent:
            return Flaw(
                number,
                indent,
                f"this blank line has more spaces than the first line of text after it ({indent})",
                "remove the spaces from the blank lines at the start of the text",
            )
    return None
