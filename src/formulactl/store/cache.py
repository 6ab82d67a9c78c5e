"""A cache of per-file results keyed by git blob ID, kept outside version control.

One marshal file per purpose: loading ten thousand entries takes milliseconds, and a
changed context (schemas, settings, tool version) empties it instead of serving stale
answers. A broken or foreign cache file is ignored, never trusted.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import tempfile
from pathlib import Path
from typing import Any

FORMAT = 1


def code_version() -> str:
    """A digest of formulactl's own code: any change to it makes old cache entries stale."""
    digest = hashlib.sha256()
    for source in sorted(Path(__file__).parent.parent.rglob("*.py")):
        digest.update(source.read_bytes())
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
            self._entries = _read(self.path, self.context) if self.path else {}
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
        if not self.dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".cache.", dir=self.path.parent)
            with os.fdopen(handle, "wb") as stream:
                marshal.dump((FORMAT, self.context, self.entries), stream)
            os.replace(temporary, self.path)
        except OSError:
            pass  # a cache that cannot be written only costs speed


def _read(path: Path, context: str) -> dict[str, Any]:
    try:
        # One read then `loads`: `marshal.load` on a stream reads in small pieces, 4× slower.
        form, found_context, entries = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if form != FORMAT or found_context != context or not isinstance(entries, dict):
        return {}
    return entries
