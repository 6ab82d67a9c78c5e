"""`fmt` as an action: canonical rewrites land as one signed commit like every change."""

from __future__ import annotations

from collections.abc import Mapping

from formulactl.actions.commits import commit_files
from formulactl.actions.signing import actor
from formulactl.errors import FormulaError
from formulactl.store.store import Store


def save_formatted(store: Store, changed: Mapping[str, str]) -> str:
    """Commit the rewritten files, signed; a store whose team is still empty (just made by
    `init`) has nobody to sign, so there they are written in place. Returns the commit."""
    if not changed:
        return ""
    if not store.team.people:
        for path, text in changed.items():
            store.write_text(path, text)
        return ""
    if actor(store) is None:
        raise FormulaError(
            "you are not in this store's team", "run `formulactl whoami`", rule="not-in-team"
        )
    files = f"{len(changed)} file" + ("" if len(changed) == 1 else "s")
    return commit_files(
        store, changed, f"fmt {files}", [("Action", "fmt"), ("Meaning", "authored")]
    )
