"""where-used: a material's formulas, the batches and lots that used it, customers and
open orders; a lot's batches; as of an older commit; unknown IDs and lots."""

from __future__ import annotations

import json

from conftest import Invoke, git
from formulactl.store.store import Store


def test_a_material_lists_its_formulas_batches_lots_customers_and_open_orders(
    trace_store: Store, invoke: Invoke
) -> None:
    done = invoke("where-used", "M-00002", "--json", cwd=trace_store.root)
    assert done.code == 0, done.err
    found = json.loads(done.out)
    assert [(f["formula"], f["version"], f["status"]) for f in found["formulas"]] == [
        ("F-000001", 2, "approved"),
        ("F-000002", 1, "approved"),
    ]
    lots = [(line["batch"], line["lot"]) for line in found["lots"]]
    assert lots == [
        ("B-20261105-001", "TI-88"),
        ("B-20261201-001", "TI-99"),
        ("B-20261202-001", "TI-99"),
        ("B-20261202-001", "TI-88"),
        ("B-20261202-002", "TI-99"),
        ("B-20261206-001", "TI-90"),
        ("B-20261206-002", "TI-90"),
        ("B-20261206-003", "TI-90"),
    ]
    assert found["customers"] == ["C-00001", "C-00003"]
    assert found["open_orders"] == ["O-20261203-b2b2"]
    assert found["commit"] == git(trace_store.root, "rev-parse", "HEAD")


def test_two_lots_of_one_material_in_one_batch_stay_two_lines(
    trace_store: Store, invoke: Invoke
) -> None:
    done = invoke("where-used", "M-00002", "--format", "csv", cwd=trace_store.root)
    rows = [row for row in done.out.splitlines() if row.startswith("Lots consumed,B-20261202-001")]
    assert len(rows) == 2
    assert {row.split(",")[5] for row in rows} == {"TI-99", "TI-88"}


def test_a_lot_lists_every_batch_that_consumed_it(trace_store: Store, invoke: Invoke) -> None:
    done = invoke("where-used", "--lot", "TI-99", "--json", cwd=trace_store.root)
    found = json.loads(done.out)
    assert [line["batch"] for line in found["lots"]] == [
        "B-20261201-001",
        "B-20261202-001",
        "B-20261202-002",
    ]
    assert {line["supplier_lot"] for line in found["lots"]} == {"LB-7781"}
    assert found["customers"] == ["C-00001", "C-00003"]


def test_a_lot_of_another_material_is_not_counted(trace_store: Store, invoke: Invoke) -> None:
    done = invoke("where-used", "--lot", "TI-99", "--material", "M-00001", cwd=trace_store.root)
    assert done.code == 2
    assert "no lot `TI-99`" in done.err


def test_where_used_answers_as_of_an_older_commit(trace_store: Store, invoke: Invoke) -> None:
    done = invoke("where-used", "M-00002", "--at", "HEAD~1", "--json", cwd=trace_store.root)
    found = json.loads(done.out)
    assert [line["batch"] for line in found["lots"]] == ["B-20261105-001"]
    assert found["commit"] == git(trace_store.root, "rev-parse", "HEAD~1")


def test_an_unknown_material_is_one_line_naming_the_closest(
    trace_store: Store, invoke: Invoke
) -> None:
    done = invoke("where-used", "M-00003", cwd=trace_store.root)
    assert (done.code, done.out) == (2, "")
    assert len(done.err.splitlines()) == 1
    assert "did you mean M-00001, M-00002" in done.err or "did you mean M-00002" in done.err


def test_an_unknown_lot_names_the_closest_lots(trace_store: Store, invoke: Invoke) -> None:
    done = invoke("where-used", "--lot", "TI-98", cwd=trace_store.root)
    assert (done.code, done.out) == (2, "")
    assert "TI-99" in done.err and len(done.err.splitlines()) == 1


def test_a_bad_at_revision_is_one_line(trace_store: Store, invoke: Invoke) -> None:
    done = invoke("where-used", "M-00002", "--at", "no-such-tag", cwd=trace_store.root)
    assert (done.code, len(done.err.splitlines())) == (2, 1)
