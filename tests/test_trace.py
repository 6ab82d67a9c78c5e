"""trace: a batch back to its approved formula version and every input lot (through
intermediates, loops reported), forward to deliveries, customers and complaints."""

from __future__ import annotations

import json
from typing import Any

from conftest import Invoke, Member, commit_as, edit_record, git, step
from formulactl.store.store import Store


def _trace(store: Store, invoke: Invoke, *args: str) -> dict[str, Any]:
    done = invoke("trace", *args, "--json", cwd=store.root)
    assert done.code == 0, done.err
    result: dict[str, Any] = json.loads(done.out)
    return result


def test_backwards_names_the_version_its_approval_and_every_lot_through_intermediates(
    trace_store: Store, invoke: Invoke
) -> None:
    found = _trace(trace_store, invoke, "B-20261202-001")
    made = found["backwards"]["batches"]
    assert [(m["batch"], m["formula"]) for m in made] == [
        ("B-20261202-001", "F-000001@2"),
        ("B-20261201-001", "F-000002@1"),
    ]
    assert made[1]["approval"]["approved_by"] == "chen.jing"
    lots = [(line["via"], line["material"], line["lot"]) for line in found["backwards"]["lots"]]
    assert lots == [
        (["B-20261202-001"], "M-00001", "W-2612"),
        (["B-20261202-001"], "M-00002", "TI-99"),
        (["B-20261202-001"], "M-00002", "TI-88"),
        (["B-20261202-001"], None, "B-20261201-001"),
        (["B-20261202-001", "B-20261201-001"], "M-00001", "W-2612"),
        (["B-20261202-001", "B-20261201-001"], "M-00002", "TI-99"),
    ]
    supplier = next(line for line in found["backwards"]["lots"] if line["lot"] == "TI-99")
    assert (supplier["supplier"], supplier["supplier_lot"]) == ("S-0001", "LB-7781")


def test_forwards_lists_deliveries_customers_and_complaints_naming_the_batch(
    trace_store: Store, invoke: Invoke
) -> None:
    found = _trace(trace_store, invoke, "B-20261202-001")["forwards"]
    assert [(d["order"], d["customer"], d["quantity"]) for d in found["deliveries"]] == [
        ("O-20261203-a1a1", "C-00001", 500)
    ]
    assert found["complaints"] == [
        {
            "feedback": "FB-20261207-c3c3",
            "customer": "C-00001",
            "date": "2026-12-07",
            "batches": ["B-20261202-001", "B-20261105-001"],
        }
    ]


def test_an_intermediate_reaches_the_customers_of_the_batches_that_used_it(
    trace_store: Store, invoke: Invoke
) -> None:
    found = _trace(trace_store, invoke, "B-20261201-001")["forwards"]
    assert found["batches"] == ["B-20261201-001", "B-20261202-001"]
    assert found["customers"] == ["C-00001"]


def test_a_lot_goes_forward_to_every_customer_who_got_it(
    trace_store: Store, invoke: Invoke
) -> None:
    found = _trace(trace_store, invoke, "--lot", "TI-99")["forwards"]
    assert found["batches"] == ["B-20261201-001", "B-20261202-001", "B-20261202-002"]
    assert found["customers"] == ["C-00001", "C-00003"]
    assert [(d["batch"], d["customer"], d["date"]) for d in found["deliveries"]] == [
        ("B-20261202-001", "C-00001", "2026-12-04"),
        ("B-20261202-002", "C-00003", "2026-12-05"),
    ]


def test_a_complaint_leads_back_to_the_lot_and_forward_to_its_customers(
    trace_store: Store, invoke: Invoke
) -> None:
    back = _trace(trace_store, invoke, "B-20261202-001")["backwards"]["lots"]
    shared = [line["lot"] for line in back if line["supplier_lot"] == "LB-7781"]
    assert set(shared) == {"TI-99"}
    forward = _trace(trace_store, invoke, "--lot", shared[0])["forwards"]
    assert forward["customers"] == ["C-00001", "C-00003"]


def test_intermediates_in_a_loop_are_a_finding_not_a_hang(
    trace_store: Store, invoke: Invoke
) -> None:
    edit_record(
        trace_store,
        "batches/B-20261201-001.yaml",
        lots=[{"batch": "B-20261202-001", "lot": "B-20261202-001", "quantity": 1, "unit": "kg"}],
    )
    commit_as(trace_store.root, None, "a loop, by hand")
    done = invoke("trace", "B-20261202-001", "--json", cwd=trace_store.root)
    assert done.code == 1
    findings = json.loads(done.out)["findings"]
    assert findings == [
        "intermediates form a loop: B-20261202-001 → B-20261201-001 → B-20261202-001"
    ]


def test_trace_answers_as_of_an_older_commit(trace_store: Store, invoke: Invoke) -> None:
    done = invoke("trace", "B-20261202-001", "--at", "HEAD~1", cwd=trace_store.root)
    assert done.code == 2
    assert "no batch `B-20261202-001`" in done.err
    assert len(done.err.splitlines()) == 1
    older = _trace(trace_store, invoke, "B-20261105-001", "--at", "HEAD~1")
    assert older["forwards"]["complaints"][0]["feedback"] == "FB-20261110-9b1e"


def test_an_unknown_batch_names_the_closest(trace_store: Store, invoke: Invoke) -> None:
    done = invoke("trace", "B-20261202-003", cwd=trace_store.root)
    assert (done.code, done.out) == (2, "")
    assert "did you mean" in done.err and "B-20261202-001" in done.err


def test_markdown_and_text_name_the_commit(trace_store: Store, invoke: Invoke) -> None:
    markdown = invoke("trace", "--lot", "TI-99", "--format", "markdown", cwd=trace_store.root)
    assert markdown.out.startswith("## trace lot TI-99\n\nAt commit `")
    assert "| B-20261202-002 | O-20261203-b2b2 | C-00003 |" in markdown.out
    text = invoke("trace", "--lot", "TI-99", cwd=trace_store.root)
    assert text.out.startswith("trace lot TI-99 (at ")


def test_qc_is_judged_by_the_version_the_batch_names_not_the_latest(
    trace_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    imported = git(trace_store.root, "rev-parse", "HEAD")
    zhang, chen = team_keys["zhang.min"], team_keys["chen.jing"]
    step(trace_store, invoke, "revise", "F-000002", "--reason", "tighter", who=zhang)
    step(trace_store, invoke, "set", "F-000002", "specifications[property=粘度].max=1100")
    step(trace_store, invoke, "submit", "F-000002")
    step(trace_store, invoke, "approve", "F-000002", who=chen)
    qc = _trace(trace_store, invoke, "B-20261206-001")["qc"]
    assert qc["formula"] == "F-000002@1"
    assert qc["specification_from"] == imported
    assert [(r["property"], r["verdict"]) for r in qc["results"]] == [
        ("粘度", "warning"),
        ("细度", "pass"),
    ]


def test_a_batch_naming_a_version_never_approved_is_a_finding(
    trace_store: Store, invoke: Invoke
) -> None:
    edit_record(trace_store, "batches/B-20261202-002.yaml", formula="F-000001@1")
    commit_as(trace_store.root, None, "names a version that was never approved, by hand")
    done = invoke("trace", "B-20261202-002", "--json", cwd=trace_store.root)
    assert done.code == 1
    found = json.loads(done.out)
    assert found["findings"] == ["B-20261202-002 names F-000001@1, which was never approved"]
    assert found["backwards"]["batches"][0]["approval"] is None
