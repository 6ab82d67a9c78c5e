"""release and reject-batch: signed steps by an approver for batches who is not the batch's
operator; release needs every required test in spec by the exact version's specification
(warnings allowed, listed); the history rules judge dispositions like approvals."""

from __future__ import annotations

import json

import pytest

from conftest import (
    Invoke,
    Member,
    act_as,
    assert_refused,
    commit_as,
    edit_record,
    head,
    history_is_clean,
    load,
    step,
    trailers,
)
from formulactl.store.store import Store


def test_an_approver_who_is_not_the_operator_releases_with_warnings_listed(
    trace_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    done = step(trace_store, invoke, "release", "B-20261206-001", who=team_keys["chen.jing"])
    assert done.out == "B-20261206-001 is released\n"
    assert "粘度 1170 above the warning limit 1150" in done.err
    assert load(trace_store, "records/batches/B-20261206-001.yaml")["disposition"] == "released"
    found = trailers(trace_store)
    assert (found["Action"], found["Meaning"]) == ("release", "released")
    assert found["Disposes"].startswith("B-20261206-001 released sha256:")
    history_is_clean(trace_store, invoke)


def test_the_operator_may_not_release_their_own_batch(
    trace_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    act_as(trace_store, team_keys["wang.fang"])
    before = head(trace_store)
    done = invoke("release", "B-20261206-001", cwd=trace_store.root)
    assert_refused(
        trace_store,
        done,
        before,
        "records/batches/B-20261206-001.yaml: wang.fang is the operator of B-20261206-001 "
        "and may not dispose of it — four eyes: another approver must release or reject it",
    )


def test_an_entry_person_may_not_release(
    trace_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    before = head(trace_store)
    done = invoke("release", "B-20261206-001", cwd=trace_store.root)
    assert done.code == 2 and head(trace_store) == before
    assert "zhang.min may not release B-20261206-001" in done.err


def test_a_result_out_of_spec_stops_the_release(
    trace_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    act_as(trace_store, team_keys["chen.jing"])
    before = head(trace_store)
    done = invoke("release", "B-20261206-002", cwd=trace_store.root)
    assert done.code == 2 and head(trace_store) == before
    assert "粘度 1300 is out of spec (above the maximum 1200)" in done.err


def test_a_missing_required_test_stops_the_release(
    trace_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    act_as(trace_store, team_keys["chen.jing"])
    done = invoke("release", "B-20261206-003", cwd=trace_store.root)
    assert done.code == 2
    assert "required test 细度 is missing" in done.err


def test_a_rejection_needs_a_reason_and_is_final(
    trace_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    act_as(trace_store, team_keys["chen.jing"])
    assert invoke("reject-batch", "B-20261206-002", "--reason", " ", cwd=trace_store.root).code == 2
    step(trace_store, invoke, "reject-batch", "B-20261206-002", "--reason", "粘度超标")
    assert trailers(trace_store)["Reason"] == "粘度超标"
    again = invoke("release", "B-20261206-002", cwd=trace_store.root)
    assert again.code == 2 and "is rejected" in again.err
    history_is_clean(trace_store, invoke)


def test_the_gate_uses_the_version_the_batch_names_not_the_latest(
    trace_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    zhang, chen = team_keys["zhang.min"], team_keys["chen.jing"]
    step(trace_store, invoke, "revise", "F-000002", "--reason", "tighter", who=zhang)
    step(trace_store, invoke, "set", "F-000002", "specifications[property=粘度].max=1100")
    step(trace_store, invoke, "submit", "F-000002")
    step(trace_store, invoke, "approve", "F-000002", who=chen)
    # 1170 is out of spec for version 2, but the batch names version 1 (max 1200)
    step(trace_store, invoke, "release", "B-20261206-001")


def test_a_disposition_set_by_hand_is_a_history_finding(
    trace_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    edit_record(trace_store, "batches/B-20261206-002.yaml", disposition="released")
    commit_as(trace_store.root, team_keys["zhang.min"], "released by hand")
    done = invoke("validate", "--history", "--json", cwd=trace_store.root)
    rules = {finding["rule"] for finding in json.loads(done.out)}
    assert {"disposition-without-step", "not-authorized", "self-release"} <= rules


@pytest.mark.parametrize(("typed", "findings"), [("true", 1), ("false", 0)])
def test_a_typed_pass_that_contradicts_the_specification_is_a_finding(
    trace_store: Store, invoke: Invoke, typed: str, findings: int
) -> None:
    path = trace_store.root / "records/batches/B-20261206-002.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "    result: 1300\n", f"    result: 1300\n    pass: {typed}\n"
    )
    path.write_text(text, encoding="utf-8")
    done = invoke("validate", path, cwd=trace_store.root)
    assert done.out.count("pass is true") == findings
    if findings:
        assert "粘度: pass is true but the result 1300 is out-of-spec for F-000002@1" in done.out
    else:
        assert done.code == 0, done.out
