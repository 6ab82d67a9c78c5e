"""Git hooks: what each hook checks, and installing them into a store or a server repository.

The scripts in `hooks/` only call `formulactl hook NAME`; the checks are here, so the same
rules run on a laptop before a commit, before a push, and on the server before it accepts.
"""

from __future__ import annotations

import io
import stat
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from formulactl.errors import Finding
from formulactl.git import gitio
from formulactl.model.kinds import RECORDS_DIR, SCHEMAS_DIR, SETTINGS_FILE, STORE_FILES, TEAM_FILE
from formulactl.rules.check import check_context, check_unsaved, validate
from formulactl.store.cache import BlobCache
from formulactl.store.store import Store

CLIENT_HOOKS = ("pre-commit", "pre-push")
SERVER_HOOKS = ("pre-receive", "post-receive")
ZERO = "0" * 40


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
    """The pre-receive check on a server: each updated branch's new commits by every history
    rule, and its new tree by every record rule, before the branch moves."""
    findings: list[Finding] = []
    for update in updates:
        if update.new == ZERO:
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

            new = set(gitio.new_commits(repo, update.old, update.new, "--all"))
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


@contextmanager
def unpacked(repo: Path, commit: str) -> Iterator[Store]:
    """The store as `commit` holds it, in a private temporary folder, checked against the
    pushed (still quarantined) objects; history questions go to `repo` itself."""
    with tempfile.TemporaryDirectory(prefix="formulactl-push-") as scratch:
        archive = gitio.archive(repo, commit, STORE_PATHS)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(scratch, filter=_regular_only)
        root = Path(scratch)
        shared = gitio.git_dir(repo)  # results cached by blob ID serve every later push
        yield Store(root, repo=repo, cache=(shared or root) / "formulactl")
