"""recall: affected batches, customers with contacts (opened for readers, "sealed" for
others), quantities and dates delivered, open orders to stop, the store, commit and time."""

from __future__ import annotations

import json
from typing import Any

from conftest import Invoke, Member, git
from formulactl.store.store import Store


def _recall(store: Store, invoke: Invoke, *args: str | object) -> dict[str, Any]:
    done = invoke("recall", *args, "--json", cwd=store.root)
    assert done.code == 0, done.err
    result: dict[str, Any] = json.loads(done.out)
    return result


def test_a_lot_recall_lists_batches_deliveries_and_open_orders(
    trace_store: Store, invoke: Invoke
) -> None:
    found = _recall(trace_store, invoke, "--lot", "TI-99")
    assert found["batches"] == ["B-20261201-001", "B-20261202-001", "B-20261202-002"]
    assert [(d["customer"], d["batch"], d["quantity"], d["date"]) for d in found["deliveries"]] == [
        ("C-00001", "B-20261202-001", 500, "2026-12-04"),
        ("C-00003", "B-20261202-002", 250, "2026-12-05"),
    ]
    assert found["customers"] == ["C-00001", "C-00003"]
    assert found["open_orders"] == [
        {
            "order": "O-20261203-b2b2",
            "customer": "C-00003",
            "status": "partial",
            "due": "2026-12-20",
        }
    ]


def test_the_report_states_the_store_the_commit_and_how_long_it_took(
    trace_store: Store, invoke: Invoke
) -> None:
    found = _recall(trace_store, invoke, "--batch", "B-20261202-002")
    assert found["store_id"] == trace_store.settings.store_id
    assert found["commit"] == git(trace_store.root, "rev-parse", "HEAD")
    assert found["seconds"] >= 0
    text = invoke("recall", "--batch", "B-20261202-002", cwd=trace_store.root)
    assert text.out.splitlines()[-1].startswith(f"made from commit {found['commit']} in ")


def test_contacts_are_sealed_for_those_without_a_key(trace_store: Store, invoke: Invoke) -> None:
    found = _recall(trace_store, invoke, "--batch", "B-20261202-002")
    assert found["contacts"][0]["name"] == "周琳"
    assert found["contacts"][0]["phone"] == "sealed"


def test_contacts_are_opened_for_a_reader(
    trace_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    key = team_keys["chen.jing"].key
    found = _recall(trace_store, invoke, "--batch", "B-20261202-002", "--identity", key)
    assert found["contacts"][0]["phone"] == "+86 571 8888 1234"


def test_recall_csv_has_one_row_per_delivery(trace_store: Store, invoke: Invoke) -> None:
    done = invoke("recall", "--lot", "TI-99", "--format", "csv", cwd=trace_store.root)
    rows = [row for row in done.out.splitlines() if row.startswith("Delivered,")]
    assert rows == [
        "Delivered,C-00001,O-20261203-a1a1,B-20261202-001,2026-12-04,500,kg",
        "Delivered,C-00003,O-20261203-b2b2,B-20261202-002,2026-12-05,250,kg",
    ]


def test_recall_needs_exactly_one_of_lot_and_batch(trace_store: Store, invoke: Invoke) -> None:
    done = invoke("recall", cwd=trace_store.root)
    assert (done.code, len(done.err.splitlines())) == (2, 1)
    both = invoke("recall", "--lot", "TI-99", "--batch", "B-20261202-002", cwd=trace_store.root)
    assert both.code == 2


def test_an_unknown_lot_is_one_line_with_the_closest(trace_store: Store, invoke: Invoke) -> None:
    done = invoke("recall", "--lot", "W-2613", cwd=trace_store.root)
    assert (done.code, done.out) == (2, "")
    assert "did you mean W-2612" in done.err
