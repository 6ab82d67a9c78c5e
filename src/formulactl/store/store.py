"""Finding a store, record IDs and paths, reading and atomic writing of records."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formulactl.errors import FormulaError
from formulactl.git import gitio
from formulactl.model.kinds import (
    FOLDERS,
    KINDS,
    RECORDS_DIR,
    SCHEMAS_DIR,
    SETTINGS_FILE,
    TEAM_FILE,
)
from formulactl.model.settings import Settings, split_ref
from formulactl.store import files

if TYPE_CHECKING:
    from formulactl.model.team import Team
    from formulactl.store.cache import BlobCache
    from formulactl.store.schema import KindSchema

# YAML, the schemas and the team's SSH keys are imported where used: a warm `validate`
# or a completion needs the store's files and listing, not those parsers.

DEFAULT_SETTINGS: dict[str, Any] = {
    "format": 1,
    "store_id": "",
    "id_formats": {
        "customer": "C-{seq:5}",
        "formula": "F-{seq:6}",
        "material": "M-{seq:5}",
        "supplier": "S-{seq:4}",
        "limit": "L-{seq:5}",
        "batch": "B-{date}-{seq:3}",
        "interaction": "I-{date}-{rand:4}",
        "order": "O-{date}-{rand:4}",
        "feedback": "FB-{date}-{rand:4}",
        "survey": "SV-{date}-{rand:4}",
    },
    "percent_tolerance": 0.01,
    "review_interval_days": {
        "customer": 365,
        "formula": 365,
        "material": 730,
        "supplier": 365,
        "limit": 365,
    },
    "response_due_days": {"low": 14, "medium": 7, "high": 3, "critical": 1},
    "max_record_kb": 1024,
    "allow_unsigned": False,
    "encryption": {
        "require": True,
        "readers": {
            "customer": ["entry", "approver"],
            "formula": ["entry", "approver"],
            "material": ["entry", "approver"],
            "supplier": ["approver"],
            "batch": ["entry", "approver"],
            "order": ["entry", "approver"],
        },
    },
}
SCHEMA_LIMIT = 1 << 22
LOADED_KEPT = 512  # parsed records `load_many` keeps: a formula's materials, many times over


@dataclass(frozen=True)
class Record:
    id: str
    kind: str
    path: str  # relative to the store root, with `/`
    data: dict[str, Any]
    raw: str = ""  # the exact text it was read from, where that matters (approved versions)
    blob: str = ""  # the Git blob ID of exactly these contents, where the reader knows it


class Store:
    """A folder holding `formulactl.yaml`, `team.yaml`, `schemas/` and `records/`."""

    def __init__(
        self, root: Path, repo: Path | None = None, cache: Path | None = None, cached: bool = True
    ) -> None:
        self.root = root
        # Where git runs for history: the store's own repository, or (on a server checking a
        # push) the bare repository whose pushed tree was unpacked into `root`.
        self.repo = repo or root
        self._cache = cache
        self.cached = cached
        self._schemas: dict[str, KindSchema] = {}

    def without_cache(self) -> Store:
        """The same store, for a run that trusts no cache on disk and computes everything."""
        return Store(self.root, self.repo, self._cache, cached=False)

    @classmethod
    def find(cls, start: Path, explicit: bool = False) -> Store:
        """The store at `start` (explicit `--store`) or in the nearest folder above it."""
        start = start.resolve()
        for folder in [start] if explicit else [start, *start.parents]:
            if files.is_present(folder, SETTINGS_FILE):
                return cls(folder)
        where = f"{start} is not a store" if explicit else f"no store in {start} or above"
        raise FormulaError(where, "run `formulactl init DIR`, or pass --store DIR", rule="no-store")

    @cached_property
    def settings(self) -> Settings:
        data = self.load_checked(SETTINGS_FILE, "settings")
        return Settings.from_data(data)

    @cached_property
    def team(self) -> Team:
        from formulactl.model.team import Team

        return Team.from_data(self.load_checked(TEAM_FILE, "team"))

    def schema(self, kind: str) -> KindSchema:
        if kind not in self._schemas:
            path = f"{SCHEMAS_DIR}/{kind}.schema.json"
            try:
                text = self.read_bytes(path, SCHEMA_LIMIT)
            except FormulaError as error:
                if error.finding.rule != "missing":
                    raise
                raise FormulaError(
                    f"the schema for `{kind}` records is missing",
                    "restore it from git or reinstall",
                    path,
                    rule="schema-missing",
                ) from None
            from formulactl.store.schema import load_kind_schema

            found = load_kind_schema(kind, text, path)
            if kind in ("formula", "limit"):
                _extend_exposures(found.schema, self._extra_exposures())
            self._schemas[kind] = found
        return self._schemas[kind]

    def _extra_exposures(self) -> list[str]:
        """Exposure codes the store adds in `exposures` of formulactl.yaml."""
        extra = self.settings.raw.get("exposures")
        return [
            entry["code"]
            for entry in (extra if isinstance(extra, list) else [])
            if isinstance(entry, dict) and isinstance(entry.get("code"), str)
        ]

    def load_checked(self, name: str, kind: str) -> dict[str, Any]:
        """Read a store file and stop at its first schema problem (settings, team)."""
        raw = self.read_bytes(name, 1 << 20)
        checked, key = self._checked(kind, raw)
        remembered = checked.get(key)
        if isinstance(remembered, dict):
            return remembered
        from formulactl.store import yamlio

        data = yamlio.load_record(raw, name, 1 << 20)
        problems = self.schema(kind).problems(data)
        if problems:
            first = problems[0]
            line, col = yamlio.locate(raw, [first.pointer])[first.pointer]
            raise FormulaError(
                first.message, first.hint, name, line, col, first.rule, first.pointer
            )
        checked.put(key, data)
        checked.save(prune=True)
        return data

    def _checked(self, kind: str, raw: bytes) -> tuple[BlobCache, str]:
        """Which bytes of a store file passed its schema, and what they parse to, remembered
        per clone: compiling the settings schema is a tenth of a second and importing the
        YAML parser a thirtieth, and every command reads the settings.
        Runs that trust no cache (`ci`, `audit verify --strict`) check every time."""
        import hashlib

        from formulactl.store.cache import BlobCache, code_version

        digest = hashlib.sha256(self.schema(kind).digest.encode() + b"\0" + raw).hexdigest()
        return BlobCache(self.cache_file(f"checked-{kind}.marshal"), code_version()), digest

    # ---------------------------------------------------------------- IDs and paths

    def kind_of(self, record_id: str) -> str:
        """The kind an ID belongs to; anything that is not a well-formed ID is refused."""
        base, _version = split_ref(record_id)
        kind = self.settings.kind_of(base)
        if kind is None:
            examples = ", ".join(fmt.example() for fmt in self.settings.id_formats.values())
            raise FormulaError(
                f"`{record_id}` is not a record ID in this store",
                f"IDs look like {examples}",
                rule="bad-id",
            )
        return kind

    def record_path(self, record_id: str) -> str:
        base, version = split_ref(record_id)
        if version is not None:
            raise FormulaError(
                f"`{record_id}` names a version; here give the record's ID",
                f"write {base}",
                rule="bad-id",
            )
        kind = self.kind_of(record_id)
        return f"{RECORDS_DIR}/{KINDS[kind].folder}/{record_id}.yaml"

    def ids(self, kind: str) -> list[str]:
        folder = self.root / RECORDS_DIR / KINDS[kind].folder
        if not folder.is_dir():
            return []
        return sorted(
            entry.name[:-5] for entry in os.scandir(folder) if entry.name.endswith(".yaml")
        )

    def new_id(self, kind: str, today: date) -> str:
        return self.settings.id_formats[kind].next_id(self.ids(kind), today)

    # ---------------------------------------------------------------- reading and writing

    def read_bytes(self, path: str, limit: int | None = None) -> bytes:
        """Bytes of a store file, never through a link nor from a FIFO or device (one line
        naming the path instead); a file over the size limit is refused before reading."""
        limit = self.settings.max_record_bytes if limit is None else limit
        try:
            return files.read_regular(self.root, path, limit)
        except files.TooBig as big:
            from formulactl.store import yamlio

            raise yamlio.too_big(big.size, limit, path) from None
        except (FileNotFoundError, NotADirectoryError):
            raise FormulaError(
                f"{path} does not exist",
                "check the ID with `formulactl list`",
                path,
                rule="missing",
            ) from None
        except PermissionError:
            raise FormulaError(
                f"{path} cannot be read (permission denied)",
                "check the file's permissions",
                path,
                rule="unreadable",
            ) from None
        except OSError as error:
            raise FormulaError(
                f"{path} cannot be read ({error.strerror})", "", path, rule="unreadable"
            ) from None

    def load(self, record_id: str) -> Record:
        path = self._present(record_id)
        return self.parse(path, self.read_bytes(path))

    def _present(self, record_id: str) -> str:
        """The path of a record that exists; one line saying so when it does not."""
        path = self.record_path(record_id)
        if not files.is_present(self.root, path):
            raise FormulaError(
                f"no record {record_id}", "check the ID with `formulactl list`", rule="missing"
            )
        return path

    def load_many(self, record_ids: Iterable[str]) -> dict[str, Record]:
        """Several records as they are now, each parsed once per content: a digest of its
        bytes finds the parsed form this run or an earlier command kept (`keep_loaded`), so
        formula work on one formula and its dozen materials imports no YAML parser while
        they are unchanged. Each record returned is a copy of its own: what a caller does
        with it never reaches the kept form."""
        import hashlib
        import marshal

        found: dict[str, Record] = {}
        for record_id in dict.fromkeys(record_ids):
            path = self._present(record_id)
            raw = self.read_bytes(path)
            key = hashlib.sha256(raw).hexdigest()[:40] + ":" + path
            data = self._loaded.get(key)
            if not isinstance(data, dict):
                data = self.parse(path, raw).data
                self._loaded.put(key, data)
            kind = FOLDERS[path.split("/")[-2]].name
            found[record_id] = Record(record_id, kind, path, marshal.loads(marshal.dumps(data)))
        return found

    @cached_property
    def _loaded(self) -> BlobCache:
        from formulactl.store.cache import BlobCache, code_version

        return BlobCache(self.cache_file("loaded.marshal"), code_version())

    def keep_loaded(self) -> None:
        """Write what `load_many` parsed in this run to `loaded.marshal`, for the next
        command: a command that works on a few records calls it once at its end (one that
        reads thousands does not, and keeps them in memory only). The file keeps the
        LOADED_KEPT records used most recently, this run's last."""
        cache = self.__dict__.get("_loaded")
        if cache is None or not cache.dirty:
            return
        entries = cache.entries
        order = [key for key in entries if key not in cache.used]
        order += [key for key in entries if key in cache.used]
        cache.entries = {key: entries[key] for key in order[-LOADED_KEPT:]}
        cache.save(prune=False)

    def parse(self, path: str, data: bytes) -> Record:
        """A record from a file's bytes; the kind comes from the folder, the ID from the name."""
        parts = path.split("/")
        kind = FOLDERS.get(parts[-2]) if len(parts) >= 3 else None
        if kind is None or parts[0] != RECORDS_DIR or not path.endswith(".yaml"):
            raise FormulaError(
                f"{path} is not in a record folder",
                "records live in records/<kind>/<ID>.yaml",
                path,
                rule="not-a-record",
            )
        from formulactl.store import yamlio

        content = yamlio.load_record(data, path, self.settings.max_record_bytes)
        return Record(parts[-1][:-5], kind.name, path, content)

    def canonical(self, record: Record) -> str:
        from formulactl.store import yamlio

        return yamlio.dump(record.data, self.schema(record.kind).shape)

    def write(self, record: Record) -> None:
        self.write_text(record.path, self.canonical(record))

    def write_text(self, path: str, text: str | bytes) -> None:
        """Write through a temporary file and a rename, so a crash leaves old or new, never half."""
        import tempfile  # here: a command that only reads never needs it

        files.refuse_linked_folders(self.root, path)
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8") if isinstance(text, str) else text
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def listing(self, under: str = RECORDS_DIR) -> dict[str, str | None]:
        """Record files (those `under` a folder of `records/`: one kind's) → blob id (None
        where only reading the file can tell).

        Hidden files (`.gitkeep`, editor swap files) are not records and are left out.
        """
        listed = gitio.list_blobs(self.root, under)
        if listed is None:
            listed = {}
            for folder, _dirs, files in os.walk(self.root / under):
                relative = Path(folder).relative_to(self.root).as_posix()
                listed.update((f"{relative}/{name}", None) for name in files)
        return {
            path: blob
            for path, blob in listed.items()
            if not path.rsplit("/", 1)[-1].startswith(".")
        }

    @cached_property
    def cache_dir(self) -> Path:
        """Outside version control: inside the git folder, or beside the store without git."""
        if self._cache is not None:
            return self._cache
        found = gitio.git_dir(self.repo)
        return (found if found else self.root / ".formulactl-cache") / "formulactl"

    def cache_file(self, name: str) -> Path | None:
        """Where a cache of results is kept, or None when this run trusts no cache."""
        return self.cache_dir / name if self.cached else None


def _extend_exposures(node: Any, codes: list[str]) -> None:
    """Add the store's own exposure codes to every exposure enum of a schema."""
    if isinstance(node, dict):
        enum = node.get("enum")
        if isinstance(enum, list) and "rinse_off" in enum:
            node["enum"] = enum + [code for code in codes if code not in enum]
        for value in node.values():
            _extend_exposures(value, codes)
    elif isinstance(node, list):
        for item in node:
            _extend_exposures(item, codes)


GITATTRIBUTES = "records/**/*.yaml diff=formulactl merge=formulactl\n"


def refuse_existing(root: Path) -> None:
    if (root / SETTINGS_FILE).exists():
        raise FormulaError(
            f"{root} already holds a store", "use it, or pick an empty folder", rule="exists"
        )


def create_store(root: Path, recovery: str | None = None) -> Store:
    """`formulactl init`: settings with a fresh store ID and the recovery recipient, team
    skeleton, schemas, folders, and `.gitattributes` naming the diff driver for records."""
    import secrets
    import shutil
    from importlib import resources  # `init` only: it imports tempfile, random…

    refuse_existing(root)
    root.mkdir(parents=True, exist_ok=True)
    if gitio.git_dir(root) is None:
        gitio.init(root)
    store = Store(root)
    defaults = resources.files("formulactl") / "schemas"
    (root / SCHEMAS_DIR).mkdir(exist_ok=True)
    for entry in defaults.iterdir():
        if entry.name.endswith(".schema.json"):
            with resources.as_file(entry) as source:
                shutil.copyfile(source, root / SCHEMAS_DIR / entry.name)
    settings = dict(DEFAULT_SETTINGS, store_id="fst-" + secrets.token_hex(16))
    if recovery:
        settings["encryption"] = dict(settings["encryption"], recovery=recovery)
    from formulactl.store import yamlio

    store.write_text(SETTINGS_FILE, yamlio.dump(settings, store.schema("settings").shape))
    store.write_text(TEAM_FILE, "people: []\n")
    store.write_text(".gitattributes", GITATTRIBUTES)
    for kind in KINDS.values():
        store.write_text(f"{RECORDS_DIR}/{kind.folder}/.gitkeep", "")
    return store
