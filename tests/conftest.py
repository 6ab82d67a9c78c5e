"""Fixtures: an isolated home for every test, real stores in temporary folders, the CLI."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from formulactl.cli import run
from formulactl.store import Store, create_store

PROJECT = Path(__file__).resolve().parent.parent
SAMPLE_RECORDS = PROJECT / "records"


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """No test can read or change the user's own keys or git config."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in (
        "FORMULACTL_STORE",
        "FORMULACTL_IDENTITY",
        "EDITOR",
        "VISUAL",
        "GIT_DIR",
        "GIT_WORK_TREE",
        "SSH_AUTH_SOCK",
    ):
        monkeypatch.delenv(name, raising=False)
    yield home


@dataclass
class Result:
    code: int
    out: str
    err: str


Invoke = Callable[..., Result]


@pytest.fixture
def invoke(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """Run `formulactl ARGS…` in this process, from `cwd`, and capture what it printed."""

    def call(*args: str | Path, cwd: Path | None = None) -> Result:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = run([str(arg) for arg in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return call


@pytest.fixture
def empty_store(tmp_path: Path) -> Store:
    return create_store(tmp_path / "store")


@pytest.fixture
def sample_store(empty_store: Store) -> Store:
    """A new store holding a copy of the project's sample records."""
    target = empty_store.root / "records"
    shutil.copytree(SAMPLE_RECORDS, target, dirs_exist_ok=True)
    return empty_store


@pytest.fixture
def small_store(empty_store: Store) -> Store:
    """A store with a handful of valid, linked records (see records_fixture.py)."""
    from records_fixture import write_records

    return write_records(empty_store)
