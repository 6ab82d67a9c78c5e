"""Each commit is judged by the settings and the team schema of its parent: a commit that
loosens a rule does not apply the looser rule to itself."""

from __future__ import annotations

import json
from typing import Any

from conftest import Invoke, Member, commit_as, edit_yaml, git
from formulactl.store.store import Store


def allow_unsigned(settings: dict[str, Any]) -> None:
    settings["allow_unsigned"] = True


def set_industry(record: dict[str, Any]) -> None:
    record["industry"] = "涂料"


def history(invoke: Invoke, store: Store) -> list[tuple[str, str]]:
    done = invoke("validate", "--history", "--json", cwd=store.root)
    return [(finding["commit"], finding["rule"]) for finding in json.loads(done.out)]


def unsigned_set(invoke: Invoke, store: Store) -> str:
    """zhang.min changes a draft with formulactl, without a signing key."""
    git(store.root, "config", "--local", "--unset", "user.signingkey")
    done = invoke("set", "C-00002", "industry=胶粘剂", cwd=store.root)
    assert done.code == 0, done.err
    return git(store.root, "rev-parse", "HEAD")


def test_a_commit_allowing_unsigned_commits_that_is_itself_unsigned_is_a_finding(
    signed_store: Store, invoke: Invoke
) -> None:
    edit_yaml(signed_store, "formulactl.yaml", "settings", allow_unsigned)
    loosening = commit_as(
        signed_store.root, None, "allow unsigned commits", email="chen.jing@example.com"
    )
    later = unsigned_set(invoke, signed_store)
    assert sorted(history(invoke, signed_store)) == sorted(
        [(loosening, "admin-required"), (loosening, "unsigned"), (later, "unsigned")]
    )


def test_once_an_admin_allowed_unsigned_commits_the_next_ones_are_judged_by_email(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    edit_yaml(signed_store, "formulactl.yaml", "settings", allow_unsigned)
    commit_as(signed_store.root, team_keys["chen.jing"], "allow unsigned commits")
    later = unsigned_set(invoke, signed_store)
    edit_yaml(signed_store, "records/customers/C-00002.yaml", "customer", set_industry)
    stranger = commit_as(
        signed_store.root,
        None,
        "set C-00002\n\nFormulactl-Action: set\nFormulactl-Record: C-00002@1",
        email="stranger@example.org",
    )
    assert sorted(history(invoke, signed_store)) == sorted(
        [(later, "unsigned"), (stranger, "forged-trailer"), (stranger, "unsigned")]
    )


def test_a_commit_loosening_the_team_schema_is_judged_by_the_schema_before_it(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    schema_path = signed_store.root / "schemas/team.schema.json"
    schema = json.loads(schema_path.read_text())
    person = schema["properties"]["people"]["items"]
    person["required"] = [name for name in person["required"] if name != "email"]
    schema_path.write_text(json.dumps(schema, ensure_ascii=False, indent=2))

    def forget_an_email(team: dict[str, Any]) -> None:
        del team["people"][1]["email"]

    edit_yaml(signed_store, "team.yaml", "team", forget_an_email)
    commit = commit_as(signed_store.root, team_keys["chen.jing"], "emails optional")
    found = history(invoke, signed_store)
    assert [rule for at, rule in found if at == commit] == ["schema-required"]
