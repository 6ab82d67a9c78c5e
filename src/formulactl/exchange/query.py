"""SQL over the store: DuckDB, read-only, over one table per kind and a child table per list
(see `tables.py` for the names).

The tables are built from the parsed-record cache, never by reparsing YAML, and loaded into
DuckDB through an in-memory CSV (a `memfd`, so nothing touches the disk). Sealed tables are
kept as a DuckDB file in the store's cache folder, keyed by the commit's `records/` tree, the
schemas and formulactl's code, and signed with this clone's cache key: the next question at
the same commit opens that file read-only and answers in a fraction of a second. Opened
(`--decrypt`) tables live in memory only and are never cached.

A question may only read: one statement, which DuckDB's own parser says is a SELECT; the
connection is read-only where it can be, and has file access, extension loading and every
setting locked off before the user's text runs.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formulactl.errors import FormulaError
from formulactl.exchange.tables import LIST, DataTable, gather
from formulactl.git import gitio
from formulactl.model.kinds import KINDS, RECORDS_DIR, SCHEMAS_DIR, SETTINGS_FILE
from formulactl.store.cache import code_version, sign_file, signed_file
from formulactl.store.store import Store
from formulactl.trace.tables import Table

if TYPE_CHECKING:
    import duckdb

NULL = "\\N"
SAFE: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


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


def checked(sql: str) -> str:
    """The one SELECT in `sql`, or one line saying why it may not run."""
    import duckdb

    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise _sql_error(error) from None
    if len(statements) != 1:
        raise FormulaError(
            f"give exactly one SQL statement, not {len(statements)}",
            "ask one SELECT at a time",
            rule="usage",
        )
    if statements[0].type != duckdb.StatementType.SELECT:
        raise FormulaError(
            f"only a SELECT may run here, not {statements[0].type.name}: the store is read-only",
            "change records with formulactl set/new/import, which sign what they write",
            rule="read-only",
        )
    return sql


def ask(store: Store, commit: str, sql: str, identities: list[Any] | None = None) -> Answer:
    """Run one read-only SELECT over the tables at `commit`."""
    import duckdb

    checked(sql)
    sealed: list[str] = []
    with _database(store, commit, identities, sealed) as connection:
        _lock(connection)
        try:
            cursor = connection.execute(sql)
            columns = tuple(column[0] for column in cursor.description or ())
            rows = [tuple(_plain(value) for value in row) for row in cursor.fetchall()]
        except duckdb.Error as error:
            raise _sql_error(error) from None
    return Answer(
        store.settings.store_id, commit, sql, columns, rows, identities is not None, sealed
    )


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
    store: Store, commit: str, identities: list[Any] | None, sealed: list[str]
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The tables at `commit`: the cached file when sealed, built in memory when opened
    (`sealed` then receives the records this reader could not open)."""
    import duckdb

    path = None if identities is not None else _cache_path(store, commit)
    ready = path is not None and signed_file(path, "sql")
    if path is not None and not ready:
        ready = _build_cached(store, commit, path)
    if path is not None and ready:
        connection = duckdb.connect(str(path), read_only=True, config=SAFE)
    else:
        connection = duckdb.connect(":memory:", config=SAFE)
        dataset = gather(store, commit, list(KINDS), identities=identities)
        sealed.extend(dataset.sealed)
        load(connection, dataset.parts)
    try:
        yield connection
    finally:
        connection.close()


def _cache_path(store: Store, commit: str) -> Path | None:
    """The cache file for this commit's records, schemas and this code; None without cache."""
    import duckdb

    if store.cache_file("sql") is None:
        return None
    done = gitio.run(store.root, ["rev-parse", f"{commit}:{RECORDS_DIR}"], check=False)
    tree = done.stdout.decode().strip() if done.returncode == 0 else "empty"
    digest = hashlib.sha256(f"{tree}\0{code_version()}\0{duckdb.__version__}".encode())
    # The tables' columns come from the schemas (and the settings that extend them): their
    # bytes, read without parsing, are part of the key.
    for source in [store.root / SETTINGS_FILE, *sorted((store.root / SCHEMAS_DIR).glob("*.json"))]:
        digest.update(source.name.encode() + b"\0" + _bytes(source) + b"\0")
    return store.cache_file(f"sql-{digest.hexdigest()[:24]}.duckdb")


def _bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _build_cached(store: Store, commit: str, path: Path) -> bool:
    """Build the sealed tables into a new file beside the old ones, then swap it in; a
    cache that cannot be written only costs speed."""
    import duckdb

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".sql-", suffix=".duckdb", dir=path.parent)
        os.close(handle)
        os.unlink(temporary)  # DuckDB makes the file itself
    except OSError:
        return False
    try:
        connection = duckdb.connect(temporary, config=SAFE)
        try:
            load(connection, gather(store, commit, list(KINDS)).parts)
            connection.execute("CHECKPOINT")
        finally:
            connection.close()
        for old in path.parent.glob("sql-*.duckdb*"):
            old.unlink(missing_ok=True)  # one commit's tables at a time
        os.replace(temporary, path)
        sign_file(path, "sql")
        return True
    except OSError:
        return False
    finally:
        Path(temporary).unlink(missing_ok=True)
        Path(temporary + ".wal").unlink(missing_ok=True)


def load(connection: duckdb.DuckDBPyConnection, parts: Sequence[DataTable]) -> None:
    """Create one DuckDB table per part, typed as the schema says, through an in-memory CSV."""
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
    return "VARCHAR" if kind == LIST else kind


@contextmanager
def _memory_csv(part: DataTable) -> Iterator[str]:
    """The rows as CSV in a file that lives in memory only (Linux `memfd`), or, elsewhere, in
    a private temporary file removed at once."""
    if hasattr(os, "memfd_create"):
        handle = os.memfd_create("formulactl-table")
        name = f"/proc/self/fd/{handle}"
    else:  # pragma: no cover - not Linux
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
