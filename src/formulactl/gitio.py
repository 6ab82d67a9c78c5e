"""Everything that runs git. One small function per git command; nothing else shells out.

Paths and revisions from users always follow `--` or `--end-of-options`, so a value
such as `--upload-pack=x` can never be read as an option.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from .errors import FormulaError

# Git must not read the user's terminal or pager, and must answer in a fixed language.
_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "LC_ALL": "C"}


def run(
    root: Path,
    args: Sequence[str],
    *,
    check: bool = True,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run one git command in `root` and return its raw result."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            input=input,
            capture_output=True,
            env={**os.environ, **_ENV, **(env or {})},
            check=False,
        )
    except FileNotFoundError:
        raise FormulaError("git is not installed", "install git 2.34 or newer") from None
    if check and done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise FormulaError(
            f"git {args[0]} failed: {message[-1] if message else done.returncode}",
            "see the git message above",
            rule="git",
        )
    return done


def init(root: Path) -> None:
    run(root, ["init", "--quiet", "--initial-branch=main"])


def git_dir(root: Path) -> Path | None:
    """The repository's common git folder, or None when `root` is not in a repository."""
    done = run(root, ["rev-parse", "--path-format=absolute", "--git-common-dir"], check=False)
    if done.returncode != 0:
        return None
    return Path(done.stdout.decode("utf-8", "surrogateescape").strip())


def blob_id(data: bytes) -> str:
    """The id git gives these bytes, so cache keys agree with `git ls-files -s`."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def list_blobs(root: Path, folder: str) -> dict[str, str | None] | None:
    """Files under `folder` → blob id of their working-tree content; None outside git.

    The index answers for unchanged files; changed and new files map to None, for the
    caller to hash when it reads them anyway.
    """
    staged = run(root, ["ls-files", "--stage", "-z", "--", folder], check=False)
    if staged.returncode != 0:
        return None
    blobs: dict[str, str | None] = {}
    changed: list[str] = []
    for entry in staged.stdout.split(b"\0"):
        if not entry:
            continue
        info, _, name = entry.partition(b"\t")
        _mode, blob, stage = info.split(b" ")
        path = name.decode("utf-8", "surrogateescape")
        if stage == b"0":
            blobs[path] = blob.decode()
        else:
            changed.append(path)
    dirty = run(
        root, ["ls-files", "-z", "--modified", "--others", "--exclude-standard", "--", folder]
    )
    changed.extend(
        name.decode("utf-8", "surrogateescape") for name in dirty.stdout.split(b"\0") if name
    )
    for path in changed:
        if (root / path).is_file():
            blobs[path] = None
        else:
            blobs.pop(path, None)
    return blobs
