"""Fixtures: an isolated home for every test, real stores in temporary folders, the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from formulactl.cli import run
from formulactl.store.store import Store, create_store

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


def run_cli(
    *args: str | Path,
    cwd: Path,
    env: dict[str, str] | None = None,
    stdin: str | None = "",
) -> Result:
    """Run the real `formulactl` in a process of its own, as a shell would: its own standard
    streams and their encoding; `stdin=None` starts it with standard input closed."""
    command = [sys.executable, "-m", "formulactl", *map(str, args)]
    if stdin is None:
        command = ["sh", "-c", 'exec "$@" <&-', "sh", *command]
    done = subprocess.run(
        command,
        cwd=cwd,
        input=(stdin or "").encode() if stdin is not None else None,
        capture_output=True,
        env={**os.environ, **(env or {})},
        check=False,
        start_new_session=True,  # no terminal to ask a passphrase or anything else on
    )
    out, err = (stream.decode("utf-8", "replace") for stream in (done.stdout, done.stderr))
    return Result(done.returncode, out, err)


@pytest.fixture
def empty_store(tmp_path: Path) -> Store:
    return create_store(tmp_path / "store")


@pytest.fixture
def sample_store(empty_store: Store) -> Store:
    """A new store holding a copy of the project's sample records."""
    target = empty_store.root / "records"
    shutil.copytree(SAMPLE_RECORDS, target, dirs_exist_ok=True)
    return empty_store


def change_settings(store: Store, **encryption: object) -> None:
    """Change `encryption` settings in formulactl.yaml (before the store is founded)."""
    from formulactl.store import yamlio

    path = store.root / "formulactl.yaml"
    data = yamlio.load_record(path.read_bytes(), "formulactl.yaml", 1 << 20)
    data["encryption"] = dict(data.get("encryption", {}), **encryption)
    path.write_text(yamlio.dump(data, store.schema("settings").shape), encoding="utf-8")
    store.__dict__.pop("settings", None)


@pytest.fixture
def small_store(empty_store: Store) -> Store:
    """A store with a handful of valid, linked records kept in plain text, as before
    formulactl (see records_fixture.py); this store does not require sealing."""
    from records_fixture import write_records

    change_settings(empty_store, require=False)
    return write_records(empty_store)


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    roles: tuple[str, ...]
    key: Path  # the private key; its public half is key + ".pub"

    @property
    def public(self) -> Path:
        return self.key.with_name(self.key.name + ".pub")


# The team every signed test store starts with.
TEAM = (
    ("chen.jing", "陈静 Chen Jing", ("approver",)),  # founds the store, so also admin
    ("zhang.min", "张敏 Zhang Min", ("entry",)),
    ("wang.fang", "王芳 Wang Fang", ("entry", "approver")),
    ("li.wei", "李伟 Li Wei", ("entry", "reviewer")),
)


def make_key(folder: Path, name: str) -> Path:
    """A real, throwaway ed25519 key pair made by ssh-keygen."""
    folder.mkdir(parents=True, exist_ok=True)
    key = folder / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True
    )
    return key


@pytest.fixture(scope="session")
def team_keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Member]:
    folder = tmp_path_factory.mktemp("keys")
    return {
        person_id: Member(person_id, name, roles, make_key(folder, person_id))
        for person_id, name, roles in TEAM
    }


def act_as(store: Store, member: Member) -> None:
    """Sign the next commits in this store's repository as `member`."""
    from formulactl.actions.signing import setup_signing

    setup_signing(store, member.key, f"{sys.executable} -m formulactl")
    store.__dict__.pop("team", None)


@pytest.fixture
def signed_store(small_store: Store, team_keys: dict[str, Member], tmp_path: Path) -> Store:
    """The small store founded by chen.jing, with the whole team, its records imported in an
    admin's signed commit, and zhang.min (entry) signing from here on."""
    from formulactl.actions.importing import import_records
    from formulactl.actions.membership import add_person
    from formulactl.crypto.crypto import new_identity
    from formulactl.model.sshkeys import read_public_key

    staged = tmp_path / "to-import"
    shutil.copytree(small_store.root / "records", staged)
    for record in (small_store.root / "records").glob("*/*.yaml"):
        record.unlink()
    secret, recovery = new_identity()
    (tmp_path / "recovery-identity.txt").write_text(secret + "\n")
    change_settings(small_store, require=True, recovery=recovery)
    founder = team_keys["chen.jing"]
    act_as(small_store, founder)
    for member in team_keys.values():
        add_person(
            small_store,
            member.id,
            member.name,
            f"{member.id}@example.com",
            list(member.roles),
            read_public_key(member.public),
        )
    import_records(small_store, staged, "the records kept before formulactl")
    act_as(small_store, team_keys["zhang.min"])
    return small_store
