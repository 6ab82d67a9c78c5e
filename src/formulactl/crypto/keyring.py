"""A reader's data keys kept between runs: opening thousands of records again needs no age
decryption, the X25519 work that is most of what bulk opening costs.

The keyring is a memo of `crypto.unwrap`. It maps a digest of each wrapped copy of a data
key that this user's identities opened to the key inside. Unwrapping is a pure function of
the copy and the identities, so a hit gives exactly what unwrapping would give:
- a record whose envelope no longer holds that exact copy misses, and is unwrapped, or
  refused, as before: a rekey that removes this reader takes effect at once;
- copies wrapped for other people are never in it.

It lives in the clone's cache folder (`keys-<name>` beside the other caches), sealed with
ChaCha20-Poly1305 under a key derived from the identity files' secret bytes: only the holder
of the identities can read it or write one that opens. A file that does not open (other
identities, altered, a link, garbage) is ignored and replaced. It discloses nothing that the
identities do not open already. A store whose policy forbids keeping keys on disk sets
`encryption.keep_data_keys: false`; runs that trust no cache (`ci`, `audit verify --strict`)
keep none.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from formulactl.crypto.crypto import Identity, open_bytes, seal_bytes
from formulactl.store.cache import cache_folder, read_cache_file, replace_file
from formulactl.store.store import Store

FORMAT = b"fck1"
PREFIX = "keys-"  # the keyrings' file names in the cache folder
KEPT = 200_000  # keys kept at most, the most recently learned (about 14 MB)
_LIMIT = 64 << 20

Entry = tuple[bytes, bytes]  # (digest of a wrapped copy, the data key inside)


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


class Keyring:
    """The data keys these identities opened before, and those learned in this run."""

    def __init__(self, path: Path, secret: bytes, store_id: str) -> None:
        self.path = path
        self._secret = secret
        self._context = FORMAT + b"\0" + store_id.encode() + b"\0" + path.name.encode()
        self.known = self._read()
        self._new: list[Entry] = []
        self.dirty = False

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
        self.absorb([entry])

    def take_new(self) -> list[Entry]:
        new, self._new = self._new, []
        return new

    def absorb(self, entries: Iterable[Entry]) -> None:
        for digest, secret in entries:
            if self.known.get(digest) != secret:
                self.known[digest] = secret
                self.dirty = True

    def save(self) -> None:
        """Write the keyring if it learned anything (a keyring that cannot be written only
        costs speed)."""
        if not self.dirty:
            return
        known = self.known
        if len(known) > KEPT:
            known = dict(list(known.items())[-KEPT:])
        sealed = seal_bytes(self._secret, marshal.dumps(known), self._context)
        try:
            if cache_folder(self.path):
                replace_file(self.path.parent, self.path.name, FORMAT + sealed)
        except OSError:
            return
        self.dirty = False

    def _read(self) -> dict[bytes, bytes]:
        data = read_cache_file(self.path, _LIMIT)
        if data is None or not data.startswith(FORMAT):
            return {}
        plain = open_bytes(self._secret, data[len(FORMAT) :], self._context)
        if plain is None:
            return {}
        try:  # authenticated: only these identities' holder wrote it
            known = marshal.loads(plain)
        except (EOFError, ValueError, TypeError):
            return {}
        return known if isinstance(known, dict) else {}
