"""History rule for promised dates: a commit that moves a feedback's `response_due` or a
CAPA action's `due` later must say why, in the signed `Formulactl-Reason` trailer that
`formulactl feedback ID extend --to DATE --reason …` writes (Veeva QMS: a due date moves
only by an approved extension). Bringing a date forward needs no reason."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from formulactl.audit.disposition import read_data
from formulactl.audit.history import Commit, History
from formulactl.git import gitio

FEEDBACK = "records/feedback/"
# (rule, message, hint)
Problem = tuple[str, str, str]


def moved_due_problems(history: History, commit: Commit, change: gitio.Change) -> Iterator[Problem]:
    """A finding for each due date this commit moved later without a reason."""
    if not change.path.startswith(FEEDBACK) or change.old is None or change.new is None:
        return
    if commit.trailers.get("Reason", "").strip():
        return
    before, after = read_data(history, change.old), read_data(history, change.new)
    record = str(after.get("id", change.path))
    for name, old, new in moved_later(before, after):
        yield (
            "due-moved-without-reason",
            f"{record} {name} moved from {old} to {new} without a reason",
            f"move a due date with `formulactl feedback {record} extend --to DATE --reason …`",
        )


def moved_later(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(field, old date, new date) for each promised date that moved later. CAPA actions
    are matched by their text, so adding or reordering actions moves nothing."""
    pairs = [("response_due", before.get("response_due"), after.get("response_due"))]
    old_capa = {item.get("action"): item for item in _capa(before)}
    for index, item in enumerate(_capa(after)):
        earlier = old_capa.get(item.get("action"))
        if earlier is not None:
            pairs.append((f"capa[{index}].due", earlier.get("due"), item.get("due")))
    return [
        (name, old, new)
        for name, old, new in pairs
        if isinstance(old, str) and isinstance(new, str) and new > old
    ]


def _capa(data: dict[str, Any]) -> list[dict[str, Any]]:
    items = data.get("capa")
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
