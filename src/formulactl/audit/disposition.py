"""History rules for batch disposition, judged like approvals: a batch leaves quarantine
only through `release` or `reject-batch`, signed by an approver for batches who is not
its operator and did not record it, in a commit that changes nothing else in it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from formulactl.audit.history import Commit, History
from formulactl.errors import FormulaError
from formulactl.git import gitio
from formulactl.model.disposition import disposition_step
from formulactl.model.team import Person
from formulactl.store import yamlio

BATCHES = "records/batches/"
# (rule, message, hint)
Problem = tuple[str, str, str]


def disposition_problems(
    history: History,
    commit: Commit,
    change: gitio.Change,
    signer: Person | None,
    who: str,
    authors: set[str],
) -> Iterator[Problem]:
    """What is wrong with this commit's change to a batch's disposition, if anything."""
    if not change.path.startswith(BATCHES) or change.old is None or change.new is None:
        return
    before, after = read_data(history, change.old), read_data(history, change.new)
    was, now = before.get("disposition"), after.get("disposition")
    if was == now:
        return
    batch = str(after.get("id", change.path))
    step = disposition_step(was, now)
    if step is None:
        yield (
            "not-a-step",
            f"{batch} went from {was} to {now} in a way no disposition step does",
            "a batch leaves quarantine only by `release` or `reject-batch`, and stays so",
        )
        return
    if commit.trailers.get("Action") != step.name:
        yield (
            "disposition-without-step",
            f"{batch} became {now} without `formulactl {step.name}`",
            "dispose of batches only with release or reject-batch",
        )
    customer = after.get("customer") if isinstance(after.get("customer"), str) else None
    if signer is None or not any(signer.may(r, "batch", customer) for r in step.roles):
        yield (
            "not-authorized",
            f"{who} may not {step.name} {batch}",
            "this needs the approver role for batches",
        )
    if who == after.get("operator") or who in authors:
        yield (
            "self-release",
            f"{who} ran or recorded {batch} and also set it {now}",
            "four eyes: another approver must release or reject it",
        )
    rest = {k: v for k, v in after.items() if k != "disposition"}
    if rest != {k: v for k, v in before.items() if k != "disposition"}:
        yield (
            "disposition-changes-content",
            f"the {step.name} of {batch} also changes its content",
            "a disposition commit changes nothing but `disposition`",
        )


def read_data(history: History, blob: str) -> dict[str, Any]:
    """A record's data from a blob in history; {} when it cannot be read."""
    raw = history.blob(blob)
    try:
        return yamlio.load_record(raw, blob, len(raw) + 1)
    except FormulaError:
        return {}
