"""Fixtures: an isolated home for every test, real stores in temporary folders, the CLI."""

from __future__ import annotations

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


# The settings formula work reads (currency, rates, product types), as the project keeps them.
FORMULATION_SETTINGS = ("cost_currency", "exchange_rates", "product_types", "exposures")


@pytest.fixture(scope="session")
def built_sample_store(
    tmp_path_factory: pytest.TempPathFactory, team_keys: dict[str, Member]
) -> Path:
    """Once per run: the project's sample records imported, sealed, into a signed store."""
    from formulactl.actions.importing import import_records
    from formulactl.actions.membership import add_person
    from formulactl.crypto.crypto import new_identity
    from formulactl.model.sshkeys import read_public_key
    from formulactl.store import yamlio

    folder = tmp_path_factory.mktemp("sample-signed")
    store = create_store(folder / "store")
    project = yamlio.load_record(
        (PROJECT / "formulactl.yaml").read_bytes(), "formulactl.yaml", 1 << 20
    )
    path = store.root / "formulactl.yaml"
    data = yamlio.load_record(path.read_bytes(), "formulactl.yaml", 1 << 20)
    data.update({name: project[name] for name in FORMULATION_SETTINGS if name in project})
    path.write_text(yamlio.dump(data, store.schema("settings").shape), encoding="utf-8")
    secret, recovery = new_identity()
    (folder / "recovery-identity.txt").write_text(secret + "\n")
    change_settings(store, require=True, recovery=recovery)
    act_as(store, team_keys["chen.jing"])
    for member in team_keys.values():
        add_person(
            store,
            member.id,
            member.name,
            f"{member.id}@example.com",
            list(member.roles),
            read_public_key(member.public),
        )
    import_records(store, SAMPLE_RECORDS, "the sample archive kept before formulactl")
    return store.root


@pytest.fixture
def sample_signed_store(
    built_sample_store: Path, tmp_path: Path, team_keys: dict[str, Member]
) -> Store:
    """A fresh copy of the signed sample store, zhang.min (entry) signing from here on."""
    root = tmp_path / "store"
    shutil.copytree(built_sample_store, root, symlinks=True)
    store = Store(root)
    act_as(store, team_keys["zhang.min"])
    return store
