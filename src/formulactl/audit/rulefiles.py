"""The files that set the rules — team.yaml, formulactl.yaml and their schemas — as one
commit holds them, so each commit is judged by its parent's rules and never by today's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from formulactl.errors import FormulaError, Problem
from formulactl.git import gitio
from formulactl.model.kinds import SCHEMAS_DIR, SETTINGS_FILE, TEAM_FILE
from formulactl.model.settings import Settings
from formulactl.model.team import Team
from formulactl.rules.teamfile import team_file_problems
from formulactl.store import yamlio
from formulactl.store.schema import KindSchema, load_kind_schema
from formulactl.store.store import Store

TEAM_SCHEMA = f"{SCHEMAS_DIR}/team.schema.json"
SETTINGS_SCHEMA = f"{SCHEMAS_DIR}/settings.schema.json"
RULE_FILES = (TEAM_FILE, SETTINGS_FILE, TEAM_SCHEMA, SETTINGS_SCHEMA)
T = TypeVar("T")
Blobs = dict[str, str | None]  # rule file → its blob in one commit (None: absent)


class RuleFiles:
    """Rule files by commit, followed along a history walk so a parent's cost nothing."""

    def __init__(self, store: Store, objects: gitio.CatFile, prefix: str) -> None:
        self.store = store
        self.objects = objects
        self.prefix = prefix
        self._blobs: dict[str, Blobs] = {}
        self._parsed: dict[tuple[str, str | None, str | None], Any] = {}

    def follow(self, commit_id: str, parents: tuple[str, ...], changes: Blobs) -> None:
        """Note the rule files of a commit whose parent's are known (or a root commit)."""
        changed = {path: blob for path, blob in changes.items() if path in RULE_FILES}
        if not parents:
            self._blobs[commit_id] = {path: changed.get(path) for path in RULE_FILES}
        elif len(parents) == 1 and parents[0] in self._blobs:
            base = self._blobs[parents[0]]
            self._blobs[commit_id] = {**base, **changed} if changed else base

    def blobs(self, commit: str) -> Blobs:
        if commit not in self._blobs:
            where = f"{commit}:{self.prefix}"
            found = {path: self.objects.read(where + path) for path in RULE_FILES}
            self._blobs[commit] = {path: item[0] if item else None for path, item in found.items()}
        return self._blobs[commit]

    def team_at(self, commit: str) -> Team | None:
        """The team file in `commit`, valid by that commit's schema (None when it is not)."""
        blobs = self.blobs(commit)
        key = ("team", blobs[TEAM_FILE], blobs[TEAM_SCHEMA])
        if key not in self._parsed:
            content = self._valid(blobs[TEAM_FILE], TEAM_FILE, blobs[TEAM_SCHEMA], "team")
            self._parsed[key] = _built(Team.from_data, content)
        found: Team | None = self._parsed[key]
        return found

    def settings_at(self, commit: str) -> Settings | None:
        """The settings in `commit`, valid by that commit's schema (None when they are not)."""
        blobs = self.blobs(commit)
        key = ("settings", blobs[SETTINGS_FILE], blobs[SETTINGS_SCHEMA])
        if key not in self._parsed:
            content = self._valid(
                blobs[SETTINGS_FILE], SETTINGS_FILE, blobs[SETTINGS_SCHEMA], "settings"
            )
            self._parsed[key] = _built(Settings.from_data, content)
        found: Settings | None = self._parsed[key]
        return found

    def _valid(
        self, blob: str | None, name: str, schema_blob: str | None, kind: str
    ) -> dict[str, Any] | None:
        """A store file's content when it reads and its schema (of the same commit) passes."""
        if blob is None:
            return None
        schema = self.schema(schema_blob, kind)
        try:
            content = yamlio.load_record(self._read(blob), name, 1 << 20)
        except FormulaError:
            return None
        return content if schema is not None and not schema.problems(content) else None

    def team_problems(self, commit: str, judged_by: str) -> list[Problem]:
        """What is wrong with the team file `commit` leaves, by the schema of `judged_by`."""
        blob = self.blobs(commit)[TEAM_FILE]
        if blob is None:
            return []
        schema = self.schema(self.blobs(judged_by)[TEAM_SCHEMA], "team")
        try:
            content = yamlio.load_record(self._read(blob), TEAM_FILE, 1 << 20)
        except FormulaError as error:
            return [Problem("", error.finding.rule, error.finding.message, error.finding.hint)]
        return team_file_problems(schema or self.store.schema("team"), content)

    def schema(self, blob: str | None, kind: str) -> KindSchema | None:
        """A schema by its blob; today's when the commit has none, None when unreadable."""
        if blob is None:
            return self.store.schema(kind)
        key = ("schema", blob, kind)
        if key not in self._parsed:
            try:
                self._parsed[key] = load_kind_schema(kind, self._read(blob), blob)
            except FormulaError:
                self._parsed[key] = None
        found: KindSchema | None = self._parsed[key]
        return found

    def _read(self, blob: str) -> bytes:
        found = self.objects.read(blob)
        return found[2] if found else b""


def _built(build: Callable[[dict[str, Any]], T], content: dict[str, Any] | None) -> T | None:
    """A team or settings object; None when a schema loosened in history let through a file
    that lacks what formulactl needs (so it is trusted for nothing)."""
    if content is None:
        return None
    try:
        return build(content)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
