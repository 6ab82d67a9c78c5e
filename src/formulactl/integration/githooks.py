"""Git hooks: what each hook checks, and installing them into a store or a server repository.

The scripts in `hooks/` only call `formulactl hook NAME`; the checks are here, so the same
rules run on a laptop before a commit, before a push, and on the server before it accepts.
"""

from __future__ import annotations

import contextlib
import io
import stat
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from formulactl.audit import receipts
from formulactl.errors import Finding, FormulaError
from formulactl.git import gitio
from formulactl.model.kinds import RECORDS_DIR, SCHEMAS_DIR, SETTINGS_FILE, STORE_FILES, TEAM_FILE
from formulactl.model.settings import protected_branches
from formulactl.rules.check import check_unsaved, validate
from formulactl.rules.runs import check_context
from formulactl.store import yamlio
from formulactl.store.cache import BlobCache
from formulactl.store.store import Store

CLIENT_HOOKS = ("pre-commit", "pre-push")
SERVER_HOOKS = ("pre-receive", "post-receive")
ZERO = "0" * 40
FORMULACTL_REFS = ("refs/notes/formulactl-", "refs/formulactl/")


def install(git_dir: Path, names: tuple[str, ...], command: str) -> Path:
    """Copy the hook scripts into `<git dir>/formulactl/hooks` with the way to call this
    formulactl written in, and point this repository's `core.hooksPath` at them."""
    folder = git_dir / "formulactl" / "hooks"
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        script = (resources.files("formulactl") / "hooks" / name).read_text(encoding="utf-8")
        target = folder / name
        target.write_text(script.replace("${FORMULACTL:-formulactl}", command), encoding="utf-8")
        target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    gitio.config_set(git_dir, "core.hooksPath", str(folder))
    return folder


def staged_findings(store: Store) -> list[Finding]:
    """The pre-commit check: each staged record as it is staged, not as the file is now."""
    cache = BlobCache(store.cache_file("check.marshal"), check_context(store))
    findings: list[Finding] = []
    staged = gitio.staged(store.root)
    modes = gitio.index_modes(store.root, staged)
    for path in staged:
        if path in modes and modes[path] not in gitio.REGULAR_MODES and _in_store(path):
            findings.append(_not_a_file(path, modes[path], path))
            continue
        if not (path.startswith(f"{RECORDS_DIR}/") or path in STORE_FILES):
            continue
        data = gitio.file_at(store.root, "", path)
        if data is None:
            continue  # deleted: nothing to check in the file itself
        if path in STORE_FILES:
            findings += validate(store, [store.root / path], cache).findings
        else:
            findings += check_unsaved(store, path, data, cache)
    return findings


def outgoing_findings(store: Store, lines: list[str]) -> list[Finding]:
    """The pre-push check: every commit about to leave, by every history rule.

    Each line of git's input is `<local ref> <local sha> <remote ref> <remote sha>`."""
    findings: list[Finding] = []
    for line in lines:
        parts = line.split()
        if len(parts) != 4 or parts[1] == ZERO:
            continue  # a deletion sends no commit
        local, remote = parts[1], parts[3]
        from formulactl.audit.verify import verify_history  # only when something is pushed

        new = set(gitio.new_commits(store.repo, remote, local, "--remotes"))
        findings += verify_history(store, local, commits=new).findings
    return findings


@dataclass(frozen=True)
class Update:
    old: str
    new: str
    ref: str


def read_updates(lines: list[str]) -> list[Update]:
    found = []
    for line in lines:
        parts = line.split()
        if len(parts) == 3:
            found.append(Update(*parts))
    return found


def push_findings(repo: Path, updates: list[Update]) -> list[Finding]:
    """The pre-receive check on a server: no protected ref deleted or rewritten; each updated
    branch's new commits by every history rule, and its new tree by every record rule,
    before the branch moves."""
    findings = ref_findings(repo, updates)
    for update in updates:
        if update.new == ZERO or is_formulactl_ref(update.ref):
            continue
        findings += _entry_findings(repo, update)
        with unpacked(repo, update.new) as store:
            findings += [
                Finding(
                    f"{update.ref}: {f.path}".rstrip(": "),
                    f.line,
                    f.col,
                    f.pointer,
                    f.rule,
                    f.message,
                    f.hint,
                )
                for f in validate(store, []).findings
            ]
            from formulactl.audit.verify import verify_history

            # Only branches count as already checked: commits that sit under other refs
            # (the notes, the verified heads) were never judged as store history.
            new = set(gitio.new_commits(repo, update.old, update.new, "--branches"))
            report = verify_history(store, update.new, commits=new)
            findings += report.findings
    return findings


STORE_PATHS = [SETTINGS_FILE, TEAM_FILE, SCHEMAS_DIR, RECORDS_DIR]


def _entry_findings(repo: Path, update: Update) -> list[Finding]:
    """Links and submodules in the pushed tree: named, never unpacked or followed."""
    return [
        _not_a_file(path, mode, f"{update.ref}: {path}")
        for mode, path in gitio.tree_entries(repo, update.new, STORE_PATHS)
        if mode not in gitio.REGULAR_MODES
    ]


def _in_store(path: str) -> bool:
    return any(path == top or path.startswith(f"{top}/") for top in STORE_PATHS)


def _not_a_file(path: str, mode: str, shown: str) -> Finding:
    return Finding(
        shown,
        0,
        0,
        "",
        "not-a-file",
        f"is {gitio.entry_kind(mode)}, not a regular file",
        "a store holds regular files only: commit the file itself",
    )


def _regular_only(member: tarfile.TarInfo, destination: str) -> tarfile.TarInfo | None:
    """Unpack folders and regular files only; links are reported, never made."""
    if not (member.isreg() or member.isdir()):
        return None
    return tarfile.data_filter(member, destination)


def is_formulactl_ref(ref: str) -> bool:
    """The receive-time notes and the verified heads: evidence, never store content."""
    return ref.startswith(FORMULACTL_REFS)


def protected_refs(repo: Path) -> set[str]:
    """The branches a push may neither delete nor rewrite, as the server's default branch
    holds its settings before this push (a push cannot unprotect itself), and that branch."""
    data: Mapping[str, Any] = {}
    raw = gitio.file_at(repo, "HEAD", SETTINGS_FILE)
    if raw is not None:
        with contextlib.suppress(FormulaError):
            data = yamlio.load_record(raw, SETTINGS_FILE, 1 << 20)
    names = {f"refs/heads/{name}" for name in protected_branches(data)}
    default = gitio.symbolic_ref(repo, "HEAD")
    return names | ({default} if default else set())


def ref_findings(repo: Path, updates: list[Update]) -> list[Finding]:
    """Accepted history stays: no deletion or non-fast-forward update of a protected branch,
    of the receive-time notes or of the verified heads."""
    protected = protected_refs(repo)
    findings = []
    for update in updates:
        if not (update.ref in protected or is_formulactl_ref(update.ref)):
            continue
        if update.new == ZERO:
            message = f"deleting {update.ref} is refused: it is protected"
        elif update.old != ZERO and not gitio.is_ancestor(repo, update.old, update.new):
            message = f"this push rewrites {update.ref}, dropping commits it holds"
        else:
            continue
        findings.append(
            Finding(
                update.ref,
                0,
                0,
                "",
                "protected-ref",
                message,
                "history the server accepted is never deleted or rewritten: fetch, merge, push "
                "(protected_branches in formulactl.yaml lists the protected branches)",
            )
        )
    return findings


def received_commits(repo: Path, updates: list[Update]) -> list[str]:
    """After the refs moved (post-receive): the commits this push brought, which no other ref
    held before, so a first push and a new branch get receive times too."""
    pushed = [u for u in updates if u.new != ZERO and not is_formulactl_ref(u.ref)]
    if not pushed:
        return []
    olds = [u.old for u in pushed if u.old != ZERO]
    others = [u.ref for u in pushed] + [f"{prefix}*" for prefix in FORMULACTL_REFS]
    return gitio.commits_only_in(repo, [u.new for u in pushed], olds, others)


@contextmanager
def unpacked(repo: Path, commit: str) -> Iterator[Store]:
    """The store as `commit` holds it, in a private temporary folder, checked against the
    pushed (still quarantined) objects; history questions go to `repo` itself."""
    if gitio.file_at(repo, commit, SETTINGS_FILE) is None:
        raise FormulaError(
            f"commit {commit[:10]} holds no store ({SETTINGS_FILE} is missing)",
            "a push may not delete the store's files; push a commit that keeps them",
            rule="no-store",
        )
    with tempfile.TemporaryDirectory(prefix="formulactl-push-") as scratch:
        archive = gitio.archive(repo, commit, STORE_PATHS)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(scratch, filter=_regular_only)
        root = Path(scratch)
        shared = gitio.git_dir(repo)  # results cached by blob ID serve every later push
        yield Store(root, repo=repo, cache=(shared or root) / "formulactl")


def note_receipts(repo: Path, updates: list[Update]) -> int:
    """After a push (post-receive): note when the server received each new commit, signed
    with the server's key named in `formulactl.receiptkey`; returns how many were noted."""
    key = gitio.config_get(repo, "formulactl.receiptkey")
    if not key:
        return 0
    fresh = received_commits(repo, updates)
    return receipts.record(repo, fresh, Path(key), datetime.now(UTC).astimezone())
