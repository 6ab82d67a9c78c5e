"""The team rules (one entry per person, one person per key, an admin) hold wherever the
team file is checked: `validate`, `validate --history` and `team add/remove`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from conftest import Invoke, Member, commit_as, edit_yaml
from formulactl.store.store import Store

Team = dict[str, Any]


def share_a_key(team: Team) -> None:
    people = {person["id"]: person for person in team["people"]}
    people["li.wei"]["keys"] = [dict(people["zhang.min"]["keys"][0])]


def list_someone_twice(team: Team) -> None:
    team["people"].append(dict(team["people"][1]))


def drop_every_admin(team: Team) -> None:
    for person in team["people"]:
        person["roles"] = [role for role in person["roles"] if role != "admin"] or ["entry"]


BROKEN: dict[str, tuple[Callable[[Team], None], str]] = {
    "shared key": (share_a_key, "team-shared-key"),
    "duplicate person": (list_someone_twice, "team-duplicate"),
    "no admin": (drop_every_admin, "team-admin"),
}


@pytest.mark.parametrize(("breaking", "rule"), BROKEN.values(), ids=BROKEN.keys())
def test_validate_finds_a_hand_edited_team_file_that_breaks_a_team_rule(
    signed_store: Store, invoke: Invoke, breaking: Callable[[Team], None], rule: str
) -> None:
    edit_yaml(signed_store, "team.yaml", "team", breaking)
    done = invoke("validate", "--json", cwd=signed_store.root)
    assert done.code == 1
    team = [(f["rule"], f["line"] > 0) for f in json.loads(done.out) if f["path"] == "team.yaml"]
    assert team == [(rule, True)]


@pytest.mark.parametrize(("breaking", "rule"), BROKEN.values(), ids=BROKEN.keys())
def test_validate_history_finds_the_commit_that_broke_a_team_rule(
    signed_store: Store,
    invoke: Invoke,
    team_keys: dict[str, Member],
    breaking: Callable[[Team], None],
    rule: str,
) -> None:
    edit_yaml(signed_store, "team.yaml", "team", breaking)
    commit = commit_as(signed_store.root, team_keys["chen.jing"], "team by hand")
    done = invoke("validate", "--history", "--json", cwd=signed_store.root)
    found = [(f["commit"], f["path"], f["rule"]) for f in json.loads(done.out)]
    assert (commit, "team.yaml", rule) in found
    assert done.code == 1
