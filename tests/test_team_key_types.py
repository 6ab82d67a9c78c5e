"""A team member must be able to receive encrypted data: age encrypts to ed25519 and RSA SSH
keys, not ECDSA ones, and one such member would break sealing for the whole team."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import Invoke, Member, act_as, git
from formulactl.model.sshkeys import key_text
from formulactl.model.team import Team
from formulactl.store.store import Store


def keygen(folder: Path, kind: str) -> Path:
    """A real key pair of `kind` (ecdsa, rsa) made by ssh-keygen; returns the public half."""
    key = folder / kind
    bits = {"rsa": ["-b", "3072"], "ecdsa": ["-b", "256"]}[kind]
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, *bits, "-N", "", "-C", kind, "-f", str(key)], check=True
    )
    return key.with_name(f"{kind}.pub")


def add(invoke: Invoke, store: Store, person_id: str, key: Path) -> tuple[int, str]:
    done = invoke(
        "team",
        "add",
        person_id,
        "--name",
        person_id,
        "--email",
        f"{person_id}@example.com",
        "--role",
        "approver",
        "--key",
        key,
        cwd=store.root,
    )
    return done.code, done.err


def test_team_add_refuses_an_ecdsa_key_in_one_line_and_accepts_rsa(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> None:
    act_as(signed_store, team_keys["chen.jing"])
    head = git(signed_store.root, "rev-parse", "HEAD")
    code, err = add(invoke, signed_store, "zhou.ec", keygen(tmp_path, "ecdsa"))
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "ecdsa-sha2-nistp256 key cannot receive encrypted data" in err
    assert "ssh-keygen -t ed25519" in err
    assert git(signed_store.root, "rev-parse", "HEAD") == head
    assert add(invoke, signed_store, "zhou.rsa", keygen(tmp_path, "rsa"))[0] == 0


def test_validate_reports_an_ecdsa_only_member_of_a_hand_edited_team(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    public = key_text(keygen(tmp_path, "ecdsa").read_text())
    team = signed_store.root / "team.yaml"
    team.write_text(
        team.read_text() + f"  - id: zhou.ec\n    name: Zhou\n    email: zhou@example.com\n"
        f"    roles:\n      - approver\n    keys:\n      - key: {public}\n"
    )
    done = invoke("validate", "--json", cwd=signed_store.root)
    found = [f for f in json.loads(done.out) if f["rule"] == "team-key-type"]
    assert done.code == 1
    assert [(f["path"], f["line"]) for f in found] == [
        ("team.yaml", len(team.read_text().splitlines()))
    ]
    team.write_text(team.read_text() + f"    age:\n      - age1{'q' * 58}\n")
    again = invoke("validate", "--json", cwd=signed_store.root)
    assert not [f for f in json.loads(again.out or "[]") if f["rule"] == "team-key-type"]


def test_sealing_skips_an_ecdsa_key_and_uses_the_persons_age_recipient() -> None:
    person = {
        "id": "zhou.ec",
        "name": "Zhou",
        "email": "zhou@example.com",
        "roles": ["approver"],
        "keys": [{"key": "ecdsa-sha2-nistp256 AAAA"}, {"key": "ssh-ed25519 AAAB"}],
        "age": ["age1xyz"],
    }
    recipients = Team.from_data({"people": [person]}).people["zhou.ec"].recipients()
    assert recipients == ["ssh-ed25519 AAAB", "age1xyz"]
