"""Data keys, sealed values and age wrapping; the only module that uses pyrage.

A sealed value (see model/sealed.py) is salt ‖ value sealed with ChaCha20-Poly1305 under
the record's data key. Its associated data names the format, the store, the record, the
field (list items by their stable key), the data key and the value's commitment, so a
ciphertext moved anywhere else, or given another commitment, fails to open; opening checks
the plaintext against the commitment, so a value resealed under another commitment's name
is reported as tampering.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyrage
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from formulactl.errors import FormulaError
from formulactl.model.sealed import (
    LEGACY_TAG,
    SALT_BYTES,
    TAG,
    check_of,
    commitment_of,
)
from formulactl.model.sshkeys import public_key_of

MISPLACED = "it does not belong here (altered, or moved from another record, field or line?)"
UNCOMMITTED = "it does not match its commitment: someone holding the data key altered it"


class Tampered(ValueError):
    """A value that opens but does not match its commitment: resealed by a key holder."""


@dataclass(frozen=True)
class DataKey:
    id: str
    secret: bytes

    @property
    def cipher(self) -> ChaCha20Poly1305:
        """One cipher per data key, however many values it seals or opens (kept by hand:
        `functools.cached_property` takes a lock, as much again as making the cipher)."""
        cipher: ChaCha20Poly1305 | None = self.__dict__.get("_cipher")
        if cipher is None:
            cipher = self.__dict__["_cipher"] = ChaCha20Poly1305(self.secret)
        return cipher


def new_data_key() -> DataKey:
    import secrets  # only to seal: opening never makes a key

    return DataKey(secrets.token_hex(8), ChaCha20Poly1305.generate_key())


def encode_value(value: Any) -> bytes:
    """A value as bytes: the common scalars without JSON (a third of opening's cost)."""
    kind = type(value)
    if kind is str:
        return b"s" + str(value).encode("utf-8")
    if kind is float:
        return b"d" + repr(value).encode("ascii")
    if kind is int:
        return b"i" + repr(value).encode("ascii")
    return b"j" + json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode_value(data: bytes) -> Any:
    kind, text = data[:1], data[1:]
    if kind == b"s":
        return text.decode("utf-8")
    if kind == b"d":
        return float(text)
    if kind == b"i":
        return int(text)
    if kind == b"j":
        return json.loads(text)
    raise ValueError("its plaintext is not a value")


def _aad(where: bytes, key_id: str, commitment: str) -> bytes:
    return b"fcx2\0" + where + f"\0{key_id}\0{commitment}".encode("ascii")


def seal_value(key: DataKey, where: bytes, value: Any) -> str:
    """A fresh salt and a new commitment: the value as `fcx2:…` at place `where`."""
    plaintext = os.urandom(SALT_BYTES) + encode_value(value)
    return seal_plaintext(key, where, plaintext, commitment_of(where, plaintext))


def seal_plaintext(key: DataKey, where: bytes, plaintext: bytes, commitment: str) -> str:
    """salt ‖ value sealed under `key`, named by its (kept) commitment."""
    nonce = os.urandom(12)
    sealed = key.cipher.encrypt(nonce, plaintext, _aad(where, key.id, commitment))
    body = binascii.b2a_base64(nonce + sealed, newline=False).decode("ascii")
    return f"{TAG}:{key.id}:{commitment}:{check_of(where, key.id, commitment, body)}:{body}"


def open_plaintext(key: DataKey, where: bytes, sealed: str) -> tuple[bytes, str]:
    """(salt ‖ value, commitment) of an `fcx2` value; a moved, altered or tampered one raises."""
    parts = sealed.split(":")
    if len(parts) != 5 or parts[0] != TAG:
        raise ValueError("not a sealed value")
    _tag, key_id, commitment, _check, body = parts
    if key_id != key.id:
        raise ValueError(f"sealed under data key {key_id}, not {key.id}")
    try:
        data = binascii.a2b_base64(body)
        plaintext = key.cipher.decrypt(data[:12], data[12:], _aad(where, key_id, commitment))
    except (InvalidTag, binascii.Error):
        raise ValueError(MISPLACED) from None
    if commitment_of(where, plaintext) != commitment:
        raise Tampered(UNCOMMITTED)
    return plaintext, commitment


_COMMITMENT = b"fcx2-commitment\0"
_VALUE = SALT_BYTES + 1  # where a value starts after its salt and its one-byte kind


def open_values(key: DataKey, prefix: bytes, sealed: list[tuple[str, str]]) -> list[Any]:
    """Every (field name, sealed value) of one record opened and checked against its
    commitment, in one tight loop (bulk opening spends most of its time here); the first that
    fails raises `Unopened` naming its field."""
    decrypt, key_id, sha256, a2b = key.cipher.decrypt, key.id, hashlib.sha256, binascii.a2b_base64
    aad_prefix, aad_key = b"fcx2\0" + prefix, f"\0{key.id}\0".encode()
    opened: list[Any] = []
    append = opened.append
    for name, value in sealed:
        parts = value.split(":")
        if len(parts) != 5 or parts[0] != TAG or parts[1] != key_id:
            append(_one(key, prefix, name, value))  # legacy, or the error message
            continue
        where = name.encode()
        commitment = parts[2]
        try:
            data = a2b(parts[4])
            plaintext = decrypt(
                data[:12], data[12:], aad_prefix + where + aad_key + commitment.encode()
            )
        except (InvalidTag, binascii.Error):
            raise Unopened(name, MISPLACED) from None
        framed = prefix + where
        if sha256(
            _COMMITMENT + len(framed).to_bytes(4, "big") + framed + plaintext
        ).digest() != a2b(commitment):
            raise Unopened(name, UNCOMMITTED, tampered=True)
        kind = plaintext[SALT_BYTES:_VALUE]  # after the salt: the common scalars inline
        if kind == b"d":
            append(float(plaintext[_VALUE:]))
        elif kind == b"s":
            append(plaintext[_VALUE:].decode("utf-8"))
        else:
            append(decode_value(plaintext[SALT_BYTES:]))
    return opened


class Unopened(ValueError):
    """A value of a record that did not open (`tampered`: it opened but is not committed)."""

    def __init__(self, name: str, reason: str, tampered: bool = False) -> None:
        super().__init__(reason)
        self.name = name
        self.tampered = tampered


def _one(key: DataKey, prefix: bytes, name: str, value: str) -> Any:
    try:
        return open_value(key, prefix + name.encode(), value)
    except Tampered as error:
        raise Unopened(name, str(error), tampered=True) from None
    except ValueError as error:
        raise Unopened(name, str(error)) from None


def open_value(key: DataKey, where: bytes, sealed: str) -> Any:
    """The value inside; a ciphertext from another record, field or line raises."""
    if sealed.startswith(LEGACY_TAG + ":"):
        return _open_legacy(key, where, sealed)
    return decode_value(open_plaintext(key, where, sealed)[0][SALT_BYTES:])


def reseal_value(old: DataKey, new: DataKey, where: bytes, sealed: str) -> str:
    """The same salt, value and commitment under another data key: what a rekey writes."""
    plaintext, commitment = open_plaintext(old, where, sealed)
    return seal_plaintext(new, where, plaintext, commitment)


def _open_legacy(key: DataKey, where: bytes, sealed: str) -> Any:
    """An `fcx1` value (JSON, no salt or commitment): only to read and upgrade old stores."""
    tag, key_id, body = sealed.split(":", 2) if sealed.count(":") == 2 else ("", "", "")
    if tag != LEGACY_TAG or not body:
        raise ValueError("not a sealed value")
    if key_id != key.id:
        raise ValueError(f"sealed under data key {key_id}, not {key.id}")
    aad = LEGACY_TAG.encode() + b"\0" + where + b"\0" + key_id.encode()
    data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    try:
        plain = key.cipher.decrypt(data[:12], data[12:], aad)
    except InvalidTag:
        raise ValueError(
            "it does not belong here (moved from another record, field or line?)"
        ) from None
    return json.loads(plain)


def seal_bytes(secret: bytes, plaintext: bytes, context: bytes) -> bytes:
    """nonce ‖ `plaintext` sealed under a 32-byte secret, bound to `context` (a file of this
    clone's, such as a reader's keyring, that only the secret's holder can write or read)."""
    nonce = os.urandom(12)
    return nonce + ChaCha20Poly1305(secret).encrypt(nonce, plaintext, context)


def open_bytes(secret: bytes, sealed: bytes, context: bytes) -> bytes | None:
    """What `seal_bytes` sealed with this secret and context; None for anything else."""
    try:
        return ChaCha20Poly1305(secret).decrypt(sealed[:12], sealed[12:], context)
    except (InvalidTag, ValueError):
        return None


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
def _stanza(public: str) -> tuple[str, bytes]:
    """How an age file's `ssh-ed25519` stanza for this key starts (its tag is sha256 of the
    key's wire form, first 4 bytes): as the file's base64 characters 48–56 when it is the
    first stanza (" " and five of the tag's six characters, bytes 36–42 of the header), and
    as a header line anywhere."""
    blob = base64.b64decode(public.split()[1])
    tag = base64.b64encode(hashlib.sha256(blob).digest()[:4]).rstrip(b"=")
    return base64.b64encode(b" " + tag[:5]).decode(), b"\n-> ssh-ed25519 " + tag + b" "


def own_copies_first(wrapped: list[str], publics: list[str]) -> list[str]:
    """The wrapped copies of a data key, those with a stanza for one of our `ssh-ed25519`
    keys first: one age decryption usually suffices. Most copies are found by comparing
    eight characters, without decoding any header."""
    stanzas = [_stanza(public) for public in publics if public.startswith("ssh-ed25519 ")]
    if not stanzas:
        return wrapped
    firsts = {first for first, _line in stanzas}
    mine = [copy for copy in wrapped if copy[48:56] in firsts]
    if not mine:  # ours is not the first stanza of its copy: look through the headers
        lines = [line for _first, line in stanzas]
        mine = [copy for copy in wrapped if any(line in _header(copy) for line in lines)]
    return mine + [copy for copy in wrapped if copy not in mine]


def _header(wrapped: str) -> bytes:
    """The start of a wrapped data key's age file, where its stanzas are (a damaged copy has
    none: it is then tried last, and fails to open like any other that is not ours)."""
    try:
        return binascii.a2b_base64(wrapped[:320])
    except binascii.Error:
        return b""


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
    keep: bytes = field(default=b"", repr=False)  # derived from the secret: see keyring.py


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
        return Identity(str(path), age, str(age.to_public()), _keep(line.strip().encode()))
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
    return Identity(str(path), ssh, public_key_of(path), _keep(data))


def _keep(secret: bytes) -> bytes:
    """Secret bytes of one identity, from which its keyring's key is derived: only its
    holder can work them out, and they change when the identity does."""
    return hashlib.sha256(b"formulactl-identity-keep\0" + secret).digest()


def new_identity() -> tuple[str, str]:
    """A fresh age identity: (secret text for the identity file, public recipient)."""
    identity = pyrage.x25519.Identity.generate()
    return str(identity), str(identity.to_public())
