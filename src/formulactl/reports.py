"""Reports over many records: what needs review or an answer, when, and by whom."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from .cache import BlobCache
from .kinds import KINDS
from .query import select_records
from .store import Store
from .workflow import customer_of


@dataclass(frozen=True)
class DueItem:
    due: str  # YYYY-MM-DD, or "" when waiting without a date
    record: str
    kind: str
    task: str  # review (periodic), approve (in review), respond (feedback)
    who: tuple[str, ...]
    overdue: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "due": self.due,
            "record": self.record,
            "kind": self.kind,
            "task": self.task,
            "who": list(self.who),
            "overdue": self.overdue,
        }


def due_items(store: Store, today: date, cache: BlobCache) -> list[DueItem]:
    """Approved records by review date, records awaiting approval, feedback awaiting answer."""
    team = store.team
    stamp = today.isoformat()
    items: list[DueItem] = []
    for kind in (kind for kind in KINDS.values() if kind.master):
        for record in select_records(store, kind.name, [], cache).records:
            status, due = record.data.get("status"), record.data.get("review_due")
            customer = customer_of(kind.name, record.id, record.data)
            approvers = tuple(p.id for p in team.holders("approver", kind.name, customer))
            if status == "approved" and isinstance(due, str):
                items.append(DueItem(due, record.id, kind.name, "review", approvers, due < stamp))
            elif status == "in_review":
                items.append(DueItem("", record.id, kind.name, "approve", approvers, False))
    for record in select_records(store, "feedback", [], cache).records:
        if record.data.get("status") in ("open", "investigating"):
            due = str(record.data.get("response_due", ""))
            owner = record.data.get("owner")
            who = (
                (owner,)
                if isinstance(owner, str)
                else tuple(
                    p.id
                    for p in team.holders(
                        "entry", "feedback", customer_of("feedback", record.id, record.data)
                    )
                )
            )
            items.append(
                DueItem(due, record.id, "feedback", "respond", who, bool(due) and due < stamp)
            )
    return sorted(items, key=lambda item: (item.due or "9999", item.record))
