"""SQL over the store: DuckDB, read-only, over one table per kind and a child table per list
(see `tables.py` for the names).

The tables are built from the parsed-record cache, never by reparsing YAML, and loaded into
DuckDB through an in-memory CSV (a `memfd`, so nothing touches the disk). Sealed tables are
kept as a DuckDB file in the store's cache folder, keyed by the commit's `records/` tree, the
schemas and settings, formulactl's code and DuckDB's version: the next question at the same
commit opens that file read-only and answers in a fraction of a second. Opened (`--decrypt`)
tables live in memory only and are never cached.

Which file may be opened is said by a manifest signed with this clone's cache key (a
`BlobCache`): per key, the file's name, size, modification and change times (nanoseconds),
inode and device, and the store ID the settings gave. Those facts, not a digest of the file's
bytes: hashing a 200,000-order file took longer than the query. They are as strict for what
the cache guards against: any write to the file, a copy from another clone, a restore by a CI
cache step or an edit with the modification time put back gives a new change time or inode,
and the change time cannot be set back without root, who could read the key anyway. Damage
to the bytes on disk is caught by DuckDB's own block checksums when the file is read. A WAL
file beside it (which DuckDB would replay) makes the file untrusted.

A question may only read: one statement, which DuckDB's own parser says is a SELECT; the
connection is read-only where it can be, and has file access, extension loading and every
setting locked off before the user's text runs.

A warm question imports and starts little: DuckDB's compiled engine without the Python layer
of the `duckdb` package (relational API, expression builders, a version lookup through
package metadata: 0.25 s of CPU, more than the rest of the query), one DuckDB database (the
statement is checked by the connection that answers it), the commit and its `records/` tree
in one git call, and the store ID from the manifest instead of parsing the settings again
(their bytes are part of the key, so they were checked when the file was built).
"""

from __future__ import annotations

import csv
import hashlib
import importlib
import json
import os
import re
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from formulactl.errors import FormulaError
from formulactl.git import gitio
from formulactl.model.kinds import KINDS, RECORDS_DIR, SCHEMAS_DIR, SETTINGS_FILE
from formulactl.store.cache import BlobCache, code_version
from formulactl.trace.tables import Table

if TYPE_CHECKING:
    import duckdb

    from formulactl.exchange.tables import DataTable
    from formulactl.store.store import Store

NULL = "\\N"
SAFE: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
MANIFEST = "sql-tables.marshal"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_OBJECT = re.compile(r"([0-9a-f]{40}|[0-9a-f]{64}) (commit|tree)")


@dataclass
class Answer:
    """The rows a question returned, and the store and commit they were read at."""

    store_id: str
    commit: str
    sql: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    decrypted: bool
    sealed: list[str] = field(default_factory=list)  # records this reader could not open

    def as_dict(self) -> dict[str, Any]:
        return {
            "store_id": self.store_id,
            "commit": self.commit,
            "sql": self.sql,
            "decrypted": self.decrypted,
            "columns": list(self.columns),
            "rows": [dict(zip(self.columns, row, strict=True)) for row in self.rows],
        }

    def tables(self) -> list[Table]:
        return [Table("result", self.columns, tuple(self.rows))]


def engine() -> ModuleType:
    """DuckDB's compiled engine, `_duckdb`, which the `duckdb` package re-exports: importing
    the package adds its Python layer (0.25 s of CPU, more than a warm query's own work) that
    nothing here uses. Should a DuckDB release stop shipping the module under that name, the
    package serves, only slower to import."""
    try:
        return importlib.import_module("_duckdb")
    except ImportError:
        return importlib.import_module("duckdb")


def checked(connection: duckdb.DuckDBPyConnection, sql: str) -> str:
    """The one SELECT in `sql`, or one line saying why it may not run. Parsed by the
    connection that will answer: DuckDB's module-level parser would start a second database."""
    try:
        statements = connection.extract_statements(sql)
    except engine().Error as error:
        raise _sql_error(error) from None
    if len(statements) != 1:
        raise FormulaError(
            f"give exactly one SQL statement, not {len(statements)}",
            "ask one SELECT at a time",
            rule="usage",
        )
    if statements[0].type != engine().StatementType.SELECT:
        raise FormulaError(
            f"only a SELECT may run here, not {statements[0].type.name}: the store is read-only",
            "change records with formulactl set/new/import, which sign what they write",
            rule="read-only",
        )
    return sql


def locate(store: Store, at: str | None) -> tuple[str, str | None]:
    """The commit `--at` names and its `records/` tree (None when unknown), for `ask`.

    A revision (or none: HEAD) is resolved with its tree in one `git cat-file`; a date, and
    any revision that names no commit, go through `resolve_at`, which gives the same answers
    and the messages for what is wrong."""
    revision = "HEAD" if at is None else at
    if not _DAY.fullmatch(revision) and not any(c in revision for c in "\r\n"):
        done = gitio.run(
            store.root,
            ["cat-file", "--batch-check=%(objectname) %(objecttype)"],
            input=f"{revision}^{{commit}}\n{revision}^{{commit}}:{RECORDS_DIR}\n".encode(),
            check=False,
        )
        lines = done.stdout.decode("utf-8", "surrogateescape").splitlines()
        found = [_OBJECT.fullmatch(line) for line in lines]
        if done.returncode == 0 and len(lines) == 2 and found[0] and found[0][2] == "commit":
            tree = found[1][1] if found[1] and found[1][2] == "tree" else "empty"
            return found[0][1], tree
    from formulactl.trace.snapshot import resolve_at

    return resolve_at(store, at), None


def ask(
    store: Store,
    commit: str,
    sql: str,
    identities: list[Any] | None = None,
    tree: str | None = None,
) -> Answer:
    """Run one read-only SELECT over the tables at `commit` (whose `records/` tree is
    `tree`, when `locate` found it)."""
    sealed: list[str] = []
    with _database(store, commit, tree, sql, identities, sealed) as (connection, store_id):
        try:
            cursor = connection.execute(sql)
            columns = tuple(column[0] for column in cursor.description or ())
            rows = [tuple(_plain(value) for value in row) for row in cursor.fetchall()]
        except engine().Error as error:
            raise _sql_error(error) from None
    return Answer(store_id, commit, sql, columns, rows, identities is not None, sealed)


def _sql_error(error: Exception) -> FormulaError:
    """DuckDB's message on one line, without its caret lines and candidate lists."""
    message = str(error).split("\n\nLINE ")[0].split("Candidate functions")[0]
    message = " ".join(message.split())
    hint = "check the statement"
    if "does not exist" in message:
        hint = 'the tables are listed by `formulactl query "SHOW TABLES"`'
    elif "VARCHAR" in message:
        hint = 'a column holding sealed values is text ("sealed"): add --decrypt to compute with it'
    return FormulaError(f"SQL: {message}", hint, rule="sql")


def _lock(connection: duckdb.DuckDBPyConnection) -> None:
    """No files, no extensions, no settings changed by what runs next."""
    connection.execute("SET enable_external_access = false")
    connection.execute("SET lock_configuration = true")


@contextmanager
def _database(
    store: Store,
    commit: str,
    tree: str | None,
    sql: str,
    identities: list[Any] | None,
    sealed: list[str],
) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
    """A locked connection to the tables at `commit`, once `sql` has passed `checked`, and
    the store ID: the cached file when sealed, built in memory when opened (`sealed` then
    receives the records this reader could not open) or when no cache may be used."""
    cached = None if identities is not None else _Cached.at(store, commit, tree)
    store_id = None
    if cached is not None:
        store_id = cached.trusted() or cached.build(store, commit, sql)
    if cached is not None and store_id is not None:
        connection = engine().connect(str(cached.path), read_only=True, config=SAFE)
    else:
        connection = engine().connect(":memory:", config=SAFE)
    try:
        checked(connection, sql)
        if store_id is None:
            from formulactl.exchange.tables import gather

            dataset = gather(store, commit, list(KINDS), identities=identities)
            sealed.extend(dataset.sealed)
            load(connection, dataset.parts)
            store_id = dataset.store_id
        _lock(connection)
        yield connection, store_id
    finally:
        connection.close()


@dataclass
class _Cached:
    """The sealed tables of one commit as a DuckDB file in the cache folder, and the signed
    manifest that says which file there this clone wrote (see the module's docstring)."""

    path: Path
    key: str
    manifest: BlobCache

    @classmethod
    def at(cls, store: Store, commit: str, tree: str | None) -> _Cached | None:
        """Where the tables of this commit's records, schemas and settings, this code and
        this DuckDB go; None when the run trusts no cache."""
        manifest = store.cache_file(MANIFEST)
        if manifest is None:
            return None
        if tree is None:
            done = gitio.run(store.root, ["rev-parse", f"{commit}:{RECORDS_DIR}"], check=False)
            tree = done.stdout.decode().strip() if done.returncode == 0 else "empty"
        digest = hashlib.sha256(f"{tree}\0{code_version()}\0{engine().__version__}".encode())
        # The tables' columns come from the schemas (and the settings that extend them): their
        # bytes, read without parsing, are part of the key.
        sources = [store.root / SETTINGS_FILE, *sorted((store.root / SCHEMAS_DIR).glob("*.json"))]
        for source in sources:
            digest.update(source.name.encode() + b"\0" + _bytes(source) + b"\0")
        key = digest.hexdigest()[:24]
        return cls(manifest.parent / f"sql-{key}.duckdb", key, BlobCache(manifest, "sql"))

    def trusted(self) -> str | None:
        """The store ID kept with the file, when the file is the one the manifest names."""
        entry = self.manifest.get(self.key)
        if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], str)):
            return None
        facts = _facts(self.path)
        return entry[1] if facts is not None and facts == entry[0] else None

    def build(self, store: Store, commit: str, sql: str) -> str | None:
        """Build the sealed tables into a new file beside the old ones (once `sql` passed
        `checked`), swap it in and name it in the manifest; the store ID, or None when the
        cache cannot be written, which only costs speed."""
        import tempfile

        from formulactl.exchange.tables import gather

        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".sql-", suffix=".duckdb", dir=folder)
            os.close(handle)
            os.unlink(temporary)  # DuckDB makes the file itself
        except OSError:
            return None
        try:
            connection = engine().connect(temporary, config=SAFE)
            try:
                checked(connection, sql)
                dataset = gather(store, commit, list(KINDS))
                load(connection, dataset.parts)
                connection.execute("CHECKPOINT")
            finally:
                connection.close()
            for old in folder.glob("sql-*.duckdb*"):
                old.unlink(missing_ok=True)  # one commit's tables at a time
            os.replace(temporary, self.path)
            facts = _facts(self.path)
            if facts is None:
                return None
            self.manifest.put(self.key, (facts, dataset.store_id))
            self.manifest.save(prune=True)
            return dataset.store_id
        except OSError:
            return None
        finally:
            Path(temporary).unlink(missing_ok=True)
            Path(temporary + ".wal").unlink(missing_ok=True)


def _facts(path: Path) -> tuple[int, ...] | None:
    """What identifies this very file: size, modification and change times, inode, device;
    None for anything but a regular file, or when a WAL beside it would be replayed."""
    try:
        found = os.lstat(path)
        if not stat.S_ISREG(found.st_mode) or os.path.lexists(f"{path}.wal"):
            return None
    except OSError:
        return None
    return (found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino, found.st_dev)


def _bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def load(connection: duckdb.DuckDBPyConnection, parts: Sequence[DataTable]) -> None:
    """Create one DuckDB table per part, typed as the schema says, through an in-memory CSV."""
    from formulactl.exchange.tables import LIST

    for part in parts:
        columns = ", ".join(f"{quoted(name)} {kind}" for name, kind in _pairs(part))
        if not part.rows:
            connection.execute(f"CREATE TABLE {quoted(part.name)} ({columns})")
            continue
        with _memory_csv(part) as source:
            wanted = ", ".join(f"{literal(n)}: {literal(_kind(k))}" for n, k in _pairs(part))
            shown = ", ".join(
                f"CAST(CAST({quoted(n)} AS JSON) AS VARCHAR[]) AS {quoted(n)}"
                if kind == LIST
                else quoted(n)
                for n, kind in _pairs(part)
            )
            connection.execute(
                f"CREATE TABLE {quoted(part.name)} AS SELECT {shown} FROM read_csv("
                f"{literal(source)}, header = false, auto_detect = false, delim = ',', "
                f"quote = '\"', escape = '\"', nullstr = {literal(NULL)}, columns = {{{wanted}}})"
            )


def _pairs(part: DataTable) -> list[tuple[str, str]]:
    return list(zip(part.columns, part.types, strict=True))


def _kind(kind: str) -> str:
    """How a column is read from the CSV: a list arrives as JSON text."""
    from formulactl.exchange.tables import LIST

    return "VARCHAR" if kind == LIST else kind


@contextmanager
def _memory_csv(part: DataTable) -> Iterator[str]:
    """The rows as CSV in a file that lives in memory only (Linux `memfd`), or, elsewhere, in
    a private temporary file removed at once."""
    if hasattr(os, "memfd_create"):
        handle = os.memfd_create("formulactl-table")
        name = f"/proc/self/fd/{handle}"
    else:  # pragma: no cover - not Linux
        import tempfile

        handle, name = tempfile.mkstemp(suffix=".csv")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="", closefd=False) as stream:
            writer = csv.writer(stream, lineterminator="\n")
            for row in part.rows:
                writer.writerow([_field(value) for value in row])
        yield name
    finally:
        os.close(handle)
        if not name.startswith("/proc/"):  # pragma: no cover - not Linux
            os.unlink(name)


def _field(value: Any) -> Any:
    """A value as DuckDB's CSV reader takes it back: lists as JSON, numbers written out
    in full (never `1e-05`), booleans as true/false."""
    if value is None:
        return NULL
    if isinstance(value, tuple):
        return json.dumps(list(value), ensure_ascii=False)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return value


def quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _plain(value: Any) -> Any:
    """A DuckDB value as JSON and CSV can carry it."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, bytes):
        return value.hex()
    return value
