"""`formulactl query`: read-only SQL over one table per kind and a child table per list,
at one commit, with sealed values kept sealed unless a reader opens them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Invoke, Member, commit_as, edit_record, head
from data_fixture import PHONE, data_store, refused_in_one_line
from formulactl.store.store import Store

__all__ = ["data_store"]


def rows(invoke: Invoke, store: Store, sql: str, *options: str) -> list[dict[str, object]]:
    done = invoke("query", sql, "--format", "json", *options, cwd=store.root)
    assert done.code == 0, done.err
    answer = json.loads(done.out)
    assert answer["store_id"] == store.settings.store_id
    assert answer["commit"] == head(store) or "--at" in options
    found: list[dict[str, object]] = answer["rows"]
    return found


def test_a_grouped_count_has_the_numbers_counted_by_hand(data_store: Store, invoke: Invoke) -> None:
    sql = "SELECT customer, count(*) AS orders FROM orders GROUP BY customer ORDER BY customer"
    assert rows(invoke, data_store, sql) == [
        {"customer": "C-00001", "orders": 3},
        {"customer": "C-00003", "orders": 2},
    ]


def test_child_tables_join_on_the_record_id(data_store: Store, invoke: Invoke) -> None:
    sql = (
        "SELECT o.customer, count(*) AS lines, count(l.unit_price) AS priced "
        "FROM orders o JOIN order_lines l ON l.order_id = o.id GROUP BY 1 ORDER BY 1"
    )
    assert rows(invoke, data_store, sql) == [
        {"customer": "C-00001", "lines": 4, "priced": 3},
        {"customer": "C-00003", "lines": 2, "priced": 2},
    ]
    positions = "SELECT position, line FROM order_lines WHERE order_id = 'O-20261202-a002'"
    assert rows(invoke, data_store, positions) == [
        {"position": 1, "line": 1},
        {"position": 2, "line": 2},
    ]


def test_sealed_values_stay_sealed_unless_a_reader_decrypts(
    data_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    sql = "SELECT phone FROM customer_contacts WHERE customer_id = 'C-00003' ORDER BY position"
    assert rows(invoke, data_store, sql) == [{"phone": "sealed"}]
    identity = str(tmp_path / "recovery-identity.txt")
    opened = rows(invoke, data_store, sql, "--decrypt", "--identity", identity)
    assert opened == [{"phone": PHONE}]
    total = "SELECT sum(unit_price) AS total, typeof(sum(unit_price)) AS type FROM order_lines"
    decrypted = rows(invoke, data_store, total, "--decrypt", "--identity", identity)
    assert decrypted == [{"total": 61.5, "type": "DECIMAL(38,10)"}]
    # What was opened is never kept: the only cached database holds no plain phone number.
    cached = list(Path(data_store.cache_dir).glob("sql-*.duckdb"))
    assert len(cached) == 1
    assert PHONE.encode() not in cached[0].read_bytes()


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("DELETE FROM orders", "only a SELECT may run here, not DELETE"),
        ("UPDATE orders SET currency = 'USD'", "only a SELECT may run here, not UPDATE"),
        ("CREATE TABLE x (a INT)", "only a SELECT may run here, not CREATE"),
        ("COPY orders TO 'out.csv'", "only a SELECT may run here, not COPY"),
        ("ATTACH 'other.db'", "only a SELECT may run here, not ATTACH"),
        ("INSTALL httpfs", "only a SELECT may run here, not LOAD"),
        ("SET enable_external_access = true", "only a SELECT may run here, not SET"),
        ("SELECT 1; DROP TABLE orders", "give exactly one SQL statement, not 2"),
        (
            "SELECT * FROM read_csv('/etc/passwd')",
            'SQL: Permission Error: Cannot access file "/etc/passwd" - file system operations '
            "are disabled by configuration",
        ),
        ("SELECT * FROM '/etc/hostname'", "SQL: Catalog Error: Table with name /etc/hostname"),
    ],
)
def test_anything_but_reading_the_tables_is_refused(
    data_store: Store, invoke: Invoke, sql: str, message: str
) -> None:
    refused_in_one_line(invoke, data_store, ("query", sql), message)
    assert not (data_store.root / "out.csv").exists()


def test_a_query_answers_as_of_an_older_commit(
    data_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    before = head(data_store)
    edit_record(data_store, "orders/O-20261204-a004.yaml", customer="C-00001")
    commit_as(data_store.root, team_keys["zhang.min"], "O-20261204-a004 was C-00001's")
    sql = "SELECT customer, count(*) AS orders FROM orders GROUP BY 1 ORDER BY 1"
    assert rows(invoke, data_store, sql) == [
        {"customer": "C-00001", "orders": 4},
        {"customer": "C-00003", "orders": 1},
    ]
    done = invoke("query", sql, "--at", before, "--format", "json", cwd=data_store.root)
    answer = json.loads(done.out)
    assert answer["commit"] == before
    assert answer["rows"] == [
        {"customer": "C-00001", "orders": 3},
        {"customer": "C-00003", "orders": 2},
    ]


def test_a_tampered_cache_is_rebuilt_not_believed(data_store: Store, invoke: Invoke) -> None:
    sql = "SELECT count(*) AS n FROM orders"
    assert rows(invoke, data_store, sql) == [{"n": 5}]
    (cached,) = Path(data_store.cache_dir).glob("sql-*.duckdb")
    cached.write_bytes(cached.read_bytes()[:-4096] + b"\0" * 4096)
    assert rows(invoke, data_store, sql) == [{"n": 5}]


def test_text_and_csv_name_the_store_and_commit(data_store: Store, invoke: Invoke) -> None:
    sql = "SELECT id, class FROM customers ORDER BY id"
    text = invoke("query", sql, cwd=data_store.root)
    store_id, commit = data_store.settings.store_id, head(data_store)
    assert [line.rstrip() for line in text.out.splitlines()] == [
        f"query, store {store_id} (at {commit[:10]})",
        "id       class",
        "C-00001  A",
        "C-00002  B",
        "C-00003  B",
        "3 rows",
    ]
    done = invoke("query", sql, "--format", "csv", cwd=data_store.root)
    assert done.out == "id,class\nC-00001,A\nC-00002,B\nC-00003,B\n"
    assert done.err == f"store {store_id} at commit {commit[:10]}\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("SELECT * FROM nosuch",), "SQL: Catalog Error: Table with name nosuch does not exist!"),
        (("SELECT 1", "--at", "nosuch"), "`nosuch` is not a commit here"),
        (("SELECT 1", "--format", "xml"), "--format 'xml' is not one of table, csv, json"),
        (("SELEC 1",), "SQL: Parser Error: syntax error at or near"),
    ],
)
def test_bad_questions_are_one_line(
    data_store: Store, invoke: Invoke, args: tuple[str, ...], message: str
) -> None:
    refused_in_one_line(invoke, data_store, ("query", *args), message)


def test_what_a_reader_cannot_open_stays_sealed_and_is_named(
    data_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    from formulactl.crypto.crypto import new_identity

    secret, _recipient = new_identity()
    stranger = tmp_path / "stranger-identity.txt"
    stranger.write_text(secret + "\n")
    sql = "SELECT phone FROM customer_contacts"
    done = invoke(
        "query", sql, "--format", "json", "--decrypt", "--identity", stranger, cwd=data_store.root
    )
    assert done.code == 0, done.err
    assert json.loads(done.out)["rows"] == [{"phone": "sealed"}]
    assert done.err.startswith("not a reader of ")
    assert "C-00003" in done.err.split("left sealed: ")[1].split(", ")
