"""Release or reject a batch as one signed step: an approver for batches who neither ran
the batch nor recorded it, and — to release — every required test recorded and in spec
by the specification of the exact formula version the batch names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from formulactl.actions.records import Done, commit_record, refuse_uncommitted
from formulactl.actions.signing import actor
from formulactl.audit.history import History, authored, who_signed
from formulactl.audit.trail import Trail, version_text
from formulactl.errors import FormulaError
from formulactl.model.disposition import DISPOSITION_STEPS
from formulactl.model.settings import split_ref
from formulactl.model.team import Person
from formulactl.model.workflow import content_digest, require_role
from formulactl.rules.quality import Gate, gate
from formulactl.store import yamlio
from formulactl.store.cache import BlobCache
from formulactl.store.store import Record, Store


@dataclass(frozen=True)
class Disposed:
    done: Done
    warnings: str  # results in the warning range, which do not stop a release


def dispose(
    store: Store,
    batch_id: str,
    name: str,
    reason: str,
    cache: BlobCache,
    consumption: Callable[[Record], list[str]] | None = None,
) -> Disposed:
    """`release` or `reject-batch` one batch in quarantine; a release first passes
    `consumption` (the lot quantities against the scaled formula, for its readers)."""
    step = DISPOSITION_STEPS[name]
    record = store.load(batch_id)
    if record.kind != "batch":
        raise FormulaError(f"{batch_id} is not a batch", "give a B-… ID", rule="usage")
    current = record.data.get("disposition")
    if current not in step.starts:
        raise FormulaError(
            f"{batch_id} is {current}; {name} needs it in quarantine",
            "a released or rejected batch stays so",
            record.path,
            rule="wrong-disposition",
        )
    person = require_role(actor(store), step.roles, "batch", batch_id, record.data, name)
    if step.needs_reason and not reason.strip():
        raise FormulaError(f"{name} needs a reason", 'add --reason "…"', rule="usage")
    refuse_uncommitted(store, record)
    with History(store) as history:
        _four_eyes(history, record, person)
        trailers: list[tuple[str, str]] = []
        warnings = ""
        if name == "release":
            found = release_gate(store, history, record)
            _refuse_closed(record, found, consumption(record) if consumption else [])
            warnings = _warnings(found)
            trailers += [("Warning", warnings)] if warnings else []
    data = dict(record.data, disposition=step.ends)
    trailers.append(("Disposes", f"{batch_id} {step.ends} {content_digest(data)}"))
    if reason.strip():
        trailers.append(("Reason", reason))
    after = Record(record.id, record.kind, record.path, data)
    return Disposed(commit_record(store, after, cache, name, step.meaning, trailers), warnings)


def release_gate(store: Store, history: History, record: Record) -> Gate:
    """Missing required tests, results out of spec and warnings, by the approved text of
    the version the batch names, as the commit that approved it holds it."""
    ref = str(record.data.get("formula", ""))
    formula_id, version = split_ref(ref)
    trail = Trail(store, history, formula_id)
    event = trail.approved(version or 0)
    raw = version_text(trail, event)
    approved: dict[str, Any] = yamlio.load_record(raw, trail.path, len(raw) + 1)
    return gate(approved.get("specifications"), record.data.get("qc"))


def _four_eyes(history: History, record: Record, person: Person) -> None:
    """Neither the operator nor anyone who recorded the batch may dispose of it."""
    if record.data.get("operator") == person.id:
        raise FormulaError(
            f"{person.id} is the operator of {record.id} and may not dispose of it",
            "four eyes: another approver must release or reject it",
            record.path,
            rule="self-release",
        )
    for commit in history.commits(["HEAD"], (record.path,)):
        for change in commit.changes:
            before = history.state(change.path, change.old)
            after = history.state(change.path, change.new)
            signer = history.signer(commit)
            if authored(commit, signer, before, after) and who_signed(history, commit) == person.id:
                raise FormulaError(
                    f"{person.id} recorded {record.id} and may not dispose of it",
                    "four eyes: another approver must release or reject it",
                    record.path,
                    rule="self-release",
                )


def _refuse_closed(record: Record, found: Gate, consumed: list[str]) -> None:
    problems = [f"required test {name} is missing" for name in found.missing]
    problems += [f"{v.name} {v.result} is out of spec ({v.why})" for v in found.out_of_spec]
    problems += consumed
    if problems:
        raise FormulaError(
            f"{record.id} cannot be released: " + "; ".join(problems),
            "record the missing results or correct the lot quantities, "
            "or reject the batch with `reject-batch --reason`",
            record.path,
            rule="release-gate",
        )


def _warnings(found: Gate) -> str:
    return "; ".join(f"{v.name} {v.result} {v.why}" for v in found.warnings)
