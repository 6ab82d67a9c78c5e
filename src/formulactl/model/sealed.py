"""What a sealed value and a record's key envelope look like; no cryptography here, so the
schema, the leak guard and the history rules can check them cheaply and without any key.

A sealed value is one YAML scalar, `fcx2:<key id>:<commitment>:<check>:<body>`:
- the commitment, sha256 over the value's place and its plaintext (a random salt and the
  value), stays the same as long as the value does, whatever key seals it: approval digests
  and the history rules compare commitments, so a rekey provably keeps every value;
- the check, a short hash over the place and everything before it, lets a keyless reader see
  that a value was altered or moved to another record, field or line;
- the body (standard base64) is nonce ‖ ChaCha20-Poly1305(salt ‖ value) under the data key.
The legacy `fcx1:<key id>:<body>` has no commitment; `formulactl upgrade-seals` replaces it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any, NamedTuple

TAG = "fcx2"
LEGACY_TAG = "fcx1"
SALT_BYTES = 16
UPGRADE = "upgrade-seals"  # the trailer action of the one-time upgrade to fcx2
SEALED_V2 = re.compile(
    r"fcx2:([0-9a-f]{16}):([A-Za-z0-9+/]{43}=):([0-9a-f]{8}):((?:[A-Za-z0-9+/]{4}){15,}"
    r"(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)"
)
SEALED_V1 = re.compile(r"fcx1:([0-9a-f]{16}):([A-Za-z0-9_-]{38,})")
SEALED = re.compile(f"{SEALED_V2.pattern}|{SEALED_V1.pattern}")
SEALED_PATTERN = f"^(?:{SEALED.pattern})$"
ENVELOPE = "encryption"
RECOVERY = "recovery"
ENVELOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["key_id", "recipients"],
    "description": "The record's data key, wrapped with age for each reader",
    "properties": {
        "key_id": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
        "recipients": {
            "type": "object",
            "additionalProperties": {"type": "string", "pattern": "^[0-9a-f]{8}:[A-Za-z0-9+/]+=*$"},
        },
    },
}
# A wrapped 32-byte data key: age's 16-byte payload nonce and one 48-byte final chunk.
AGE_HEADER = b"age-encryption.org/v1\n"
AGE_PAYLOAD = 16 + 32 + 16


class Sealed(NamedTuple):
    key_id: str
    commitment: str
    check: str
    body: str


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("fcx2:", "fcx1:"))


def is_legacy(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("fcx1:")


def parse(value: str) -> Sealed | None:
    """The parts of a well-formed `fcx2` value, else None."""
    found = SEALED_V2.fullmatch(value)
    return Sealed(*found.groups()) if found else None


def key_id_of(value: Any) -> str | None:
    """The data key a sealed value (either format) is sealed under."""
    return value[5:21] if is_sealed(value) else None


def place(store_id: str, record_id: str, field: str) -> bytes:
    """Where a value sits: bound into its commitment, its check and its ciphertext."""
    return f"{store_id}\0{record_id}\0{field}".encode()


def commitment_of(where: bytes, plaintext: bytes) -> str:
    """sha256 over the place and salt ‖ value: hiding (the salt is secret) and binding."""
    framed = b"fcx2-commitment\0" + len(where).to_bytes(4, "big") + where + plaintext
    return binascii.b2a_base64(hashlib.sha256(framed).digest(), newline=False).decode("ascii")


def check_of(where: bytes, key_id: str, commitment: str, body: str) -> str:
    """A keyless checksum of a sealed value at its place: catches edits and moved values."""
    framed = f"{key_id}:{commitment}:{body}".encode("ascii")
    return hashlib.sha256(b"fcx2-check\0" + where + b"\0" + framed).hexdigest()[:8]


def check_holds(where: bytes, value: str) -> bool:
    parts = parse(value)
    return parts is not None and parts.check == check_of(
        where, parts.key_id, parts.commitment, parts.body
    )


def committed(value: Any) -> Any:
    """What digests see of a value: a sealed one by its commitment, not its ciphertext."""
    if isinstance(value, str) and value.startswith("fcx2:"):
        return "fcx2:" + value[22:66]
    return value


def holds_sealed(value: Any) -> bool:
    """Does this record (or any part of it) hold a sealed value anywhere?"""
    if isinstance(value, dict):
        return any(holds_sealed(item) for item in value.values())
    if isinstance(value, list):
        return any(holds_sealed(item) for item in value)
    return is_sealed(value)


def wrapped_copy_intact(entry: str) -> bool:
    """Is `<fingerprint>:<base64 age file>` a whole age file for one data key? A truncated or
    damaged copy is caught here, without any key."""
    try:
        blob = base64.b64decode(entry.split(":", 1)[-1], validate=True)
    except (binascii.Error, ValueError):
        return False
    _head, separator, rest = blob.partition(b"\n--- ")
    mac, newline, payload = rest.partition(b"\n")
    return (
        blob.startswith(AGE_HEADER)
        and bool(separator and newline)
        and len(mac) == 43
        and len(payload) == AGE_PAYLOAD
    )
