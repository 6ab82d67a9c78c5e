"""Trusted receive time: the server notes when it received each commit, signed with its own
key, because a commit's own date is whatever the committer's clock said."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from formulactl.git import gitio
from formulactl.git.signatures import sign_sshsig, verify_sshsig
from formulactl.model.sshkeys import key_text

NOTES_REF = "refs/notes/formulactl-received"
NAMESPACE = b"formulactl-received"


@dataclass(frozen=True)
class Receipt:
    time: str  # ISO 8601 with the server's time zone
    valid: bool  # signed by the store's receipts key


def note_text(commit: str, when: datetime, private_key: bytes) -> str:
    stamp = when.isoformat(timespec="seconds")
    signature = sign_sshsig(private_key, NAMESPACE, f"{commit} {stamp}".encode())
    return f"received {stamp}\n{signature.decode('ascii')}\n"


def record(repo: Path, commits: list[str], private_key: Path, when: datetime) -> int:
    """Add a signed receipt note to each commit (kept if one is there already)."""
    secret = private_key.read_bytes()
    known = set(gitio.notes(repo, NOTES_REF))
    fresh = [commit for commit in commits if commit not in known]
    for commit in fresh:
        gitio.add_note(repo, NOTES_REF, commit, note_text(commit, when, secret))
    return len(fresh)


def read(repo: Path, server_key: str | None) -> dict[str, Receipt]:
    """Every receipt, its signature checked against the store's receipts key."""
    found: dict[str, Receipt] = {}
    notes = gitio.notes(repo, NOTES_REF)
    with gitio.CatFile(repo) as objects:
        for commit, blob in notes.items():
            content = objects.read(blob)
            if content is None:
                continue
            text = content[2].decode("utf-8", "replace")
            first, _, armored = text.partition("\n")
            stamp = first.removeprefix("received ").strip()
            verdict = verify_sshsig(
                f"{commit} {stamp}".encode(), armored.strip().encode(), NAMESPACE
            )
            valid = (
                bool(server_key)
                and verdict.status == "good"
                and (verdict.key == key_text(server_key or ""))
            )
            found[commit] = Receipt(stamp, valid)
    return found
