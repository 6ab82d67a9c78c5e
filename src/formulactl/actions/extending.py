"""`feedback ID extend --to DATE --reason …`: moving a promised date later, as one signed
commit that carries its reason (the history rule in `audit/duedates.py` reports a date
moved any other way)."""

from __future__ import annotations

from formulactl.actions.records import Done, commit_record
from formulactl.actions.signing import actor
from formulactl.errors import FormulaError
from formulactl.model.workflow import FEEDBACK_STEPS, require_role
from formulactl.store.cache import BlobCache
from formulactl.store.schema import is_date
from formulactl.store.store import Record, Store


def extend_due(
    store: Store, record_id: str, to: str, reason: str, capa: int | None, cache: BlobCache
) -> Done:
    """Move `response_due` (or CAPA action number `capa`, counted from 1) to `to`."""
    record = store.load(record_id)
    if record.kind != "feedback":
        raise FormulaError(f"{record_id} is not feedback", "give an FB-… ID", rule="usage")
    if record.data.get("status") == "closed":
        raise FormulaError(
            f"{record_id} is closed", "closed feedback does not change", record.path, rule="closed"
        )
    require_role(
        actor(store), FEEDBACK_STEPS["resolved"][1], "feedback", record_id, record.data, "extend"
    )
    if not reason.strip():
        raise FormulaError("extend needs a reason", 'add --reason "…"', rule="usage")
    if not is_date(to):
        raise FormulaError(f"--to {to!r} is not a date", "write it as YYYY-MM-DD", rule="usage")
    data = dict(record.data)
    if capa is None:
        field, old = "response_due", data.get("response_due")
        data["response_due"] = to
    else:
        items = data.get("capa")
        if not isinstance(items, list) or not 1 <= capa <= len(items):
            count = len(items) if isinstance(items, list) else 0
            raise FormulaError(
                f"{record_id} has no CAPA action {capa}",
                f"it has {count}; count them from 1 as `show {record_id}` lists them",
                rule="usage",
            )
        field, old = f"capa[{capa - 1}].due", items[capa - 1].get("due")
        data["capa"] = [
            dict(item, due=to) if index == capa - 1 else item for index, item in enumerate(items)
        ]
    if isinstance(old, str) and to <= old:
        raise FormulaError(
            f"{field} is {old}; extend moves it later",
            f"bring a date forward with `formulactl set {record_id}`",
            rule="usage",
        )
    after = Record(record.id, record.kind, record.path, data)
    trailers = [("Reason", reason), ("Extends", f"{field} {old or 'none'} -> {to}")]
    return commit_record(store, after, cache, "extend", "authored", trailers)
