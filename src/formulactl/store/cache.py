"""A cache of per-file results keyed by what they were computed from (a git blob ID, a commit
ID), kept outside version control and trusted only as far as this clone wrote it.

One marshal file per purpose: loading ten thousand entries takes milliseconds, and a
changed context (schemas, settings, tool version) empties it instead of serving stale
answers. Each file carries an HMAC under a random key made for this clone (`cache.key`
beside it, readable by its owner only), checked before a byte is unmarshalled: a file edited
by hand, copied from another clone or restored by a CI cache step, and a file that is a
link, a FIFO or garbage, are ignored and rebuilt. (The records cache, a `PackedCache`, signs
an index of its entries' SHA-256 digests; each entry is checked against its digest before
it is unmarshalled.) Whoever can write `.git` can read that key too, so runs that must not
trust the disk (`ci`, `audit verify --strict`, `--no-cache`) use no cache file at all
(`Store.without_cache`).

A reader's keyring (`keys-…`, `crypto/keyring.py`) lives beside these files but is sealed
under a key derived from the reader's identity, not under `cache.key`: it holds data keys and
the records they opened.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import marshal
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from formulactl.errors import FormulaError
from formulactl.store.files import TooBig, read_regular

FORMAT = 3
KEY_FILE = "cache.key"
_TAG = 32  # bytes of HMAC-SHA256 before the marshalled entries
_LENGTH = 8  # bytes of the length of what the HMAC covers, after it
_LIMIT = 1 << 32


@functools.cache
def code_version() -> str:
    """A digest of formulactl's own code files (name, size, modification time): any change
    to them makes old cache entries stale. Their metadata, not their bytes: reading every
    source file was a tenth of a warm command's own time, and an edit, a checkout or an
    upgrade always changes the modification time."""
    digest = hashlib.sha256()
    package = str(Path(__file__).parent.parent)
    for folder, folders, files in os.walk(package):
        folders.sort()
        for name in sorted(name for name in files if name.endswith(".py")):
            path = os.path.join(folder, name)
            facts = os.stat(path)
            where = os.path.relpath(path, package)
            digest.update(f"{where}\0{facts.st_size}\0{facts.st_mtime_ns}\n".encode())
    return digest.hexdigest()


class BlobCache:
    def __init__(self, path: Path | None, context: str) -> None:
        self.path = path
        self.context = context
        self.used: set[str] = set()
        self.dirty = False
        self._entries: dict[str, Any] | None = None

    @property
    def entries(self) -> dict[str, Any]:
        """Read on first use, so a run that needs no entry never pays for loading them."""
        if self._entries is None:
            self._entries = self._load(self.path) if self.path else {}
        return self._entries

    @entries.setter
    def entries(self, value: dict[str, Any]) -> None:
        self._entries = value

    def get(self, key: str) -> Any:
        found = self.entries.get(key)
        if found is not None:
            self.used.add(key)
        return found

    def put(self, key: str, value: Any) -> None:
        self.entries[key] = value
        self.used.add(key)
        self.dirty = True

    def save(self, prune: bool) -> None:
        """Write back if anything changed; `prune` drops entries this run did not use."""
        if self.path is None or self._entries is None:
            return
        if prune and len(self.used) < len(self.entries):
            self.entries = {key: self.entries[key] for key in self.used}
            self.dirty = True
        if self.dirty:
            with contextlib.suppress(OSError):  # a cache that cannot be written only costs speed
                self._store(self.path, self.entries)

    def _load(self, path: Path) -> dict[str, Any]:
        return _read(path, self.context)

    def _store(self, path: Path, entries: dict[str, Any]) -> None:
        _write(path, self.context, (FORMAT, entries))


Packed = tuple[bytes | memoryview, bytes]  # an entry marshalled, and the sha256 of that


class PackedCache(BlobCache):
    """A BlobCache whose entries are marshalled one by one and unmarshalled when asked for
    (a fresh copy each time), so a run that needs a few of a large file's entries pays for
    those alone. The HMAC covers an index of each entry's place and SHA-256; an entry is
    checked against its digest when it is asked for (one that does not match is a miss).
    A substitution over ten thousand sealed formulas reads the materials and customers
    from the records cache, and a formula only where this reader's keyring has not kept it
    opened: unmarshalling every sealed formula, then checking the whole file's HMAC, was a
    fifth of its time."""

    def __init__(self, path: Path | None, context: str) -> None:
        super().__init__(path, f"packed\0{context}")  # never a file of whole entries

    def get(self, key: str) -> Any:
        found: Packed | None = super().get(key)
        if found is None:
            return None
        packed, digest = found
        if hashlib.sha256(packed).digest() != digest:
            return None
        try:  # what this clone's key signed, but written by anyone who can read that key
            return marshal.loads(packed)
        except (EOFError, ValueError, TypeError):
            return None

    def put(self, key: str, value: Any) -> None:
        try:
            packed = marshal.dumps(value)
        except ValueError:  # a value marshal does not know: not kept, worked out again
            return
        super().put(key, (packed, hashlib.sha256(packed).digest()))

    def _load(self, path: Path) -> dict[str, Packed]:
        found = _read_with_rest(path, self.context)
        if found is None:
            return {}
        signed, rest = found
        try:
            form, index = signed
            if form != FORMAT or not isinstance(index, dict):
                return {}
            return {
                key: (rest[start : start + length], digest)
                for key, (start, length, digest) in index.items()
                if isinstance(digest, bytes) and 0 <= start <= start + length <= len(rest)
            }
        except (TypeError, ValueError):  # not the shape `_store` writes
            return {}

    def _store(self, path: Path, entries: dict[str, Packed]) -> None:
        index, start = {}, 0
        for key, (packed, digest) in entries.items():
            index[key] = (start, len(packed), digest)
            start += len(packed)
        _write(path, self.context, (FORMAT, index), [packed for packed, _d in entries.values()])


def _signature(key: bytes, path: Path, context: str, payload: bytes) -> bytes:
    """The HMAC binds the entries to this clone's key, to this file's purpose and context."""
    header = f"{path.name}\0{context}\0".encode()
    return hmac.new(key, header + payload, hashlib.sha256).digest()


def _read(path: Path, context: str) -> dict[str, Any]:
    found = _read_with_rest(path, context)
    if found is None or found[1] or not isinstance(found[0], tuple) or len(found[0]) != 2:
        return {}
    form, entries = found[0]
    return entries if form == FORMAT and isinstance(entries, dict) else {}


def _read_with_rest(path: Path, context: str) -> tuple[Any, memoryview] | None:
    """What `_write` signed, unmarshalled, and the bytes after it (checked by the caller);
    None for a file this clone did not write or that is damaged."""
    key = _key(path.parent, create=False)
    if key is None:
        return None
    # One read then `loads`: `marshal.load` on a stream reads in small pieces, 4× slower.
    data = read_cache_file(path, _LIMIT)
    if data is None or len(data) < _TAG + _LENGTH:
        return None
    tag, size = data[:_TAG], int.from_bytes(data[_TAG : _TAG + _LENGTH], "big")
    payload = data[_TAG + _LENGTH : _TAG + _LENGTH + size]
    if not hmac.compare_digest(tag, _signature(key, path, context, payload)):
        return None
    try:
        signed = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
    return signed, memoryview(data)[_TAG + _LENGTH + size :]


def _write(path: Path, context: str, signed: Any, rest: Iterable[bytes | memoryview] = ()) -> None:
    """The file: the HMAC of the signed part, its length, the signed part marshalled, and
    `rest` (which the signed part vouches for)."""
    if not cache_folder(path):
        return
    key = _key(path.parent, create=True)
    if key is None:
        return
    payload = marshal.dumps(signed)
    head = _signature(key, path, context, payload) + len(payload).to_bytes(_LENGTH, "big")
    replace_file(path.parent, path.name, b"".join([head, payload, *rest]))


def read_cache_file(path: Path, limit: int) -> bytes | None:
    """The bytes of cache file `path`; None when it is missing, over `limit`, a link, a FIFO
    or anything but a regular file in a real folder (a cache that cannot be read is rebuilt)."""
    try:
        return read_regular(path.parent.parent, f"{path.parent.name}/{path.name}", limit)
    except (OSError, FormulaError, TooBig):
        return None


def cache_folder(path: Path) -> bool:
    """Make the folder of cache file `path`; False when it is a link, never written through."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return stat.S_ISDIR(os.lstat(path.parent).st_mode)


def _key(folder: Path, create: bool) -> bytes | None:
    """This clone's cache key; a missing, linked or malformed one is replaced when writing."""
    try:
        found = read_regular(folder.parent, f"{folder.name}/{KEY_FILE}", 64)
    except (OSError, FormulaError, TooBig):
        found = b""
    if len(found) == _TAG:
        return found
    if not create:
        return None
    import secrets  # only for a new clone's key

    fresh = secrets.token_bytes(_TAG)
    replace_file(folder, KEY_FILE, fresh)
    return fresh


def replace_file(folder: Path, name: str, data: bytes) -> None:
    """Write through a private temporary file and a rename: readers see old or new, whole."""
    import tempfile  # only when a cache changed: a warm command writes none

    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, folder / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def sign_file(path: Path, context: str) -> None:
    """Write `PATH.mac`, this clone's HMAC over a whole cache file that another program
    (DuckDB) reads, so a later run opens only a file this clone wrote, unchanged."""
    key = _key(path.parent, create=True)
    if key is not None:
        tag = _signature(key, path, context, _digest(path))
        replace_file(path.parent, path.name + ".mac", tag)


def signed_file(path: Path, context: str) -> bool:
    """Whether `path` is a regular file whose `PATH.mac` this clone wrote for it."""
    key = _key(path.parent, create=False)
    try:
        tag = read_regular(path.parent.parent, f"{path.parent.name}/{path.name}.mac", _TAG)
        if key is None or not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        return hmac.compare_digest(tag, _signature(key, path, context, _digest(path)))
    except (OSError, FormulaError, TooBig):
        return False


def _digest(path: Path) -> bytes:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").digest()
