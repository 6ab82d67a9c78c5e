"""Formulas' approvals and archivals up to one commit, read from signed history once and
kept between runs.

Finding them walks the history of the formulas and judges each approval's signature by
the team of its day: the team and settings files are parsed and checked against their
schemas, and the walk reads every formula version ever committed. History up to a commit
never changes, so the answer is kept in the store's cache folder under the commit ID, with
the notes refs (a server receipt noted later changes the "received" time shown) and the
settings file (its receipts key judges the receipts). A warm answer then imports none of
the history code. Only the commit just asked about is kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from formulactl.errors import FormulaError
from formulactl.git import gitio
from formulactl.model.kinds import KINDS, RECORDS_DIR, SETTINGS_FILE
from formulactl.model.signature import Signature
from formulactl.store.cache import BlobCache, code_version
from formulactl.store.store import Store
from formulactl.trace.inforce import Approval, Lifecycle
from formulactl.trace.packed import Packed, pack

if TYPE_CHECKING:
    from formulactl.audit.history import History

CACHE_FILE = "trace-lives.marshal"
EVERY = "*"  # the key of every formula's lifecycle, from one walk of the folder


def formula_path(formula_id: str) -> str:
    return f"{RECORDS_DIR}/{KINDS['formula'].folder}/{formula_id}.yaml"


class Lives:
    """Lifecycles at one commit: from the cache, else from history (opened when needed)."""

    def __init__(self, store: Store, commit: str) -> None:
        self.store = store
        self.commit = commit
        self.cache = BlobCache(store.cache_file(CACHE_FILE), code_version())
        self.found: dict[str, Lifecycle] = {}  # read this run
        self._history: History | None = None
        self._prefix: str | None = None

    @property
    def history(self) -> History:
        if self._history is None:
            from formulactl.audit.history import History

            self._history = History(self.store)
        return self._history

    def close(self) -> None:
        if self._history is not None:
            self._history.close()
        if self.cache.dirty:
            prefix = self.prefix
            self.cache.entries = {
                key: value for key, value in self.cache.entries.items() if key.startswith(prefix)
            }
            self.cache.save(prune=False)

    @property
    def prefix(self) -> str:
        """What the lifecycles at this commit depend on besides the commit itself."""
        if self._prefix is None:
            notes = gitio.refs(self.store.root, ["refs/notes/"])
            marks = ",".join(f"{name}={target}" for name, target in sorted(notes.items()))
            # the settings' bytes, not the settings: parsing and checking them costs more
            # than the rest of a warm answer, and a changed receipts key changes the bytes
            settings = hashlib.sha256(self.store.read_bytes(SETTINGS_FILE, 1 << 20)).hexdigest()
            self._prefix = f"{self.commit}\0{settings}\0{marks}\0"
        return self._prefix

    def every(self) -> Approvals:
        """Every formula's approvals and archivals, in one walk of history; each restored
        when read."""
        kept = self.cache.get(self.prefix + EVERY)
        if kept is None:
            folder = f"{RECORDS_DIR}/{KINDS['formula'].folder}"
            found = lifecycles(self.history, (folder,), self.commit)
            versions = {
                key: tuple(sorted({a.version for a in life.approvals}))
                for key, life in found.items()
            }
            kept = (pack({key: _kept(life) for key, life in found.items()}), versions)
            self.cache.put(self.prefix + EVERY, kept)
        return Approvals(kept[0], kept[1])

    def one(self, formula_id: str) -> Lifecycle:
        if formula_id not in self.found:
            self.found[formula_id] = self._one(formula_id)
        return self.found[formula_id]

    def _one(self, formula_id: str) -> Lifecycle:
        """From every formula's lifecycles when kept, else this one's, else its history."""
        empty = Lifecycle(formula_id, (), ())
        every = self.cache.get(self.prefix + EVERY)
        if every is not None:
            return Approvals(*every).get(formula_id, empty)
        kept = self.cache.get(self.prefix + formula_id)
        if kept is not None:
            return _restored(formula_id, kept)
        path = formula_path(formula_id)
        found = lifecycles(self.history, (path,), self.commit).get(formula_id, empty)
        self.cache.put(self.prefix + formula_id, _kept(found))
        return found


class Approvals(Packed[Lifecycle]):
    """Every formula's lifecycle at a commit, each restored when read, and the versions each
    had approved (which formulas a where-used must look at)."""

    def __init__(self, raw: Mapping[int, bytes], versions: Mapping[str, tuple[int, ...]]) -> None:
        super().__init__(raw, _restored)
        self.versions = versions


def _kept(life: Lifecycle) -> tuple[Any, ...]:
    approvals = tuple(
        (a.formula, a.version, a.commit, a.day, _signature(a.signature), a.blob)
        for a in life.approvals
    )
    return (life.formula, approvals, life.archived)


def _signature(signature: Signature) -> tuple[str, ...]:
    return (
        signature.person,
        signature.name,
        signature.verdict,
        signature.when,
        signature.meaning,
        signature.received,
    )


def _restored(_formula: str, kept: tuple[Any, ...]) -> Lifecycle:
    formula, approvals, archived = kept
    return Lifecycle(
        formula,
        tuple(
            Approval(name, version, commit, day, Signature(*signature), blob)
            for name, version, commit, day, signature, blob in approvals
        ),
        tuple(tuple(item) for item in archived),
    )


def lifecycles(history: History, paths: tuple[str, ...], tip: str) -> dict[str, Lifecycle]:
    """The lifecycle of every formula under `paths` (one file, or the whole folder), read
    in one walk of history."""
    from formulactl.audit.history import is_approval
    from formulactl.audit.trail import signature_of

    folder = f"{RECORDS_DIR}/{KINDS['formula'].folder}/"
    approvals: dict[str, list[Approval]] = {}
    archived: dict[str, list[tuple[str, str]]] = {}
    signatures: dict[str, Signature] = {}  # an import approves many formulas in one commit
    for commit in history.commits([tip], paths):
        for change in commit.changes:
            path = change.path
            wanted = path in paths or folder.rstrip("/") in paths
            if not (wanted and path.startswith(folder) and path.endswith(".yaml")):
                continue
            formula_id = path[len(folder) : -len(".yaml")]
            before, after = history.state(path, change.old), history.state(path, change.new)
            if after is not None and change.new and is_approval(before, after):
                version = after.version or 1
                if commit.id not in signatures:
                    signatures[commit.id] = signature_of(history, commit)
                signature = signatures[commit.id]
                approvals.setdefault(formula_id, []).append(
                    Approval(formula_id, version, commit.id, commit.day, signature, change.new)
                )
            became = before is None or before.status != "archived"
            if after is not None and after.status == "archived" and became:
                archived.setdefault(formula_id, []).append((commit.day, commit.id))
    return {
        formula_id: Lifecycle(
            formula_id,
            tuple(approvals.get(formula_id, ())),
            tuple(archived.get(formula_id, ())),
        )
        for formula_id in set(approvals) | set(archived)
    }


def approved_content(store: Store, approval: Approval) -> dict[str, Any]:
    """The formula exactly as its approval commit holds it."""
    with gitio.CatFile(store.root) as reader:
        raw = reader.read_many([approval.blob])[0] or b""
    from formulactl.store import yamlio

    path = formula_path(approval.formula)
    try:
        return yamlio.load_record(raw, path, len(raw) + 1)
    except FormulaError:
        return {}
