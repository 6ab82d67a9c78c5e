"""A reader's data keys, and the records they opened, kept between runs: opening thousands
of records again needs no age decryption (the X25519 work that is most of what a first
bulk opening costs) and no value opened one by one (most of what is left).

The keyring is a memo of two pure functions:
- `crypto.unwrap`: it maps a digest of each wrapped copy of a data key that this user's
  identities opened to the key inside. A hit gives exactly what unwrapping would give: a
  record whose envelope no longer holds that exact copy misses, and is unwrapped, or
  refused, as before (a rekey that removes this reader takes effect at once); copies
  wrapped for other people are never in it.
- opening a record: it maps a digest of the record's ID, its Git blob ID (the exact bytes,
  envelope included) and its kind's schema to the record as it opened, every value checked
  against its commitment. Changing any byte of the file, moving it to another ID or
  changing which fields are sealed misses, and the record is opened (or refused) as before.

It lives in the clone's cache folder (`keys-<name>` beside the other caches), sealed with
ChaCha20-Poly1305 under a key derived from the identity files' secret bytes: only the holder
of the identities can read it or write one that opens. A file that does not open (other
identities, altered, a link, garbage) is ignored and replaced. It discloses nothing that the
identities do not open already. A store whose policy forbids keeping keys or opened values on
disk sets `encryption.keep_data_keys: false`; runs that trust no cache (`ci`,
`audit verify --strict`) keep none.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from formulactl.crypto.crypto import Identity, open_bytes, seal_bytes
from formulactl.store.cache import cache_folder, code_version, read_cache_file, replace_file
from formulactl.store.store import Record, Store

FORMAT = b"fck3"  # (keys, code version, opened records); one of another format is replaced
PREFIX = "keys-"  # the keyrings' file names in the cache folder
KEPT = 200_000  # keys kept at most, the most recently learned (about 14 MB)
KEPT_OPENED = 128 << 20  # bytes of opened records kept at most, the most recently used
_ENTRY = 48  # what an entry costs in the file beside its value: digest, lengths, types
_LIMIT = KEPT_OPENED + KEPT * (32 + 32 + _ENTRY) + (1 << 20)  # all the keys, and the rest

Entry = tuple[bytes, bytes]  # (digest of a wrapped copy or a record, its key or opened record)


def index(wrapped: str) -> bytes:
    """What a wrapped copy is known by: its sha256 (whole: two copies that collide would
    give one the other's key)."""
    return hashlib.sha256(wrapped.encode("utf-8", "surrogatepass")).digest()


def secret_of(identities: list[Identity]) -> bytes | None:
    """The key a keyring of these identities is sealed under: only their holder has it."""
    if not identities or not all(identity.keep for identity in identities):
        return None
    seed = b"".join(sorted(identity.keep for identity in identities))
    return hashlib.sha256(b"formulactl-keyring\0" + seed).digest()


def forget_all(store: Store) -> None:
    """Remove every keyring from this clone's cache folder (a policy of keeping no keys)."""
    if store.cache_file(PREFIX) is None:
        return
    with contextlib.suppress(OSError):
        if stat.S_ISDIR(os.lstat(store.cache_dir).st_mode):  # never through a link
            for path in store.cache_dir.glob(f"{PREFIX}*"):
                path.unlink()


def opened_index(record: Record, schema_digest: str) -> bytes:
    """What an opened record is known by: everything its opening depends on but the key
    (the store ID is in the keyring's context), formulactl's own code included (a new
    version may parse or open otherwise; the records cache is bound to it likewise)."""
    named = f"{record.kind}\0{record.id}\0{record.blob}\0{schema_digest}\0{code_version()}"
    return hashlib.sha256(named.encode("utf-8", "surrogatepass")).digest()


class Keyring:
    """The data keys these identities opened before and the records opened with them, and
    those learned in this run."""

    def __init__(self, path: Path, secret: bytes, store_id: str) -> None:
        self.path = path
        self._secret = secret
        self._context = FORMAT + b"\0" + store_id.encode() + b"\0" + path.name.encode()
        self.dirty = False  # set by `_read` when it drops what no one can use any more
        self.known, self.opened = self._read()
        self._new: list[Entry] = []
        self._new_opened: list[Entry] = []

    @classmethod
    def of(cls, store: Store, identities: list[Identity]) -> Keyring | None:
        """This reader's keyring for `store`; None when this run keeps none, or an identity
        has no secret bytes to derive its key from. A store whose policy is to keep no keys
        has every keyring kept before removed from this clone."""
        if not store.settings.encryption.keep_data_keys:
            forget_all(store)
            return None
        secret = secret_of(identities)
        if secret is None:
            return None
        store_id = store.settings.store_id
        name = hashlib.sha256(b"formulactl-keyring-name\0" + secret + store_id.encode())
        path = store.cache_file(f"{PREFIX}{name.hexdigest()[:16]}")
        return None if path is None else cls(path, secret, store_id)

    def get(self, wrapped: str) -> bytes | None:
        return self.known.get(index(wrapped))

    def learn(self, wrapped: str, secret: bytes) -> None:
        """A copy just unwrapped: kept, and handed back by `take_new` (a forked worker's
        keyring is its own copy; what it learns travels back with its results)."""
        entry = (index(wrapped), secret)
        self._new.append(entry)
        self.absorb([entry], [])

    def recall(self, record: Record, schema_digest: str) -> dict[str, Any] | None:
        """The record as it opened before (a fresh copy), if these very bytes did; only a
        record read from a known blob (`Record.blob`) can be recalled."""
        if not record.blob:
            return None
        kept = self.opened.get(opened_index(record, schema_digest))
        if kept is None:
            return None
        plain: dict[str, Any] = marshal.loads(kept)
        return plain

    def remember(self, record: Record, schema_digest: str, plain: dict[str, Any]) -> None:
        """A record just opened, every value checked: kept as it is now (the caller's work
        may change its copy), and handed back by `take_new` like a key."""
        if not record.blob:
            return
        try:
            entry = (opened_index(record, schema_digest), marshal.dumps(plain))
        except ValueError:  # a value marshal does not know: opened again next time
            return
        self._new_opened.append(entry)
        self.absorb([], [entry])

    def used(self, records: Iterable[Record], digests: Mapping[str, str]) -> None:
        """These records (`digests`: their kinds' schema digests) were just opened or
        recalled: theirs are the last opened records a full keyring gives up. Once it is
        half full, the new order is worth writing even when nothing was learned."""
        opened, moved = self.opened, False
        for record in records:
            if record.blob and record.kind in digests:
                key = opened_index(record, digests[record.kind])
                if key in opened and next(reversed(opened)) != key:
                    opened[key] = opened.pop(key)
                    moved = True
        if moved and _size(opened) > KEPT_OPENED // 2:
            self.dirty = True

    def take_new(self) -> tuple[list[Entry], list[Entry]]:
        """The keys and the opened records learned since the last call."""
        new = (self._new, self._new_opened)
        self._new, self._new_opened = [], []
        return new

    def absorb(self, keys: Iterable[Entry], opened: Iterable[Entry]) -> None:
        for kept, learned in ((self.known, keys), (self.opened, opened)):
            for digest, value in learned:
                if kept.get(digest) != value:
                    kept[digest] = value
                    self.dirty = True

    def save(self) -> None:
        """Write the keyring if it learned anything (a keyring that cannot be written only
        costs speed)."""
        if not self.dirty:
            return
        known = self.known
        if len(known) > KEPT:
            known = dict(list(known.items())[-KEPT:])
        kept = marshal.dumps((known, code_version(), _newest(self.opened)))
        sealed = seal_bytes(self._secret, kept, self._context)
        try:
            if cache_folder(self.path):
                replace_file(self.path.parent, self.path.name, FORMAT + sealed)
        except OSError:
            return
        self.dirty = False

    def _read(self) -> tuple[dict[bytes, bytes], dict[bytes, bytes]]:
        data = read_cache_file(self.path, _LIMIT)
        if data is None or not data.startswith(FORMAT):
            return {}, {}
        plain = open_bytes(self._secret, data[len(FORMAT) :], self._context)
        if plain is None:
            return {}, {}
        try:  # authenticated: only these identities' holder wrote it
            known, version, opened = marshal.loads(plain)
        except (EOFError, ValueError, TypeError):
            return {}, {}
        if not isinstance(known, dict) or not isinstance(opened, dict):
            return {}, {}
        # Records opened by another formulactl are never recalled (the code version is in
        # their keys): dropped, and the keyring written without them at the end of the run,
        # so that an upgrade leaves no dead weight to read every run.
        if version != code_version() and opened:
            self.dirty = True
            return known, {}
        return known, opened


def _size(opened: dict[bytes, bytes]) -> int:
    """What these opened records take in the keyring file."""
    return sum(map(len, opened.values())) + _ENTRY * len(opened)


def _newest(opened: dict[bytes, bytes]) -> dict[bytes, bytes]:
    """The most recently used opened records that fit in KEPT_OPENED bytes."""
    if _size(opened) <= KEPT_OPENED:
        return opened
    total, kept = 0, []
    for digest, value in reversed(opened.items()):
        total += len(value) + _ENTRY
        if total > KEPT_OPENED:
            break
        kept.append((digest, value))
    return dict(reversed(kept))
