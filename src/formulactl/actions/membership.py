"""Changing the team: adding and removing people, each an admin's signed commit.

The first person added to an empty team founds the store: they become its admin and the
founding commit, holding the settings, schemas and team file, is signed with their key.
"""

from __future__ import annotations

from typing import Any

from formulactl.actions.commits import commit_files
from formulactl.actions.signing import actor, configured_key, setup_identity, write_allowed_signers
from formulactl.errors import FormulaError
from formulactl.model.kinds import KINDS, RECORDS_DIR, SCHEMAS_DIR, SETTINGS_FILE, TEAM_FILE
from formulactl.model.sshkeys import key_text
from formulactl.model.team import ADMIN, ROLES
from formulactl.rules.teamfile import team_file_problems
from formulactl.store import yamlio
from formulactl.store.store import Store


def add_person(
    store: Store, person_id: str, name: str, email: str, roles: list[str], key: str
) -> str:
    """Add a person (admins only; the first person becomes the admin) and commit."""
    data = store.load_checked(TEAM_FILE, "team")
    people: list[dict[str, Any]] = data.setdefault("people", [])
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise FormulaError(
            f"`{unknown[0]}` is not a role", "roles: " + ", ".join(ROLES), rule="usage"
        )
    founding = not people
    signing = configured_key(store)
    if founding:
        if signing != key_text(key):
            raise FormulaError(
                "the store's first person must sign the founding commit with their own key",
                "run `formulactl setup-signing --key` with the private half of --key first",
                rule="founding",
            )
        roles = [*roles, ADMIN] if ADMIN not in roles else roles
    else:
        _require_admin(store, "add people")
    if any(person["id"] == person_id for person in people):
        raise FormulaError(
            f"{person_id} is already in the team", "pick another ID", TEAM_FILE, rule="exists"
        )
    holder = store.team.signer(key) if not founding else None
    if holder is not None:
        raise FormulaError(
            f"this key already belongs to {holder[0].id}",
            "every person signs with a key of their own",
            rule="exists",
        )
    people.append(
        {
            "id": person_id,
            "name": name,
            "email": email,
            "roles": roles,
            "keys": [{"key": key_text(key)}],
        }
    )
    writes = {TEAM_FILE: _team_text(store, data)}
    if founding:
        writes.update(_founding_files(store))
        setup_identity(store, name, email)
    subject = f"team add {person_id}: {name}" + (" (founds the store)" if founding else "")
    trailers = [("Action", "team-add"), ("Record", person_id), ("Meaning", "administered")]
    commit = commit_files(store, writes, subject, trailers)
    _refresh(store)
    return commit


def remove_person(store: Store, person_id: str, reason: str) -> str:
    """Remove a person; their keys are invalid for every later commit."""
    _require_admin(store, "remove people")
    if not reason.strip():
        raise FormulaError("removing a person needs a reason", 'add --reason "…"', rule="usage")
    data = store.load_checked(TEAM_FILE, "team")
    people = data.get("people", [])
    kept = [person for person in people if person["id"] != person_id]
    if len(kept) == len(people):
        raise FormulaError(
            f"{person_id} is not in the team", "see `formulactl team show`", rule="missing"
        )
    if not any(ADMIN in person["roles"] for person in kept):
        raise FormulaError(
            f"{person_id} is the last admin", "make someone else admin first", rule="last-admin"
        )
    data["people"] = kept
    trailers = [
        ("Action", "team-remove"),
        ("Record", person_id),
        ("Meaning", "administered"),
        ("Reason", reason),
    ]
    commit = commit_files(
        store, {TEAM_FILE: _team_text(store, data)}, f"team remove {person_id}", trailers
    )
    _refresh(store)
    return commit


def _refresh(store: Store) -> None:
    """The team changed: forget the cached one and tell git's own verifier."""
    store.__dict__.pop("team", None)
    write_allowed_signers(store)


def _require_admin(store: Store, doing: str) -> None:
    person = actor(store)
    if person is None or not person.is_admin:
        who = person.id if person else "this key's owner"
        raise FormulaError(
            f"{who} may not {doing}", "only an admin changes the team", rule="not-allowed"
        )


def _team_text(store: Store, data: dict[str, Any]) -> str:
    """The new team file, refused unless it is valid: a broken team file would lock
    everyone out of every command."""
    text = yamlio.dump(data, store.schema("team").shape)
    problems = team_file_problems(store.schema("team"), data)
    if problems:
        first = problems[0]
        line, col = yamlio.locate(text.encode("utf-8"), [first.pointer])[first.pointer]
        raise FormulaError(
            f"the team file would be invalid: {first.message}",
            first.hint,
            TEAM_FILE,
            line,
            col,
            first.rule,
            first.pointer,
        )
    return text


def _founding_files(store: Store) -> dict[str, str]:
    """Everything `init` made, committed with the first person."""
    files = {SETTINGS_FILE: (store.root / SETTINGS_FILE).read_text(encoding="utf-8")}
    for schema in sorted((store.root / SCHEMAS_DIR).glob("*.schema.json")):
        files[f"{SCHEMAS_DIR}/{schema.name}"] = schema.read_text(encoding="utf-8")
    for kind in KINDS.values():
        keep = f"{RECORDS_DIR}/{kind.folder}/.gitkeep"
        if (store.root / keep).exists():
            files[keep] = ""
    if (store.root / ".gitattributes").exists():
        files[".gitattributes"] = (store.root / ".gitattributes").read_text(encoding="utf-8")
    return files
