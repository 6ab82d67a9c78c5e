"""Everything that runs git. One small function per git command; nothing else shells out.

Paths and revisions from users always follow `--` or `--end-of-options`, so a value
such as `--upload-pack=x` can never be read as an option.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from formulactl.errors import FormulaError

# Git must not read the user's terminal or pager, and must answer in a fixed language.
_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "LC_ALL": "C"}
# Inside a hook git names its repository in the environment; each command here names its
# folder itself (-C), which must win. (Quarantined objects of a push stay reachable.)
_DROPPED = ("GIT_DIR", "GIT_WORK_TREE", "GIT_PREFIX")


# A commit formulactl makes goes through the repository's own index, so `git status`
# agrees with it afterwards; an index named by GIT_INDEX_FILE would be left out of step.
_OWN_INDEX = ("GIT_INDEX_FILE",)


def _environment(
    extra: Mapping[str, str] | None = None, dropped: Sequence[str] = ()
) -> dict[str, str]:
    gone = (*_DROPPED, *dropped)
    kept = {key: value for key, value in os.environ.items() if key not in gone}
    return {**kept, **_ENV, **(extra or {})}


def run(
    root: Path,
    args: Sequence[str],
    *,
    check: bool = True,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    own_index: bool = False,
) -> subprocess.CompletedProcess[bytes]:
    """Run one git command in `root` and return its raw result (`own_index`: with the
    repository's own index, whatever GIT_INDEX_FILE says)."""
    try:
        # close_fds=False hands git only descriptors marked inheritable: the write lock, so
        # that a git this command started keeps the clone locked until it is done.
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            input=input,
            capture_output=True,
            env=_environment(env, _OWN_INDEX if own_index else ()),
            check=False,
            close_fds=False,
        )
    except FileNotFoundError:
        raise FormulaError("git is not installed", "install git 2.38 or newer") from None
    if check and done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise locked_out(lines) or FormulaError(
            f"git {args[0]} failed: {lines[-1] if lines else done.returncode}",
            "run `git status` to see the state of the repository",
            rule="git",
        )
    return done


_LOCK_HELD = re.compile(r"Unable to create '(.+\.lock)': File exists")


def locked_out(lines: Sequence[str]) -> FormulaError | None:
    """git's "another git process seems to be running" as one line naming the lock file."""
    for line in lines:
        found = _LOCK_HELD.search(line)
        if found:
            return FormulaError(
                f"git could not lock the repository: {found.group(1)} exists",
                "another git command is running here, or one was stopped before it finished; "
                f"if none is running, delete {found.group(1)} and run this again",
                rule="git-locked",
            )
    return None


def init(root: Path) -> None:
    run(root, ["init", "--quiet", "--initial-branch=main"])


def git_dir(root: Path, common: bool = True) -> Path | None:
    """The repository's common git folder (or this work tree's own, for its index and
    locks), or None when `root` is not in a repository."""
    plain = _own_git_folder(root)
    if plain is not None:
        return plain
    which = "--git-common-dir" if common else "--git-dir"
    done = run(root, ["rev-parse", "--path-format=absolute", which], check=False)
    if done.returncode != 0:
        return None
    return Path(done.stdout.decode("utf-8", "surrogateescape").strip())


def _own_git_folder(root: Path) -> Path | None:
    """`root/.git` when it is plainly this work tree's repository, git folder and common
    folder alike: the work tree and a `.git` folder both ours (git refuses another user's),
    holding HEAD, objects and refs (git passes over a folder without them), not a linked
    worktree's (no `commondir`), and no GIT_COMMON_DIR naming another. Every command asks
    where its cache is, and starting git to answer cost a tenth of a small command's time;
    anything less plain is left to `git rev-parse`."""
    if "GIT_COMMON_DIR" in os.environ:
        return None
    top = Path(os.path.abspath(root))
    folder = top / ".git"
    me = os.geteuid()
    try:
        plain = (
            os.lstat(top).st_uid == me
            and _is(os.lstat(folder), stat.S_ISDIR, me)
            and _is(os.lstat(folder / "HEAD"), stat.S_ISREG, me)
            and _is(os.lstat(folder / "objects"), stat.S_ISDIR, me)
            and _is(os.lstat(folder / "refs"), stat.S_ISDIR, me)
            and not os.path.lexists(folder / "commondir")
        )
    except OSError:
        return None
    return folder if plain else None


def _is(facts: os.stat_result, kind: Callable[[int], bool], owner: int) -> bool:
    return kind(facts.st_mode) and facts.st_uid == owner


def blob_id(data: bytes) -> str:
    """The id git gives these bytes, so cache keys agree with `git ls-files -s`."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


# What git records for a regular file; 120000 is a symbolic link, 160000 a submodule.
REGULAR_MODES = ("100644", "100755")
_ENTRY_KINDS = {"120000": "a symbolic link", "160000": "a submodule (gitlink)"}


def entry_kind(mode: str) -> str:
    """What a tree entry of this mode is, in words for a message."""
    if mode in REGULAR_MODES:
        return "a regular file"
    return _ENTRY_KINDS.get(mode, f"an entry of mode {mode}")


_STAGED = re.compile(r"(\d+) ([0-9a-f]+) (\d)\t([^\0]*)\0")


def list_blobs(root: Path, folder: str) -> dict[str, str | None] | None:
    """Files under `folder` → blob id of their working-tree content; None outside git.

    The index answers for unchanged regular files; changed and new files, and entries git
    keeps as links or submodules, map to None, for the caller to read (or refuse) itself.
    """
    staged = run(root, ["ls-files", "--stage", "-z", "--", folder], check=False)
    if staged.returncode != 0:
        return None
    blobs: dict[str, str | None] = {}
    changed: list[str] = []
    # One decode and one C-level scan: a 15,000-file listing is parsed on every warm run.
    for mode, blob, stage, path in _STAGED.findall(
        staged.stdout.decode("utf-8", "surrogateescape")
    ):
        if stage == "0":
            blobs[path] = blob if mode in REGULAR_MODES else None
        else:
            changed.append(path)
    dirty = run(
        root, ["ls-files", "-z", "--modified", "--others", "--exclude-standard", "--", folder]
    )
    changed.extend(
        name.decode("utf-8", "surrogateescape") for name in dirty.stdout.split(b"\0") if name
    )
    for path in changed:
        try:
            present = not stat.S_ISDIR(os.lstat(root / path).st_mode)
        except OSError:
            present = False
        if present:
            blobs[path] = None
        else:
            blobs.pop(path, None)
    return blobs


def config_get(root: Path, key: str) -> str | None:
    """The effective value (repository, then the user's global config), read only."""
    done = run(root, ["config", "--get", "--end-of-options", key], check=False)
    return done.stdout.decode("utf-8", "surrogateescape").strip() if done.returncode == 0 else None


def config_set(root: Path, key: str, value: str) -> None:
    """This checkout's own config, never the user's global one: the repository's, or in a
    linked worktree that worktree's, so another checkout keeps its own key."""
    run(root, ["config", *_checkout_scope(root), "--end-of-options", key, value])


def _checkout_scope(root: Path) -> list[str]:
    where = ["rev-parse", "--path-format=absolute", "--git-dir", "--git-common-dir"]
    done = run(root, where, check=False)
    folders = done.stdout.decode("utf-8", "surrogateescape").split("\n")[:2]
    if done.returncode != 0 or folders[0] == folders[1]:
        return ["--local"]
    if config_get(root, "core.bare") == "true" or config_get(root, "core.worktree"):
        raise FormulaError(
            "this worktree's repository sets core.bare or core.worktree for every checkout",
            "move them to the main checkout's config.worktree (see `git help worktree`), "
            "then try again",
            rule="worktree",
        )
    run(root, ["config", "--local", "extensions.worktreeConfig", "true"])
    return ["--worktree"]


def config_add(root: Path, key: str, value: str) -> None:
    """Add a value to a multi-valued key of this repository's config, once."""
    current = (
        run(root, ["config", "--local", "--get-all", "--end-of-options", key], check=False)
        .stdout.decode()
        .split("\n")
    )
    if value not in current:
        run(root, ["config", "--local", "--add", "--end-of-options", key, value])


def config_unset_value(root: Path, key: str, value: str) -> None:
    """Remove exactly this value of a key from this repository's config, if it is there."""
    run(
        root,
        ["config", "--local", "--fixed-value", "--unset-all", "--end-of-options", key, value],
        check=False,
    )


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


_COMMIT_OPTIONS = ("--cleanup=whitespace", "--file=-", "--only")


def commit(
    root: Path,
    paths: Sequence[str],
    message: str,
    sign: bool,
    env: Mapping[str, str] | None = None,
    allow_empty: bool = False,
) -> str:
    """Commit exactly `paths` (other staged work stays staged) and return the new commit,
    or "" when they hold nothing new (`allow_empty`: commit all the same, to record an event)."""
    run(root, ["add", "--all", "--", *paths], own_index=True)
    unchanged = ["diff", "--cached", "--quiet", "--", *paths]
    if run(root, unchanged, check=False, own_index=True).returncode == 0 and not allow_empty:
        return ""
    signing = ["--gpg-sign"] if sign else ["--no-gpg-sign"]
    empty = ["--allow-empty"] if allow_empty else []
    done = run(
        root,
        ["commit", "--quiet", *signing, *empty, *_COMMIT_OPTIONS, "--", *paths],
        input=message.encode("utf-8"),
        check=False,
        env=env,
        own_index=True,
    )
    if done.returncode != 0:
        run(root, ["reset", "--quiet", "--", *paths], check=False, own_index=True)
        text = done.stderr.decode("utf-8", "replace")
        locked = locked_out(text.strip().splitlines())
        if locked is not None:
            raise locked
        reason, hint = _commit_failure(text, done.returncode)
        raise FormulaError(
            f"git could not make the commit: {reason}", f"{hint}; nothing was committed", rule="git"
        )
    found = head(root)
    assert found is not None
    return found


def message_of(root: Path, commit: str) -> str:
    """The full message of one commit, as git stored it."""
    done = run(root, ["cat-file", "commit", commit])
    return done.stdout.decode("utf-8", "replace").partition("\n\n")[2]


def changed_blobs(root: Path, commit: str) -> dict[str, str | None]:
    """Paths `commit` changes against its first parent (or adds, as a root) → new blob."""
    done = run(root, ["diff-tree", "-r", "-z", "--root", "--no-renames", "--no-commit-id", commit])
    fields = iter(done.stdout.split(b"\0"))
    changed: dict[str, str | None] = {}
    for info in fields:
        parts = info.decode().split()
        if len(parts) < 5:
            continue
        path = next(fields, b"").decode("utf-8", "surrogateescape")
        changed[path] = None if parts[3] == _NO_BLOB else parts[3]
    return changed


def undo_commit(root: Path, commit: str, paths: Sequence[str]) -> None:
    """Take back the commit just made (HEAD) and unstage `paths`, as if it never happened."""
    parents = run(root, ["rev-parse", f"{commit}^@"]).stdout.decode().split()
    if parents:
        run(root, ["update-ref", "HEAD", parents[0], commit])
        run(root, ["reset", "--quiet", "--", *paths], check=False, own_index=True)
    else:
        run(root, ["update-ref", "-d", "HEAD", commit])
        run(root, ["rm", "--cached", "--quiet", "-r", "--", *paths], check=False, own_index=True)


def _commit_failure(stderr: str, status: int) -> tuple[str, str]:
    """Why a commit failed and what to do, from what git said; `whoami` only where the
    signing setup is the likely cause."""
    if "during a merge" in stderr:
        return "a merge is in progress", "finish it (`git commit`) or undo it (`git merge --abort`)"
    named = re.search(r'Load key "([^"]+)": incorrect passphrase', stderr)
    if named:
        key = named.group(1)
        return (
            f"the signing key {key} needs its passphrase",
            f"load it into ssh-agent with `ssh-add {key}`, then try again",
        )
    lines = stderr.strip().splitlines()
    reason = next(
        (line for line in lines if "error" in line.lower()),
        lines[-1] if lines else f"exit status {status}",
    )
    return reason.strip(), "check `formulactl whoami`"


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
    mode: str = "100644"  # what the new entry is: see REGULAR_MODES


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
        stderr=subprocess.PIPE,
        env=_environment(),
    )
    commits = _stream(process)
    yield from (reversed(list(commits)) if len(paths) == 1 else commits)


def _stream(process: subprocess.Popen[bytes]) -> Iterator[LoggedCommit]:
    assert process.stdout is not None
    # Only each new chunk is split, and a commit's pieces are joined once: re-splitting the
    # whole buffer per chunk was quadratic for a commit of 200,000 files (seconds per log).
    pieces: list[bytes] = []
    for chunk in iter(lambda: process.stdout.read(1 << 16), b""):  # type: ignore[union-attr]
        *complete, rest = chunk.split(b"\x01")
        if complete:
            complete[0] = b"".join([*pieces, complete[0]])
            pieces = []
            for entry in complete:
                if entry:
                    yield _logged(entry)
        pieces.append(rest)
    buffer = b"".join(pieces)
    if buffer:
        yield _logged(buffer)
    said = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
    if process.wait() != 0:
        if "'HEAD'" in said:
            raise FormulaError(
                "this repository has no commits yet", "there is no history to show", rule="git"
            )
        reason = said.strip().splitlines()[-1:] or ["git log failed"]
        raise FormulaError(f"{reason[0]} on this range", "check the revisions", rule="git")


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
                parts[1],
            )
        )
    return LoggedCommit(ids[0], tuple(ids[1:]), tuple(changes))


def read_ref(root: Path, ref: str) -> str | None:
    done = run(root, ["rev-parse", "--verify", "--quiet", "--end-of-options", ref], check=False)
    return done.stdout.decode().strip() or None


def update_ref(root: Path, ref: str, new: str, old: str | None) -> None:
    """Move `ref` only if it still points where we read it (no lost update)."""
    run(root, ["update-ref", ref, new, old or ""])


def merge_base(root: Path, first: str, second: str) -> str | None:
    """The best common ancestor of two commits, or None when they share no history."""
    done = run(root, ["merge-base", "--end-of-options", first, second], check=False)
    return done.stdout.decode().strip() or None


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


LITERAL = {"GIT_LITERAL_PATHSPECS": "1"}  # a path is a name, never a pattern


def index_modes(root: Path, paths: Sequence[str]) -> dict[str, str]:
    """Path → mode of those paths as the index holds them (120000 for a staged link)."""
    if not paths:
        return {}
    done = run(root, ["ls-files", "--stage", "-z", "--", *paths], env=LITERAL)
    modes = {}
    for entry in done.stdout.split(b"\0"):
        info, _, name = entry.partition(b"\t")
        if info:
            modes[name.decode("utf-8", "surrogateescape")] = info.split(b" ")[0].decode()
    return modes


def staged(root: Path) -> list[str]:
    """Paths staged for the next commit (added, changed or deleted)."""
    done = run(root, ["diff", "--cached", "--name-only", "-z", "--no-renames"])
    return [name.decode("utf-8", "surrogateescape") for name in done.stdout.split(b"\0") if name]


def new_commits(root: Path, old: str, new: str, known: str) -> list[str]:
    """Commits `new` brings: after `old`, or (for a new branch) not reachable from `known`
    refs (`--branches` on a server before its refs move, `--remotes` before a push)."""
    since = [new, "--not", known] if set(old) == {"0"} else [f"{old}..{new}"]
    return run(root, ["rev-list", *since]).stdout.decode().split()


def tree_entries(root: Path, commit: str, paths: Sequence[str]) -> list[tuple[str, str]]:
    """(mode, path) of every entry under `paths` in `commit`, submodules and links included."""
    done = run(root, ["ls-tree", "-r", "-z", "--full-tree", commit, "--", *paths])
    entries = []
    for entry in done.stdout.split(b"\0"):
        info, _, name = entry.partition(b"\t")
        if info:
            entries.append((info.split(b" ")[0].decode(), name.decode("utf-8", "surrogateescape")))
    return entries


def commits_only_in(
    root: Path, tips: Sequence[str], olds: Sequence[str], excluded: Sequence[str]
) -> list[str]:
    """The commits reachable from `tips` and from neither `olds` nor any ref but those
    matching `excluded` (glob patterns; after a push: the refs it moved)."""
    flags = [f"--exclude={ref}" for ref in [*excluded, "HEAD"]]  # --all counts HEAD too
    done = run(root, ["rev-list", *tips, "--not", *olds, *flags, "--all"])
    return done.stdout.decode().split()


def symbolic_ref(root: Path, name: str) -> str | None:
    """The ref `name` points to (`HEAD` → `refs/heads/main`), even before it has commits."""
    done = run(root, ["symbolic-ref", "--quiet", "--end-of-options", name], check=False)
    return done.stdout.decode().strip() or None


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


def tree_blobs(root: Path, commit: str, folder: str) -> dict[str, str]:
    """Files under `folder` → blob id, as `commit` holds them (paths relative to `root`)."""
    done = run(root, ["ls-tree", "-r", "-z", "--end-of-options", commit, "--", folder])
    blobs: dict[str, str] = {}
    for entry in done.stdout.split(b"\0"):
        info, _, name = entry.partition(b"\t")
        parts = info.split(b" ")
        if len(parts) == 3 and parts[1] == b"blob":
            blobs[name.decode("utf-8", "surrogateescape")] = parts[2].decode()
    return blobs


def commit_on(root: Path, day: str) -> str | None:
    """The last commit on HEAD's line made on or before the end of `day` (YYYY-MM-DD)."""
    done = run(root, ["rev-list", "-1", f"--before={day} 23:59:59", "HEAD", "--"], check=False)
    return done.stdout.decode().strip() or None


def refs(root: Path, patterns: Sequence[str]) -> dict[str, str]:
    """Every ref matching `patterns` (a folder such as "refs/heads/", or a glob) → its object."""
    done = run(root, ["for-each-ref", "--format=%(refname) %(objectname)", *patterns])
    found: dict[str, str] = {}
    for line in done.stdout.decode("utf-8", "surrogateescape").splitlines():
        name, _, target = line.rpartition(" ")
        found[name] = target
    return found


def bundle_create(root: Path, bundle: Path, names: Sequence[str]) -> None:
    """A bundle of `names` (refs, and HEAD so a clone checks out the same branch)."""
    run(root, ["bundle", "create", "--quiet", str(bundle), *names])


def bundle_heads(root: Path, bundle: Path) -> dict[str, str] | None:
    """The refs a bundle says it holds → their objects, or None when it is no valid bundle
    (damaged, cut short, or missing objects it needs from elsewhere)."""
    done = run(root, ["bundle", "verify", "--quiet", str(bundle)], check=False)
    if done.returncode != 0:
        return None
    listed = run(root, ["bundle", "list-heads", str(bundle)], check=False)
    found: dict[str, str] = {}
    for line in listed.stdout.decode("utf-8", "surrogateescape").splitlines():
        target, _, name = line.partition(" ")
        found[name] = target
    return found


def clone_bundle(bundle: Path, target: Path) -> None:
    """A working clone of a bundle, with every ref it holds (notes and formulactl's own
    refs too, which a plain clone leaves behind), and no remote pointing at the file."""
    run(target.parent, ["clone", "--quiet", "--no-hardlinks", "--", str(bundle), str(target)])
    run(target, ["fetch", "--quiet", "--update-head-ok", "--", str(bundle), "+refs/*:refs/*"])
    run(target, ["remote", "remove", "origin"])


def last_commit_with(root: Path, line: str) -> tuple[str, str] | None:
    """The newest commit on HEAD whose message has `line` as a whole line: (id, date)."""
    pattern = "^" + re.escape(line) + "$"
    done = run(
        root, ["log", "-1", "--format=%H %cs", f"--grep={pattern}", "HEAD", "--"], check=False
    )
    found = done.stdout.decode().split()
    return (found[0], found[1]) if len(found) == 2 else None
