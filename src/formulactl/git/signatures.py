"""Commit signatures checked in-process: the SSHSIG format, namespace `git`.

Git's own verdict comes from `ssh-keygen`, one process per commit, and its human text says
"Good signature" even for keys nobody trusts. Here a commit's signature is parsed and
verified with `cryptography`, and the answer is the signing public key or a reason: who
that key belongs to is the team file's question, not this module's.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import load_ssh_public_key

MAGIC = b"SSHSIG"
NAMESPACE = b"git"
ARMOR_BEGIN = b"-----BEGIN SSH SIGNATURE-----"
ARMOR_END = b"-----END SSH SIGNATURE-----"
SIGNATURE_HEADERS = (b"gpgsig", b"gpgsig-sha256")
_HASHES = {b"sha512": hashlib.sha512, b"sha256": hashlib.sha256}


@dataclass(frozen=True)
class Verdict:
    """`status` is good, bad, unsigned or unsupported; `key` is `type base64` when good."""

    status: str
    key: str = ""
    reason: str = ""


@dataclass(frozen=True)
class CommitObject:
    """A raw commit split into what was signed and the signature over it."""

    payload: bytes
    signature: bytes
    headers: dict[str, list[str]]
    message: str


def parse_commit(raw: bytes) -> CommitObject:
    """Separate the signature header from the rest, exactly as git does before signing."""
    head, _, body = raw.partition(b"\n\n")
    kept: list[bytes] = []
    signature: list[bytes] = []
    headers: dict[str, list[str]] = {}
    inside_signature = False
    for line in head.split(b"\n"):
        if line.startswith(b" "):  # a continuation of the header above
            if inside_signature:
                signature.append(line[1:])
            else:
                kept.append(line)
            continue
        name, _, value = line.partition(b" ")
        inside_signature = name in SIGNATURE_HEADERS
        if inside_signature:
            signature.append(value)
        else:
            kept.append(line)
            headers.setdefault(name.decode("ascii", "replace"), []).append(
                value.decode("utf-8", "replace")
            )
    payload = b"\n".join(kept) + b"\n\n" + body
    return CommitObject(payload, b"\n".join(signature), headers, body.decode("utf-8", "replace"))


def verify_commit(raw: bytes) -> Verdict:
    return verify_parsed(parse_commit(raw))


def verify_parsed(commit: CommitObject) -> Verdict:
    if not commit.signature:
        return Verdict("unsigned")
    if not commit.signature.startswith(ARMOR_BEGIN):
        return Verdict("unsupported", reason="not an SSH signature (GPG is not verified here)")
    return verify_sshsig(commit.payload, commit.signature)


def verify_sshsig(message: bytes, armored: bytes, expected: bytes = NAMESPACE) -> Verdict:
    """Check an armored SSHSIG over `message` in namespace `expected` (`git` for commits)."""
    try:
        blob = base64.b64decode(armored.replace(ARMOR_BEGIN, b"").replace(ARMOR_END, b""))
        reader = _Reader(blob)
        if reader.take(6) != MAGIC or reader.uint32() != 1:
            return Verdict("bad", reason="not an SSHSIG version 1 signature")
        public_key, namespace = reader.string(), reader.string()
        reader.string()  # reserved
        hash_name, signature = reader.string(), reader.string()
    except (ValueError, IndexError, struct.error):
        return Verdict("bad", reason="the signature is malformed")
    if namespace != expected:
        return Verdict("bad", reason=f"signature namespace is {namespace!r}, not {expected!r}")
    if hash_name not in _HASHES:
        return Verdict("bad", reason="unknown hash in the signature")
    signed = (
        MAGIC
        + _string(namespace)
        + _string(b"")
        + _string(hash_name)
        + _string(_HASHES[hash_name](message).digest())
    )
    key_text = public_key_text(public_key)
    if not _valid(public_key, signature, signed):
        return Verdict("bad", key=key_text, reason="the signature does not match the commit")
    return Verdict("good", key=key_text)


def public_key_text(blob: bytes) -> str:
    """`ssh-ed25519 AAAA…`: the form team.yaml lists keys in."""
    key_type = _Reader(blob).string()
    return key_type.decode("ascii", "replace") + " " + base64.b64encode(blob).decode("ascii")


@functools.lru_cache(maxsize=256)
def _load_key(text: str) -> object:
    """A team has few keys and history repeats them: load each once."""
    return load_ssh_public_key(text.encode())


def _valid(public_key: bytes, signature: bytes, signed: bytes) -> bool:
    try:
        key = _load_key(public_key_text(public_key))
        reader = _Reader(signature)
        algorithm, raw = reader.string(), reader.string()
        if isinstance(key, ed25519.Ed25519PublicKey) and algorithm == b"ssh-ed25519":
            key.verify(raw, signed)
        elif isinstance(key, rsa.RSAPublicKey) and algorithm in (b"rsa-sha2-512", b"rsa-sha2-256"):
            digest = hashes.SHA512() if algorithm == b"rsa-sha2-512" else hashes.SHA256()
            key.verify(raw, signed, padding.PKCS1v15(), digest)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm.startswith(b"ecdsa-sha2-"):
            numbers = _Reader(raw)
            der = encode_dss_signature(numbers.mpint(), numbers.mpint())
            key.verify(der, signed, ec.ECDSA(_ECDSA_HASHES[key.curve.name]))
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, IndexError, struct.error):
        return False
    return True


_ECDSA_HASHES: dict[str, hashes.HashAlgorithm] = {
    "secp256r1": hashes.SHA256(),
    "secp384r1": hashes.SHA384(),
    "secp521r1": hashes.SHA512(),
}


def _string(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


class _Reader:
    """Reads the SSH wire format: uint32 lengths followed by bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def take(self, size: int) -> bytes:
        if self.at + size > len(self.data):
            raise ValueError("truncated")
        chunk = self.data[self.at : self.at + size]
        self.at += size
        return chunk

    def uint32(self) -> int:
        value: int = struct.unpack(">I", self.take(4))[0]
        return value

    def string(self) -> bytes:
        return self.take(self.uint32())

    def mpint(self) -> int:
        return int.from_bytes(self.string(), "big", signed=True)


def sign_sshsig(private_key: bytes, namespace: bytes, message: bytes) -> bytes:
    """An armored SSHSIG over `message` with an unencrypted ed25519 OpenSSH key (a server's
    own key, for receipts), in the format `verify_sshsig` and `ssh-keygen -Y verify` read."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_ssh_private_key(private_key, password=None)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise ValueError("receipts are signed with an ed25519 key")
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    blob = base64.b64decode(public.split()[1])
    signed = (
        MAGIC
        + _string(namespace)
        + _string(b"")
        + _string(b"sha512")
        + _string(hashlib.sha512(message).digest())
    )
    signature = _string(b"ssh-ed25519") + _string(key.sign(signed))
    body = (
        MAGIC
        + struct.pack(">I", 1)
        + _string(blob)
        + _string(namespace)
        + _string(b"")
        + _string(b"sha512")
        + _string(signature)
    )
    text = base64.b64encode(body).decode("ascii")
    lines = [text[index : index + 70] for index in range(0, len(text), 70)]
    return b"\n".join([ARMOR_BEGIN, *(line.encode() for line in lines), ARMOR_END])
