"""Re-wrap data keys for today's readers, resealing every value when someone lost access."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from formulactl.actions.commits import commit_files
from formulactl.actions.records import open_record
from formulactl.actions.signing import actor
from formulactl.crypto import crypto
from formulactl.crypto.confidential import readers, secrets_in, stale
from formulactl.crypto.sealing import seal, wrap_for
from formulactl.errors import FormulaError, Refused
from formulactl.model.sealed import ENVELOPE
from formulactl.parallel import parallel_map
from formulactl.rules.check import check_unsaved
from formulactl.store.cache import BlobCache
from formulactl.store.store import Record, Store


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
    if person is None or not person.is_admin:
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
