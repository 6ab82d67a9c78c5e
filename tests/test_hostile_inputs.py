"""Hostile files give one clear line and exit 2, promptly, never a traceback or a hang."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from formulactl.store.store import Store

BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)


def write_hostile(store: Store, name: str, content: bytes) -> Path:
    path = store.root / "records" / "formulas" / name
    path.write_bytes(content)
    return path


def run_cli(store: Store, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command in its own process; the timeout only guards against a hang."""
    return subprocess.run(
        [sys.executable, "-m", "formulactl", *args],
        cwd=store.root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (BOMB.encode(), "anchors (`&a`) are not allowed"),
        (b"id: F-000001\nproduct: " + b"x" * (50 * 1024 * 1024) + b"\n", "over the 1.0 MB limit"),
        (b"id: F-000001\nproduct: caf\xe9\n", "not valid UTF-8"),
        (b"id: F-000001\ningredients:\n\t- material: M-00001\n", "tabs"),
        (b"- id: F-000001\n- product: x\n", "a record must be a mapping"),
    ],
    ids=["alias-bomb", "50MB", "invalid-utf8", "tab-indented", "list-not-mapping"],
)
def test_hostile_file_gives_one_line_and_exit_2(
    empty_store: Store, content: bytes, words: str
) -> None:
    write_hostile(empty_store, "F-000001.yaml", content)
    done = run_cli(empty_store, "validate")
    assert done.returncode == 2
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("records/formulas/F-000001.yaml")
    assert words in lines[0]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "command", [["show", "F-000001"], ["set", "F-000001", "product=x"], ["fmt"], ["fmt", "--check"]]
)
def test_every_command_refuses_a_hostile_file_in_one_line(
    empty_store: Store, command: list[str]
) -> None:
    path = write_hostile(empty_store, "F-000001.yaml", BOMB.encode())
    done = run_cli(empty_store, *command)
    assert done.returncode == 2
    assert "anchors" in done.stderr
    assert "Traceback" not in done.stderr
    assert path.read_bytes() == BOMB.encode()


@pytest.mark.parametrize(
    "record_id", ["--upload-pack=x", "../../etc/passwd", "F-1/../../x", "F-000001;rm", "-h"]
)
def test_hostile_ids_are_refused_before_any_use(empty_store: Store, record_id: str) -> None:
    done = run_cli(empty_store, "show", "--", record_id)
    assert done.returncode == 2
    assert "is not a record ID" in done.stderr
    assert "Traceback" not in done.stderr
