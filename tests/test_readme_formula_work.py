"""The README's "Formula work" section is a contract: on the sample store, imported, sealed
and signed, these commands print what it shows."""

from __future__ import annotations

import os
import re

import pytest

from conftest import PROJECT, Invoke, Member
from formulactl.store.store import Store

README = (PROJECT / "README.md").read_text(encoding="utf-8")
COMMANDS = (
    "scale F-000014 --size 500kg",
    "cost F-000014 --what-if M-00078=+10%",
    "check F-000014",
    "declare F-000014 --market EU",
    "substitute --replace M-00027 --with M-00081 --where customer=C-00001 --dry-run",
)


def shown(text: str) -> str:
    """As the README shows it: the store's ID, commits, signing times and today vary."""
    text = re.sub(r"fst-[0-9a-f]{32}", "fst-3f0c9a2e5b7d4e18a6c1b9d07e2f4a35", text)
    text = re.sub(r"at commit [0-9a-f]{12}", "at commit 5d2c81e0a4f7", text)
    text = re.sub(
        r"\) at \d{4}-\d\d-\d\dT[0-9:]+[-+]\d\d:\d\d", ") at 2026-11-23T10:15:02+08:00", text
    )
    return re.sub(r"prices of \d{4}-\d\d-\d\d", "prices of 2026-11-23", text)


def test_the_formula_work_section_prints_what_the_readme_shows(
    sample_signed_store: Store,
    invoke: Invoke,
    team_keys: dict[str, Member],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FORMULACTL_IDENTITY", str(team_keys["zhang.min"].key))
    blocks = []
    for command in COMMANDS:
        done = invoke(*command.split(), cwd=sample_signed_store.root)
        assert done.code in (0, 1), done.err
        blocks.append(f"$ formulactl {command}\n{shown(done.out)}")
    if os.environ.get("FORMULACTL_SHOW_README"):
        print("\n".join(blocks))
    for block in blocks:
        assert block in README, f"README no longer shows:\n{block}"
