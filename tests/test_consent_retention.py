"""A consent's `retain_until`: `due` lists each contact holding personal data whose
consent's retention has passed (overdue) or passes within 30 days, naming the customer, the
contact and the date and what to do (renew the consent, or erase the contact's personal
fields with `set`); renewing or erasing clears it."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from conftest import Invoke, Member, step
from formulactl.archive.cadence import retention_items
from formulactl.audit.reports import DueItem
from formulactl.store.store import Store

TODAY = date(2026, 12, 1)


def customer(status: str, until: str, *contacts: dict[str, str], **consent: str) -> dict[str, Any]:
    return {
        "owner": "li.wei",
        "status": status,
        "contacts": list(contacts),
        "consent": {"purpose": "供货联系", "date": "2025-01-01", "retain_until": until, **consent},
    }


def item(until: str, customer_id: str, overdue: bool, note: str) -> DueItem:
    return DueItem(until, customer_id, "customer", "consent", ("li.wei",), overdue, note)


def test_passed_and_coming_retention_is_due_per_contact_with_personal_data() -> None:
    phone = {"name": "许静怡", "phone": "+86 21 3756 1208", "email": "x@example.cn"}
    wechat = {"name": "赵晨", "wechat": "zhaochen_sc"}
    bare = {"name": "前台"}  # no personal data: nothing to erase
    customers = {
        "C-00001": customer("approved", "2026-11-30", phone, bare, wechat),  # passed
        "C-00002": customer("draft", "2026-12-31", wechat),  # within 30 days
        "C-00003": customer("draft", "2027-01-01", phone),  # 31 days away: not yet
        "C-00004": customer("in_review", "2026-10-01", phone, withdrawn_on="2026-11-01"),
        "C-00005": customer("archived", "2026-10-01", phone),
        "C-00006": customer("in_review", "2026-12-01", wechat),  # ends today
        "C-00007": {"owner": "li.wei", "status": "draft", "contacts": [phone]},  # no consent
    }
    renew = "renew the consent or erase the contact's personal fields with `formulactl set"
    assert retention_items(customers, TODAY) == [
        item(
            "2026-11-30",
            "C-00001",
            True,
            f"contact 许静怡: consent ended 2026-11-30; {renew} C-00001 --unset "
            "contacts[0].phone --unset contacts[0].email` (after `formulactl revise C-00001 "
            "--reason …`)",
        ),
        item(
            "2026-11-30",
            "C-00001",
            True,
            f"contact 赵晨: consent ended 2026-11-30; {renew} C-00001 --unset "
            "contacts[2].wechat` (after `formulactl revise C-00001 --reason …`)",
        ),
        item(
            "2026-12-31",
            "C-00002",
            False,
            f"contact 赵晨: consent ends 2026-12-31; {renew} C-00002 --unset contacts[0].wechat`",
        ),
        item(
            "2026-12-01",
            "C-00006",
            False,
            f"contact 赵晨: consent ends 2026-12-01; {renew} C-00006 --unset contacts[0].wechat` "
            "(after `formulactl reject C-00006 --reason …`)",
        ),
    ]


def consent_items(store: Store, invoke: Invoke, *args: str) -> list[dict[str, Any]]:
    done = invoke("due", "--json", *args, cwd=store.root)
    assert done.code == 0, done.err
    return [item for item in json.loads(done.out) if item["task"] == "consent"]


def test_due_lists_a_passed_retention_until_renewed_or_erased(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    passed = (date.today() - timedelta(days=3)).isoformat()
    assert consent_items(signed_store, invoke) == []
    step(
        signed_store,
        invoke,
        "set",
        "C-00002",
        "contacts[0].name=Lars Berg",
        "contacts[0].phone=+46 8 123 456 78",
        "consent.purpose=业务联系",
        "consent.date=2025-11-01",
        "consent.recorded_by=zhang.min",
        f"consent.retain_until={passed}",
    )
    note = (
        f"contact Lars Berg: consent ended {passed}; renew the consent or erase the contact's "
        "personal fields with `formulactl set C-00002 --unset contacts[0].phone`"
    )
    expected = {
        "due": passed,
        "record": "C-00002",
        "kind": "customer",
        "task": "consent",
        "who": ["wang.fang"],
        "overdue": True,
        "note": note,
    }
    assert consent_items(signed_store, invoke, "--overdue") == [expected]
    text = invoke("due", "--overdue", cwd=signed_store.root).out.splitlines()
    assert f"{passed}  OVERDUE consent  C-00002          by wang.fang — {note}" in text
    # a bad date is named with its place, and nothing is written
    done = invoke("set", "C-00002", "consent.retain_until=2026-13-01", cwd=signed_store.root)
    assert (done.code, done.err.splitlines()) == (
        2,
        [
            "records/customers/C-00002.yaml:14:17: `consent.retain_until` '2026-13-01' is not a "
            "valid date — write dates as YYYY-MM-DD",
            "set C-00002: nothing was written.",
        ],
    )
    # renewed for a year: nothing due
    renewed = (date.today() + timedelta(days=365)).isoformat()
    step(signed_store, invoke, "set", "C-00002", f"consent.retain_until={renewed}")
    assert consent_items(signed_store, invoke) == []
    # or erased: the contact holds no personal data any more
    step(signed_store, invoke, "set", "C-00002", f"consent.retain_until={passed}")
    assert len(consent_items(signed_store, invoke)) == 1
    key = team_keys["zhang.min"].key  # the phone is sealed: erasing it needs a reader's key
    step(signed_store, invoke, "set", "C-00002", "--unset", "contacts[0].phone", "--identity", key)
    assert consent_items(signed_store, invoke) == []
