"""Fixtures: an isolated home for every test, real stores in temporary folders, the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from formulactl.cli.root import run
from formulactl.model.workflow import content_digest
from formulactl.store import yamlio
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


# ------------------------------------------------------------------ git and commit helpers


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in `root` and return its output; any failure fails the test."""
    done = subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    return done.stdout.strip()


def head(store: Store) -> str:
    """The current commit, or "" in a repository without commits."""
    done = subprocess.run(
        ["git", "-C", str(store.root), "rev-parse", "--verify", "--quiet", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip()


def trailers(store: Store, revision: str = "HEAD") -> dict[str, str]:
    """The `Formulactl-*` trailers of a commit message, as `git log` shows it."""
    found = {}
    for line in git(store.root, "log", "-1", "--format=%B", revision).splitlines():
        name, _, value = line.partition(": ")
        if name.startswith("Formulactl-"):
            found[name.removeprefix("Formulactl-")] = value
    return found


def subject(store: Store) -> str:
    return git(store.root, "log", "-1", "--format=%s")


def signer_email(store: Store) -> str:
    """Who git says signed the last commit (by the allowed-signers file formulactl writes)."""
    verdict, email = git(store.root, "log", "-1", "--format=%G? %GS").split(" ", 1)
    assert verdict == "G"
    return email


def load(store: Store, path: str) -> dict[str, Any]:
    return yamlio.load_record((store.root / path).read_bytes(), path, 1 << 20)


def step(store: Store, invoke: Invoke, *args: str | Path, who: Member | None = None) -> Result:
    """Run one command (as `who`, if given) and insist it succeeded."""
    if who is not None:
        act_as(store, who)
    done = invoke(*args, cwd=store.root)
    assert done.code == 0, done.err
    return done


def assert_refused(store: Store, done: Result, before: str, message: str) -> None:
    """Exit 2, exactly one line saying why, no commit and no change in the working tree."""
    assert (done.code, done.out, done.err) == (2, "", f"formulactl: {message}\n")
    assert head(store) == before
    assert git(store.root, "status", "--porcelain") == ""


def history_is_clean(store: Store, invoke: Invoke) -> None:
    done = invoke("validate", "--history", cwd=store.root)
    assert (done.code, done.out) == (0, ""), done.err
    assert done.err.endswith(", 0 findings\n")


def commit_as(
    root: Path,
    signer: Member | Path | None,
    message: str,
    env: dict[str, str] | None = None,
    email: str | None = None,
) -> str:
    """Stage everything and commit it by hand, signed with `signer`'s key or unsigned, as
    `email` when given. Returns the new commit."""
    git(root, "add", "-A")
    who = ["-c", f"user.email={email}"] if email else []
    if signer is None:
        git(root, *who, "commit", "-q", "--no-gpg-sign", "-m", message, env=env)
    else:
        key = signer.key if isinstance(signer, Member) else signer
        git(
            root, *who, "-c", f"user.signingkey={key}", "commit", "-q", "-S", "-m", message, env=env
        )
    return git(root, "rev-parse", "HEAD")


def edit_record(store: Store, name: str, **changes: object) -> dict[str, object]:
    path = store.root / "records" / name
    data = yamlio.load_record(path.read_bytes(), name, 1 << 20)
    data.update(changes)
    path.write_text(yamlio.dump(data, None), encoding="utf-8")
    return data


def edit_yaml(store: Store, name: str, kind: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Load a store file (team.yaml, formulactl.yaml), change it, write it back canonical."""
    path = store.root / name
    data = yamlio.load_record(path.read_bytes(), name, 1 << 20)
    change(data)
    path.write_text(yamlio.dump(data, store.schema(kind).shape), encoding="utf-8")


def hand_approval(store: Store, name: str, approver: Member, **extra: object) -> str:
    """An approval commit made without formulactl, with the trailers it would write."""
    data = edit_record(store, name, status="approved", review_due="2027-11-23", **extra)
    ref = f"{data['id']}@{data['version']}"
    message = (
        f"approve {ref}\n\nFormulactl-Action: approve\nFormulactl-Record: {ref}\n"
        f"Formulactl-Meaning: approved\nFormulactl-Approves: {ref} {content_digest(data)}"
    )
    return commit_as(store.root, approver, message)


def findings(invoke: Invoke, store: Store, *args: str) -> tuple[int, list[dict[str, str]]]:
    done = invoke("validate", "--history", *args, "--json", cwd=store.root)
    return done.code, json.loads(done.out)


def rules(invoke: Invoke, store: Store) -> set[str]:
    return {finding["rule"] for finding in findings(invoke, store)[1]}


def push(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(clone), "push", "origin", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def branch_at(bare: Path) -> str:
    return git(bare, "rev-parse", "main")


def raw(store: Store, name: str) -> dict[str, Any]:
    path = store.root / "records" / name
    return yamlio.load_record(path.read_bytes(), name, 1 << 20)


def write_raw(store: Store, name: str, data: dict[str, Any]) -> None:
    shape = store.schema(store.kind_of(str(data["id"]))).shape
    (store.root / "records" / name).write_text(yamlio.dump(data, shape), encoding="utf-8")


# ------------------------------------------------ the sample records the workflow tests use

C2 = "records/customers/C-00002.yaml"
FB = "FB-20261110-9b1e"
FB_PATH = f"records/feedback/{FB}.yaml"
NOT_DRAFT_HINT = "run `formulactl revise ID --reason …` to start the next version"


def interval(store: Store, kind: str) -> int:
    days: int = load(store, "formulactl.yaml")["review_interval_days"][kind]
    return days


def in_days(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def submitted(store: Store, invoke: Invoke, keys: dict[str, Member]) -> None:
    """C-00002, a draft customer, submitted for review by zhang.min."""
    step(store, invoke, "submit", "C-00002", who=keys["zhang.min"])


# ------------------------------------------------------------------ records to import


def importable(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return folder


OVERDUE_SUPPLIER = """\
id: S-0002
name: 江苏某化工
qualification: conditional
status: approved
version: 1
review_due: "2020-01-31"
"""

NEW_MATERIAL = """\
id: M-00003
name: 碳酸钙
cas: 471-34-1
status: draft
version: 1
"""


def run_guarded(
    cwd: Path, *args: str | Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`formulactl ARGS…` in its own process, for inputs that could hang or read without end:
    the timeout and a 4 GB address-space cap turn such a bug into a failed test, not a stalled
    or swapping machine."""
    import resource

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))

    return subprocess.run(
        [sys.executable, "-m", "formulactl", *(str(arg) for arg in args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=cap_memory,
        check=False,
    )


def start(root: Path, *args: str) -> subprocess.Popen[str]:
    """`formulactl ARGS…` as a process of its own in `root`, to run at once with others or
    to kill halfway."""
    return subprocess.Popen(
        [sys.executable, "-m", "formulactl", *args],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def server(signed_store: Store, tmp_path: Path, invoke: Invoke) -> tuple[Path, Path]:
    """A bare repository with the server hooks, and the server's own receipts key."""
    bare = tmp_path / "server.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(signed_store.root), str(bare)], check=True)
    key = make_key(tmp_path / "server-keys", "server")
    done = invoke("hooks", "install", "--server", "--repo", bare, "--key", key)
    assert done.code == 0, done.err
    return bare, key


@pytest.fixture
def clone(server: tuple[Path, Path], tmp_path: Path, team_keys: dict[str, Member]) -> Store:
    """zhang.min's clone of the server."""
    target = tmp_path / "zhang"
    subprocess.run(["git", "clone", "-q", str(server[0]), str(target)], check=True)
    store = Store(target)
    act_as(store, team_keys["zhang.min"])
    return store


# ------------------------------------------------------------------ traceability


@pytest.fixture
def trace_store(signed_store: Store, team_keys: dict[str, Member], tmp_path: Path) -> Store:
    """The signed store plus the traceability records (see trace_fixture.py), imported by
    the admin in one signed commit; zhang.min (entry) signs from here on."""
    from formulactl.actions.importing import import_records
    from trace_fixture import write_trace_records

    staged = tmp_path / "trace-records"
    write_trace_records(staged)
    act_as(signed_store, team_keys["chen.jing"])
    import_records(signed_store, staged, "traceability records")
    act_as(signed_store, team_keys["zhang.min"])
    return signed_store


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


# ------------------------------------------------------------------ the customer archive


def new_customer(name: str, owner: str = "zhang.min") -> list[str]:
    """The `--set` arguments of `new customer` for a potential class-C customer."""
    fields = (f"name={name}", "type=potential", "class=C", f"owner={owner}")
    return [part for field in fields for part in ("--set", field)]


@pytest.fixture
def report_store(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], tmp_path: Path
) -> Store:
    """The signed small store for the HTML report: three surveys (see html_fixture.py)
    imported by the admin, and C-00002 submitted for review by zhang.min."""
    from html_fixture import SURVEYS

    source = importable(tmp_path / "surveys-in", SURVEYS)
    step(
        signed_store, invoke, "import", source, "--reason", "满意度调查", who=team_keys["chen.jing"]
    )
    step(signed_store, invoke, "submit", "C-00002", who=team_keys["zhang.min"])
    return signed_store
