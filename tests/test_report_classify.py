"""`report classify`: a known ABC split by sealed revenue for a reader, quantities without a
key, RFM scores, proposals (class changes, a potential customer that ordered) and --apply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import (
    Invoke,
    Member,
    act_as,
    git,
    head,
    history_is_clean,
    load,
    step,
    trailers,
)
from formulactl.store.store import Store, create_store
from sales_fixture import customer, import_sales, order

ON = ("--on", "2026-12-01")


@pytest.fixture
def sales(signed_store: Store, team_keys: dict[str, Member], tmp_path: Path) -> Store:
    """Revenue 7000 / 2000 / 800 / 200 CNY: C-00003 70 %, C-00004 to 90 %, C-00005 to 98 %,
    C-00006 the rest; by quantity the order is C-00005, C-00003, C-00004, C-00006."""
    records = [
        customer("C-00003", "甲", klass="B"),
        customer("C-00004", "乙", klass="A"),
        customer("C-00005", "丙", klass="B"),
        customer("C-00006", "丁", kind="potential"),
        order("C-00003", "2026-06-01", 100, 40),
        order("C-00003", "2026-09-01", 100, 30),
        order("C-00004", "2026-10-01", 50, 40),
        order("C-00005", "2026-11-01", 800, 1),
        order("C-00006", "2026-11-15", 10, 20),
        order("C-00004", "2025-01-01", 1000, 100),  # before the 12-month window
    ]
    import_sales(signed_store, team_keys, tmp_path / "sales", records)
    return signed_store


def classified(invoke: Invoke, store: Store, *args: str) -> dict[str, object]:
    done = invoke("report", "classify", *ON, "--json", *args, cwd=store.root)
    assert done.code == 0, done.err
    found: dict[str, object] = json.loads(done.out)
    return found


def test_a_reader_gets_the_abc_split_by_revenue(
    sales: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    found = classified(invoke, sales, "--identity", str(team_keys["zhang.min"].key))
    assert found["measure"] == "revenue CNY"
    assert found["window_start"] == "2025-12-01"
    rows = {row["customer"]: row for row in found["customers"]}  # type: ignore[attr-defined]
    assert [(c, rows[c]["value"], rows[c]["share"], rows[c]["abc"]) for c in rows] == [
        ("C-00003", 7000, 70.0, "A"),
        ("C-00004", 2000, 20.0, "A"),
        ("C-00005", 800, 8.0, "B"),
        ("C-00006", 200, 2.0, "C"),
        ("C-00001", 0, 0.0, "C"),  # its order has no price
        ("C-00002", 0, 0.0, "C"),
    ]
    # recency: 183/61, 61, 30, 16 days → C-00006 the most recent; C-00001 ordered 2026-11-01
    assert rows["C-00006"]["rfm"] == [5, 1, 2]
    assert rows["C-00003"]["rfm"] == [1, 5, 5]
    assert rows["C-00003"]["orders"] == 2
    assert [(p["customer"], p["field"], p["from"], p["to"]) for p in found["proposals"]] == [  # type: ignore[attr-defined]
        ("C-00003", "class", "B", "A"),
        ("C-00006", "type", "potential", "existing"),
        ("C-00001", "class", "A", "C"),
        ("C-00002", "class", "B", "C"),
    ]
    assert found["notes"] == []


def test_without_a_key_it_says_so_and_ranks_by_quantity(sales: Store, invoke: Invoke) -> None:
    found = classified(invoke, sales)
    assert found["measure"] == "quantity"
    order_of = [(row["customer"], row["value"], row["abc"]) for row in found["customers"]]  # type: ignore[attr-defined]
    assert order_of[:4] == [
        ("C-00005", 800, "A"),
        ("C-00001", 500, "A"),
        ("C-00003", 200, "B"),
        ("C-00004", 50, "C"),
    ]
    assert "sealed" in found["notes"][0]  # type: ignore[index]


def test_text_names_the_cut_offs_and_the_store(sales: Store, invoke: Invoke) -> None:
    done = invoke("report", "classify", *ON, cwd=sales.root)
    assert done.code == 0, done.err
    assert f"classify in store {sales.settings.store_id} (at {head(sales)[:10]})" in done.out
    assert "A: first 80 %, B: to 95 %, C: the rest" in done.out


def test_bad_window_and_empty_store_are_one_line(
    sales: Store, invoke: Invoke, tmp_path: Path
) -> None:
    done = invoke("report", "classify", "--window-months", "0", cwd=sales.root)
    assert (done.code, done.err) == (
        2,
        "formulactl: --window-months 0 is out of range — give 1 to 120\n",
    )
    done = invoke("report", "classify", "--on", "2026-02-30", cwd=sales.root)
    assert (done.code, done.err) == (
        2,
        "formulactl: --on '2026-02-30' is not a date — write dates as YYYY-MM-DD\n",
    )
    empty = create_store(tmp_path / "empty")
    git(empty.root, "add", "-A")
    who = ("-c", "user.name=t", "-c", "user.email=t@example.com")
    git(empty.root, *who, "commit", "-q", "--allow-empty", "--no-gpg-sign", "-m", "empty")
    done = invoke("report", "classify", cwd=empty.root)
    assert done.code == 2
    assert done.err.startswith("formulactl: no orders in store ")


def test_apply_opens_the_changes_as_drafts_for_review(
    sales: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    before = head(sales)
    done = invoke("report", "classify", "--at", "HEAD", "--apply", "--reason", "r", cwd=sales.root)
    assert (done.code, done.err) == (
        2,
        "formulactl: --apply changes the records as they are now: leave out --at — see --help\n",
    )
    act_as(sales, team_keys["wang.fang"])  # entry and approver: may not approve her own
    done = invoke(
        "report",
        "classify",
        *ON,
        "--identity",
        str(team_keys["zhang.min"].key),
        "--apply",
        "--reason",
        "annual review",
        cwd=sales.root,
    )
    assert done.code == 0, done.err
    # one commit for every draft, the approved C-00001 revised and changed in it
    assert git(sales.root, "rev-list", "--count", f"{before}..HEAD") == "1"
    assert trailers(sales) == {
        "Action": "classify",
        "Record": "C-00003@1, C-00006@1, C-00001@2, C-00002@1",
        "Meaning": "authored",
        "Reason": "annual review",
    }
    assert "4 customer(s) now drafts for review: C-00003, C-00006, C-00001, C-00002" in done.out
    assert load(sales, "records/customers/C-00003.yaml")["class"] == "A"
    assert load(sales, "records/customers/C-00006.yaml")["type"] == "existing"
    approved = load(sales, "records/customers/C-00001.yaml")
    assert (approved["class"], approved["status"], approved["version"]) == ("C", "draft", 2)
    assert "review_due" not in approved
    history_is_clean(sales, invoke)
    # four eyes: whoever applied the proposals authored the drafts and cannot approve them
    step(sales, invoke, "submit", "C-00001")
    mine = invoke("approve", "C-00001", cwd=sales.root)
    assert (mine.code, mine.err) == (
        2,
        "formulactl: records/customers/C-00001.yaml: wang.fang changed C-00001 since its last "
        "approval and may not approve it — four eyes: another approver must approve it\n",
    )
    step(sales, invoke, "approve", "C-00001", who=team_keys["chen.jing"])
    assert load(sales, "records/customers/C-00001.yaml")["status"] == "approved"
    history_is_clean(sales, invoke)
