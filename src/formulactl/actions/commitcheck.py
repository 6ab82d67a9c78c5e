"""After committing: the commit made must be the commit meant, or it is taken back.

A user's own hooks run inside `git commit`; a commit-msg hook may strip trailers and a
pre-commit hook may stage more files. Either would leave a commit that says or holds
something other than what formulactl reports, so it is undone and the reason given."""

from __future__ import annotations

from collections.abc import Mapping

from formulactl.errors import FormulaError
from formulactl.git import gitio
from formulactl.model.workflow import read_trailers
from formulactl.store.store import Store


def check_made(
    store: Store,
    commit: str,
    writes: Mapping[str, str | bytes | None],
    trailers: list[tuple[str, str]],
) -> None:
    """Undo `commit` (HEAD) and refuse when its trailers or files differ from the intent."""
    problem = _difference(store, commit, writes, trailers)
    if problem:
        gitio.undo_commit(store.root, commit, list(writes))
        raise FormulaError(
            f"the commit git made is not the one meant: {problem}",
            "a git hook changed it (see `git config core.hooksPath` and .git/hooks); "
            "nothing was committed",
            rule="commit-changed",
        )


def _difference(
    store: Store,
    commit: str,
    writes: Mapping[str, str | bytes | None],
    trailers: list[tuple[str, str]],
) -> str:
    found = read_trailers(gitio.message_of(store.root, commit))
    meant = {name: " ".join(value.split()) for name, value in trailers}
    for name, value in meant.items():
        if found.get(name) != value:
            return f"its trailer Formulactl-{name} is {found.get(name) or 'missing'}"
    extra = sorted(set(found) - set(meant))
    if extra:
        return f"it carries a trailer Formulactl-{extra[0]} that formulactl did not write"
    prefix = gitio.prefix(store.root)
    changed = gitio.changed_blobs(store.root, commit)
    for path, text in writes.items():
        data = text.encode("utf-8") if isinstance(text, str) else text
        blob = gitio.blob_id(data) if data is not None else None
        if changed.pop(prefix + path, blob) != blob:
            return f"{path} holds other content than was written"
    if changed:
        return f"it also changes {sorted(changed)[0]}"
    return ""
