"""Data keys, sealed values and age wrapping; the only module that uses pyrage.

A sealed value is one YAML scalar, `fcx1:<key id>:<base64url(nonce ‖ ciphertext)>`: the
value's JSON text sealed with ChaCha20-Poly1305 under the record's data key. Its associated
data names the store, the record, the field (list items by their stable key) and the data
key, so a ciphertext moved anywhere else fails to open.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from formulactl.errors import FormulaError
from formulactl.model.sealed import TAG
from formulactl.model.sshkeys import public_key_of


@dataclass(frozen=True)
class DataKey:
    id: str
    secret: bytes

    @functools.cached_property
    def cipher(self) -> ChaCha20Poly1305:
        """One cipher per data key, however many values it seals or opens."""
        return ChaCha20Poly1305(self.secret)


def new_data_key() -> DataKey:
    return DataKey(secrets.token_hex(8), ChaCha20Poly1305.generate_key())


def associated_data(store_id: str, record_id: str, field: str, key_id: str) -> bytes:
    return "\0".join((TAG, store_id, record_id, field, key_id)).encode("utf-8")


def seal_value(key: DataKey, aad: bytes, value: Any) -> str:
    nonce = os.urandom(12)
    plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    sealed = key.cipher.encrypt(nonce, plain, aad)
    text = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
    return f"{TAG}:{key.id}:{text}"


def open_value(key: DataKey, aad: bytes, sealed: str) -> Any:
    """The value inside; a ciphertext from another record, field or line raises."""
    tag, key_id, body = sealed.split(":", 2) if sealed.count(":") == 2 else ("", "", "")
    if tag != TAG or not body:
        raise ValueError("not a sealed value")
    if key_id != key.id:
        raise ValueError(f"sealed under data key {key_id}, not {key.id}")
    data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    try:
        plain = key.cipher.decrypt(data[:12], data[12:], aad)
    except InvalidTag:
        raise ValueError(
            "it does not belong here (moved from another record, field or line?)"
        ) from None
    return json.loads(plain)


@functools.lru_cache(maxsize=1024)
def recipient(text: str) -> Any:
    """An age recipient from `age1…` or an SSH public key line."""
    try:
        if text.startswith("age1"):
            return pyrage.x25519.Recipient.from_str(text)
        return pyrage.ssh.Recipient.from_str(text)
    except pyrage.RecipientError as error:
        raise FormulaError(
            f"cannot encrypt to `{text[:30]}…`: {error}",
            "give an age1… recipient or an ssh-ed25519/ssh-rsa public key",
            rule="recipient",
        ) from None


def wrap(key: DataKey, recipients: list[str]) -> str:
    """The data key as a standard age file for these recipients, base64 on one line."""
    blob = pyrage.encrypt(key.secret, [recipient(text) for text in recipients])
    return base64.b64encode(blob).decode("ascii")


@functools.lru_cache(maxsize=64)
def ssh_tag(public: str) -> str:
    """The tag an age file's `ssh-ed25519` stanza carries for this key (sha256 of the key's
    wire form, first 4 bytes), to find one's own copy of a data key without trying others."""
    blob = base64.b64decode(public.split()[1])
    return base64.b64encode(hashlib.sha256(blob).digest()[:4]).decode().rstrip("=")


def stanza_tags(wrapped: str) -> set[str]:
    """The ssh-ed25519 stanza tags in a wrapped data key's age header."""
    header = base64.b64decode(wrapped[:320]).split(b"\n---", 1)[0]  # the stanzas come first
    return {
        line.split()[2].decode()
        for line in header.split(b"\n")
        if line.startswith(b"-> ssh-ed25519 ") and len(line.split()) > 2
    }


def unwrap(key_id: str, wrapped: str, identities: list[Any]) -> DataKey | None:
    """The data key if one of `identities` opens this wrapped copy, else None."""
    try:
        secret = pyrage.decrypt(base64.b64decode(wrapped), identities)
    except (pyrage.DecryptError, ValueError):
        return None
    return DataKey(key_id, secret)


@dataclass(frozen=True)
class Identity:
    """A secret key able to unwrap data keys, and the public text that names it."""

    source: str
    secret: Any
    public: str  # `age1…` or `ssh-ed25519 AAAA…`


def load_identity(path: Path) -> Identity:
    """An age identity file or an unencrypted SSH private key; one clear line otherwise."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FormulaError(
            f"cannot read the identity {path}: {error.strerror}",
            "pass --identity FILE, or make one with `formulactl keygen`",
            str(path),
            rule="identity",
        ) from None
    text = data.decode("utf-8", "replace")
    if "AGE-SECRET-KEY-" in text:
        line = next(line for line in text.splitlines() if line.startswith("AGE-SECRET-KEY-"))
        try:
            age = pyrage.x25519.Identity.from_str(line.strip())
        except pyrage.IdentityError as error:
            raise FormulaError(
                f"{path} is not a valid age identity: {error}", "", str(path), rule="identity"
            ) from None
        return Identity(str(path), age, str(age.to_public()))
    try:
        ssh = pyrage.ssh.Identity.from_buffer(data)
    except pyrage.IdentityError as error:
        if "decrypted" in str(error):
            raise FormulaError(
                f"{path} is protected by a passphrase, which pyrage cannot read",
                "make an age identity with `formulactl keygen` and ask an admin to add its "
                "recipient for you",
                str(path),
                rule="identity",
            ) from None
        raise FormulaError(
            f"{path} is not an age identity or SSH private key", "", str(path), rule="identity"
        ) from None
    return Identity(str(path), ssh, public_key_of(path))


def new_identity() -> tuple[str, str]:
    """A fresh age identity: (secret text for the identity file, public recipient)."""
    identity = pyrage.x25519.Identity.generate()
    return str(identity), str(identity.to_public())
