"""Writing records and committing them as one step: a signed commit, or nothing at all."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

from formulactl.actions.commitcheck import check_made
from formulactl.actions.journal import journaled
from formulactl.actions.locking import exclusive
from formulactl.actions.signing import configured_key
from formulactl.git import gitio
from formulactl.model.workflow import trailer_lines
from formulactl.store.store import Store


def commit_files(
    store: Store,
    writes: Mapping[str, str | bytes | None],
    subject: str,
    trailers: list[tuple[str, str]],
    allow_empty: bool = False,
) -> str:
    """Write (or delete, for None) store files and commit exactly them; on any failure the
    files are put back as they were, so a refused signature loses nothing and adds nothing.
    Returns "" when nothing changed, unless `allow_empty` records the event all the same."""
    with written(store, writes, subject):
        return commit_written(store, writes, subject, trailers, allow_empty)


@contextlib.contextmanager
def written(store: Store, writes: Mapping[str, str | bytes | None], subject: str) -> Iterator[None]:
    """Under the write lock, journal and write the files; the block commits them. Any
    failure (or a kill, through `formulactl recover`) puts back exactly what was touched."""
    data = {
        path: text.encode("utf-8") if isinstance(text, str) else text
        for path, text in writes.items()
    }
    with exclusive(store, subject) as held, journaled(store, held.folder, held.command, data):
        yield


def commit_written(
    store: Store,
    writes: Mapping[str, str | bytes | None],
    subject: str,
    trailers: list[tuple[str, str]],
    allow_empty: bool = False,
) -> str:
    """Commit exactly the written paths, signed whenever a key is set up (a store that allows
    unsigned commits only spares the people who have none), and check that the commit made
    is the commit meant (a hook may have changed its message or files)."""
    message = f"{subject}\n\n{trailer_lines(trailers)}\n"
    sign = configured_key(store) is not None or not store.settings.allow_unsigned
    made = gitio.commit(store.root, list(writes), message, sign=sign, allow_empty=allow_empty)
    if made:
        check_made(store, made, writes, trailers)
    return made
