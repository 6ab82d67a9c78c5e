"""Every change to records as one checked, signed commit: new, set, edit, workflow steps,
feedback progress and imports. Each checks the actor's role before anything is written."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from . import crypto, gitio
from .cache import BlobCache
from .check import check_unsaved, validate
from .commits import commit_files
from .confidential import readers, secrets_in, stale
from .errors import FormulaError, Refused
from .history import History
from .kinds import KINDS, RECORDS_DIR
from .parallel import parallel_map
from .sealed import ENVELOPE
from .sealing import data_key, open_secrets, seal, wrap_for
from .signing import actor
from .store import Record, Store
from .team import Person
from .workflow import (
    FEEDBACK_STEPS,
    STEPS,
    WORKFLOW_FIELDS,
    content_digest,
    next_review,
    record_ref,
    require_role,
)


@dataclass(frozen=True)
class Done:
    record: Record
    commit: str


def create(store: Store, record: Record, cache: BlobCache) -> Done:
    """Commit a new record made by `editing.new_record`, its secrets sealed for its readers."""
    require_role(actor(store), ("entry",), record.kind, record.id, record.data, "create")
    return _commit_record(
        store, _sealed(store, record, None, None, cache, "new"), cache, "new", "authored", []
    )


def change(
    store: Store,
    before: Record,
    after: Record,
    action: str,
    cache: BlobCache,
    opened: Opened | None = None,
) -> Done:
    """Commit a `set` or `edit`: only content changes, only where the record may change.

    With `opened` (the record's data key and plain text), `after` is plain text and is
    sealed again; without it, `after` is the sealed form and its secrets must not change."""
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
    moved = sorted(
        name
        for name in WORKFLOW_FIELDS | {"version"}
        if before.data.get(name) != after.data.get(name)
        and (KINDS[before.kind].master or before.kind == "feedback")
    )
    if moved:
        raise FormulaError(
            f"`{moved[0]}` changes only through the workflow commands",
            "use submit, approve, reject, revise, archive, reaffirm or feedback",
            before.path,
            rule="workflow-field",
        )
    if opened is not None or ENVELOPE not in before.data:
        after = _sealed(store, after, opened, before, cache, action)
    else:
        _secrets_unchanged(store, before, after)
    return _commit_record(store, after, cache, action, "authored", [])


@dataclass(frozen=True)
class Opened:
    """A sealed record's data key and its plain text, from a reader's identity."""

    key: crypto.DataKey
    plain: dict[str, Any]


def open_record(store: Store, record: Record, identities: list[crypto.Identity]) -> Opened:
    key = data_key(record.id, record.data, identities)
    schema = store.schema(record.kind)
    return Opened(key, open_secrets(store.settings, schema, record.id, record.data, key))


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


def take_step(
    store: Store, record_id: str, name: str, reason: str, today: date, cache: BlobCache
) -> Done:
    """submit, approve, reject, revise, archive or reaffirm one master record."""
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
    if gitio.dirty(store.root, [record.path]):
        raise FormulaError(
            f"{record.path} has changes that are not committed",
            "commit them (formulactl set/edit) or discard them first",
            record.path,
            rule="dirty",
        )
    data = dict(record.data, status=step.ends)
    trailers: list[tuple[str, str]] = []
    interval = store.settings.review_interval_days.get(record.kind)
    if name == "approve":
        _four_eyes(store, record, person)
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
    return _commit_record(store, after, cache, name, step.meaning, trailers)


def progress_feedback(
    store: Store, record_id: str, status: str, resolution: str, today: date, cache: BlobCache
) -> Done:
    """Move feedback along open → investigating → resolved → closed."""
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
    if status == "closed":
        data["closed_on"] = today.isoformat()
    after = Record(record.id, record.kind, record.path, data)
    meaning = "reviewed" if status == "closed" else "authored"
    return _commit_record(store, after, cache, "feedback", meaning, [])


def import_records(store: Store, source: Path, reason: str) -> tuple[list[str], str]:
    """Bring existing record files in as they are (an admin's migration), in one commit."""
    person = actor(store)
    if person is None or "admin" not in person.roles:
        raise FormulaError("only an admin imports records", "ask an admin", rule="not-allowed")
    if not reason.strip():
        raise FormulaError("import needs a reason", 'add --reason "…"', rule="usage")
    folder = source / RECORDS_DIR if (source / RECORDS_DIR).is_dir() else source
    copied: list[str] = []
    for kind in KINDS.values():
        for file in sorted((folder / kind.folder).glob("*.yaml")):
            target = f"{RECORDS_DIR}/{kind.folder}/{file.name}"
            if (store.root / target).exists():
                raise FormulaError(
                    f"{target} already exists", "import only new records", rule="exists"
                )
            copied.append(target)
    if not copied:
        raise FormulaError(
            f"no record files in {source}",
            "give a folder holding customers/, formulas/, … folders",
            rule="usage",
        )
    try:
        for target in copied:
            source_file = folder / target.removeprefix(f"{RECORDS_DIR}/")
            (store.root / target).parent.mkdir(parents=True, exist_ok=True)
            store.write_text(target, _import_text(store, target, source_file.read_bytes()))
        report = validate(store, [store.root / RECORDS_DIR])
        if report.findings:
            raise Refused("import", report.findings)
        texts = {path: (store.root / path).read_text(encoding="utf-8") for path in copied}
        commit = commit_files(
            store,
            texts,
            f"import {len(copied)} records",
            [("Action", "import"), ("Meaning", "authored"), ("Reason", reason)],
        )
    except BaseException:
        for target in copied:
            (store.root / target).unlink(missing_ok=True)
        raise
    return copied, commit


def _import_text(store: Store, path: str, raw: bytes) -> str | bytes:
    """An imported record in canonical form with its plain secrets sealed; a file that does
    not read is kept as it is, for validate to explain."""
    try:
        record = store.parse(path, raw)
    except FormulaError:
        return raw
    if ENVELOPE not in record.data:
        schema = store.schema(record.kind)
        data = seal(store.settings, store.team, schema, record.id, record.data)
        record = Record(record.id, record.kind, record.path, data)
    return store.canonical(record)


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


def _commit_record(
    store: Store,
    record: Record,
    cache: BlobCache,
    action: str,
    meaning: str,
    trailers: list[tuple[str, str]],
) -> Done:
    text = store.canonical(record)
    findings = check_unsaved(store, record.path, text.encode("utf-8"), cache)
    if findings:
        raise Refused(f"{action} {record.id}", findings)
    ref = record_ref(record.data, record.id)
    title = _title(record.data)
    subject = f"{action} {ref}" + (f": {title}" if title else "")
    trailers = [("Action", action), ("Record", ref), ("Meaning", meaning), *trailers]
    commit = commit_files(store, {record.path: text}, subject, trailers)
    return Done(record, commit)


def _title(data: dict[str, Any]) -> str:
    for name in ("product", "name", "subject", "description", "summary"):
        value = data.get(name)
        if isinstance(value, str):
            return value.splitlines()[0][:60]
    return ""


def _next_step_hint(status: str) -> str:
    return {
        "draft": "submit it for review first",
        "in_review": "it is waiting for approval or rejection",
        "approved": "revise it to change it, or reaffirm it at its review date",
        "archived": "archived records stay as they are",
    }.get(status, "check its status with `formulactl show`")


@dataclass(frozen=True)
class Rekeyed:
    record: str
    added: tuple[str, ...]
    removed: tuple[str, ...]

    @property
    def change(self) -> str:
        """`+li.wei, -zhang.min`: who gained and who lost the record's data key."""
        return ", ".join([*(f"+{n}" for n in self.added), *(f"-{n}" for n in self.removed)])


def rekey(
    store: Store,
    record_ids: list[str],
    keys: list[crypto.Identity],
    progress: Callable[[str], None] = lambda _record: None,
) -> tuple[list[Rekeyed], str]:
    """Wrap each record's data key for today's readers, in one commit (an admin's). A reader
    added gets a copy of the key; when anyone is removed, a new key is made and every value
    sealed again. Records already right are left alone."""
    person = actor(store)
    if person is None or "admin" not in person.roles:
        raise FormulaError(
            "only an admin changes who reads records", "ask an admin", rule="not-allowed"
        )
    done: list[Rekeyed] = []
    texts: dict[str, str] = {}
    cache = BlobCache(None, "")
    planned = parallel_map(
        lambda record_id: _rekeyed(store, store.load(record_id), keys), record_ids
    )  # opening and sealing thousands of records: every core
    for record_id, plan in zip(record_ids, planned, strict=True):
        progress(record_id)
        if plan is None:
            continue
        record, added, removed = plan
        text = store.canonical(record)
        findings = check_unsaved(store, record.path, text.encode("utf-8"), cache)
        if findings:
            raise Refused(f"rekey {record.id}", findings)
        texts[record.path] = text
        done.append(Rekeyed(record.id, added, removed))
    if not done:
        return [], ""
    groups = Counter(item.change for item in done)
    summary = "; ".join(f"{change} ({count} records)" for change, count in groups.items())
    trailers = [("Action", "rekey"), ("Meaning", "administered"), ("Reason", f"readers {summary}")]
    commit = commit_files(store, texts, f"rekey {len(done)} records", trailers)
    return done, commit


def _rekeyed(
    store: Store,
    record: Record,
    keys: list[crypto.Identity],
) -> tuple[Record, tuple[str, ...], tuple[str, ...]] | None:
    schema = store.schema(record.kind)
    wanted = readers(store.settings, store.team, record.kind, record.id, record.data)
    envelope = record.data.get(ENVELOPE)
    if not isinstance(envelope, dict):
        if not secrets_in(schema, record.data):
            return None
        data = seal(store.settings, store.team, schema, record.id, record.data)
        return Record(record.id, record.kind, record.path, data), tuple(sorted(wanted)), ()
    held = envelope["recipients"]
    added = tuple(sorted(set(wanted) - set(held)))
    removed = tuple(sorted((set(held) - set(wanted)) | stale(held, wanted)))
    if not added and not removed:
        return None
    opened = open_record(store, record, keys)
    if removed:  # a new key: what the removed could read stays in old commits only
        data = seal(store.settings, store.team, schema, record.id, opened.plain)
    else:
        recipients = dict(held)
        for name in added:
            recipients[name] = wrap_for(opened.key, wanted[name])
        data = dict(record.data)
        data[ENVELOPE] = dict(envelope, recipients=dict(sorted(recipients.items())))
    return Record(record.id, record.kind, record.path, data), added, removed
