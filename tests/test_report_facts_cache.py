"""The reports' facts cache: per folder, keyed by the folder's tree at the commit, and the
priced order lines keyed by the orders' and customers' trees and the exchange rates; its facts
equal those read from the records, it holds no sealed value, `--at` gets its own entry, and a
tampered file is not trusted."""

from __future__ import annotations

import json
import marshal
from pathlib import Path

import pytest

from conftest import Invoke, Member, commit_as
from formulactl.reports import facts
from formulactl.reports.answers import folder_trees
from formulactl.store.query import records_cache
from formulactl.store.store import Store
from formulactl.trace.snapshot import load_snapshot
from sales_fixture import VISIT, customer, import_sales, order

KINDS = ("customer", "order", "interaction", "formula")  # orders: (rows, sealed for someone)


@pytest.fixture
def sales(signed_store: Store, team_keys: dict[str, Member], tmp_path: Path) -> Store:
    records = [
        customer("C-00003", "甲"),
        *(order("C-00003", f"2026-0{month}-05", 100, 10) for month in range(1, 4)),
        ("interactions/I-20260620-c0c3.yaml", VISIT),
    ]
    import_sales(signed_store, team_keys, tmp_path / "sales", records)
    return signed_store


def head(store: Store, revision: str = "HEAD") -> str:
    from formulactl.git import gitio

    return gitio.resolve(store.root, revision)


def from_records(store: Store, commit: str) -> dict[str, dict[str, dict[str, object]]]:
    full = load_snapshot(store.without_cache(), commit, records_cache(store.without_cache()))
    return {kind: facts.project(kind, full.of(kind)) for kind in KINDS}


def no_full_load(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> None:
        raise AssertionError("the records were read, not the facts")

    monkeypatch.setattr(facts, "load_snapshot", refuse)


def test_cached_facts_equal_the_records_and_hold_no_sealed_value(
    sales: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit = head(sales)
    cold = facts.facts_snapshot(sales, commit, KINDS).records
    assert cold == from_records(sales, commit)
    rows, enveloped = cold["order"]
    assert enveloped is True  # prices sealed by the import: `--identity` reads whole orders
    assert rows[0] == (
        "O-20260105-aaa3",
        "C-00003",
        "2026-01-05",
        "CNY",
        "F-000001",
        100.0,
        "kg",
        "fcx2:",  # sealed, and nothing of its ciphertext
    )
    assert cold["interaction"]["I-20260620-c0c3"] == {
        "customer": "C-00003",
        "date": "2026-06-20",
        "by": "li.wei",
        "next_date": "2026-08-01",
        "purpose": None,
    }
    stored = (sales.cache_dir / "facts-orders.marshal").read_bytes()
    assert b"fcx2:" in stored and b"age-encryption" not in stored
    no_full_load(monkeypatch)  # a warm run reads only the facts files
    assert facts.facts_snapshot(sales, commit, KINDS).records == cold


def test_each_commit_has_its_own_entry(
    sales: Store, team_keys: dict[str, Member], invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = head(sales)
    facts.facts_snapshot(sales, before, KINDS)
    path = sales.root / "records/orders/O-20260405-aaa3.yaml"
    path.write_text(order("C-00003", "2026-04-05", 7, 10)[1], encoding="utf-8")
    after = commit_as(sales.root, team_keys["zhang.min"], "add an order")
    assert len(facts.facts_snapshot(sales, after, KINDS).of("order")[0]) == 5
    no_full_load(monkeypatch)
    assert len(facts.facts_snapshot(sales, before, KINDS).of("order")[0]) == 4
    assert facts.facts_snapshot(sales, after, KINDS).records == from_records(sales, after)
    monkeypatch.undo()
    done = invoke("report", "churn", "--at", before, "--json", cwd=sales.root)
    assert done.code == 0, done.err
    assert json.loads(done.out)["commit"] == before


def test_a_tampered_cache_is_not_trusted(sales: Store) -> None:
    commit = head(sales)
    truth = facts.facts_snapshot(sales, commit, KINDS).records
    path = sales.cache_dir / "facts-orders.marshal"
    data = path.read_bytes()
    tree = folder_trees(sales, commit)["orders"]
    forged = {tree: {"O-20990101-ff": {"customer": "C-00003", "date": "2099-01-01"}}}
    path.write_bytes(data[:32] + marshal.dumps((2, forged)))  # the old tag on new entries
    assert facts.facts_snapshot(sales, commit, KINDS).records == truth
    assert path.read_bytes() != data[:32] + marshal.dumps((2, forged))  # rebuilt
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # one bit flipped
    assert facts.facts_snapshot(sales, commit, KINDS).records == truth


@pytest.mark.parametrize(
    "args",
    [
        ("churn", "--on", "2026-12-01"),
        ("forecast", "--on", "2026-12-01"),
        ("classify", "--on", "2026-12-01"),
        ("satisfaction",),
        ("complaints",),
        ("suppliers",),
    ],
)
def test_warm_reports_answer_as_cold_ones(
    sales: Store, invoke: Invoke, args: tuple[str, ...]
) -> None:
    cold = invoke("report", *args, "--json", cwd=sales.root)
    assert cold.code == 0, cold.err
    assert list(sales.cache_dir.glob("facts-*.marshal"))
    warm = invoke("report", *args, "--json", cwd=sales.root)
    assert (warm.code, warm.out) == (0, cold.out)


def book_lines(store: Store, commit: str, cached: bool) -> tuple[object, ...]:
    """The order book at `commit`: from the priced-lines cache, or from the records."""
    from datetime import date

    from formulactl.reports.orders import order_book

    day = date(2026, 12, 1)
    if cached:
        snapshot, source = facts.sales_facts(store, commit, ("customer",), opening=False)
        assert source is not None
        book = order_book(store, snapshot, [], day, source)
    else:
        plain = store.without_cache()
        book = order_book(plain, load_snapshot(plain, commit, records_cache(plain)), [], day)
    return (tuple(book.lines), book.sealed_orders, tuple(book.unpriced))


def no_pricing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> None:
        raise AssertionError("the lines were priced again, not read")

    monkeypatch.setattr(facts, "priced_lines", refuse)


def test_priced_lines_are_those_of_the_records_per_commit(
    sales: Store, team_keys: dict[str, Member], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = head(sales)
    truth = book_lines(sales, before, cached=False)
    assert (len(truth[0]), truth[1]) == (4, 3)  # the three imported orders' prices sealed
    assert book_lines(sales, before, cached=True) == truth
    stored = (sales.cache_dir / "facts-priced-orders.marshal").read_bytes()
    assert b"age-encryption" not in stored  # sealed prices are a flag, nothing of them
    path = sales.root / "records/orders/O-20260405-aaa3.yaml"
    path.write_text(order("C-00003", "2026-04-05", 7, 10)[1], encoding="utf-8")
    after = commit_as(sales.root, team_keys["zhang.min"], "add an order")
    assert len(book_lines(sales, after, cached=True)[0]) == 5
    no_pricing(monkeypatch)  # both commits' lines are kept now
    assert book_lines(sales, before, cached=True) == truth
    assert book_lines(sales, after, cached=True) == book_lines(sales, after, cached=False)


def test_tampered_priced_lines_are_not_trusted(sales: Store) -> None:
    commit = head(sales)
    truth = book_lines(sales, commit, cached=True)
    path = sales.cache_dir / "facts-priced-orders.marshal"
    data = path.read_bytes()
    size = int.from_bytes(data[32:40], "big")  # after the tag: the length of what it signs
    (key,) = marshal.loads(data[40 : 40 + size])[1]
    forged = {key: [("O-20990101-ff", "C-00003", 739000, "F-000001", 1e9, "kg", None, False, None)]}
    payload = marshal.dumps((3, forged))
    path.write_bytes(data[:32] + len(payload).to_bytes(8, "big") + payload)  # the old tag
    assert book_lines(sales, commit, cached=True) == truth
