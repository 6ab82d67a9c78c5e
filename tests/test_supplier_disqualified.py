"""A supplier disqualified by its latest evaluation and still listed by an approved
material is a `validate` finding (`supplier-disqualified`) placed at the supplier in the
material, naming the material, the supplier and the evaluation date; `report suppliers`
judges the standing the same way; a re-evaluation clears it even on a warm run; approving
a material that lists such a supplier is refused."""

from __future__ import annotations

import json

from conftest import Invoke, Member, act_as, git, head, step
from formulactl.reports.suppliers import suppliers_report
from formulactl.rules.suppliers import standing
from formulactl.store.store import Store
from quality_fixture import basis, put, rows

HINT = (
    "qualify another supplier and remove S-0001 from M-00002 in its next version "
    "(`formulactl revise M-00002 --reason …`), or re-evaluate S-0001"
)


def supplier(*evaluations: tuple[str, str], qualification: str = "approved") -> str:
    """S-0001 with these (date, result) evaluations, in the order given."""
    text = (
        f"id: S-0001\nname: 龙蟒佰利联集团\nqualification: {qualification}\n"
        'last_evaluation: "2025-01-10"\nstatus: approved\nversion: 1\n'
        'review_due: "2027-06-30"\n'
    )
    if evaluations:
        text += "evaluations:\n"
    for day, result in evaluations:
        text += (
            f'  - date: "{day}"\n    by: chen.jing\n    scores:\n      quality: 50\n'
            f"      delivery: 60\n    result: {result}\n"
        )
    return text


def supplier_findings(invoke: Invoke, store: Store) -> list[tuple[str, int, int, str, str]]:
    done = invoke("validate", "--json", cwd=store.root)
    return [
        (found["path"], found["line"], found["col"], found["message"], found["hint"])
        for found in json.loads(done.out)
        if found["rule"] == "supplier-disqualified"
    ]


def test_the_latest_evaluation_by_date_is_the_standing() -> None:
    listed = {
        "qualification": "approved",
        "evaluations": [
            {"date": "2026-06-01", "result": "disqualified"},
            {"date": "2025-06-01", "result": "approved"},
        ],
    }
    assert standing(listed) == standing({"evaluations": listed["evaluations"][::-1]})
    assert (standing(listed).result, standing(listed).date) == ("disqualified", "2026-06-01")
    own = standing({"qualification": "pending", "last_evaluation": "2025-12-01"})
    assert (own.result, own.date, own.evaluated) == ("pending", "2025-12-01", False)


def test_a_disqualified_supplier_on_an_approved_material_is_a_finding_until_re_evaluated(
    signed_store: Store, team_keys: dict[str, Member], invoke: Invoke
) -> None:
    chen = team_keys["chen.jing"]
    assert supplier_findings(invoke, signed_store) == []
    # the later evaluation in the file is the older one: the latest by date counts
    put(
        signed_store,
        chen,
        {
            "suppliers/S-0001.yaml": supplier(
                ("2026-06-01", "disqualified"), ("2025-06-01", "approved")
            )
        },
    )
    message = (
        "supplier S-0001 was disqualified on 2026-06-01 (its latest evaluation) but approved "
        "material M-00002 still lists it"
    )
    expected = [("records/materials/M-00002.yaml", 6, 5, message, HINT)]
    assert supplier_findings(invoke, signed_store) == expected
    assert invoke("validate", cwd=signed_store.root).code == 1
    assert supplier_findings(invoke, signed_store) == expected  # the warm run says the same
    # the report names the same pair, from the same standing
    found = suppliers_report(basis(signed_store, "2026-12-01"))
    reason = "disqualified on 2026-06-01 but listed by approved material M-00002"
    assert rows(found, "Findings") == [("S-0001", "M-00002", reason)]
    # a re-evaluation (only the supplier's file changes) clears it
    put(
        signed_store,
        chen,
        {
            "suppliers/S-0001.yaml": supplier(
                ("2026-06-01", "disqualified"), ("2026-09-01", "conditional")
            )
        },
    )
    assert supplier_findings(invoke, signed_store) == []
    assert rows(suppliers_report(basis(signed_store, "2026-12-01")), "Findings") == []


def test_a_qualification_without_evaluations_counts_and_drafts_are_not_judged(
    signed_store: Store, team_keys: dict[str, Member], invoke: Invoke
) -> None:
    chen = team_keys["chen.jing"]
    put(signed_store, chen, {"suppliers/S-0001.yaml": supplier(qualification="disqualified")})
    message = (
        "supplier S-0001 was disqualified on 2025-01-10 (its qualification) but approved "
        "material M-00002 still lists it"
    )
    assert supplier_findings(invoke, signed_store) == [
        ("records/materials/M-00002.yaml", 6, 5, message, HINT)
    ]
    # the material's next version (a draft) is not judged until it is approved
    step(signed_store, invoke, "revise", "M-00002", "--reason", "换供方")
    assert supplier_findings(invoke, signed_store) == []
    step(signed_store, invoke, "submit", "M-00002")
    before = head(signed_store)
    act_as(signed_store, team_keys["wang.fang"])
    done = invoke("approve", "M-00002", cwd=signed_store.root)
    assert done.code == 2
    assert done.err.splitlines() == [
        f"records/materials/M-00002.yaml:6:5: {message} — {HINT}",
        "approve M-00002: nothing was written.",
    ]
    assert head(signed_store) == before
    assert git(signed_store.root, "status", "--porcelain") == ""
