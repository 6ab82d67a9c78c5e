"""Sealing and opening the confidential fields of a record.

Which fields are confidential is the schema's `x-sensitive`; who may read them is the
store's encryption policy. Each record carries its own data key, wrapped separately for
each reader under their ID in the record's `encryption` field, so anyone can see who holds
access without holding a key.
"""

from __future__ import annotations

import marshal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from formulactl.crypto import crypto
from formulactl.crypto.confidential import (
    fingerprint,
    readers,
    sealed_in,
    secrets_in,
    tree_copy,
)
from formulactl.errors import FormulaError
from formulactl.model.sealed import ENVELOPE, is_legacy, is_sealed, place
from formulactl.model.settings import Settings
from formulactl.store.schema import KindSchema

if TYPE_CHECKING:  # only types here: opening a record needs no team
    from formulactl.crypto.keyring import Keyring
    from formulactl.model.team import Team

_MISSING = object()


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
    sealed: dict[str, Any] = tree_copy(plain)
    secrets = secrets_in(schema, sealed)  # found in the copy, to be replaced where they sit
    if not secrets and key is None:
        return plain
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
    kept = {
        secret.name: secret.value
        for secret in secrets_in(schema, previous or {})
        if is_sealed(secret.value) and not is_legacy(secret.value)  # old format: sealed anew
    }
    for secret in secrets:
        before = old.get(secret.name, _MISSING)
        if type(before) is type(secret.value) and before == secret.value and secret.name in kept:
            value = kept[secret.name]  # unchanged: the same ciphertext, a minimal diff
        else:
            where = place(settings.store_id, record_id, secret.name)
            value = crypto.seal_value(key, where, secret.value)
        secret.parent[secret.slot] = value
    return sealed


def reseal(
    settings: Settings,
    schema: KindSchema,
    record_id: str,
    data: dict[str, Any],
    old: crypto.DataKey,
    new: crypto.DataKey,
) -> dict[str, Any]:
    """Every sealed value under the `new` key with its salt, value and commitment kept:
    a rekey that anyone can check changed nothing (the envelope is the caller's)."""
    resealed: dict[str, Any] = tree_copy(data)
    for secret in secrets_in(schema, resealed):
        if is_sealed(secret.value):
            where = place(settings.store_id, record_id, secret.name)
            secret.parent[secret.slot] = _opened(
                record_id, secret.name, crypto.reseal_value, old, new, where, secret.value
            )
    return resealed


def upgrade(
    settings: Settings,
    schema: KindSchema,
    record_id: str,
    data: dict[str, Any],
    key: crypto.DataKey,
) -> dict[str, Any]:
    """Every legacy `fcx1` value sealed again as `fcx2` (with a commitment) under the same
    data key; the envelope and every other field stay as they are."""
    upgraded: dict[str, Any] = tree_copy(data)
    for secret in secrets_in(schema, upgraded):
        if is_legacy(secret.value):
            where = place(settings.store_id, record_id, secret.name)
            value = _opened(record_id, secret.name, crypto.open_value, key, where, secret.value)
            secret.parent[secret.slot] = crypto.seal_value(key, where, value)
    return upgraded


def wrap_for(key: crypto.DataKey, recipients: list[str]) -> str:
    """`<fingerprint>:<base64 age file>`: one line per reader in the envelope."""
    return f"{fingerprint(recipients)}:{crypto.wrap(key, recipients)}"


def data_key(
    record_id: str,
    data: dict[str, Any],
    identities: list[crypto.Identity],
    keyring: Keyring | None = None,
) -> crypto.DataKey:
    """The record's data key, opened with the first identity that is one of its readers
    (from `keyring` when these identities opened this very copy before)."""
    envelope = data.get(ENVELOPE)
    if not isinstance(envelope, dict):
        raise FormulaError(
            f"{record_id} holds sealed values but no `{ENVELOPE}:` block with their data key",
            "restore the block from history (`git log -p`); without it nobody can open them",
            rule="no-envelope",
        )
    if not identities:
        raise FormulaError(
            "no identity to decrypt with",
            "pass --identity FILE, set FORMULACTL_IDENTITY, or make one with `formulactl keygen`",
            rule="identity",
        )
    key_id = str(envelope.get("key_id"))
    copies = [str(entry).rpartition(":")[2] for entry in envelope.get("recipients", {}).values()]
    if keyring is not None:
        for wrapped in copies:
            secret = keyring.get(wrapped)
            if secret is not None:
                return crypto.DataKey(key_id, secret)
    secrets = [identity.secret for identity in identities]
    publics = [identity.public for identity in identities]
    for wrapped in crypto.own_copies_first(copies, publics):
        key = crypto.unwrap(key_id, wrapped, secrets)
        if key is not None:
            if keyring is not None:
                keyring.learn(wrapped, key.secret)
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
    """The record with every sealed value opened and checked against its commitment; a value
    that does not belong, or was altered, raises one line naming the record and field."""
    plain = _copy({key: value for key, value in data.items() if key != ENVELOPE})
    found = sealed_in(schema, plain)
    prefix = f"{settings.store_id}\0{record_id}\0".encode()
    try:
        values = crypto.open_values(key, prefix, [(name, value) for _p, _s, name, value in found])
    except crypto.Unopened as error:
        raise _unopened(record_id, error.name, error, error.tampered) from None
    for (parent, slot, _name, _value), value in zip(found, values, strict=True):
        parent[slot] = value
    return plain


def _copy(data: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a parsed record: a marshal round trip (parsed records hold only what
    marshal does, so the records cache uses it too) costs about 60 % of walking it in Python
    (a formula of 12 lines); anything else is copied by walking."""
    copied: dict[str, Any]
    try:
        copied = marshal.loads(marshal.dumps(data))
    except ValueError:  # a date or another type marshal does not know: not from YAML 1.2
        copied = tree_copy(data)
    return copied


def _opened(record_id: str, name: str, opening: Callable[..., Any], *args: Any) -> Any:
    """What `opening(*args)` returns; its failure as one line naming the record and field."""
    try:
        return opening(*args)
    except crypto.Tampered as error:
        raise _unopened(record_id, name, error, tampered=True) from None
    except ValueError as error:
        raise _unopened(record_id, name, error, tampered=False) from None


def _unopened(record_id: str, name: str, error: ValueError, tampered: bool) -> FormulaError:
    if tampered:
        return FormulaError(
            f"{record_id}: the sealed value of {name} was tampered with: {error}",
            "restore it from history and tell an auditor",
            rule="sealed-tampered",
        )
    return FormulaError(
        f"{record_id}: the sealed value of {name} cannot be opened: {error}",
        "restore it from history",
        rule="sealed-value",
    )
