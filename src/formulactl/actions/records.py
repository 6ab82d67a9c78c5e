"""New, set and edit as one checked, signed commit each (opening a record's secrets for its
readers is `crypto.opening`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from formulactl.actions.commits import commit_files
from formulactl.actions.signing import actor
from formulactl.crypto.confidential import secrets_in
from formulactl.crypto.opening import Opened
from formulactl.crypto.sealing import seal
from formulactl.errors import FormulaError, Refused
from formulactl.git import gitio
from formulactl.model.kinds import KINDS
from formulactl.model.sealed import ENVELOPE
from formulactl.model.workflow import (
    WORKFLOW_FIELDS,
    record_ref,
    require_role,
)
from formulactl.rules.check import check_unsaved
from formulactl.rules.owners import orphaned, stranger
from formulactl.store.cache import BlobCache
from formulactl.store.store import Record, Store


@dataclass(frozen=True)
class Done:
    record: Record
    commit: str


def create(store: Store, record: Record, cache: BlobCache) -> Done:
    """Commit a new record made by `editing.new_record`, its secrets sealed for its readers."""
    require_role(actor(store), ("entry",), record.kind, record.id, record.data, "create")
    _refuse_workflow_fields(record, _starting_state(record.kind), record.data)
    refuse_stranger_owner(store, record, None)
    return commit_record(
        store, _sealed(store, record, None, None, cache, "new"), cache, "new", "authored", []
    )


def change(
    store: Store,
    before: Record,
    after: Record,
    action: str,
    cache: BlobCache,
    opened: Opened | None = None,
    trailers: Sequence[tuple[str, str]] = (),
) -> Done:
    """Commit a `set` or `edit`: only content changes, only where the record may change.

    With `opened` (the record's data key and plain text), `after` is plain text and is
    sealed again; without it, `after` is the sealed form and its secrets must not change.
    `trailers` add to the commit's (a merge's reason)."""
    checked = checked_change(store, before, after, action, cache, opened)
    return commit_record(store, checked, cache, action, "authored", list(trailers))


def checked_change(
    store: Store,
    before: Record,
    after: Record,
    action: str,
    cache: BlobCache,
    opened: Opened | None = None,
) -> Record:
    """`change` without the commit: the checked (and sealed) record, for a caller that
    commits many records at once."""
    require_role(actor(store), ("entry",), before.kind, before.id, before.data, action)
    status = before.data.get("status")
    if KINDS[before.kind].master and status != "draft":
        hint = (
            "run `formulactl revise ID --reason …` to start the next version"
            if status == "approved"
            else "reject it back to draft first"
            if status == "in_review"
            else "archived records do not change"
        )
        raise FormulaError(
            f"{before.id} is {status}; only drafts are edited", hint, before.path, rule="not-draft"
        )
    if before.kind == "feedback" and status == "closed":
        raise FormulaError(
            f"{before.id} is closed", "closed feedback does not change", before.path, rule="closed"
        )
    _refuse_workflow_fields(before, before.data, after.data)
    refuse_stranger_owner(store, after, before)
    if opened is not None or ENVELOPE not in before.data:
        after = _sealed(store, after, opened, before, cache, action)
    else:
        _secrets_unchanged(store, before, after)
    return after


def refuse_uncommitted(store: Store, record: Record) -> None:
    """A step builds on the committed file: changes not committed would be swept into it."""
    if gitio.dirty(store.root, [record.path]):
        raise FormulaError(
            f"{record.path} has changes that are not committed",
            "commit them (formulactl set/edit) or discard them first",
            record.path,
            rule="dirty",
        )


def refuse_stranger_owner(store: Store, record: Record, before: Record | None) -> None:
    """A customer is given only to a current team member: an owner set or changed to
    anyone else is refused at entry, in the words of `validate`'s owner rule (a store
    whose team names nobody yet, as in solo use, has no owners to check)."""
    if record.kind != "customer":
        return
    owner = orphaned(record.data, store.team)
    if owner is None or (before is not None and before.data.get("owner") == owner):
        return
    raise FormulaError(
        stranger(record.id, owner, store.team),
        "choose one of them as the owner (`formulactl team show` lists the team)",
        rule="owner-in-team",
    )


def _starting_state(kind: str) -> dict[str, Any]:
    """The workflow fields a new record of `kind` starts with; `new` may set no other."""
    if KINDS[kind].master:
        return {"status": "draft", "version": 1}
    return {"status": "open"} if kind == "feedback" else {}


def _refuse_workflow_fields(record: Record, before: dict[str, Any], after: dict[str, Any]) -> None:
    """Where a record is in its workflow changes only through the workflow commands, so
    neither `new` nor `set`/`edit` can write a status, a review date or a version."""
    if not (KINDS[record.kind].master or record.kind == "feedback"):
        return
    moved = sorted(
        name for name in WORKFLOW_FIELDS | {"version"} if before.get(name) != after.get(name)
    )
    if moved:
        raise FormulaError(
            f"`{moved[0]}` changes only through the workflow commands",
            "use submit, approve, reject, revise, archive, reaffirm or feedback",
            record.path,
            rule="workflow-field",
        )


def _sealed(
    store: Store,
    plain: Record,
    opened: Opened | None,
    before: Record | None,
    cache: BlobCache,
    action: str,
) -> Record:
    """Check the plain text, then seal its secrets (keeping unchanged ciphertexts)."""
    text = store.canonical(plain).encode("utf-8")
    findings = check_unsaved(store, plain.path, text, cache, plaintext_ok=True)
    if findings:
        raise Refused(f"{action} {plain.id}", findings)
    data = seal(
        store.settings,
        store.team,
        store.schema(plain.kind),
        plain.id,
        plain.data,
        key=opened.key if opened else None,
        previous=before.data if opened and before else None,
        previous_plain=opened.plain if opened else None,
    )
    return Record(plain.id, plain.kind, plain.path, data)


def _secrets_unchanged(store: Store, before: Record, after: Record) -> None:
    schema = store.schema(before.kind)
    old = {secret.name: secret.value for secret in secrets_in(schema, before.data)}
    new = {secret.name: secret.value for secret in secrets_in(schema, after.data)}
    if old != new or before.data.get(ENVELOPE) != after.data.get(ENVELOPE):
        raise FormulaError(
            f"changing {before.id} this way changes its confidential fields",
            "that needs its data key: pass --identity with a reader's key",
            before.path,
            rule="needs-key",
        )


def commit_record(
    store: Store,
    record: Record,
    cache: BlobCache,
    action: str,
    meaning: str,
    trailers: list[tuple[str, str]],
    allow_empty: bool = False,
) -> Done:
    """Check and commit one record; `allow_empty` commits even when its file is unchanged."""
    text = store.canonical(record)
    findings = check_unsaved(store, record.path, text.encode("utf-8"), cache)
    if findings:
        raise Refused(f"{action} {record.id}", findings)
    ref = record_ref(record.data, record.id)
    title = _title(record.data)
    subject = f"{action} {ref}" + (f": {title}" if title else "")
    trailers = [("Action", action), ("Record", ref), ("Meaning", meaning), *trailers]
    commit = commit_files(store, {record.path: text}, subject, trailers, allow_empty)
    return Done(record, commit)


def _title(data: dict[str, Any]) -> str:
    for name in ("product", "name", "subject", "description", "summary"):
        value = data.get(name)
        if isinstance(value, str):
            return value.splitlines()[0][:60]
    return ""
