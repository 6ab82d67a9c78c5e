"""Opening a sealed record for its readers: the record's data key from a reader's
identity (or their keyring), then its confidential values in plain text, one record or many
on every core.

Reports and formula work only read; they need this and none of the machinery that writes
records (signing, commit checks), so it lives with the encryption rather than the actions.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from formulactl.crypto import crypto
from formulactl.crypto.keyring import Entry, Keyring
from formulactl.crypto.sealing import data_key, open_secrets
from formulactl.errors import FormulaError
from formulactl.model.sealed import ENVELOPE, holds_sealed
from formulactl.parallel import parallel_map
from formulactl.store.store import Record, Store

T = TypeVar("T")
Opening = dict[str, Any] | FormulaError  # a record in plain text, or why it did not open


@dataclass(frozen=True)
class Opened:
    """A sealed record's data key and its plain text, from a reader's identity."""

    key: crypto.DataKey
    plain: dict[str, Any]


def open_record(
    store: Store,
    record: Record,
    identities: list[crypto.Identity],
    keyring: Keyring | None = None,
) -> Opened:
    key = data_key(record.id, record.data, identities, keyring)
    schema = store.schema(record.kind)
    return Opened(key, open_secrets(store.settings, schema, record.id, record.data, key))


def open_many(
    store: Store, records: Sequence[Record], identities: list[crypto.Identity]
) -> list[Opening]:
    """Each record in plain text, or why this reader cannot open it: identities are loaded
    once by the caller, and the records are opened on every core."""
    return open_each(store, records, identities, lambda _record, outcome: outcome)


def open_each(
    store: Store,
    records: Sequence[Record],
    identities: list[crypto.Identity],
    then: Callable[[Record, Opening], T],
    keyring: Keyring | None = None,
    opened: Collection[tuple[str, str]] = (),
) -> list[T]:
    """`then(record, the record in plain text or why this reader cannot open it)` for each
    record, on every core, so that only what `then` makes travels back (work on many records
    spends as long on them as on opening). The data keys unwrapped and the records opened
    on the way are kept in this reader's keyring for the next run (`keyring`: where the
    caller read it already). `opened`: (ID, blob) of the records that are in plain text
    already, as `select_records` recalled them through `kept_opened` (by ID and blob: an
    approved version read from history, or a second file with the same name, is another
    blob, opened as usual)."""
    if keyring is None:
        keyring = Keyring.of(store, identities)

    def one(record: Record) -> tuple[T, tuple[list[Entry], list[Entry]]]:
        if (record.id, record.blob) in opened:
            return then(record, record.data), ([], [])
        done = then(record, open_or_why(store, record, identities, keyring))
        return done, keyring.take_new() if keyring is not None else ([], [])

    results = parallel_map(one, list(records))
    if keyring is not None:
        for _done, learned in results:  # a forked worker learned into its own copy
            keyring.absorb(*learned)
        digests = {kind: _schema_digest(store, kind) for kind in {r.kind for r in records}}
        keyring.used(records, {kind: digest for kind, digest in digests.items() if digest})
        keyring.save()
    return [done for done, _learned in results]


def open_readable(
    store: Store, records: Sequence[Record], identities: list[crypto.Identity]
) -> list[Opening]:
    """`open_many` for work whose result is evidence (reports, exports, matching): a record
    this user may not read comes back as why, to be left sealed and named; a damaged one (a
    value altered or moved, its key envelope gone) stops the work with its own line, rather
    than being counted as merely unreadable."""
    opened = open_many(store, records, identities)
    for outcome in opened:
        if isinstance(outcome, FormulaError) and damaged(outcome):
            raise outcome
    return opened


NOT_A_READER = ("not-a-reader", "identity")  # why a record stays sealed for this user alone


def damaged(outcome: object) -> bool:
    """Did a record fail to open for another reason than this user's key?"""
    return isinstance(outcome, FormulaError) and outcome.finding.rule not in NOT_A_READER


def open_or_why(
    store: Store,
    record: Record,
    identities: list[crypto.Identity],
    keyring: Keyring | None = None,
) -> Opening:
    """The record in plain text (as it is when nothing in it is sealed), or why this reader
    cannot open it: for work that goes on over the records it can open."""
    if ENVELOPE not in record.data and not holds_sealed(record.data):
        return record.data
    digest = _schema_digest(store, record.kind) if keyring is not None else None
    if keyring is not None and digest is not None:
        kept = keyring.recall(record, digest)
        if kept is not None:
            return kept
    try:
        plain = open_record(store, record, identities, keyring).plain
    except FormulaError as why:
        return why
    if keyring is not None and digest is not None:
        keyring.remember(record, digest, plain)
    return plain


def kept_opened(
    store: Store, kind: str, keyring: Keyring | None
) -> Callable[[str, str], dict[str, Any] | None] | None:
    """(record ID, blob ID) → a record of `kind` as this keyring kept it opened, or None:
    for `select_records`, so that work over many sealed records never reads the sealed
    form of those this reader opened before. None when there is nothing to recall from."""
    digest = _schema_digest(store, kind) if keyring is not None else None
    if keyring is None or digest is None:
        return None
    ring = keyring

    def kept(record_id: str, blob: str) -> dict[str, Any] | None:
        return ring.recall(Record(record_id, kind, "", {}, blob=blob), digest)  # its key only

    return kept


def _schema_digest(store: Store, kind: str) -> str | None:
    """The digest of `kind`'s schema, None when it does not read (opening says why)."""
    try:
        return store.schema(kind).digest
    except FormulaError:
        return None
