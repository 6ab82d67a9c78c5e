"""Status transitions, versions, digests and trailers: what each workflow step may do."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from formulactl.errors import FormulaError
from formulactl.model.kinds import KINDS
from formulactl.model.sealed import ENVELOPE, committed, is_legacy, is_sealed
from formulactl.model.team import Person

# Fields that record where a record is in its workflow, not what it says.
WORKFLOW_FIELDS = frozenset({"status", "review_due"})
MASTER_STATUSES = ("draft", "in_review", "approved", "archived")
FEEDBACK_STATUSES = ("open", "investigating", "resolved", "closed")


def content_digest(data: Mapping[str, Any]) -> str:
    """sha256 of the record without its workflow fields, so an approval binds the content.

    The key envelope is left out too (adding a reader changes who can read, not what), and a
    sealed value counts by its commitment, not its ciphertext: a rekey keeps the digest, any
    change of a sealed value changes it."""
    return _digest(committed_view(data))


def committed_view(data: Mapping[str, Any]) -> dict[str, Any]:
    """The record as digests see it: no workflow fields or envelope, commitments for sealed
    values."""
    return {
        key: _committed(value)
        for key, value in data.items()
        if key not in WORKFLOW_FIELDS and key != ENVELOPE
    }


def _digest(view: Mapping[str, Any]) -> str:
    return _hashed(_json(view))


def _json(view: Any) -> str:
    """The canonical JSON a digest hashes: sorted keys, no spaces, UTF-8 as is."""
    return json.dumps(view, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _hashed(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _with_and_without_version(view: Mapping[str, Any]) -> tuple[str, str]:
    """The digests of `view` and of `view` without `version`, encoding the record once.

    With sorted keys and no spaces the JSON of an object is `{` + its members joined by `,`
    + `}`, so the text with `version` is the text without it, with the version's member put
    before the members of the keys that sort after it (encoded alone to find where)."""
    if "version" not in view:
        digest = _digest(view)
        return digest, digest
    body = {key: value for key, value in view.items() if key != "version"}
    text = _json(body)
    member = '"version":' + _json(view["version"])
    after = _json({key: value for key, value in body.items() if key > "version"})
    if after == "{}":
        full = text[:-1] + ("," if body else "") + member + "}"
    else:
        cut = len(text) - len(after) + 1
        full = text[:cut] + member + "," + text[cut:]
    return _hashed(full), _hashed(text)


def _committed(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _committed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_committed(item) for item in value]
    return committed(value)


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return "(sealed)" if is_sealed(value) else value


def seal_formats(value: Any) -> str:
    """Which sealed formats a record holds: "" none, "1" legacy only, "2", or "12" both."""
    if isinstance(value, dict):
        return "".join(sorted({f for item in value.values() for f in seal_formats(item)}))
    if isinstance(value, list):
        return "".join(sorted({f for item in value for f in seal_formats(item)}))
    return ("1" if is_legacy(value) else "2") if is_sealed(value) else ""


def state_digests(data: Mapping[str, Any], sealed: bool) -> tuple[str, str, str, str, str]:
    """(content, body, shape, cipher digests, sealed formats) of one record version, walking
    it only as often as its sealed values need: what history keeps per blob."""
    if not sealed:
        view = {k: v for k, v in data.items() if k not in WORKFLOW_FIELDS and k != ENVELOPE}
        digest, body = _with_and_without_version(view)
        return digest, body, digest, digest, ""
    view = committed_view(data)
    plain = {k: v for k, v in data.items() if k not in WORKFLOW_FIELDS and k != ENVELOPE}
    digest, body = _with_and_without_version(view)
    return (
        digest,
        body,
        _digest(_masked(view)),
        _digest(plain),
        seal_formats(plain),
    )


@dataclass(frozen=True)
class Step:
    """One workflow command: where it may start, where it leads, who may take it."""

    name: str
    starts: tuple[str, ...]
    ends: str
    roles: tuple[str, ...]
    meaning: str
    needs_reason: bool = False


STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        Step("submit", ("draft",), "in_review", ("entry",), "authored"),
        Step("approve", ("in_review",), "approved", ("approver",), "approved"),
        Step("reject", ("in_review",), "draft", ("reviewer", "approver"), "reviewed", True),
        Step("revise", ("approved",), "draft", ("entry",), "authored", True),
        Step(
            "archive",
            ("draft", "in_review", "approved"),
            "archived",
            ("approver",),
            "archived",
            True,
        ),
        Step("reaffirm", ("approved",), "approved", ("approver",), "reviewed"),
    )
}


def step_between(before: str | None, after: str | None) -> Step | None:
    """The step that moves a record from status `before` to `after` (one table for the
    actions that take steps and the history rules that judge them)."""
    for step in STEPS.values():
        if before in step.starts and after == step.ends:
            return step
    return None


FEEDBACK_STEPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # target status: (statuses it may follow, roles that may set it)
    "investigating": (("open", "resolved"), ("entry", "reviewer", "approver")),
    "resolved": (("open", "investigating"), ("entry", "reviewer", "approver")),
    "closed": (("resolved",), ("reviewer", "approver")),
}


def record_ref(data: Mapping[str, Any], record_id: str) -> str:
    """`F-000123@3` for versioned records, the bare ID for the others."""
    version = data.get("version")
    return f"{record_id}@{version}" if isinstance(version, int) else record_id


def allowed(person: Person | None, roles: tuple[str, ...], kind: str, customer: str | None) -> bool:
    return person is not None and any(person.may(role, kind, customer) for role in roles)


def customer_of(kind: str, record_id: str, data: Mapping[str, Any]) -> str | None:
    """The customer a record belongs to, for customer scopes."""
    if kind == "customer":
        return record_id
    value = data.get("customer")
    return value if isinstance(value, str) else None


def require_role(
    person: Person | None,
    roles: tuple[str, ...],
    kind: str,
    record_id: str,
    data: Mapping[str, Any],
    doing: str,
) -> Person:
    """The acting person, or a one-line refusal saying which role is missing."""
    if person is None:
        raise FormulaError(
            "you are not in this store's team",
            "run `formulactl whoami`; an admin adds you with `formulactl team add`",
            rule="not-in-team",
        )
    if not allowed(person, roles, kind, customer_of(kind, record_id, data)):
        wanted = " or ".join(roles)
        raise FormulaError(
            f"{person.id} may not {doing} {record_id}",
            f"this needs the {wanted} role for {KINDS[kind].folder}"
            + (" of this customer" if person.customers is not None else ""),
            rule="not-allowed",
        )
    return person


def next_review(today: date, days: int | None) -> str | None:
    return (today + timedelta(days=days)).isoformat() if days else None


def trailer_lines(trailers: list[tuple[str, str]]) -> str:
    """`Formulactl-Name: value` lines; values are folded to one line each."""
    return "\n".join(f"Formulactl-{name}: {' '.join(value.split())}" for name, value in trailers)


def read_trailers(message: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in message.splitlines():
        name, colon, value = line.partition(":")
        if colon and name.startswith("Formulactl-") and " " not in name:
            found[name.removeprefix("Formulactl-")] = value.strip()
    return found
