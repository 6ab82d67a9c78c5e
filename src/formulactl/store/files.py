"""Reading files under a folder without ever following a link or opening a special file.

A store comes from other people's commits: a record that is a link to `/etc/passwd`, to
`/dev/zero` or to a FIFO must be named, never read. Every path component is opened relative
to its parent with O_NOFOLLOW, and the file itself with O_NONBLOCK (so a FIFO cannot block
the open) and checked to be a regular file before a byte is read.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from formulactl.errors import FormulaError

_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
LINK_HINT = "formulactl never follows links or opens special files in a store: put the file there"


class NotRegular(FormulaError):
    """A path that is a link, a FIFO, a device, a socket or a folder: named, never read."""


class TooBig(ValueError):
    """A regular file over the size limit, refused before it is read (the caller words it)."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def describe(mode: int) -> str:
    """What a file of this `st_mode` is, in words for a message."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a regular file"


def read_regular(base: Path, relative: str, limit: int) -> bytes:
    """The bytes of `base/relative`, a regular file reached through real folders only.

    Raises FileNotFoundError when it does not exist, NotRegular (naming the first link or
    special file on the way) and TooBig (with the size) without reading it."""
    parts = relative.split("/")
    folder = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for index, part in enumerate(parts[:-1]):
            try:
                inner = os.open(part, _DIRECTORY, dir_fd=folder)
            except OSError as error:
                _refuse(error, folder, part, "/".join(parts[: index + 1]))
                raise
            os.close(folder)
            folder = inner
        try:
            handle = os.open(parts[-1], _FILE, dir_fd=folder)
        except OSError as error:
            _refuse(error, folder, parts[-1], relative)
            raise
    finally:
        os.close(folder)
    with os.fdopen(handle, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(relative, info.st_mode)
        if info.st_size > limit:
            raise TooBig(info.st_size)
        data = stream.read(info.st_size)
        while len(data) <= limit:  # a file that grows while it is read is read to its end
            more = stream.read(1 << 16)
            if not more:
                break
            data += more
    if len(data) > limit:
        raise TooBig(len(data))
    return data


def refuse_linked_folders(base: Path, relative: str) -> None:
    """Refuse to write `base/relative` when a folder on the way is a link or not a folder,
    so a write can never land outside the store."""
    parts = relative.split("/")[:-1]
    for index in range(len(parts)):
        shown = "/".join(parts[: index + 1])
        try:
            mode = os.lstat(base / shown).st_mode
        except FileNotFoundError:
            return
        if not stat.S_ISDIR(mode):
            raise _not_regular(shown, mode)


def is_present(base: Path, relative: str) -> bool:
    """Whether anything (a link included) is at `base/relative`, without following it."""
    return os.path.lexists(base / relative)


def _refuse(error: OSError, folder: int, name: str, shown: str) -> None:
    """Turn an open that met a link or a special file into NotRegular; other errors pass."""
    if error.errno not in (errno.ELOOP, errno.ENOTDIR, errno.EISDIR, errno.ENXIO):
        return
    try:
        mode = os.lstat(name, dir_fd=folder).st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode) or error.errno == errno.ELOOP:
        raise _not_regular(shown, mode) from None


def _not_regular(path: str, mode: int) -> NotRegular:
    what = describe(mode)
    if stat.S_ISDIR(mode):
        return NotRegular("is a folder, not a file", "", path, rule="not-a-file")
    return NotRegular(f"is {what}, not a regular file", LINK_HINT, path, rule="not-a-file")
