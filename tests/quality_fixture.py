"""Small hand-built stores for the quality reports: records and settings committed by hand
into the signed test store, and the report's ground at a fixed day."""

from __future__ import annotations

from datetime import date
from typing import Any

from conftest import FB, Invoke, Member, commit_as, edit_yaml, step
from formulactl.reports.quality_common import Basis, basis_at
from formulactl.store.store import Store
from formulactl.trace.session import Session


def put(store: Store, signer: Member, files: dict[str, str], message: str = "records") -> str:
    """Write record files (`feedback/FB-….yaml`: text) and commit them signed."""
    for name, text in files.items():
        path = store.root / "records" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return commit_as(store.root, signer, message)


def settings(store: Store, admin: Member, **values: Any) -> str:
    """Set top-level settings (targets, training_required) in an admin's commit."""
    edit_yaml(store, "formulactl.yaml", "settings", lambda data: data.update(values))
    store.__dict__.pop("settings", None)
    return commit_as(store.root, admin, "settings")


def basis(store: Store, today: str, at: str | None = None) -> Basis:
    with Session(store, at) as session:
        return basis_at(
            store.root, store.settings.store_id, session.snapshot, date.fromisoformat(today)
        )


def rows(found: Any, title: str) -> list[tuple[Any, ...]]:
    return next(list(t.rows) for t in found.tables() if t.title == title)


def with_capa(store: Store, invoke: Invoke, *more: str) -> None:
    """The test store's complaint gets one corrective action, due 2026-11-30."""
    step(
        store,
        invoke,
        "set",
        FB,
        "capa[0].type=corrective",
        "capa[0].action=树脂进厂检验增加色度",
        "capa[0].owner=li.wei",
        "capa[0].due=2026-11-30",
        *more,
    )
