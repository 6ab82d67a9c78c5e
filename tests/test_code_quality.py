"""The code passes `mypy --strict` and the linter, as part of the one test command."""

from __future__ import annotations

import subprocess
import sys

from conftest import PROJECT
from formulactl.store import yamlio


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=PROJECT, capture_output=True, text=True, check=False
    )


def test_mypy_strict_passes_on_src() -> None:
    done = run_tool("mypy")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_lint_and_format_pass() -> None:
    lint = run_tool("ruff", "check", "src", "tests", "bench")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    layout = run_tool("ruff", "format", "--check", "src", "tests", "bench")
    assert layout.returncode == 0, layout.stdout + layout.stderr


def test_the_fast_libyaml_parser_is_in_use() -> None:
    assert yamlio._Parser.__module__ == "yaml._yaml"
