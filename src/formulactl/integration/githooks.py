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

from formulactl.errors import Finding, FormulaError
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
    cache = BlobCache(store.cache_dir / "check.marshal", check_context(store))
    findings: list[Finding] = []
    for path in gitio.staged(store.root):
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
        archive = gitio.archive(repo, commit, [SETTINGS_FILE, TEAM_FILE, SCHEMAS_DIR, RECORDS_DIR])
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(scratch, filter="data")
        root = Path(scratch)
        shared = gitio.git_dir(repo)  # results cached by blob ID serve every later push
        yield Store(root, repo=repo, cache=(shared or root) / "formulactl")
