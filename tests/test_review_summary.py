"""`review` heads each record with what happened to it (added, changed, removed), for event
records without a status as much as for master data."""

from __future__ import annotations

import json

from conftest import Invoke, git
from formulactl.store.store import Store

ORDER = "records/orders/O-20261101-3c2a.yaml"


def _headings(invoke: Invoke, store: Store, base: str) -> list[str]:
    done = invoke("review", f"{base}..HEAD", "--markdown", cwd=store.root)
    return [line for line in done.out.splitlines() if line.startswith("### ")]


def test_added_changed_and_removed_records_are_headed_with_what_happened(
    signed_store: Store, invoke: Invoke
) -> None:
    root = signed_store.root
    base = git(root, "rev-parse", "HEAD")
    added = (root / ORDER).read_text().replace("3c2a", "7d1e")
    (root / ORDER.replace("3c2a", "7d1e")).write_text(added)
    git(root, "add", "records/orders")
    git(root, "commit", "-q", "-m", "a new order")
    git(root, "rm", "-q", ORDER)
    git(root, "commit", "-q", "-m", "an order entered twice")
    done = invoke(
        "new",
        "customer",
        "--set",
        "name=华彩",
        "--set",
        "type=key",
        "--set",
        "class=A",
        "--set",
        "owner=li.wei",
        cwd=root,
    )
    assert done.code == 0, done.err
    assert invoke("set", "C-00002", "industry=胶粘剂", cwd=root).code == 0
    assert _headings(invoke, signed_store, base) == [
        "### C-00002 (customer): changed, still draft",
        f"### {done.out.strip()} (customer): added as draft",
        "### O-20261101-3c2a (order): removed",
        "### O-20261101-7d1e (order): added",
        "### Findings",
    ]


def test_the_json_summary_says_what_happened_to_each_record(
    signed_store: Store, invoke: Invoke
) -> None:
    root = signed_store.root
    base = git(root, "rev-parse", "HEAD")
    git(root, "rm", "-q", ORDER)
    git(root, "commit", "-q", "-m", "an order entered twice")
    done = invoke("review", f"{base}..HEAD", "--json", cwd=root)
    records = json.loads(done.out)["records"]
    assert [(r["record"], r["change"], r["status_before"]) for r in records] == [
        ("O-20261101-3c2a", "removed", None)
    ]
