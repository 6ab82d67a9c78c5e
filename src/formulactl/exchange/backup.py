"""Backups as git bundles, and the drill that proves one restores: every ref formulactl
uses goes into one file, the file is verified, restored into a temporary folder and the
restored history checked by `audit verify`; the drill is then recorded as a signed commit
that changes no file (`Formulactl-Action: backup-drill`), which the history rules accept
like any signed event and `due` reads to remind when the next drill is due."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from formulactl.actions.commits import commit_files
from formulactl.audit.inspect import audit
from formulactl.audit.reports import DueItem
from formulactl.errors import FormulaError
from formulactl.git import gitio
from formulactl.model.kinds import SETTINGS_FILE
from formulactl.store.store import Store

# Branches, tags, the receive-time notes and the verified-heads list.
SAVED_REFS = ("refs/heads/", "refs/tags/", "refs/notes/formulactl-*", "refs/formulactl/")
DRILL_ACTION = "backup-drill"
BACKUP_DAYS = 30  # the default of settings `backup_days`
DRILL_LINE = f"Formulactl-Action: {DRILL_ACTION}"


@dataclass(frozen=True)
class Drill:
    """A restore checked by `audit verify`: how many refs came back and what it found."""

    refs: int
    findings: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.findings


@dataclass(frozen=True)
class Backup:
    bundle: Path
    sha256: str
    size: int
    refs: dict[str, str]
    head: str
    drill: Drill
    recorded: str = ""  # the signed commit recording the drill


def backup(store: Store, folder: Path) -> Backup:
    """Bundle every ref formulactl uses into `folder`, verify the bundle, restore it into a
    temporary folder and audit that; record the drill only when it passed."""
    folder = folder.absolute()  # git runs in the store, the user named it from here
    head = gitio.head(store.root)
    if head is None:
        raise FormulaError("the store has no commits yet", "commit the records first", rule="usage")
    dirty = gitio.dirty(store.root, [SETTINGS_FILE])
    if dirty:
        raise FormulaError(
            f"{SETTINGS_FILE} has uncommitted changes",
            "commit or undo them first: the drill is recorded as a commit",
            rule="usage",
        )
    saved = gitio.refs(store.root, SAVED_REFS)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FormulaError(
            f"cannot make the backup folder ({error.strerror})",
            "pick another --to",
            str(folder),
            rule="usage",
        ) from None
    name = f"{store.settings.store_id}-{date.today():%Y%m%d}-{head[:10]}.bundle"
    target = folder / name
    partial = folder / f".{name}.partial"
    try:
        gitio.bundle_create(store.root, partial, ["HEAD", *sorted(saved)])
        listed = gitio.bundle_heads(store.root, partial)
    except FormulaError:
        listed = None
    if listed is None or any(listed.get(ref) != target_id for ref, target_id in saved.items()):
        partial.unlink(missing_ok=True)
        raise FormulaError(
            "the bundle git wrote does not verify", "check the disk and run backup again"
        )
    partial.replace(target)
    drill = restore_drill(target)
    data = target.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    made = Backup(target, digest, len(data), saved, head, drill)
    if not drill.passed:
        return made
    subject = f"backup drill: {len(saved)} refs restored from {name} and verified"
    trailers = [("Action", DRILL_ACTION), ("Backup", f"{head} sha256:{digest}")]
    settings = (store.root / SETTINGS_FILE).read_bytes()
    recorded = commit_files(store, {SETTINGS_FILE: settings}, subject, trailers, allow_empty=True)
    return Backup(target, digest, len(data), saved, head, drill, recorded)


def restore_drill(bundle: Path) -> Drill:
    """Restore into a temporary folder, audit it, and remove it again."""
    with tempfile.TemporaryDirectory(prefix="formulactl-drill-") as scratch:
        restored = Path(scratch) / "store"
        heads = _clone_checked(bundle, restored)
        return _audited(restored, len(heads.keys() - {"HEAD"}))


def restore(bundle: Path, target: Path) -> Drill:
    """A working store from a bundle, in `target` only once `audit verify` passed on it;
    `target` must be missing or empty."""
    bundle, target = bundle.absolute(), target.absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise FormulaError(
            "is not an empty folder",
            "restore into a new or empty folder; nothing was written",
            str(target),
            rule="usage",
        )
    if not bundle.is_file():
        raise FormulaError("no such bundle file", "check the path", str(bundle), rule="usage")
    parent = target.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".formulactl-restore-", dir=parent) as scratch:
        restored = Path(scratch) / "store"
        heads = _clone_checked(bundle, restored)
        drill = _audited(restored, len(heads.keys() - {"HEAD"}))
        if not drill.passed:
            raise FormulaError(
                f"the restored history does not verify: {drill.findings[0]}",
                "this bundle is not a trustworthy backup; nothing was written",
                str(bundle),
                rule="backup-unverified",
            )
        if target.exists():
            target.rmdir()
        restored.replace(target)
    return drill


def _clone_checked(bundle: Path, restored: Path) -> dict[str, str]:
    """Clone the bundle; a damaged or foreign file is one line, never a git trace."""
    try:
        gitio.clone_bundle(bundle, restored)
        heads = gitio.bundle_heads(restored, bundle)
    except FormulaError:
        heads = None
    if heads is None:
        raise FormulaError(
            "is not a complete, undamaged git bundle",
            "use another backup; nothing was written",
            str(bundle),
            rule="backup-damaged",
        )
    return heads


def _audited(restored: Path, refs: int) -> Drill:
    report = audit(Store(restored).without_cache())
    return Drill(refs, tuple(f"{f.rule}: {f.message}" for f in report.findings))


def last_drill(store: Store) -> str | None:
    """The day of the newest recorded drill on HEAD's line, or None."""
    found = gitio.last_commit_with(store.root, DRILL_LINE)
    return found[1] if found else None


def backup_due(store: Store, today: date) -> list[DueItem]:
    """The next drill, `backup_days` after the last one. A store that never had a drill is
    reminded only once it sets `backup_days`: from then on, and after its first drill, the
    reminder comes back every `backup_days` (default 30)."""
    last = last_drill(store)
    configured = store.settings.raw.get("backup_days")
    if last is None and configured is None:
        return []
    days = int(configured or BACKUP_DAYS)
    due = (date.fromisoformat(last) + timedelta(days=days)).isoformat() if last else ""
    admins = tuple(sorted(p.id for p in store.team.people.values() if p.is_admin))
    overdue = not due or due < today.isoformat()
    return [DueItem(due or today.isoformat(), "store", "backup", "drill", admins, overdue)]
