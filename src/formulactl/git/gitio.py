"""Everything that runs git. One small function per git command; nothing else shells out.

Paths and revisions from users always follow `--` or `--end-of-options`, so a value
such as `--upload-pack=x` can never be read as an option.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from formulactl.errors import FormulaError

# Git must not read the user's terminal or pager, and must answer in a fixed language.
_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "LC_ALL": "C"}
# Inside a hook git names its repository in the environment; each command here names its
# folder itself (-C), which must win. (Quarantined objects of a push stay reachable.)
_DROPPED = ("GIT_DIR", "GIT_WORK_TREE", "GIT_PREFIX")


def _environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    kept = {key: value for key, value in os.environ.items() if key not in _DROPPED}
    return {**kept, **_ENV, **(extra or {})}


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
            env=_environment(env),
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


def config_get(root: Path, key: str) -> str | None:
    """The effective value (repository, then the user's global config), read only."""
    done = run(root, ["config", "--get", "--end-of-options", key], check=False)
    return done.stdout.decode("utf-8", "surrogateescape").strip() if done.returncode == 0 else None


def config_set(root: Path, key: str, value: str) -> None:
    """Always this repository's own config: the user's global config is never written."""
    run(root, ["config", "--local", "--end-of-options", key, value])


def config_add(root: Path, key: str, value: str) -> None:
    """Add a value to a multi-valued key of this repository's config, once."""
    current = (
        run(root, ["config", "--local", "--get-all", "--end-of-options", key], check=False)
        .stdout.decode()
        .split("\n")
    )
    if value not in current:
        run(root, ["config", "--local", "--add", "--end-of-options", key, value])


def head(root: Path) -> str | None:
    done = run(root, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], check=False)
    return done.stdout.decode().strip() or None


def prefix(root: Path) -> str:
    """Where `root` sits inside its repository (`""` at the top or in a bare repository)."""
    done = run(root, ["rev-parse", "--show-prefix"], check=False)
    return done.stdout.decode().strip() if done.returncode == 0 else ""


def is_shallow(root: Path) -> bool:
    done = run(root, ["rev-parse", "--is-shallow-repository"], check=False)
    return done.stdout.strip() == b"true"


def resolve(root: Path, revision: str) -> str:
    """The commit a user's revision names; refused when it names none."""
    done = run(
        root,
        ["rev-parse", "--verify", "--quiet", "--end-of-options", revision + "^{commit}"],
        check=False,
    )
    if done.returncode != 0:
        raise FormulaError(
            f"`{revision}` is not a commit here", "check it with `git log`", rule="usage"
        )
    return done.stdout.decode().strip()


def dirty(root: Path, paths: Sequence[str]) -> list[str]:
    """Which of `paths` differ from the last commit (changed, new or deleted)."""
    done = run(root, ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *paths])
    return [
        entry[3:].decode("utf-8", "surrogateescape")
        for entry in done.stdout.split(b"\0")
        if len(entry) > 3
    ]


def commit(
    root: Path, paths: Sequence[str], message: str, sign: bool, env: Mapping[str, str] | None = None
) -> str:
    """Commit exactly `paths` (other staged work stays staged) and return the new commit,
    or "" when they hold nothing new."""
    run(root, ["add", "--all", "--", *paths])
    if run(root, ["diff", "--cached", "--quiet", "--", *paths], check=False).returncode == 0:
        return ""
    signing = ["--gpg-sign"] if sign else ["--no-gpg-sign"]
    done = run(
        root,
        ["commit", "--quiet", *signing, "--cleanup=whitespace", "--file=-", "--only", "--", *paths],
        input=message.encode("utf-8"),
        check=False,
        env=env,
    )
    if done.returncode != 0:
        run(root, ["reset", "--quiet", "--", *paths], check=False)
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = next(
            (line for line in lines if "error" in line.lower()),
            lines[-1] if lines else f"exit status {done.returncode}",
        )
        raise FormulaError(
            f"git could not make the commit: {reason.strip()}",
            "check `formulactl whoami`; nothing was committed",
            rule="git",
        )
    found = head(root)
    assert found is not None
    return found


class CatFile:
    """One `git cat-file --batch` process answering many object requests."""

    def __init__(self, root: Path) -> None:
        self.process = subprocess.Popen(
            ["git", "-C", str(root), "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=_environment(),
        )

    def read(self, name: str) -> tuple[str, str, bytes] | None:
        """(id, type, content) of an object such as a blob id or `HEAD:team.yaml`, or None."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(name.encode("utf-8", "surrogateescape") + b"\n")
        self.process.stdin.flush()
        header = self.process.stdout.readline().split()
        if len(header) != 3:
            return None
        content = self.process.stdout.read(int(header[2]) + 1)[:-1]
        return header[0].decode(), header[1].decode(), content

    def read_many(self, names: list[str]) -> list[bytes | None]:
        """Contents of many objects, asked in chunks that fit the pipe: no waiting per object."""
        assert self.process.stdin is not None and self.process.stdout is not None
        found: list[bytes | None] = []
        for start in range(0, len(names), 512):
            chunk = names[start : start + 512]
            self.process.stdin.write(b"".join(name.encode() + b"\n" for name in chunk))
            self.process.stdin.flush()
            for _name in chunk:
                header = self.process.stdout.readline().split()
                if len(header) != 3:
                    found.append(None)
                    continue
                found.append(self.process.stdout.read(int(header[2]) + 1)[:-1])
        return found

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait()

    def __enter__(self) -> CatFile:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class Change:
    path: str
    old: str | None  # blob ids; None where the file did not exist
    new: str | None


@dataclass(frozen=True)
class LoggedCommit:
    id: str
    parents: tuple[str, ...]
    changes: tuple[Change, ...]  # against the first parent; empty for merges


_NO_BLOB = "0" * 40


def log(
    root: Path, revisions: Sequence[str], paths: Sequence[str] = (), limit: int = 0
) -> Iterator[LoggedCommit]:
    """Commits oldest first (parents before children) with their changed files, streamed.

    With one path, the file is followed across renames; git cannot follow a file while
    walking oldest first, so that (short) log is read newest first and turned around."""
    count = [f"--max-count={limit}"] if limit else []
    order = ["--follow"] if len(paths) == 1 else ["--reverse", "--topo-order", "--no-renames"]
    process = subprocess.Popen(
        [
            "git",
            "-C",
            str(root),
            "log",
            "--raw",
            "-z",
            *order,
            *count,
            "--no-abbrev",
            "--diff-merges=off",
            "--format=%x01%H %P",
            "--end-of-options",
            *revisions,
            "--",
            *paths,
        ],
        stdout=subprocess.PIPE,
        env=_environment(),
    )
    commits = _stream(process)
    yield from (reversed(list(commits)) if len(paths) == 1 else commits)


def _stream(process: subprocess.Popen[bytes]) -> Iterator[LoggedCommit]:
    assert process.stdout is not None
    buffer = b""
    for chunk in iter(lambda: process.stdout.read(1 << 16), b""):  # type: ignore[union-attr]
        buffer += chunk
        *complete, buffer = buffer.split(b"\x01")
        for entry in complete:
            if entry:
                yield _logged(entry)
    if buffer:
        yield _logged(buffer)
    if process.wait() != 0:
        raise FormulaError("git log failed on this range", "check the revisions", rule="git")


def _logged(entry: bytes) -> LoggedCommit:
    head_line, _, rest = entry.partition(b"\0")
    ids = head_line.decode().split()
    fields = iter(rest.lstrip(b"\n").split(b"\0"))
    changes = []
    for info in fields:
        parts = info.decode().split()
        if len(parts) < 5:
            continue
        path = next(fields, b"")
        if parts[4][:1] in ("R", "C"):  # a rename names the old path, then the new one
            path = next(fields, b"")
        old, new = parts[2], parts[3]
        changes.append(
            Change(
                path.decode("utf-8", "surrogateescape"),
                None if old == _NO_BLOB else old,
                None if new == _NO_BLOB else new,
            )
        )
    return LoggedCommit(ids[0], tuple(ids[1:]), tuple(changes))


def read_ref(root: Path, ref: str) -> str | None:
    done = run(root, ["rev-parse", "--verify", "--quiet", "--end-of-options", ref], check=False)
    return done.stdout.decode().strip() or None


def update_ref(root: Path, ref: str, new: str, old: str | None) -> None:
    """Move `ref` only if it still points where we read it (no lost update)."""
    run(root, ["update-ref", ref, new, old or ""])


def undo_commits(root: Path, commit: str, paths: Sequence[str]) -> None:
    """Move the branch and the index back to `commit` and restore `paths` from it: the
    undo of commits this process just made (other files in the work tree are untouched)."""
    run(root, ["reset", "-q", "--end-of-options", commit])
    if paths:
        run(root, ["checkout", "-q", commit, "--", *paths])


def is_ancestor(root: Path, ancestor: str, descendant: str) -> bool:
    done = run(root, ["merge-base", "--is-ancestor", ancestor, descendant], check=False)
    return done.returncode == 0


def file_at(root: Path, revision: str, path: str) -> bytes | None:
    done = run(root, ["cat-file", "blob", f"{revision}:{path}"], check=False)
    return done.stdout if done.returncode == 0 else None


def commit_file(
    root: Path, name: str, text: str, message: str, parents: list[str], sign: bool
) -> str:
    """A commit holding one file, outside any branch (for refs such as the verified heads)."""
    blob = run(root, ["hash-object", "-w", "--stdin"], input=text.encode()).stdout.decode().strip()
    tree = run(root, ["mktree"], input=f"100644 blob {blob}\t{name}\n".encode())
    command = ["commit-tree", *(["-S"] if sign else []), "-m", message]
    for parent in parents:
        command += ["-p", parent]
    done = run(root, [*command, tree.stdout.decode().strip()])
    return done.stdout.decode().strip()


def merge_tree(root: Path, first: str, second: str) -> str | None:
    """The tree a clean merge of two commits gives, or None when they conflict."""
    done = run(root, ["merge-tree", "--write-tree", "--no-messages", first, second], check=False)
    if done.returncode != 0:
        return None
    return done.stdout.decode().split()[0]


def staged(root: Path) -> list[str]:
    """Paths staged for the next commit (added, changed or deleted)."""
    done = run(root, ["diff", "--cached", "--name-only", "-z", "--no-renames"])
    return [name.decode("utf-8", "surrogateescape") for name in done.stdout.split(b"\0") if name]


def new_commits(root: Path, old: str, new: str, known: str) -> list[str]:
    """Commits `new` brings: after `old`, or (for a new branch) not reachable from `known`
    refs (`--all` on a server before its refs move, `--remotes` before a push)."""
    since = [new, "--not", known] if set(old) == {"0"} else [f"{old}..{new}"]
    return run(root, ["rev-list", *since]).stdout.decode().split()


def archive(root: Path, commit: str, paths: Sequence[str]) -> bytes:
    """A tar of those paths as `commit` holds them."""
    present = run(root, ["ls-tree", "--name-only", commit, "--", *paths]).stdout.decode().split()
    return run(root, ["archive", "--format=tar", commit, "--", *present]).stdout


def notes(root: Path, ref: str) -> dict[str, str]:
    """Commit → note blob for every note under `ref`."""
    done = run(root, ["notes", f"--ref={ref}", "list"], check=False)
    pairs = (line.split() for line in done.stdout.decode().splitlines())
    return {commit: blob for blob, commit in pairs}


def add_note(root: Path, ref: str, commit: str, text: str) -> None:
    who = {
        "GIT_AUTHOR_NAME": "formulactl server",
        "GIT_AUTHOR_EMAIL": "server@formulactl",
        "GIT_COMMITTER_NAME": "formulactl server",
        "GIT_COMMITTER_EMAIL": "server@formulactl",
    }
    run(
        root,
        ["notes", f"--ref={ref}", "add", "-f", "-F", "-", commit],
        input=text.encode(),
        env=who,
    )
