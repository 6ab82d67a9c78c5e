"""`new batch --from F-…@V --size`: a batch whose planned quantities come from `scale`."""

from __future__ import annotations

import json

from conftest import Invoke, Member
from formulactl.store.store import Store


def test_a_new_batch_is_planned_from_the_weighing_sheet(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    key = team_keys["zhang.min"].key
    done = invoke(
        "new",
        "batch",
        "--from",
        "F-000014@1",
        "--size",
        "500kg",
        "--identity",
        key,
        cwd=sample_signed_store.root,
    )
    assert done.code == 0, done.err
    batch_id = done.out.strip()
    shown = json.loads(invoke("show", batch_id, "--decrypt", "--identity", key, "--json").out)
    assert shown["formula"] == "F-000014@1" and shown["customer"] == "C-00014"
    assert shown["size"] == {"quantity": 500.0, "unit": "kg"}
    planned = {line["material"]: line["quantity"] for line in shown["lots"]}
    assert planned["M-00001"] == 375.195  # 370.195 kg balance water + 5 kg fixed rinse water
    assert round(sum(planned.values()), 3) == 510.204
    assert {line["lot"] for line in shown["lots"]} == {"TO-FILL"}


def test_size_without_a_batch_is_a_usage_error(sample_signed_store: Store, invoke: Invoke) -> None:
    done = invoke("new", "customer", "--size", "5kg", cwd=sample_signed_store.root)
    assert done.code == 2
    assert "--size plans a batch from a formula" in done.err
