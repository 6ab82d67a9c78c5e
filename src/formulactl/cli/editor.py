"""The user's editor on a private temporary file, for `edit`."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from formulactl.errors import FormulaError


def editor_command() -> list[str]:
    return shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")


@contextmanager
def private_folder() -> Iterator[Path]:
    """A folder only this user can read, in memory where the system has /dev/shm; it is
    removed on every way out, a termination signal included."""
    memory = Path("/dev/shm")
    base = memory if memory.is_dir() and os.access(memory, os.W_OK) else None
    folder = Path(tempfile.mkdtemp(prefix="formulactl-edit-", dir=base))

    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous)


def run_editor(editor: list[str], path: Path) -> bytes:
    """Let the user edit `path`; what they saved, or one line saying why there is nothing."""
    try:
        done = subprocess.run([*editor, str(path)], check=False)
    except FileNotFoundError:
        raise FormulaError(
            f"editor `{editor[0]}` was not found",
            "set EDITOR to an editor you have, such as nano",
            rule="usage",
        ) from None
    if done.returncode != 0:
        raise FormulaError(
            f"the editor exited with status {done.returncode}",
            "nothing was saved; try again",
            rule="usage",
        )
    return _edited(path)


def _edited(path: Path) -> bytes:
    """The edited file; an editor that removed it or put something else there saved nothing."""
    if path.is_symlink() or path.is_dir():
        found = "a folder" if path.is_dir() else "a link"
        raise FormulaError(
            f"the editor left {found} where the file was",
            "nothing was saved; save the record as a file",
            rule="usage",
        )
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise FormulaError(
            "the editor removed the file", "nothing was saved; try again", rule="usage"
        ) from None
    except OSError as error:
        raise FormulaError(
            f"the edited file cannot be read ({error.strerror})",
            "nothing was saved; try again",
            rule="usage",
        ) from None
