"""A promised date moves later only with a signed reason: `feedback ID extend --to DATE
--reason …` writes it in the commit's `Formulactl-Reason` trailer; a response date or CAPA
due date moved later any other way is reported by `validate --history`."""

from __future__ import annotations

import pytest

from conftest import (
    FB,
    FB_PATH,
    Invoke,
    assert_refused,
    findings,
    head,
    history_is_clean,
    load,
    step,
    trailers,
)
from formulactl.store.store import Store
from quality_fixture import with_capa

HINT = f"move a due date with `formulactl feedback {FB} extend --to DATE --reason …`"


def finding(field: str, old: str, new: str) -> tuple[str, str, str, str]:
    message = f"{FB} {field} moved from {old} to {new} without a reason"
    return (FB_PATH, "due-moved-without-reason", message, HINT)


def moved(invoke: Invoke, store: Store) -> list[tuple[str, str, str, str]]:
    code, found = findings(invoke, store)
    assert code == 1
    return [
        (f["path"], f["rule"], f["message"], f["hint"])
        for f in found
        if f["rule"] == "due-moved-without-reason"
    ]


@pytest.mark.parametrize(
    ("change", "moved_field", "old"),
    [
        ("response_due=2026-12-20", "response_due", "2026-11-17"),
        ("capa[0].due=2026-12-20", "capa[0].due", "2026-11-30"),
    ],
    ids=["response date", "CAPA due date"],
)
def test_a_date_moved_later_without_a_reason_is_caught(
    signed_store: Store, invoke: Invoke, change: str, moved_field: str, old: str
) -> None:
    with_capa(signed_store, invoke)
    history_is_clean(signed_store, invoke)  # a new CAPA action moves nothing
    step(signed_store, invoke, "set", FB, change)
    assert moved(invoke, signed_store) == [finding(moved_field, old, "2026-12-20")]


def test_extend_moves_a_date_later_with_its_reason_and_history_accepts_it(
    signed_store: Store, invoke: Invoke
) -> None:
    with_capa(signed_store, invoke)
    done = step(
        signed_store,
        invoke,
        "feedback",
        FB,
        "extend",
        "--to",
        "2026-12-20",
        "--reason",
        "等客户复测",
    )
    assert done.out == f"{FB} is due 2026-12-20\n"
    assert trailers(signed_store) == {
        "Action": "extend",
        "Record": FB,
        "Meaning": "authored",
        "Reason": "等客户复测",
        "Extends": "response_due 2026-11-17 -> 2026-12-20",
    }
    done = step(
        signed_store,
        invoke,
        "feedback",
        FB,
        "extend",
        "--capa",
        "1",
        "--to",
        "2027-01-15",
        "--reason",
        "供方整改报告推迟",
    )
    assert done.out == f"{FB} CAPA 1 is due 2027-01-15\n"
    record = load(signed_store, FB_PATH)
    assert (record["response_due"], record["capa"][0]["due"]) == ("2026-12-20", "2027-01-15")
    step(signed_store, invoke, "set", FB, "response_due=2026-12-10")  # earlier: no reason needed
    history_is_clean(signed_store, invoke)


def test_extend_refuses_an_earlier_date_a_missing_reason_and_an_unknown_action(
    signed_store: Store, invoke: Invoke
) -> None:
    before = head(signed_store)
    cases = [
        (
            ("--to", "2026-11-10", "--reason", "x"),
            "response_due is 2026-11-17; extend moves it later — "
            f"bring a date forward with `formulactl set {FB}`",
        ),
        (("--to", "2026-12-20"), 'extend needs a reason — add --reason "…"'),
        (
            ("--to", "2026-13-01", "--reason", "x"),
            "--to '2026-13-01' is not a date — write it as YYYY-MM-DD",
        ),
        (
            ("--capa", "2", "--to", "2026-12-20", "--reason", "x"),
            f"{FB} has no CAPA action 2 — it has 0; count them from 1 as `show {FB}` lists them",
        ),
    ]
    for options, message in cases:
        done = invoke("feedback", FB, "extend", *options, cwd=signed_store.root)
        assert_refused(signed_store, done, before, message)


def test_the_extend_options_go_with_extend_only(signed_store: Store, invoke: Invoke) -> None:
    before = head(signed_store)
    done = invoke("feedback", FB, "resolved", "--reason", "x", cwd=signed_store.root)
    assert (done.code, done.err) == (
        2,
        "formulactl feedback: Invalid value for STATUS: --reason goes with extend"
        " — see `formulactl feedback --help`\n",
    )
    assert head(signed_store) == before
