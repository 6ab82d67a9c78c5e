"""Re-wrap data keys for today's readers, resealing every value (commitments kept) when someone
lost access; and the one-time upgrade of legacy sealed values to values with commitments."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from formulactl.actions.commits import commit_files
from formulactl.actions.signing import actor
from formulactl.crypto import crypto
from formulactl.crypto.confidential import readers, secrets_in, stale
from formulactl.crypto.opening import open_record
from formulactl.crypto.sealing import reseal, seal, upgrade, wrap_for
from formulactl.errors import FormulaError, Refused
from formulactl.model.sealed import ENVELOPE, UPGRADE
from formulactl.model.workflow import seal_formats
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
    records: list[Record] = []
    planned = parallel_map(
        lambda record_id: _rekeyed(store, store.load(record_id), keys), record_ids
    )  # opening and sealing thousands of records: every core
    for record_id, plan in zip(record_ids, planned, strict=True):
        progress(record_id)
        if plan is None:
            continue
        record, added, removed = plan
        records.append(record)
        done.append(Rekeyed(record.id, added, removed))
    texts = _checked_texts(store, records, "rekey")
    if not done:
        return [], ""
    groups = Counter(item.change for item in done)
    summary = "; ".join(f"{change} ({count} records)" for change, count in groups.items())
    trailers = [("Action", "rekey"), ("Meaning", "administered"), ("Reason", f"readers {summary}")]
    commit = commit_files(store, texts, f"rekey {len(done)} records", trailers)
    return done, commit


def upgrade_seals(
    store: Store,
    record_ids: list[str],
    keys: list[crypto.Identity],
    progress: Callable[[str], None] = lambda _record: None,
) -> tuple[list[str], str]:
    """Seal every legacy (`fcx1`) value again with a commitment, under the same data key and
    envelope, in one admin commit that history accepts as an upgrade. Returns the records
    upgraded and the commit."""
    person = actor(store)
    if person is None or "admin" not in person.roles:
        raise FormulaError(
            "only an admin upgrades sealed values", "ask an admin", rule="not-allowed"
        )
    planned = parallel_map(
        lambda record_id: _upgraded(store, store.load(record_id), keys), record_ids
    )
    records = []
    for record_id, record in zip(record_ids, planned, strict=True):
        progress(record_id)
        if record is not None:
            records.append(record)
    texts = _checked_texts(store, records, UPGRADE)
    if not records:
        return [], ""
    trailers = [
        ("Action", UPGRADE),
        ("Meaning", "administered"),
        ("Reason", f"sealed values get commitments ({len(records)} records)"),
    ]
    subject = f"upgrade sealed values of {len(records)} records"
    commit = commit_files(store, texts, subject, trailers)
    return [record.id for record in records], commit


def _upgraded(store: Store, record: Record, keys: list[crypto.Identity]) -> Record | None:
    if "1" not in seal_formats(record.data):
        return None
    key = open_record(store, record, keys).key  # every legacy value opens, or one clear line
    schema = store.schema(record.kind)
    data = upgrade(store.settings, schema, record.id, record.data, key)
    return Record(record.id, record.kind, record.path, data)


def _checked_texts(store: Store, records: list[Record], action: str) -> dict[str, str]:
    """Each record's canonical text, checked as `validate` would before anything is written."""
    texts: dict[str, str] = {}
    cache = BlobCache(None, "")
    for record in records:
        text = store.canonical(record)
        findings = check_unsaved(store, record.path, text.encode("utf-8"), cache)
        if findings:
            raise Refused(f"{action} {record.id}", findings)
        texts[record.path] = text
    return texts


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
    if "1" in seal_formats(record.data):
        raise FormulaError(
            f"{record.id} is sealed in the old format, whose rekey no verifier could check",
            "run `formulactl upgrade-seals` first",
            record.path,
            rule="sealed-format",
        )
    opened = open_record(store, record, keys)  # every value checked against its commitment
    if removed:  # a new key: what the removed could read stays in old commits only
        key = crypto.new_data_key()
        data = reseal(store.settings, schema, record.id, record.data, opened.key, key)
        data[ENVELOPE] = {
            "key_id": key.id,
            "recipients": {name: wrap_for(key, wanted[name]) for name in sorted(wanted)},
        }
    else:
        recipients = dict(held)
        for name in added:
            recipients[name] = wrap_for(opened.key, wanted[name])
        data = dict(record.data)
        data[ENVELOPE] = dict(envelope, recipients=dict(sorted(recipients.items())))
    return Record(record.id, record.kind, record.path, data), added, removed
