"""A commit that claims to seal records anew (`rekey`, `upgrade-seals`) but changes what a
record says: the finding names the fields whose commitments (or plain values) changed."""

from __future__ import annotations

from typing import Any

from formulactl.audit.diffing import record_diff
from formulactl.audit.history import Commit, History, RecordState, is_rekey
from formulactl.crypto.confidential import sealed_value_problems
from formulactl.errors import FormulaError
from formulactl.git import gitio
from formulactl.model.sealed import ENVELOPE, UPGRADE
from formulactl.model.team import Person
from formulactl.store import yamlio

RESEALS = ("rekey", UPGRADE)


def reseal_problems(
    history: History, commit: Commit, change: gitio.Change, signer: Person | None
) -> list[tuple[str, str, str]]:
    """(rule, message, hint) for a commit claiming to reseal a sealed record: it must keep
    every value (its commitment) and write values that pass the keyless checks."""
    action = commit.trailers.get("Action", "")
    if action not in RESEALS:
        return []
    before = history.state(change.path, change.old)
    after = history.state(change.path, change.new)
    if before is None or not before.seals:
        return []  # sealing plain values for the first time is an ordinary change
    if not is_rekey(commit, signer, before, after):
        message, hint = false_reseal(history, action, change, before, after, signer)
        return [(f"{action}-changes-values", message, hint)]
    assert after is not None
    return [
        ("reseal-damaged", message, "restore the value from history")
        for message in damaged_values(history, change, after)
    ]


def false_reseal(
    history: History,
    action: str,
    change: gitio.Change,
    before: RecordState,
    after: RecordState | None,
    signer: Person | None,
) -> tuple[str, str]:
    """(message, hint) for a reseal claim of a sealed record that its states do not back."""
    record = before.id
    if signer is None or "admin" not in signer.roles:
        return f"a {action} of {record} by someone who is not an admin", "only an admin reseals"
    if after is None:
        return f"a {action} that deletes {record}", f"a {action} deletes no record"
    if action == UPGRADE:
        return (
            f"the {UPGRADE} of {record} changes more than the sealed-value format "
            f"({_changed_fields(history, change, before.kind)})",
            "an upgrade keeps the data key and every value; run `formulactl upgrade-seals`",
        )
    changed = _changed_fields(history, change, before.kind)
    return (
        f"the rekey of {record} changes what it says: {changed}",
        "a rekey keeps every value's commitment; change values with set or edit",
    )


def damaged_values(history: History, change: gitio.Change, after: RecordState) -> list[str]:
    """What a reseal wrote that fails the keyless checks (a value altered or moved)."""
    if after.seals != "2":
        return []
    try:
        data = _parsed(history, change.new, change.path) or {}
    except FormulaError:
        return []
    envelope = data.get(ENVELOPE)
    key_id = envelope.get("key_id") if isinstance(envelope, dict) else None
    schema = history.store.schema(after.kind)
    problems = sealed_value_problems(history.store.settings, schema, after.id, data, key_id)
    return [f"after a reseal, {problem.message}" for problem in problems]


def _changed_fields(history: History, change: gitio.Change, kind: str) -> str:
    """The fields whose commitment or plain value differ between the two blobs."""
    try:
        old = _parsed(history, change.old, change.path)
        new = _parsed(history, change.new, change.path)
        schema = history.store.schema(kind)
    except FormulaError:
        return "unreadable"
    changed = [item.field for item in record_diff(schema, old, new) if item.field != "readers"]
    return ", ".join(changed[:5]) + (" …" if len(changed) > 5 else "") or "sealed format"


def _parsed(history: History, blob: str | None, path: str) -> dict[str, Any] | None:
    if blob is None:
        return None
    raw = history.blob(blob)
    return yamlio.load_record(raw, path, len(raw) + 1)
