"""`formulactl export`: one kind's records at one commit as a main table plus child tables,
in csv, json, xlsx or parquet, each file stamped with the store and the commit, sealed
values sealed unless a reader decrypts."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from conftest import Invoke, head
from data_fixture import PHONE, data_store, refused_in_one_line
from formulactl.store.store import Store

__all__ = ["data_store"]


def exported(store: Store, invoke: Invoke, *args: str | Path) -> str:
    done = invoke("export", *args, cwd=store.root)
    assert (done.code, done.out) == (0, ""), done.err
    return done.err


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


def test_csv_writes_one_file_per_table_each_row_stamped(
    data_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    target = tmp_path / "orders.csv"
    said = exported(data_store, invoke, "order", "--format", "csv", "--output", target)
    store_id, commit = data_store.settings.store_id, head(data_store)
    assert said.splitlines() == [
        f"wrote {target}: orders 5 rows",
        f"wrote {tmp_path / 'orders.lines.csv'}: order_lines 6 rows",
        f"wrote {tmp_path / 'orders.deliveries.csv'}: order_deliveries 0 rows",
        f"wrote {tmp_path / 'orders.payments.csv'}: order_payments 0 rows",
        f"store {store_id} at commit {commit[:10]}",
    ]
    orders = read_csv(target)
    assert [row["id"] for row in orders] == [
        "O-20261101-3c2a",
        "O-20261201-a001",
        "O-20261202-a002",
        "O-20261203-a003",
        "O-20261204-a004",
    ]
    assert {(row["source_store"], row["source_commit"]) for row in orders} == {(store_id, commit)}
    assert orders[1]["delivery_status"] == "pending"
    lines = read_csv(tmp_path / "orders.lines.csv")
    assert [(row["order_id"], row["position"], row["unit_price"]) for row in lines] == [
        ("O-20261101-3c2a", "1", ""),
        ("O-20261201-a001", "1", "sealed"),
        ("O-20261202-a002", "1", "sealed"),
        ("O-20261202-a002", "2", "sealed"),
        ("O-20261203-a003", "1", "sealed"),
        ("O-20261204-a004", "1", "sealed"),
    ]
    assert read_csv(tmp_path / "orders.deliveries.csv") == []


def test_json_carries_the_stamp_and_a_reader_sees_the_values(
    data_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    done = invoke("export", "customer", "--format", "json", cwd=data_store.root)
    sealed = json.loads(done.out)
    assert (sealed["store_id"], sealed["commit"]) == (
        data_store.settings.store_id,
        head(data_store),
    )
    assert sealed["decrypted"] is False
    assert [c["phone"] for c in sealed["tables"]["customer_contacts"]] == ["sealed"]
    identity = tmp_path / "recovery-identity.txt"
    output = tmp_path / "customers.json"
    exported(
        data_store, invoke, "customer", "--format", "json", "--decrypt", "--identity", identity,
        "--output", output,
    )  # fmt: skip
    opened = json.loads(output.read_text(encoding="utf-8"))
    assert opened["decrypted"] is True
    assert opened["tables"]["customer_contacts"] == [
        {
            "customer_id": "C-00003", "position": 1, "name": "周琳", "title": "采购经理",
            "phone": PHONE, "email": None, "wechat": None, "preferred_channel": None,
            "primary": None,
        },
    ]  # fmt: skip
    assert [c["id"] for c in opened["tables"]["customers"]] == ["C-00001", "C-00002", "C-00003"]


def test_xlsx_has_a_sheet_per_table_and_an_about_sheet(
    data_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    target = tmp_path / "batches.xlsx"
    exported(data_store, invoke, "batches", "--format", "xlsx", "--output", target)
    book = load_workbook(target, read_only=True)
    assert book.sheetnames == ["batches", "batch_lots", "batch_qc", "about"]
    lots = list(book["batch_lots"].values)
    assert lots == [
        ("batch_id", "position", "material", "batch", "supplier", "supplier_lot", "lot",
         "quantity", "unit"),
        ("B-20261105-001", 1, "M-00001", None, None, None, "W-2611", "sealed", "kg"),
        ("B-20261105-001", 2, "M-00002", None, None, None, "TI-88", "sealed", "kg"),
    ]  # fmt: skip
    about = dict(list(book["about"].values)[1:])
    assert about["store_id"] == data_store.settings.store_id
    assert about["commit"] == head(data_store)
    assert about["kind"] == "batch"


def test_parquet_keeps_types_and_carries_the_stamp_as_metadata(
    data_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    import duckdb

    target = tmp_path / "orders.parquet"
    identity = tmp_path / "recovery-identity.txt"
    exported(
        data_store, invoke, "order", "--where", "customer=C-00001", "--format", "parquet",
        "--decrypt", "--identity", identity, "--output", target,
    )  # fmt: skip
    lines = str(tmp_path / "orders.lines.parquet")
    db = duckdb.connect()
    total = db.execute(f"SELECT count(*), sum(unit_price) FROM '{lines}'").fetchone()
    assert total is not None
    assert (total[0], float(total[1])) == (4, 31.5)
    types = dict(
        db.execute(f"SELECT column_name, column_type FROM (DESCRIBE '{target}')").fetchall()
    )
    assert (types["date"], types["id"]) == ("DATE", "VARCHAR")
    stamp = db.execute(f"SELECT key, value FROM parquet_kv_metadata('{target}')").fetchall()
    assert dict(stamp)[b"store_id"] == data_store.settings.store_id.encode()
    assert dict(stamp)[b"commit"] == head(data_store).encode()
    assert dict(stamp)[b"decrypted"] == b"yes"


def test_a_condition_on_a_sealed_field_needs_a_reader(
    data_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    where = f"contacts.phone={PHONE}"
    done = invoke("export", "customer", "--where", where, "--format", "json", cwd=data_store.root)
    assert (done.code, done.out) == (2, "")
    assert done.err == (
        "formulactl: `contacts.phone` is a confidential field, sealed in the records — add "
        "--decrypt to match on its value (with a reader's key)\n"
    )
    identity = tmp_path / "recovery-identity.txt"
    done = invoke(
        "export", "customer", "--where", where, "--format", "json", "--decrypt",
        "--identity", identity, cwd=data_store.root,
    )  # fmt: skip
    assert [c["id"] for c in json.loads(done.out)["tables"]["customers"]] == ["C-00003"]


def test_an_existing_file_is_kept_unless_forced(
    data_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    target = tmp_path / "formulas.csv"
    target.write_text("mine\n")
    args = ("formula", "--format", "csv", "--output", target)
    done = invoke("export", *args, cwd=data_store.root)
    assert (done.code, done.out) == (2, "")
    assert done.err == (
        f"formulactl: {target} already exists — choose another --output, or add --force to "
        "replace\n"
    )
    assert target.read_text() == "mine\n"
    assert not (tmp_path / "formulas.ingredients.csv").exists()
    exported(data_store, invoke, *args, "--force")
    assert [row["id"] for row in read_csv(target)] == ["F-000001"]
    assert [row["material"] for row in read_csv(tmp_path / "formulas.ingredients.csv")] == [
        "M-00001",
        "M-00002",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("formulx", "--format", "json"), "unknown record kind `formulx`"),
        (("formula", "--format", "json", "--where", "colour=red"), "formula records have no field"),
        (("formula", "--format", "json", "--at", "nosuch"), "`nosuch` is not a commit here"),
        (("formula", "--format", "json", "--at", "1999-01-01"), "the store had no commits on"),
        (("formula", "--format", "xml"), "--format 'xml' is not one of csv, json, xlsx, parquet"),
        (("formula", "--format", "csv"), "--format csv writes files: give --output FILE.csv"),
        (
            ("formula", "--format", "csv", "--output", "no/such/folder/f.csv"),
            "no/such/folder: the folder to write into does not exist",
        ),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    data_store: Store, invoke: Invoke, args: tuple[str, ...], message: str
) -> None:
    refused_in_one_line(invoke, data_store, ("export", *args), message)


def test_tables_follow_the_schema_down_to_lists_inside_lists() -> None:
    """A list inside a list item becomes a table keyed by the record and both positions;
    a value its schema type does not admit (here a sealed one) turns the column to text."""
    from formulactl.exchange.tables import layout, tables_of
    from formulactl.store.schema import load_kind_schema

    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "delivery": {
                "type": "object",
                "properties": {"due": {"type": "string", "format": "date"}},
            },
            "lines": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "quantity": {"type": "number"},
                        "taxes": {
                            "type": "array",
                            "items": {"type": "object", "properties": {"rate": {"type": "number"}}},
                        },
                    },
                },
            },
        },
    }
    shape = layout(load_kind_schema("order", json.dumps(schema).encode(), "order.schema.json"))
    sealed = "fcx2:0000000000000000:" + "A" * 43 + "=:00000000:" + "A" * 64
    records = {
        "O-1": {
            "id": "O-1",
            "delivery": {"due": "2026-12-01"},
            "lines": [{"quantity": 5, "taxes": [{"rate": 0.13}, {"rate": sealed}]}],
        },
        "O-2": {"id": "O-2", "lines": [{"quantity": 2.5}, {"quantity": 1, "taxes": []}]},
    }
    found = {table.name: table for table in tables_of(shape, records)}
    assert list(found) == ["orders", "order_lines", "order_lines_taxes"]
    assert (found["orders"].columns, found["orders"].types) == (
        ("id", "delivery_due"),
        ("VARCHAR", "DATE"),
    )
    assert found["orders"].rows == [("O-1", "2026-12-01"), ("O-2", None)]
    assert found["order_lines"].rows == [("O-1", 1, 5), ("O-2", 1, 2.5), ("O-2", 2, 1)]
    taxes = found["order_lines_taxes"]
    assert taxes.columns == ("order_id", "order_lines_position", "position", "rate")
    assert taxes.types == ("VARCHAR", "BIGINT", "BIGINT", "VARCHAR")
    assert taxes.rows == [("O-1", 1, 1, "0.13"), ("O-1", 1, 2, "sealed")]
