"""Which values of a record are confidential, who may read them, and the leak guard: all
without any key or cryptography, so `validate` and CI can check sealing cheaply."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from formulactl.errors import Problem, pointer_part
from formulactl.model.sealed import (
    ENVELOPE,
    RECOVERY,
    SEALED,
    check_holds,
    is_legacy,
    is_sealed,
    key_id_of,
    place,
    wrapped_copy_intact,
)
from formulactl.model.settings import Settings
from formulactl.store.paths import line_label
from formulactl.store.schema import FieldPath, KindSchema, SensitiveNode

if TYPE_CHECKING:  # the team and the workflow only where a record is sealed: openers skip them
    from formulactl.model.team import Team


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


def sealed_in(schema: KindSchema, data: Any) -> list[tuple[Any, Any, str, str]]:
    """Where each sealed confidential value sits in `data` (its mapping or list, key or index,
    stable name, the sealed text), in one walk along the sensitive paths that copies nothing:
    what bulk opening needs once it has its own copy of the record."""
    found: list[tuple[Any, Any, str, str]] = []
    _find_sealed(data, schema.sensitive_tree, "", found)
    return found


def _find_sealed(node: Any, tree: SensitiveNode, name: str, found: list[Any]) -> None:
    children = tree.children
    if isinstance(node, dict):
        star = children.get("*")
        for key, value in node.items():
            step = children.get(key)
            if step is not None:
                label = f"{name}.{key}" if name else key
            elif star is not None:
                step, label = star, f"{name}.{key}"
            else:
                continue
            if step.leaf and type(value) is str and value.startswith(_SEALED):
                found.append((node, key, label, value))
            if step.children:
                _find_sealed(value, step, label, found)
    elif isinstance(node, list) and "*" in children:
        step, keys = children["*"], tree.keys
        # Lines whose secrets are all named fields (ingredients' percent): looked up directly.
        fields = [(key, child) for key, child in step.children.items() if not child.children]
        direct = "*" not in step.children and len(fields) == len(step.children)
        for index, item in enumerate(node):
            label = f"{name}[{_item_label(item, keys, index)}]"
            if step.leaf and type(item) is str and item.startswith(_SEALED):
                found.append((node, index, label, item))
            if direct and type(item) is dict:
                for key, child in fields:
                    value = item.get(key)
                    if child.leaf and type(value) is str and value.startswith(_SEALED):
                        found.append((item, key, f"{label}.{key}", value))
            elif step.children:
                _find_sealed(item, step, label, found)


_SEALED = ("fcx2:", "fcx1:")  # what `is_sealed` looks for, without a call per value


def _item_label(item: Any, keys: tuple[str, ...], index: int) -> str:
    return line_label(item, keys) or f"#{index}"


def readers(
    settings: Settings, team: Team, kind: str, record_id: str, data: dict[str, Any]
) -> dict[str, list[str]]:
    """Who may read this record's secrets → the recipients its data key is wrapped to."""
    from formulactl.model.workflow import customer_of

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
    envelope = data.get(ENVELOPE)
    key_id = envelope.get("key_id") if isinstance(envelope, dict) else None
    yield from sealed_value_problems(settings, schema, record_id, data, key_id)
    if not isinstance(envelope, dict):
        return
    held = envelope.get("recipients", {})
    for name, entry in sorted(held.items()) if isinstance(held, dict) else ():
        if isinstance(entry, str) and not wrapped_copy_intact(entry):
            yield Problem(
                f"/{ENVELOPE}/recipients{pointer_part(name)}",
                "envelope-damaged",
                f"the data key of {record_id} wrapped for {name} is damaged (cut short or altered)",
                "restore the envelope from history (`git log -p`)",
            )
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


def sealed_value_problems(
    settings: Settings, schema: KindSchema, record_id: str, data: Any, key_id: Any
) -> Iterator[Problem]:
    """Plaintext secrets, values sealed under a key the record lacks, values whose keyless
    check fails (altered, or moved from another record, field or line) and legacy values."""
    legacy_seen = False
    for secret in secrets_in(schema, data):
        value = secret.value
        if not is_sealed(value):
            if settings.encryption.require:
                yield Problem(
                    secret.pointer,
                    "plaintext",
                    f"{secret.name} is confidential but stored in plain text",
                    "write it with formulactl (set, edit, import), which seals it",
                )
        elif not SEALED.fullmatch(value):
            continue  # damaged: the schema reports it
        elif key_id is None or key_id_of(value) != key_id:
            yield Problem(
                secret.pointer,
                "sealed-key",
                f"{secret.name} is sealed under a data key this record does not hold",
                "restore the value from history, or set it again",
            )
        elif is_legacy(value):
            if not legacy_seen:
                legacy_seen = True
                yield Problem(
                    secret.pointer,
                    "sealed-format",
                    f"{secret.name} (and any other old value of {record_id}) is sealed in the "
                    "old fcx1 format, which carries no commitment a keyless check can compare",
                    "an admin runs `formulactl upgrade-seals`",
                )
        elif not check_holds(place(settings.store_id, record_id, secret.name), value):
            yield Problem(
                secret.pointer,
                "sealed-check",
                f"the sealed value of {secret.name} does not belong here: it was altered, or "
                "moved from another record, field or line",
                "restore it from history, or set it again",
            )


def tree_copy(value: Any) -> Any:
    """A copy of a record's mappings and lists (values are immutable): far cheaper than
    copy.deepcopy for the many records that bulk opening and sealing go through."""
    if isinstance(value, dict):
        return {key: tree_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [tree_copy(item) for item in value]
    return value
