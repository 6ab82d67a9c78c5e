"""The README's traceability tour is a contract: a complaint traced back to a lot and
forward to every customer who got it prints what the README shows."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import PROJECT, SAMPLE_RECORDS, Invoke, Member

README = (PROJECT / "README.md").read_text(encoding="utf-8")
VARYING = ("(at ", "[good]")  # commit IDs and signing times differ on every run


def shown_in_readme(output: str) -> None:
    for line in output.splitlines():
        if line.strip() and not any(mark in line for mark in VARYING):
            assert line.rstrip() + "\n" in README, f"README no longer shows: {line}"


def test_the_traceability_tour_prints_what_the_readme_shows(
    invoke: Invoke, tmp_path: Path, team_keys: dict[str, Member]
) -> None:
    chen = team_keys["chen.jing"]
    assert invoke("init", "acme-store", cwd=tmp_path).code == 0
    root = tmp_path / "acme-store"
    # the tour signs with ~/.ssh/id_ed25519, which is also the default key to decrypt with
    (Path.home() / ".ssh").mkdir(exist_ok=True)
    shutil.copy(chen.key, Path.home() / ".ssh" / "id_ed25519")
    assert invoke("setup-signing", "--key", chen.key, cwd=root).code == 0
    founded = invoke(
        "team",
        "add",
        "chen.jing",
        "--name",
        "陈静 Chen Jing",
        "--email",
        "c@example.com",
        "--role",
        "entry",
        "--role",
        "approver",
        "--key",
        chen.public,
    )
    assert founded.code == 0, founded.err
    assert invoke("import", SAMPLE_RECORDS, "--reason", "archive").code == 0
    for command in (
        ("list", "feedback", "--where", "type=complaint", "--where", "status=investigating"),
        ("trace", "B-20261120-001"),
        ("trace", "--lot", "RH2611-2207"),
    ):
        done = invoke(*command)
        assert done.code == 0, done.err
        shown_in_readme(done.out)
    for command in (
        ("recall", "--lot", "RH2611-2207", "--format", "markdown"),
        ("where-used", "M-00011"),
        ("where-used", "--lot", "RH2611-2207", "--material", "M-00011"),
        ("active", "F-000003", "--on", "2099-12-31"),
    ):
        assert invoke(*command).code == 0
