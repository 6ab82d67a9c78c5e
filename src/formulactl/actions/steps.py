"""Workflow steps on one record (submit … archive, feedback progress): each one signed commit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from formulactl.actions.records import Done, commit_record, refuse_uncommitted
from formulactl.actions.signing import actor
from formulactl.audit.history import History
from formulactl.errors import Finding, FormulaError, Refused
from formulactl.model.kinds import KINDS
from formulactl.model.team import Person
from formulactl.model.workflow import (
    FEEDBACK_STEPS,
    STEPS,
    content_digest,
    next_review,
    record_ref,
    require_role,
)
from formulactl.rules.rules import closable
from formulactl.store.cache import BlobCache
from formulactl.store.store import Record, Store

Gate = Callable[[Record], list[Finding]]


def take_step(
    store: Store,
    record_id: str,
    name: str,
    reason: str,
    today: date,
    cache: BlobCache,
    gate: Gate | None = None,
) -> Done:
    """submit, approve, reject, revise, archive or reaffirm one master record; an approval
    first passes `gate` (for formulas: its limits and customer restrictions)."""
    step = STEPS[name]
    record = store.load(record_id)
    if not KINDS[record.kind].master:
        raise FormulaError(
            f"{record.kind} records are not reviewed or approved",
            "they are signed when they are made",
            rule="not-master",
        )
    status = record.data.get("status")
    if status not in step.starts:
        raise FormulaError(
            f"{record_id} is {status}; {name} needs it {' or '.join(step.starts)}",
            _next_step_hint(str(status)),
            record.path,
            rule="wrong-status",
        )
    person = require_role(actor(store), step.roles, record.kind, record_id, record.data, name)
    if step.needs_reason and not reason.strip():
        raise FormulaError(f"{name} needs a reason", 'add --reason "…"', rule="usage")
    refuse_uncommitted(store, record)
    data = dict(record.data, status=step.ends)
    trailers: list[tuple[str, str]] = []
    interval = store.settings.review_interval_days.get(record.kind)
    if name == "approve":
        _four_eyes(store, record, person)
        findings = gate(record) if gate is not None else []
        if findings:
            raise Refused(f"approve {record_id}", findings)
        data["review_due"] = next_review(today, interval) or data.get("review_due")
        data = {key: value for key, value in data.items() if value is not None}
        trailers.append(("Approves", f"{record_ref(data, record_id)} {content_digest(data)}"))
    elif name == "reaffirm":
        data["review_due"] = next_review(today, interval) or data.get("review_due")
    elif name == "revise":
        data["version"] = int(data.get("version", 1)) + 1
        data.pop("review_due", None)
    if reason.strip():
        trailers.append(("Reason", reason))
    after = Record(record.id, record.kind, record.path, data)
    # A periodic review is an event: it is recorded even when `review_due` does not move
    # (reaffirmed on the day of approval, or twice in a day).
    done = commit_record(store, after, cache, name, step.meaning, trailers, name == "reaffirm")
    return _made(done, name)


def progress_feedback(
    store: Store,
    record_id: str,
    status: str,
    resolution: str,
    today: date,
    cache: BlobCache,
    no_capa_reason: str = "",
) -> Done:
    """Move feedback along open → investigating → resolved → closed; a complaint or claim
    closes only with an effectiveness result or a reason why it needs no CAPA."""
    record = store.load(record_id)
    if record.kind != "feedback":
        raise FormulaError(f"{record_id} is not feedback", "give an FB-… ID", rule="usage")
    starts, roles = FEEDBACK_STEPS[status]
    current = record.data.get("status")
    if current not in starts:
        raise FormulaError(
            f"{record_id} is {current}; it cannot become {status} from there",
            f"{status} follows {' or '.join(starts)}",
            record.path,
            rule="wrong-status",
        )
    require_role(actor(store), roles, "feedback", record_id, record.data, f"set to {status}")
    data = dict(record.data, status=status)
    if resolution:
        data["resolution"] = resolution
    if status == "resolved":
        data["resolved_on"] = today.isoformat()
    if status == "investigating":
        data.pop("resolved_on", None)  # reopened: it is not resolved any more
    if no_capa_reason.strip():
        data["no_capa_reason"] = no_capa_reason.strip()
    if status == "closed":
        data["closed_on"] = today.isoformat()
        if not closable(data):
            raise FormulaError(
                f"{record_id} cannot close: its CAPA has no effectiveness result",
                "record `effectiveness.result` (formulactl set) after checking the CAPA "
                'worked, or close with --no-capa-reason "…"',
                record.path,
                rule="feedback-effectiveness",
            )
    after = Record(record.id, record.kind, record.path, data)
    meaning = "reviewed" if status == "closed" else "authored"
    return _made(commit_record(store, after, cache, "feedback", meaning, []), "feedback")


def _made(done: Done, name: str) -> Done:
    """A step that reports success has made its commit."""
    if not done.commit:
        raise FormulaError(
            f"{name} {done.record.id} changed nothing", "nothing was committed", rule="no-change"
        )
    return done


def _four_eyes(store: Store, record: Record, person: Person) -> None:
    with History(store) as history:
        authors = history.authors_since_approval(record.path)
    if person.id in authors:
        raise FormulaError(
            f"{person.id} changed {record.id} since its last approval and may not approve it",
            "four eyes: another approver must approve it",
            record.path,
            rule="self-approval",
        )


def _next_step_hint(status: str) -> str:
    return {
        "draft": "submit it for review first",
        "in_review": "it is waiting for approval or rejection",
        "approved": "revise it to change it, or reaffirm it at its review date",
        "archived": "archived records stay as they are",
    }.get(status, "check its status with `formulactl show`")
