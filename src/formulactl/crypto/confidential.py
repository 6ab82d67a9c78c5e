"""Which values of a record are confidential, who may read them, and the leak guard: all
without any key or cryptography, so `validate` and CI can check sealing cheaply."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from formulactl.errors import Problem, pointer_part
from formulactl.model.sealed import ENVELOPE, RECOVERY, SEALED, is_sealed
from formulactl.model.settings import Settings
from formulactl.model.team import Team
from formulactl.model.workflow import customer_of
from formulactl.store.paths import line_label
from formulactl.store.schema import FieldPath, KindSchema


@dataclass(frozen=True)
class Secret:
    """One confidential value, the names it goes by, and where it sits."""

    pointer: str  # JSON pointer, to place findings
    name: str  # stable name bound into the ciphertext: ingredients[material=M-1,phase=A].percent
    value: Any
    parent: Any = field(default=None, compare=False, repr=False)  # its mapping or list
    slot: str | int = field(default="", compare=False, repr=False)  # its key or index there


def secrets_in(schema: KindSchema, data: Any) -> list[Secret]:
    """Every confidential value in a record, named by stable keys rather than positions."""
    found: list[Secret] = []
    for path in schema.sensitive:
        _walk(schema, data, path, 0, "", "", None, "", found)
    return found


def _walk(
    schema: KindSchema,
    node: Any,
    path: FieldPath,
    depth: int,
    pointer: str,
    name: str,
    parent: Any,
    slot: str | int,
    found: list[Secret],
) -> None:
    if depth == len(path):
        found.append(Secret(pointer, name, node, parent, slot))
        return
    step = path[depth]
    if step != "*":
        if isinstance(node, dict) and step in node:
            child = f"{name}.{step}" if name else step
            _walk(
                schema,
                node[step],
                path,
                depth + 1,
                pointer + pointer_part(step),
                child,
                node,
                step,
                found,
            )
    elif isinstance(node, dict):  # free-form mappings such as process parameters
        for key, value in node.items():
            _walk(
                schema,
                value,
                path,
                depth + 1,
                pointer + pointer_part(key),
                f"{name}.{key}",
                node,
                key,
                found,
            )
    elif isinstance(node, list):
        keys = schema.list_keys.get(path[:depth], ())
        for index, item in enumerate(node):
            label = _item_label(item, keys, index)
            _walk(
                schema,
                item,
                path,
                depth + 1,
                f"{pointer}/{index}",
                f"{name}[{label}]",
                node,
                index,
                found,
            )


def _item_label(item: Any, keys: tuple[str, ...], index: int) -> str:
    return line_label(item, keys) or f"#{index}"


def readers(
    settings: Settings, team: Team, kind: str, record_id: str, data: dict[str, Any]
) -> dict[str, list[str]]:
    """Who may read this record's secrets → the recipients its data key is wrapped to."""
    policy = settings.encryption
    customer = customer_of(kind, record_id, data)
    roles = policy.readers.get(kind, ())
    named = policy.people.get(kind, ())
    found = {
        person.id: person.recipients()
        for person in team.people.values()
        if person.id in named or any(person.may(role, kind, customer) for role in roles)
    }
    if policy.recovery:
        found[RECOVERY] = [policy.recovery]
    return found


def fingerprint(recipients: list[str]) -> str:
    """Names the set of keys a copy of the data key was wrapped to."""
    return hashlib.sha256("\n".join(sorted(recipients)).encode()).hexdigest()[:8]


def stale(held: dict[str, str], wanted: dict[str, list[str]]) -> set[str]:
    """Readers whose keys changed since their copy of the data key was wrapped."""
    return {
        name
        for name in set(held) & set(wanted)
        if str(held[name]).split(":")[0] != fingerprint(wanted[name])
    }


def envelope_problems(
    settings: Settings, team: Team, schema: KindSchema, record_id: str, data: dict[str, Any]
) -> Iterator[Problem]:
    """The leak guard, with no key needed: plaintext secrets, strays and missing readers."""
    secrets = secrets_in(schema, data)
    envelope = data.get(ENVELOPE)
    key_id = envelope.get("key_id") if isinstance(envelope, dict) else None
    for secret in secrets:
        if is_sealed(secret.value):
            if not SEALED.fullmatch(str(secret.value)):
                continue  # damaged: the schema reports it
            if key_id is None or not str(secret.value).startswith(f"fcx1:{key_id}:"):
                yield Problem(
                    secret.pointer,
                    "sealed-key",
                    f"{secret.name} is sealed under a data key this record does not hold",
                    "restore the value from history, or set it again",
                )
        elif settings.encryption.require:
            yield Problem(
                secret.pointer,
                "plaintext",
                f"{secret.name} is confidential but stored in plain text",
                "write it with formulactl (set, edit, import), which seals it",
            )
    if not isinstance(envelope, dict):
        return
    held = envelope.get("recipients", {})
    wanted = readers(settings, team, schema.kind, record_id, data)
    rekey = f"run `formulactl rekey {record_id}`"
    checks = (
        (stale(held, wanted), "{}'s keys changed since {}'s data key was wrapped for them", rekey),
        (
            set(wanted) - set(held),
            "{} should read {} but its data key is not wrapped for them",
            rekey,
        ),
        (
            set(held) - set(wanted),
            "{} still holds {}'s data key but is no longer a reader",
            rekey + " to seal it under a new key",
        ),
    )
    for names, message, hint in checks:
        for name in sorted(names):
            yield Problem("/" + ENVELOPE, "readers", message.format(name, record_id), hint)


def tree_copy(value: Any) -> Any:
    """A copy of a record's mappings and lists (values are immutable): far cheaper than
    copy.deepcopy for the many records that bulk opening and sealing go through."""
    if isinstance(value, dict):
        return {key: tree_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [tree_copy(item) for item in value]
    return value
