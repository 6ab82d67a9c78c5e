"""One table of workflow steps serves the commands that take steps and the history rules
that judge them: a status move that no step makes is a finding."""

from __future__ import annotations

import json

import pytest

from conftest import Invoke, Member, commit_as, edit_record
from formulactl.model.workflow import STEPS, step_between
from formulactl.store.store import Store


@pytest.mark.parametrize("name", list(STEPS))
def test_every_step_is_found_by_the_statuses_it_joins(name: str) -> None:
    taken = STEPS[name]
    for start in taken.starts:
        assert step_between(start, taken.ends) == taken


def test_a_status_move_no_step_makes_is_found_by_none() -> None:
    assert step_between("approved", "in_review") is None
    assert step_between("draft", "approved") is None


def test_history_reports_an_approved_record_moved_back_to_review_by_hand(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    chen = team_keys["chen.jing"]
    edit_record(signed_store, "customers/C-00001.yaml", status="in_review")
    moved = commit_as(signed_store.root, chen, "back to review")
    done = invoke("validate", "--history", "--json", cwd=signed_store.root)
    found = [(f["commit"], f["rule"]) for f in json.loads(done.out)]
    assert (done.code, found) == (1, [(moved, "not-a-step")])


def test_history_names_the_step_and_its_roles_when_the_signer_lacks_them(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    edit_record(signed_store, "customers/C-00001.yaml", status="archived")
    archived = commit_as(signed_store.root, team_keys["zhang.min"], "archive it")
    done = invoke("validate", "--history", "--json", cwd=signed_store.root)
    found = {(f["commit"], f["rule"], f["message"]) for f in json.loads(done.out)}
    assert (archived, "not-authorized", "zhang.min may not archive C-00001") in found
