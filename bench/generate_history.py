"""Generate a store whose history is thousands of SSH-signed workflow commits, deterministically.

    python bench/generate_history.py /tmp/history-store               # 10,000 commits
    python bench/generate_history.py /tmp/small --commits 500

git 2.39's fast-import cannot sign and `git commit -S` runs ssh-keygen once per commit, so
the objects are written here: blobs, trees and commits as zlib-compressed loose objects,
each commit signed the way git signs with an SSH key (an armored SSHSIG in namespace `git`
over the commit without its `gpgsig` header). Keys come from the seed, so the same seed
gives the same commit IDs every time. Every commit passes `formulactl validate --history`.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import random
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parent))
from formulactl.model.kinds import KINDS, SETTINGS_FILE, TEAM_FILE
from formulactl.model.workflow import content_digest, next_review, record_ref, trailer_lines
from formulactl.store import yamlio
from formulactl.store.store import Store
from generate import SEED, customer, formula, formulactl_command, material, percents, supplier

ZONE = timezone(timedelta(hours=8))
OFFSET = "+0800"
START = datetime(2025, 1, 6, 8, 30, tzinfo=ZONE)
KEYS_DIR = "bench-keys"  # inside the store's .git folder: never part of the store
MAGIC = b"SSHSIG"
# Creation order within each wave: what a record refers to exists before it.
KIND_SHARES = {"supplier": 5, "material": 30, "customer": 15, "formula": 50}
WAVES = 4
REASONS = [
    "customer asked for lower VOC",
    "second source for a raw material",
    "trial batch showed foaming",
    "annual review found outdated data",
    "price change from the supplier",
    "new test method for viscosity",
]


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    email: str
    roles: tuple[str, ...]


TEAM = (
    Member("wang.fang", "王芳", "wang.fang@example.com", ("admin", "approver")),
    Member("li.wei", "李伟", "li.wei@example.com", ("entry",)),
    Member("zhang.min", "张敏", "zhang.min@example.com", ("entry", "reviewer")),
    Member("chen.jie", "陈杰", "chen.jie@example.com", ("entry", "approver")),
)
ADMIN = TEAM[0]


def ssh_string(value: bytes) -> bytes:
    """The SSH wire format's string: uint32 length, then the bytes."""
    return struct.pack(">I", len(value)) + value


class SshKey:
    """An Ed25519 key derived from the seed and a person's ID, used as ssh-keygen would."""

    def __init__(self, seed: int, person: str) -> None:
        secret = hashlib.sha256(f"formulactl-bench:{seed}:{person}".encode()).digest()
        self.private = Ed25519PrivateKey.from_private_bytes(secret)
        raw = self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.blob = ssh_string(b"ssh-ed25519") + ssh_string(raw)

    @property
    def public_line(self) -> str:
        """`ssh-ed25519 AAAA…`, as team.yaml lists keys."""
        return "ssh-ed25519 " + base64.b64encode(self.blob).decode("ascii")

    def sign(self, payload: bytes) -> str:
        """An armored SSHSIG over `payload`: namespace git, hash sha512 (PROTOCOL.sshsig)."""
        header = ssh_string(b"git") + ssh_string(b"") + ssh_string(b"sha512")
        signed = MAGIC + header + ssh_string(hashlib.sha512(payload).digest())
        signature = ssh_string(b"ssh-ed25519") + ssh_string(self.private.sign(signed))
        blob = MAGIC + struct.pack(">I", 1) + ssh_string(self.blob) + header + ssh_string(signature)
        text = base64.b64encode(blob).decode("ascii")
        lines = [text[at : at + 70] for at in range(0, len(text), 70)]
        return "\n".join(["-----BEGIN SSH SIGNATURE-----", *lines, "-----END SSH SIGNATURE-----"])

    def write(self, path: Path, comment: str) -> None:
        """`path` (OpenSSH private key, mode 600) and `path.pub`, usable by ssh-keygen and git."""
        path.parent.mkdir(parents=True, exist_ok=True)
        private = self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
        path.write_bytes(private)
        path.chmod(0o600)
        path.with_name(path.name + ".pub").write_text(f"{self.public_line} {comment}\n")


class Objects:
    """Writes loose objects into a repository's object folder; the ID is sha1 of the object."""

    def __init__(self, git_dir: Path) -> None:
        self.folder = git_dir / "objects"
        self.written: set[str] = set()
        self.folders: set[str] = set()

    def put(self, kind: bytes, content: bytes) -> str:
        data = b"%s %d\0" % (kind, len(content)) + content
        oid = hashlib.sha1(data).hexdigest()
        if oid not in self.written:
            if oid[:2] not in self.folders:
                (self.folder / oid[:2]).mkdir(exist_ok=True)
                self.folders.add(oid[:2])
            (self.folder / oid[:2] / oid[2:]).write_bytes(zlib.compress(data, 1))
            self.written.add(oid)
        return oid


@dataclass
class Folder:
    """A directory of the next commit's tree; the ID of an unchanged subtree is reused."""

    entries: dict[str, str | Folder] = field(default_factory=dict)
    oid: str | None = None

    def put(self, path: str, blob: str) -> None:
        self.oid = None
        name, slash, rest = path.partition("/")
        if not slash:
            self.entries[name] = blob
            return
        child = self.entries.setdefault(name, Folder())
        assert isinstance(child, Folder)
        child.put(rest, blob)

    def write(self, objects: Objects) -> str:
        """The tree's ID, writing it (and changed subtrees) first. Git sorts folders as `name/`."""
        if self.oid is None:
            parts = []
            for name in sorted(self.entries, key=lambda n: _tree_key(n, self.entries[n])):
                entry = self.entries[name]
                if isinstance(entry, Folder):
                    mode, oid = b"40000", entry.write(objects)
                else:
                    mode, oid = b"100644", entry
                parts.append(mode + b" " + name.encode() + b"\0" + bytes.fromhex(oid))
            self.oid = objects.put(b"tree", b"".join(parts))
        return self.oid


def _tree_key(name: str, entry: str | Folder) -> bytes:
    return name.encode() + (b"/" if isinstance(entry, Folder) else b"")


def commit_text(tree: str, parent: str | None, who: Member, when: int, message: str) -> str:
    """The commit object as git writes it, before the signature is added."""
    identity = f"{who.name} <{who.email}> {when} {OFFSET}"
    return (
        f"tree {tree}\n"
        + (f"parent {parent}\n" if parent else "")
        + f"author {identity}\ncommitter {identity}\n\n{message}"
    )


def signed_commit(unsigned: str, key: SshKey) -> bytes:
    """Add the `gpgsig` header after the committer line; continuation lines begin with a space."""
    head, _, message = unsigned.partition("\n\n")
    signature = key.sign(unsigned.encode("utf-8"))
    return f"{head}\ngpgsig {signature.replace(chr(10), chr(10) + ' ')}\n\n{message}".encode()


class Repository:
    """Appends signed commits, one tree change at a time, on top of the previous one."""

    def __init__(self, root: Path, keys: dict[str, SshKey]) -> None:
        self.root = root
        self.objects = Objects(root / ".git")
        self.keys = keys
        self.tree = Folder()
        self.head: str | None = None
        self.count = 0

    def commit(self, who: Member, when: int, files: dict[str, bytes], message: str) -> str:
        for path, data in files.items():
            self.tree.put(path, self.objects.put(b"blob", data))
        unsigned = commit_text(self.tree.write(self.objects), self.head, who, when, message)
        self.head = self.objects.put(b"commit", signed_commit(unsigned, self.keys[who.id]))
        self.count += 1
        return self.head

    def finish(self) -> None:
        """Point main at the last commit, check it out, and pack the loose objects."""
        assert self.head is not None
        git = ["git", "-C", str(self.root)]
        subprocess.run([*git, "update-ref", "refs/heads/main", self.head], check=True)
        subprocess.run([*git, "symbolic-ref", "HEAD", "refs/heads/main"], check=True)
        subprocess.run([*git, "reset", "-q", "--hard", "main"], check=True)
        subprocess.run([*git, "repack", "-adq"], check=True)


@dataclass
class Entry:
    """A record as the last commit left it, and who changed it since its last approval."""

    kind: str
    id: str
    data: dict[str, Any]
    authors: set[str] = field(default_factory=set)

    @property
    def path(self) -> str:
        return f"records/{KINDS[self.kind].folder}/{self.id}.yaml"


@dataclass(frozen=True)
class Step:
    """One workflow commit: the record's new data, who takes the step, and its trailers."""

    action: str
    meaning: str
    who: Member
    data: dict[str, Any]
    extra: tuple[tuple[str, str], ...] = ()


class Workflow:
    """Creates, edits, submits, approves, rejects, revises and reaffirms records at random."""

    def __init__(self, store: Store, repo: Repository, rng: random.Random) -> None:
        self.store = store
        self.repo = repo
        self.rng = rng
        self.clock = int(START.timestamp())
        self.entries: list[Entry] = []
        self.counts = dict.fromkeys(KIND_SHARES, 0)
        self.intervals = store.settings.review_interval_days

    def people(self, role: str) -> list[Member]:
        return [person for person in TEAM if role in person.roles]

    def tick(self) -> int:
        """Commit times move forward by 3 to 75 minutes."""
        self.clock += self.rng.randint(3, 75) * 60
        return self.clock

    def today(self) -> date:
        return datetime.fromtimestamp(self.clock, ZONE).date()

    def create(self, kind: str) -> None:
        n = self.counts[kind] = self.counts[kind] + 1
        rng, counts = self.rng, self.counts
        data = {
            "supplier": lambda: supplier(rng, n),
            "material": lambda: material(rng, n, counts["supplier"]),
            "customer": lambda: customer(rng, n),
            "formula": lambda: formula(rng, n, counts["customer"], counts["material"]),
        }[kind]()
        data.pop("review_due", None)
        data.update(status="draft", version=1)
        if kind == "customer":  # an owner must be a current team member (`owner-in-team`)
            data["owner"] = self.rng.choice(TEAM).id
        entry = Entry(kind, data["id"], {})
        self.entries.append(entry)
        self.apply(entry, Step("new", "authored", self.rng.choice(self.people("entry")), data))

    def advance(self, entry: Entry) -> None:
        """The record's next step, chosen by its status."""
        status, rng = entry.data["status"], self.rng
        if status == "draft":
            self.apply(entry, self.edit(entry) if rng.random() < 0.5 else self.submit(entry))
        elif status == "in_review":
            self.apply(entry, self.approve(entry) if rng.random() < 0.85 else self.reject(entry))
        else:
            reaffirm = self.reaffirm(entry) if rng.random() < 0.15 else None
            self.apply(entry, reaffirm or self.revise(entry))

    def edit(self, entry: Entry) -> Step:
        data = copy.deepcopy(entry.data)
        while data == entry.data:
            change_content(self.rng, entry.kind, data)
        return Step("set", "authored", self.rng.choice(self.people("entry")), data)

    def submit(self, entry: Entry) -> Step:
        who = self.rng.choice(self.people("entry"))
        return Step("submit", "authored", who, dict(entry.data, status="in_review"))

    def approve(self, entry: Entry) -> Step:
        """Four eyes: only an approver who has not changed it since its last approval."""
        who = self.rng.choice([p for p in self.people("approver") if p.id not in entry.authors])
        data = dict(entry.data, status="approved")
        data["review_due"] = next_review(self.today(), self.intervals.get(entry.kind))
        data = {key: value for key, value in data.items() if value is not None}
        text = yamlio.dump(data, self.store.schema(entry.kind).shape)
        parsed = yamlio.load_record(text.encode("utf-8"), entry.path, 1 << 20)
        binds = f"{record_ref(data, entry.id)} {content_digest(parsed)}"
        return Step("approve", "approved", who, data, (("Approves", binds),))

    def reject(self, entry: Entry) -> Step:
        who = self.rng.choice(self.people("reviewer") + self.people("approver"))
        data = dict(entry.data, status="draft")
        return Step("reject", "reviewed", who, data, (("Reason", self.rng.choice(REASONS)),))

    def revise(self, entry: Entry) -> Step:
        data = dict(entry.data, status="draft", version=entry.data["version"] + 1)
        data.pop("review_due", None)
        who = self.rng.choice(self.people("entry"))
        return Step("revise", "authored", who, data, (("Reason", self.rng.choice(REASONS)),))

    def reaffirm(self, entry: Entry) -> Step | None:
        """A new review date for an approved record; None when it would not change."""
        due = next_review(self.today(), self.intervals.get(entry.kind))
        if due == entry.data.get("review_due"):
            return None
        who = self.rng.choice(self.people("approver"))
        return Step("reaffirm", "reviewed", who, dict(entry.data, review_due=due))

    def apply(self, entry: Entry, step: Step) -> None:
        """Commit the step as formulactl would: canonical YAML, subject and trailers."""
        text = yamlio.dump(step.data, self.store.schema(entry.kind).shape)
        ref = record_ref(step.data, entry.id)
        title = next((step.data[k] for k in ("product", "name") if k in step.data), "")
        trailers = [("Action", step.action), ("Record", ref), ("Meaning", step.meaning)]
        message = f"{step.action} {ref}: {title}\n\n{trailer_lines([*trailers, *step.extra])}\n"
        self.repo.commit(step.who, self.clock, {entry.path: text.encode("utf-8")}, message)
        if step.action == "approve":
            entry.authors.clear()
        elif step.data != entry.data and step.action in ("new", "set", "revise"):
            entry.authors.add(step.who.id)
        entry.data = step.data


def change_content(rng: random.Random, kind: str, data: dict[str, Any]) -> None:
    """An edit an entry person might make to a draft; the record stays valid."""
    if kind == "formula":
        lines = data["ingredients"]
        for line, percent in zip(lines, percents(rng, len(lines)), strict=True):
            line["percent"] = percent
        if len(lines) == 1:
            data["notes"] = f"Checked on trial {rng.randint(1, 999)}.\n"
    elif kind == "material":
        data["unit_cost"]["amount"] = round(rng.uniform(2, 300), 2)
    elif kind == "customer":
        data["class"] = rng.choice([c for c in ("A", "B", "C") if c != data["class"]])
    else:
        data["score"] = round(rng.uniform(60, 100), 1)


def creation_plan(records: int) -> list[str]:
    """Kinds in creation order: waves of suppliers, materials, customers, then formulas."""
    counts = {kind: max(1, records * share // 100) for kind, share in KIND_SHARES.items()}
    counts["formula"] = max(1, records - sum(counts.values()) + counts["formula"])
    plan: list[str] = []
    for wave in range(WAVES):
        for kind, count in counts.items():
            plan += [kind] * (count // WAVES + (count % WAVES if wave == 0 else 0))
    return plan


def init_files(seed: int) -> dict[str, bytes]:
    """Run `formulactl init` in a scratch folder (anything it writes beside the store goes
    with it) and return the founding files."""
    with tempfile.TemporaryDirectory(prefix="formulactl-init-") as scratch:
        store = Path(scratch) / "store"
        subprocess.run(
            [formulactl_command(), "init", str(store)], check=True, stdout=subprocess.DEVNULL
        )
        return founding_files(store, seed)


def founding_files(root: Path, seed: int) -> dict[str, bytes]:
    """Every file `formulactl init` made, with a store ID from the seed and the team filled in."""
    store = Store(root)
    files = {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.relative_to(root).parts[0] != ".git"
    }
    settings = yamlio.load_record(files[SETTINGS_FILE], SETTINGS_FILE, 1 << 20)
    settings["store_id"] = "fst-" + hashlib.sha256(f"store:{seed}".encode()).hexdigest()[:32]
    if isinstance(settings.get("encryption"), dict):
        # Confidential fields stay plain text here: this store measures signatures and
        # workflow, not sealing. Without sealing the (random) recovery recipient is moot.
        settings["encryption"]["require"] = False
        settings["encryption"].pop("recovery", None)
    files[SETTINGS_FILE] = yamlio.dump(settings, store.schema("settings").shape).encode()
    files[TEAM_FILE] = team_text(store, seed).encode()
    return files


def team_text(store: Store, seed: int) -> str:
    people = [
        {
            "id": p.id,
            "name": p.name,
            "email": p.email,
            "roles": list(p.roles),
            "keys": [{"key": SshKey(seed, p.id).public_line}],
        }
        for p in TEAM
    ]
    return yamlio.dump({"people": people}, store.schema("team").shape)


def generate_history(
    root: Path, commits: int = 10_000, records: int | None = None, seed: int = SEED
) -> dict[str, Any]:
    """Create the store at `root` (new or empty) with `commits` signed commits; a summary."""
    records = records if records is not None else max(12, commits // 25)
    if commits < 2 * records + 1:
        raise SystemExit(f"{records} records need at least {2 * records + 1} commits")
    founding = init_files(seed)
    subprocess.run(["git", "init", "-q", "--initial-branch=main", str(root)], check=True)
    for path, data in founding.items():  # what the founding commit holds, also on disk
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    keys = {p.id: SshKey(seed, p.id) for p in TEAM}
    for person, key in keys.items():
        key.write(root / ".git" / KEYS_DIR / person, f"{person}@formulactl-bench")
    repo = Repository(root, keys)
    rng = random.Random(seed)
    flow = Workflow(Store(root), repo, rng)
    message = (
        f"team add {ADMIN.id}: {ADMIN.name} (founds the store)\n\n"
        + trailer_lines([("Action", "team-add"), ("Record", ADMIN.id), ("Meaning", "administered")])
        + "\n"
    )
    repo.commit(ADMIN, flow.clock, founding, message)
    plan = creation_plan(records)
    # Every record is created within the first 60 % of the history.
    pace = len(plan) / (0.6 * (commits - 1))
    for step in range(commits - 1):
        flow.tick()
        if len(flow.entries) < len(plan) and len(flow.entries) < (step + 1) * pace:
            flow.create(plan[len(flow.entries)])
        else:
            flow.advance(rng.choice(flow.entries))
    repo.finish()
    statuses: dict[str, int] = {}
    for entry in flow.entries:
        statuses[entry.data["status"]] = statuses.get(entry.data["status"], 0) + 1
    return {"commits": repo.count, "records": flow.counts, "statuses": statuses, "head": repo.head}


def allowed_signers(root: Path, target: Path) -> Path:
    """An allowed-signers file for git made from the store's team.yaml: `email key` lines."""
    lines = [
        f'{person.email} namespaces="git" {key.key}'
        for person in Store(root).team.people.values()
        for key in person.keys
    ]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("target", type=Path, help="folder for the new store (new or empty)")
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--records", type=int, help="default: commits / 25, at least 12")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    started = time.perf_counter()
    summary = generate_history(args.target.resolve(), args.commits, args.records, args.seed)
    print(
        f"generated {summary['commits']} signed commits over "
        f"{sum(summary['records'].values())} records in {args.target} "
        f"({time.perf_counter() - started:.1f} s), HEAD {summary['head']}"
    )


if __name__ == "__main__":
    main()
