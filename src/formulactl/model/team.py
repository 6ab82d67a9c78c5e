"""The team file: who may do what, and which SSH keys speak for whom."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from formulactl.errors import Problem, pointer_part
from formulactl.model.sshkeys import is_age_recipient, key_text

ADMIN = "admin"  # changes the team, settings and schemas, imports and rekeys
ROLES = ("entry", "reviewer", "approver", ADMIN, "auditor")


@dataclass(frozen=True)
class Key:
    key: str
    valid_from: str | None = None
    valid_until: str | None = None

    def problem_on(self, day: str) -> str:
        """Why the key is not valid on `day` (YYYY-MM-DD), or empty when it is."""
        if self.valid_from and day < self.valid_from:
            return f"the key is valid only from {self.valid_from}"
        if self.valid_until and day > self.valid_until:
            return f"the key expired on {self.valid_until}"
        return ""


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    email: str
    roles: frozenset[str]
    kinds: frozenset[str] | None
    customers: frozenset[str] | None
    keys: tuple[Key, ...]
    age: tuple[str, ...] = ()

    def recipients(self) -> list[str]:
        """What data keys are wrapped to for this person: their SSH keys that age can
        encrypt to (ed25519, RSA) and their age recipients."""
        return [key.key for key in self.keys if is_age_recipient(key.key)] + list(self.age)

    def may(self, role: str, kind: str, customer: str | None = None) -> bool:
        """Holds `role` for this kind of record (and this customer, where scopes name some)."""
        if role not in self.roles:
            return False
        if self.kinds is not None and kind not in self.kinds:
            return False
        return self.customers is None or customer is None or customer in self.customers

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles

    def label(self) -> str:
        return f"{self.id} ({self.name})"


@dataclass(frozen=True)
class Team:
    people: Mapping[str, Person]

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Team:
        """From team.yaml content already checked against its schema."""
        people = {}
        for entry in data.get("people", []):
            scopes = entry.get("scopes", {})
            people[entry["id"]] = Person(
                id=entry["id"],
                name=entry["name"],
                email=entry["email"],
                roles=frozenset(entry["roles"]),
                kinds=frozenset(scopes["kinds"]) if "kinds" in scopes else None,
                customers=frozenset(scopes["customers"]) if "customers" in scopes else None,
                keys=tuple(
                    Key(key_text(k["key"]), k.get("valid_from"), k.get("valid_until"))
                    for k in entry["keys"]
                ),
                age=tuple(entry.get("age", ())),
            )
        return cls(people)

    def signer(self, key: str) -> tuple[Person, Key] | None:
        wanted = key_text(key)
        for person in self.people.values():
            for listed in person.keys:
                if listed.key == wanted:
                    return person, listed
        return None

    def holders(self, role: str, kind: str, customer: str | None = None) -> list[Person]:
        return [person for person in self.people.values() if person.may(role, kind, customer)]


def team_problems(data: Mapping[str, Any]) -> Iterator[Problem]:
    """Rules beyond the schema: one entry per person, one person per key, an admin."""
    people = data.get("people")
    if not isinstance(people, list):
        return
    seen_ids: set[str] = set()
    seen_keys: dict[str, str] = {}
    for index, person in enumerate(people):
        if not isinstance(person, dict):
            continue
        where = pointer_part("people") + pointer_part(index)
        person_id = str(person.get("id"))
        if person_id in seen_ids:
            yield Problem(
                where + "/id",
                "team-duplicate",
                f"{person_id} is listed twice",
                "keep one entry per person",
            )
        seen_ids.add(person_id)
        yield from _recipient_problems(person, where)
        for key_index, key in enumerate(_keys(person.get("keys"))):
            text = key_text(key)
            owner = seen_keys.setdefault(text, person_id)
            if owner != person_id:
                yield Problem(
                    f"{where}/keys/{key_index}/key",
                    "team-shared-key",
                    f"this key is also listed for {owner}",
                    "every person signs with a key of their own",
                )
    if people and not any(isinstance(p, dict) and ADMIN in (p.get("roles") or []) for p in people):
        yield Problem(
            "/people",
            "team-admin",
            "the team has no admin",
            "give at least one person the admin role",
        )


def _recipient_problems(person: Mapping[str, Any], where: str) -> Iterator[Problem]:
    """Every person must be able to receive data keys: sealing for a team with a member
    nobody can encrypt to fails for everyone, not just for them."""
    keys = _keys(person.get("keys"))
    if person.get("age") or not keys or any(is_age_recipient(key) for key in keys):
        return
    yield Problem(
        f"{where}/keys/0/key",
        "team-key-type",
        f"{person.get('id')}'s {keys[0].split(' ', 1)[0]} key cannot receive encrypted data "
        "(age encrypts to ssh-ed25519 and ssh-rsa keys only)",
        "use an ed25519 key (ssh-keygen -t ed25519) or an RSA key, "
        "or list an age recipient under `age:` for this person",
    )


def _keys(keys: Any) -> list[str]:
    if not isinstance(keys, list):
        return []
    return [k["key"] for k in keys if isinstance(k, dict) and isinstance(k.get("key"), str)]
