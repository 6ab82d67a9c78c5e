"""Writing records and committing them as one step: a signed commit, or nothing at all."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from formulactl.actions.commitcheck import check_made
from formulactl.actions.signing import configured_key
from formulactl.git import gitio
from formulactl.model.workflow import trailer_lines
from formulactl.store.store import Store


def commit_files(
    store: Store,
    writes: Mapping[str, str | None],
    subject: str,
    trailers: list[tuple[str, str]],
    allow_empty: bool = False,
) -> str:
    """Write (or delete, for None) store files and commit exactly them; on any failure the
    files are put back as they were, so a refused signature loses nothing and adds nothing.
    Returns "" when nothing changed, unless `allow_empty` records the event all the same."""
    previous: dict[str, bytes | None] = {}
    for path in writes:
        with contextlib.suppress(FileNotFoundError):
            previous[path] = (store.root / path).read_bytes()
        previous.setdefault(path, None)
    message = f"{subject}\n\n{trailer_lines(trailers)}\n"
    try:
        for path, text in writes.items():
            if text is None:
                (store.root / path).unlink(missing_ok=True)
            else:
                store.write_text(path, text)
        # Sign whenever a key is set up; a store that allows unsigned commits only spares
        # the people who have none.
        sign = configured_key(store) is not None or not store.settings.allow_unsigned
        made = gitio.commit(store.root, list(writes), message, sign=sign, allow_empty=allow_empty)
        if made:
            check_made(store, made, writes, trailers)
        return made
    except BaseException:
        for path, data in previous.items():
            if data is None:
                (store.root / path).unlink(missing_ok=True)
            else:
                store.write_text(path, data)
        raise
