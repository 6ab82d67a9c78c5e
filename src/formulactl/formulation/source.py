"""Where formula work reads from: the exact approved version of a formula (from the commit
that approved it), the materials, customer and limits it meets, opened for one reader."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from formulactl.errors import FormulaError
from formulactl.git import gitio
from formulactl.model.sealed import ENVELOPE
from formulactl.model.settings import split_ref
from formulactl.store.store import Record, Store

if TYPE_CHECKING:
    from formulactl.crypto.crypto import Identity
    from formulactl.formulation.substances import Product
    from formulactl.store.cache import BlobCache

T = TypeVar("T")


class Basis(NamedTuple):
    """What every report names: the store and the commit it was computed at."""

    store_id: str
    commit: str

    def as_dict(self) -> dict[str, str]:
        return {"store_id": self.store_id, "commit": self.commit}


class FormulaVersion(NamedTuple):
    id: str
    version: int
    status: str
    data: dict[str, Any]  # opened: confidential values in plain text
    approved_by: str = ""  # the approval signature's line, empty for a draft
    approved_at: str = ""
    commit: str = ""  # the HEAD commit an approved version was found at

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"


class Reader:
    """One reader's view of the store: identities loaded once, records opened once."""

    def __init__(self, store: Store, identities: list[Identity]) -> None:
        self.store = store
        self.identities = identities
        self._opened: dict[str, dict[str, Any]] = {}
        self._limits: list[Record] | None = None
        self._records: dict[str, Record] = {}
        self._derived: dict[str, dict[str, tuple[object, Any]]] = {}
        self._applied: dict[Any, list[tuple[str, dict[str, Any]]]] = {}

    def preload(self, kind: str, cache: BlobCache | None = None) -> None:
        """Every record of `kind` from the parsed-record cache, for work that reads most of
        them (a substitution across thousands of formulas meets most materials): one cache
        read instead of a YAML parse per record (`cache`: the one the caller already read;
        the file holds every kind, and reading it twice costs a second of a large store)."""
        from formulactl.store.query import records_cache, select_records

        cache = cache or records_cache(self.store)
        for record in select_records(self.store, kind, [], cache).records:
            self._records[record.id] = record
        cache.save(prune=False)

    def remembered(self, what: str, compute: Callable[[str, Any], T]) -> Callable[[str, Any], T]:
        """`compute(record_id, data)`, worked out once per record as read (the same `data`
        object) in this run: the thousands of formulas a substitution looks at share a few
        thousand materials, and working out each one's substances or weighing increment again
        was most of its time. `what` names the question: one memory per question."""
        memory = self._derived.setdefault(what, {})

        def answer(record_id: str, data: Any) -> T:
            found = memory.get(record_id)
            if found is None or found[0] is not data:
                found = memory[record_id] = (data, compute(record_id, data))
            result: T = found[1]
            return result

        return answer

    def limits_for(self, product: Product) -> list[tuple[str, dict[str, Any]]]:
        """(ID, data) of the approved limits that apply to `product` (its markets, type and
        exposure), worked out once per product in this run."""
        try:
            found = self._applied.get(product)
        except TypeError:  # a market that is not text (validate names it): not remembered
            return self._applying(product)
        if found is None:
            found = self._applied[product] = self._applying(product)
        return found

    def _applying(self, product: Product) -> list[tuple[str, dict[str, Any]]]:
        from formulactl.formulation.substances import limit_applies

        return [
            (record.id, record.data)
            for record in self.limits()
            if limit_applies(record.data, product)
        ]

    def load_all(self, record_ids: list[str], must_open: bool) -> dict[str, dict[str, Any]]:
        """`load` for each of these records, those not yet read taken from the store at once."""
        opened, records = self._opened, self._records
        missing = [one for one in record_ids if one not in opened and one not in records]
        if missing:
            self._records.update(self.store.load_many(missing))
        return {  # those opened before without a call each: a formula names twenty
            one: opened[one] if one in opened else self.load(one, must_open) for one in record_ids
        }

    def limits(self) -> list[Record]:
        """The approved limits, read once for every formula this reader checks."""
        if self._limits is None:
            self._limits = approved_limits(self.store)
        return self._limits

    def open(self, record: Record) -> dict[str, Any]:
        """The record in plain text; one line naming its readers when this user is not one."""
        if ENVELOPE not in record.data:
            return record.data
        from formulactl.crypto.opening import open_record

        try:
            return open_record(self.store, record, self.identities).plain
        except FormulaError as why:
            if why.finding.rule not in ("not-a-reader", "identity"):
                raise
            raise not_a_reader(record) from None

    def load(self, record_id: str, must_open: bool = True) -> dict[str, Any]:
        """The current record, opened; with `must_open` off, sealed where this user may not
        read it (a damaged record is never passed off as that: its line stops the work)."""
        if record_id not in self._opened:
            record = self._records.get(record_id) or self.store.load_many([record_id])[record_id]
            try:
                self._opened[record_id] = self.open(record)
            except FormulaError as why:
                if must_open or why.finding.rule != "not-a-reader":
                    raise
                return record.data
        return self._opened[record_id]


def not_a_reader(record: Record) -> FormulaError:
    envelope = record.data.get(ENVELOPE)
    names = ", ".join(envelope.get("recipients", {})) if isinstance(envelope, dict) else ""
    return FormulaError(
        f"you are not a reader of {record.id} (readers: {names or 'nobody'})",
        "pass --identity with a reader's key, or ask an admin to add you with `formulactl rekey`",
        record.path,
        rule="not-a-reader",
    )


def basis(store: Store, commit: str = "") -> Basis:
    """`commit`: HEAD when the caller has just read it (one git process fewer)."""
    return Basis(store.settings.store_id, commit or gitio.head(store.repo) or "(no commit)")


def formula_version(store: Store, ref: str, draft: bool, reader: Reader) -> FormulaVersion:
    """`F-…@V` as approved, or the latest approved version, or (with `draft`) the file now."""
    record_id, version = split_ref(ref)
    if store.kind_of(record_id) != "formula":
        raise FormulaError(f"{record_id} is not a formula", "give a formula ID such as F-000014")
    if version is None and draft:
        record = store.load_many([record_id])[record_id]
        data = reader.open(record)
        return FormulaVersion(record_id, int(data.get("version", 1)), str(data.get("status")), data)
    path = store.record_path(record_id)
    approvals = ApprovedVersions(store)
    found = approvals.get(ref)
    if found is None:
        number, blob, who, when = _approved_from_history(store, record_id, version)
        content = store.parse(path, _blob_bytes(store, path, blob)).data
        found = (number, blob, who, when, content)
        approvals.put(ref, found)
    number, _blob, who, when, content = found
    data = reader.open(Record(record_id, "formula", path, content))
    return FormulaVersion(record_id, number, "approved", data, who, when, approvals.head)


# version, blob, who approved it, when, and the blob's record as committed (sealed where
# it was sealed: what git holds anyway, never an opened value)
Approved = tuple[int, str, str, str, dict[str, Any]]


class ApprovedVersions:
    """Which blob holds `F-…` (its latest approved version) or `F-…@V`, who approved it,
    and that blob parsed, kept in the store's cache folder by HEAD commit: history up to a
    commit never changes, and finding an approval walks the formula's history and judges
    each signature by the team of its day (most of a warm command's time); reading the blob
    is a git process and a YAML parse. Only the current HEAD's entries are kept."""

    FILE = "formula-approved.marshal"

    def __init__(self, store: Store) -> None:
        from formulactl.store.cache import BlobCache, code_version

        self.store = store
        self.head = gitio.head(store.repo) or ""
        self.cache = BlobCache(store.cache_file(self.FILE), code_version())

    def key(self, ref: str) -> str:
        # the store's folder too: stores in two folders of one repository share the cache
        return f"{self.head}\0{self.store.root}\0{ref}"

    def get(self, ref: str) -> Approved | None:
        found = self.kept(ref)
        if found is None:
            return None
        return (found[0], found[1], found[2], found[3], found[4])

    def kept(self, ref: str) -> Any:
        """What was kept for `ref` (or EVERY) at this HEAD, or None."""
        return self.cache.get(self.key(ref)) if self.head else None

    def put(self, ref: str, found: Any) -> None:
        if not self.head:
            return
        prefix = f"{self.head}\0"
        kept = {key: value for key, value in self.cache.entries.items() if key.startswith(prefix)}
        self.cache.entries = {**kept, self.key(ref): found}
        self.cache.dirty = True
        self.cache.save(prune=False)


def _approved_from_history(
    store: Store, record_id: str, version: int | None
) -> tuple[int, str, str, str]:
    """The approval of `version` (else of the latest approved version) from the formula's
    signed history; refused, naming why, when there is none."""
    from formulactl.audit.history import History
    from formulactl.audit.trail import Trail

    with History(store) as history:
        trail = Trail(store, history, record_id)
        if version is None:
            approvals = [event for event in trail.events if event.approval]
            if not approvals:
                raise FormulaError(
                    f"{record_id} has no approved version",
                    "pass --draft to work on the current draft",
                    store.record_path(record_id),
                    rule="not-approved",
                )
            version = approvals[-1].version or 1
        event = trail.approved(version)
    signature = event.signature
    who = f"{signature.name} ({signature.person})" if signature.name else signature.person
    return version, event.blob or "", who, signature.when


def _blob_bytes(store: Store, path: str, blob: str) -> bytes:
    """A blob's bytes: from the file when it still holds them (no git process), else git."""
    if not blob:
        return b""
    try:
        current = store.read_bytes(path)
    except FormulaError:
        current = b""
    if gitio.blob_id(current) == blob:
        return current
    return gitio.run(store.repo, ["cat-file", "blob", blob]).stdout


def approved_limits(store: Store) -> list[Record]:
    """Every limit in force for checks: approved ones only (drafts and reviews are not law yet)."""
    found = []
    for record_id in store.ids("limit"):
        record = store.load(record_id)
        if record.data.get("status") == "approved":
            found.append(record)
    return found


EVERY = "*"  # the key of every formula's latest approved blob


def approved_blobs(store: Store) -> dict[str, str]:
    """Every formula's latest approved version as the blob that holds it, kept by HEAD
    commit with the approved versions (a substitution asks on every run)."""
    approvals = ApprovedVersions(store)
    kept = approvals.kept(EVERY)
    if isinstance(kept, dict):
        return kept
    found = _approved_blobs_from_history(store)
    approvals.put(EVERY, found)
    return found


def _approved_blobs_from_history(store: Store) -> dict[str, str]:
    """From one walk of the formulas' history (cheaper than one history per formula)."""
    from formulactl.audit.history import History, is_approval
    from formulactl.model.kinds import KINDS, RECORDS_DIR

    folder = f"{RECORDS_DIR}/{KINDS['formula'].folder}/"
    found: dict[str, str] = {}
    with History(store) as history:
        for commit in history.commits(["HEAD"], (folder.rstrip("/"),)):
            for change in commit.changes:
                path = change.path
                if not (change.new and path.startswith(folder) and path.endswith(".yaml")):
                    continue
                before = history.state(path, change.old)
                if is_approval(before, history.state(path, change.new)):
                    found[path[len(folder) : -len(".yaml")]] = change.new
    return found
