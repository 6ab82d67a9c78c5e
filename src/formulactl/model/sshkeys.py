"""SSH public keys as one line of text, read from key files; shared by signing and age
recipients."""

from __future__ import annotations

from pathlib import Path

from formulactl.errors import FormulaError

# The SSH key types age can encrypt to; ECDSA keys sign commits but cannot receive secrets.
AGE_KEY_TYPES = ("ssh-ed25519", "ssh-rsa")


def is_age_recipient(key: str) -> bool:
    return key.split(" ", 1)[0] in AGE_KEY_TYPES


def key_text(line: str) -> str:
    """`ssh-ed25519 AAAA… comment` → `ssh-ed25519 AAAA…`: a key's identity without its label."""
    parts = line.split()
    return " ".join(parts[:2])


def public_key_of(private_key: Path) -> str:
    """The public half of an SSH private key file (from KEY.pub, or from the key itself)."""
    if private_key.name.endswith(".pub"):
        raise FormulaError(
            "this is a public key",
            "give the private key file; its .pub file is found beside it",
            str(private_key),
            rule="usage",
        )
    companion = private_key.with_name(private_key.name + ".pub")
    if companion.is_file():
        return key_text(companion.read_text(encoding="utf-8", errors="replace"))
    # cryptography only when a key has no .pub beside it: every command reads the team's
    # keys as text, few ever parse a private key.
    from cryptography.hazmat.primitives import serialization

    try:
        loaded = serialization.load_ssh_private_key(private_key.read_bytes(), password=None)
    except FileNotFoundError:
        raise FormulaError(
            "no such file", "check the path", str(private_key), rule="usage"
        ) from None
    except (ValueError, TypeError):
        raise FormulaError(
            "cannot read the public key of this key file",
            f"put its public key next to it as {companion.name}",
            str(private_key),
            rule="usage",
        ) from None
    public = loaded.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return key_text(public.decode("ascii"))


def read_public_key(path: Path) -> str:
    """A public key file's key (`--key` of `team add`)."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise FormulaError(
            f"cannot be read ({getattr(error, 'strerror', None) or error})",
            "give an SSH public key file",
            str(path),
            rule="usage",
        ) from None
    key = key_text(text)
    if not key.startswith(("ssh-ed25519 ", "ssh-rsa ", "ecdsa-sha2-")) or len(key.split()) != 2:
        raise FormulaError(
            "this is not an SSH public key",
            "give the .pub file, such as ~/.ssh/id_ed25519.pub",
            str(path),
            rule="usage",
        )
    return key
