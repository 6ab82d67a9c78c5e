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
`encryption.keep_data_keys: false`; runs that trust no cache (`--no-cache`, `ci`) keep none.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Iterable
from pathlib import Path

from formulactl.crypto.crypto import Identity, open_bytes, seal_bytes
from formulactl.errors import FormulaError
from formulactl.store.cache import cache_folder, replace_file
from formulactl.store.files import TooBig, read_regular
from formulactl.store.store import Store

FORMAT = b"fck1"
KEPT = 200_000  # keys kept at most, the most recently learned (about 10 MB)
_LIMIT = 64 << 20

Entry = tuple[bytes, bytes]  # (digest of a wrapped copy, the data key inside)


def index(wrapped: str) -> bytes:
    """What a wrapped copy is known by: 16 bytes of its sha256."""
    return hashlib.sha256(wrapped.encode("utf-8", "surrogatepass")).digest()[:16]


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
        """This reader's keyring for `store`; None when the store's policy or this run keeps
        none, or an identity has no secret bytes to derive its key from."""
        if not identities or not store.settings.encryption.keep_data_keys:
            return None
        if not all(identity.keep for identity in identities):
            return None
        seed = b"".join(sorted(identity.keep for identity in identities))
        secret = hashlib.sha256(b"formulactl-keyring\0" + seed).digest()
        name = hashlib.sha256(b"formulactl-keyring-name\0" + secret).hexdigest()[:16]
        path = store.cache_file(f"keys-{name}")
        return None if path is None else cls(path, secret, store.settings.store_id)

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
        folder = self.path.parent
        try:
            data = read_regular(folder.parent, f"{folder.name}/{self.path.name}", _LIMIT)
        except (OSError, FormulaError, TooBig):
            return {}
        plain = open_bytes(self._secret, data[len(FORMAT) :], self._context)
        if not data.startswith(FORMAT) or plain is None:
            return {}
        known = marshal.loads(plain)  # authenticated: only these identities' holder wrote it
        return known if isinstance(known, dict) else {}
