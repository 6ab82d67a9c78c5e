"""Sealing and opening the confidential fields of a record.

Which fields are confidential is the schema's `x-sensitive`; who may read them is the
store's encryption policy. Each record carries its own data key, wrapped separately for
each reader under their ID in the record's `encryption` field, so anyone can see who holds
access without holding a key.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from . import crypto
from .errors import FormulaError
from .schema import FieldPath, KindSchema, Problem
from .sealed import ENVELOPE, RECOVERY, SEALED, is_sealed
from .settings import Settings
from .team import Team
from .workflow import customer_of
from .yamlio import pointer_part

_MISSING = object()


@dataclass(frozen=True)
class Secret:
    """One confidential value and the names it goes by."""

    pointer: str  # JSON pointer, to place findings
    name: str  # stable name bound into the ciphertext: ingredients[material=M-1,phase=A].percent
    value: Any


def secrets_in(schema: KindSchema, data: Any) -> list[Secret]:
    """Every confidential value in a record, named by stable keys rather than positions."""
    found: list[Secret] = []
    for path in schema.sensitive:
        found.extend(_walk(schema, data, path, 0, "", ""))
    return found


def _walk(
    schema: KindSchema, node: Any, path: FieldPath, depth: int, pointer: str, name: str
) -> Iterator[Secret]:
    if depth == len(path):
        yield Secret(pointer, name, node)
        return
    step = path[depth]
    if step != "*":
        if isinstance(node, dict) and step in node:
            child = f"{name}.{step}" if name else step
            yield from _walk(
                schema, node[step], path, depth + 1, pointer + pointer_part(step), child
            )
        return
    if isinstance(node, dict):  # free-form mappings such as process parameters
        for key, value in node.items():
            yield from _walk(
                schema, value, path, depth + 1, pointer + pointer_part(key), f"{name}.{key}"
            )
    elif isinstance(node, list):
        keys = schema.list_keys.get(path[:depth], ())
        for index, item in enumerate(node):
            label = _item_label(item, keys, index)
            yield from _walk(
                schema, item, path, depth + 1, pointer + pointer_part(index), f"{name}[{label}]"
            )


def _item_label(item: Any, keys: tuple[str, ...], index: int) -> str:
    if keys and isinstance(item, dict) and any(key in item for key in keys):
        return ",".join(f"{key}={item[key]}" for key in keys if key in item)
    return f"#{index}"


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


def seal(
    settings: Settings,
    team: Team,
    schema: KindSchema,
    record_id: str,
    plain: dict[str, Any],
    key: crypto.DataKey | None = None,
    previous: dict[str, Any] | None = None,
    previous_plain: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`plain` with every secret sealed. With `key` (the record's own data key) the envelope
    is kept and a value equal to its `previous_plain` one keeps its exact ciphertext."""
    secrets = secrets_in(schema, plain)
    if not secrets and key is None:
        return plain
    sealed = copy.deepcopy(plain)
    if key is None:
        key = crypto.new_data_key()
        wrapped = {
            person: wrap_for(key, recipients)
            for person, recipients in readers(settings, team, schema.kind, record_id, plain).items()
        }
        if not wrapped:
            raise FormulaError(
                f"nobody may read {schema.kind} secrets in this store",
                "set encryption.readers in formulactl.yaml",
                rule="no-readers",
            )
        sealed[ENVELOPE] = {"key_id": key.id, "recipients": dict(sorted(wrapped.items()))}
    else:
        assert previous is not None
        sealed[ENVELOPE] = previous[ENVELOPE]
    old = {secret.name: secret.value for secret in secrets_in(schema, previous_plain or {})}
    kept = {secret.name: secret.value for secret in secrets_in(schema, previous or {})}
    for secret in secrets:
        before = old.get(secret.name, _MISSING)
        if type(before) is type(secret.value) and before == secret.value and secret.name in kept:
            value = kept[secret.name]  # unchanged: the same ciphertext, a minimal diff
        else:
            aad = crypto.associated_data(settings.store_id, record_id, secret.name, key.id)
            value = crypto.seal_value(key, aad, secret.value)
        _put(sealed, secret.pointer, value)
    return sealed


def fingerprint(recipients: list[str]) -> str:
    """Names the set of keys a copy of the data key was wrapped to."""
    return hashlib.sha256("\n".join(sorted(recipients)).encode()).hexdigest()[:8]


def wrap_for(key: crypto.DataKey, recipients: list[str]) -> str:
    """`<fingerprint>:<base64 age file>`: one line per reader in the envelope."""
    return f"{fingerprint(recipients)}:{crypto.wrap(key, recipients)}"


def stale(held: dict[str, str], wanted: dict[str, list[str]]) -> set[str]:
    """Readers whose keys changed since their copy of the data key was wrapped."""
    return {
        name
        for name in set(held) & set(wanted)
        if str(held[name]).split(":")[0] != fingerprint(wanted[name])
    }


def data_key(
    record_id: str,
    data: dict[str, Any],
    identities: list[crypto.Identity],
) -> crypto.DataKey:
    """The record's data key, opened with the first identity that is one of its readers."""
    envelope = data.get(ENVELOPE)
    if not isinstance(envelope, dict):
        raise FormulaError(f"{record_id} holds no sealed values", "", rule="not-sealed")
    if not identities:
        raise FormulaError(
            "no identity to decrypt with",
            "pass --identity FILE, set FORMULACTL_IDENTITY, or make one with `formulactl keygen`",
            rule="identity",
        )
    secrets = [identity.secret for identity in identities]
    for wrapped in envelope.get("recipients", {}).values():
        key = crypto.unwrap(str(envelope.get("key_id")), str(wrapped).split(":")[-1], secrets)
        if key is not None:
            return key
    names = ", ".join(envelope.get("recipients", {})) or "nobody"
    raise FormulaError(
        f"{identities[0].source} is not a reader of {record_id}",
        f"its data key is wrapped for {names}; an admin adds readers with `formulactl rekey`",
        rule="not-a-reader",
    )


def open_secrets(
    settings: Settings,
    schema: KindSchema,
    record_id: str,
    data: dict[str, Any],
    key: crypto.DataKey,
) -> dict[str, Any]:
    """The record with every sealed value opened; a value that does not belong raises."""
    plain = copy.deepcopy(data)
    plain.pop(ENVELOPE, None)
    for secret in secrets_in(schema, data):
        if not is_sealed(secret.value):
            continue
        aad = crypto.associated_data(settings.store_id, record_id, secret.name, key.id)
        try:
            _put(plain, secret.pointer, crypto.open_value(key, aad, secret.value))
        except ValueError as error:
            raise FormulaError(
                f"{record_id}: the sealed value of {secret.name} cannot be opened: {error}",
                "restore it from history",
                rule="sealed-value",
            ) from None
    return plain


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
    for changed in sorted(stale(held, wanted)):
        yield Problem(
            "/" + ENVELOPE,
            "readers",
            f"{changed}'s keys changed since {record_id}'s data key was wrapped for them",
            f"run `formulactl rekey {record_id}`",
        )
    for missing in sorted(set(wanted) - set(held)):
        yield Problem(
            "/" + ENVELOPE,
            "readers",
            f"{missing} should read {record_id} but its data key is not wrapped for them",
            f"run `formulactl rekey {record_id}`",
        )
    for extra in sorted(set(held) - set(wanted)):
        yield Problem(
            "/" + ENVELOPE,
            "readers",
            f"{extra} still holds {record_id}'s data key but is no longer a reader",
            f"run `formulactl rekey {record_id}` to seal it under a new key",
        )


def _put(data: Any, pointer: str, value: Any) -> None:
    parts = [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]]
    node = data
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value
