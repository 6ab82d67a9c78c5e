"""active F-… --on DATE: the version in force by its approvals (not what the file said
that day), the batches made under it, around a revision, and as of an older commit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import Invoke, Member, git, step
from formulactl.store.store import Store

REVISED = "2027-01-15T10:00:00+08:00"


def _revise(store: Store, invoke: Invoke, team: dict[str, Member], mp: pytest.MonkeyPatch) -> None:
    """F-000002 becomes version 2 (in review on 2027-01-10, approved on 2027-01-15)."""
    mp.setenv("GIT_COMMITTER_DATE", "2027-01-10T09:00:00+08:00")
    mp.setenv("GIT_AUTHOR_DATE", "2027-01-10T09:00:00+08:00")
    zhang = team["zhang.min"]
    step(store, invoke, "revise", "F-000002", "--reason", "tighter viscosity", who=zhang)
    step(store, invoke, "set", "F-000002", "specifications[property=粘度].max=1100", who=zhang)
    step(store, invoke, "submit", "F-000002", who=zhang)
    mp.setenv("GIT_COMMITTER_DATE", REVISED)
    mp.setenv("GIT_AUTHOR_DATE", REVISED)
    step(store, invoke, "approve", "F-000002", who=team["chen.jing"])


def _active(store: Store, invoke: Invoke, *args: str) -> tuple[int, dict[str, Any]]:
    done = invoke("active", "F-000002", *args, "--json", cwd=store.root)
    assert done.code in (0, 1), done.err
    return done.code, json.loads(done.out)


def test_the_version_in_force_changes_on_the_approval_day(
    trace_store: Store,
    invoke: Invoke,
    team_keys: dict[str, Member],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _revise(trace_store, invoke, team_keys, monkeypatch)
    _code, before = _active(trace_store, invoke, "--on", "2027-01-14")
    assert before["in_force"]["formula"] == "F-000002@1"
    assert before["batches"] == [
        "B-20261201-001",
        "B-20261206-001",
        "B-20261206-002",
        "B-20261206-003",
    ]
    _code, after = _active(trace_store, invoke, "--on", "2027-01-15")
    assert after["in_force"]["formula"] == "F-000002@2"
    assert after["in_force"]["approved_by"] == "chen.jing"
    assert after["batches"] == []


def test_a_version_in_review_is_not_in_force(
    trace_store: Store,
    invoke: Invoke,
    team_keys: dict[str, Member],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _revise(trace_store, invoke, team_keys, monkeypatch)
    _code, found = _active(trace_store, invoke, "--on", "2027-01-12")
    assert found["in_force"]["formula"] == "F-000002@1"
    shown = invoke("show", "F-000002", "--at", "2027-01-12", cwd=trace_store.root)
    assert "in_review" in shown.out


def test_before_the_first_approval_nothing_is_in_force(trace_store: Store, invoke: Invoke) -> None:
    code, found = _active(trace_store, invoke, "--on", "2020-01-01")
    assert (code, found["in_force"]) == (1, None)
    assert found["why"] == "no version was approved yet"


def test_an_archived_formula_is_not_in_force_after_its_archiving(
    trace_store: Store,
    invoke: Invoke,
    team_keys: dict[str, Member],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2027-02-01T09:00:00+08:00")
    step(
        trace_store,
        invoke,
        "archive",
        "F-000002",
        "--reason",
        "replaced",
        who=team_keys["chen.jing"],
    )
    code, found = _active(trace_store, invoke, "--on", "2027-02-02")
    assert (code, found["in_force"]) == (1, None)
    assert found["why"].startswith("archived on 2027-02-01")


def test_active_answers_as_of_an_older_commit(
    trace_store: Store,
    invoke: Invoke,
    team_keys: dict[str, Member],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = git(trace_store.root, "rev-parse", "HEAD")
    _revise(trace_store, invoke, team_keys, monkeypatch)
    _code, found = _active(trace_store, invoke, "--on", "2027-02-01", "--at", before)
    assert found["in_force"]["formula"] == "F-000002@1"
    assert found["later_approvals"] == []


def test_an_unknown_formula_names_the_closest(trace_store: Store, invoke: Invoke) -> None:
    done = invoke("active", "F-000003", "--on", "2027-01-01", cwd=trace_store.root)
    assert (done.code, done.out) == (2, "")
    assert "did you mean" in done.err and len(done.err.splitlines()) == 1


def test_a_bad_date_is_one_line(trace_store: Store, invoke: Invoke) -> None:
    done = invoke("active", "F-000002", "--on", "15/01/2027", cwd=trace_store.root)
    assert (done.code, len(done.err.splitlines())) == (2, 1)
