"""In-process SSHSIG checks agree with git's own verdict on every commit."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import Member, commit_as, edit_record, git, make_key
from formulactl.git.signatures import parse_commit, verify_commit
from formulactl.model.sshkeys import key_text
from formulactl.model.team import Team
from formulactl.store.store import Store


def keygen(folder: Path, name: str, kind: str) -> Path:
    key = folder / name
    bits = {"rsa": ["-b", "3072"], "ecdsa": ["-b", "256"]}.get(kind, [])
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, *bits, "-N", "", "-C", name, "-f", str(key)], check=True
    )
    return key


def raw_commit(root: Path, revision: str) -> bytes:
    return subprocess.run(
        ["git", "-C", str(root), "cat-file", "commit", revision], capture_output=True, check=True
    ).stdout


def git_says_good(root: Path, revision: str, allowed: Path) -> bool:
    done = subprocess.run(
        [
            "git",
            "-C",
            str(root),
            "-c",
            f"gpg.ssh.allowedSignersFile={allowed}",
            "verify-commit",
            revision,
        ],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def test_rsa_and_ecdsa_keys_verify_too(signed_store: Store, tmp_path: Path) -> None:
    for kind in ("rsa", "ecdsa", "ed25519"):
        key = keygen(tmp_path, kind, kind)
        edit_record(signed_store, "customers/C-00002.yaml", industry=kind)
        commit_as(signed_store.root, key, f"signed with {kind}")
        verdict = verify_commit(raw_commit(signed_store.root, "HEAD"))
        public = key.with_name(key.name + ".pub").read_text()
        assert (verdict.status, verdict.key) == ("good", key_text(public))


def test_a_tampered_commit_fails(signed_store: Store) -> None:
    raw = raw_commit(signed_store.root, "HEAD")
    assert verify_commit(raw).status == "good"
    assert verify_commit(raw.replace(b"import", b"imp0rt", 1)).status == "bad"


def test_the_payload_is_the_commit_without_its_signature(signed_store: Store) -> None:
    raw = raw_commit(signed_store.root, "HEAD")
    commit = parse_commit(raw)
    assert b"gpgsig" not in commit.payload
    assert commit.signature.startswith(b"-----BEGIN SSH SIGNATURE-----")
    assert raw.startswith(commit.payload.split(b"\n\n")[0].split(b"\ncommitter")[0])


def test_in_process_verdicts_agree_with_git_verify_commit(
    signed_store: Store, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    root = signed_store.root
    stranger = make_key(tmp_path / "keys", "stranger")
    rsa = keygen(tmp_path, "rsa-stranger", "rsa")
    for signer in (team_keys["li.wei"], None, stranger, rsa, team_keys["chen.jing"]):
        edit_record(signed_store, "customers/C-00002.yaml", industry=str(signer))
        commit_as(root, signer, "change")
    tampered = raw_commit(root, "HEAD").replace(b"change", b"chAnge")
    forged = subprocess.run(
        ["git", "-C", str(root), "hash-object", "-t", "commit", "-w", "--stdin"],
        input=tampered,
        capture_output=True,
        check=True,
    )
    revisions = [*git(root, "rev-list", "HEAD").split(), forged.stdout.decode().strip()]
    team = Team.from_data(signed_store.load_checked("team.yaml", "team"))
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(
        "".join(
            f'{p.email} namespaces="git" {k.key}\n' for p in team.people.values() for k in p.keys
        )
    )
    verdicts = []
    for revision in revisions:
        verdict = verify_commit(raw_commit(root, revision))
        ours = verdict.status == "good" and team.signer(verdict.key) is not None
        assert ours == git_says_good(root, revision, allowed), revision
        verdicts.append(ours)
    assert verdicts.count(False) == 4  # unsigned, two strangers, the tampered copy


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"-----BEGIN SSH SIGNATURE-----\n!!!\n-----END SSH SIGNATURE-----",
        b"-----BEGIN PGP SIGNATURE-----\nxx\n",
    ],
)
def test_malformed_signatures_are_bad_not_errors(signed_store: Store, garbage: bytes) -> None:
    raw = raw_commit(signed_store.root, "HEAD")
    head, _, body = raw.partition(b"\n\n")
    lines = [line for line in head.split(b"\n") if not line.startswith((b"gpgsig", b" "))]
    if garbage:
        lines.append(b"gpgsig " + b"\n ".join(garbage.split(b"\n")))
    verdict = verify_commit(b"\n".join(lines) + b"\n\n" + body)
    assert verdict.status in ("bad", "unsigned", "unsupported")
