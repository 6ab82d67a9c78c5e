"""`validate`: load → schema → record rules → store rules, collecting every finding.

Each file's own findings and its facts are cached by blob ID, so a second run over an
unchanged store lists the tree, reads the cache, and runs only the cheap store rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import astuple, replace
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from formulactl.errors import Finding, FormulaError, Problem
from formulactl.git import gitio
from formulactl.model.kinds import (
    FOLDERS,
    KINDS,
    RECORDS_DIR,
    STORE_FILES,
    TEAM_FILE,
)
from formulactl.model.team import Team
from formulactl.parallel import parallel_map
from formulactl.rules import composition  # noqa: F401  (registers its rules)
from formulactl.rules.owners import check_owners
from formulactl.rules.quality import typed_pass_problems
from formulactl.rules.rules import (
    Located,
    RuleContext,
    check_record,
    check_references,
    check_unique_tax_ids,
    record_facts,
    reference_pointers,
)
from formulactl.rules.runs import Report, run_key, select
from formulactl.rules.suppliers import disqualified_suppliers
from formulactl.rules.teamfile import team_file_problems
from formulactl.store import files, yamlio
from formulactl.store.cache import BlobCache
from formulactl.store.store import Store

CUSTOMERS = f"{RECORDS_DIR}/{KINDS['customer'].folder}/"


class Placed(NamedTuple):
    """One problem placed in its file: line, column and the finding's words, without the
    path (the file's result is cached by blob, wherever the file sits)."""

    line: int
    col: int
    pointer: str
    rule: str
    message: str
    hint: str

    @classmethod
    def of(cls, finding: Finding) -> Placed:
        return cls(
            finding.line, finding.col, finding.pointer, finding.rule, finding.message, finding.hint
        )

    def at(self, path: str) -> Finding:
        return Finding(path, self.line, self.col, self.pointer, self.rule, self.message, self.hint)


class FileResult(NamedTuple):
    """What one file's bytes say: its facts (None when unreadable) and its placed problems.
    The cache keeps it as plain tuples (marshal stores no named types)."""

    facts: dict[str, Any] | None
    placed: list[Placed]

    def cached(self) -> tuple[Any, ...]:
        return (self.facts, [tuple(item) for item in self.placed])

    @classmethod
    def from_cache(cls, entry: Any) -> FileResult:
        facts, rows = entry
        return cls(facts, [Placed(*row) for row in rows])


class Checker:
    def __init__(self, store: Store, cache: BlobCache) -> None:
        self.store = store
        self.cache = cache
        self.results: dict[str, FileResult] = {}
        self.verdicts: dict[tuple[str, str, str], tuple[str, str] | None] = {}

    def result(self, path: str) -> FileResult:
        if path not in self.results:
            self.results[path] = self._compute(path)
        return self.results[path]

    def _compute(self, path: str) -> FileResult:
        cached = self._cached(path)
        if cached is not None:
            return cached
        key, result = self._fresh(path)
        if key:
            self.cache.put(key, result.cached())
        return result

    def _cached(self, path: str) -> FileResult | None:
        blob = self.listing.get(path)
        found = self.cache.get(f"{blob}:{path.split('/')[-2]}") if blob else None
        return FileResult.from_cache(found) if found is not None else None

    def _fresh(self, path: str) -> tuple[str, FileResult]:
        """Read and check one file: (its cache key, or "" when unreadable; the result)."""
        try:
            data = self.store.read_bytes(path)
        except FormulaError as error:
            return "", FileResult(None, [Placed.of(error.finding)])
        key = f"{gitio.blob_id(data)}:{path.split('/')[-2]}"
        cached = self.cache.get(key)
        if cached is not None:
            return key, FileResult.from_cache(cached)
        return key, check_file(self.store, path, data)

    def prefetch(self, paths: Iterable[str]) -> None:
        """Check every file not in the cache at once, on every core (a cold run)."""
        missing = [
            path for path in paths if path not in self.results and self._cached(path) is None
        ]
        for path, (key, result) in zip(missing, parallel_map(self._fresh, missing), strict=True):
            if key:
                self.cache.put(key, result.cached())
            self.results[path] = result

    @cached_property
    def listing(self) -> dict[str, str | None]:
        return self.store.listing()

    def exists(self, kind: str, record_id: str) -> bool:
        """Whether the record exists; without the listing at hand, one look at the disk."""
        path = f"{RECORDS_DIR}/{KINDS[kind].folder}/{record_id}.yaml"
        if "listing" in self.__dict__:
            return path in self.listing
        return files.is_present(self.store.root, path)

    def facts_of(self, kind: str, record_id: str) -> Mapping[str, Any] | None:
        path = f"{RECORDS_DIR}/{KINDS[kind].folder}/{record_id}.yaml"
        if path not in self.listing:
            return None
        return self.result(path).facts or {}

    def run_key(self, wanted: set[str]) -> str | None:
        """Names this exact run: the same key means the same findings, without any checking."""
        return run_key(self.store, self.cache.context, self.listing, wanted)


def check_file(store: Store, path: str, data: bytes, plaintext_ok: bool = False) -> FileResult:
    """Everything that depends only on this file's bytes: parse, schema, record rules."""
    try:
        record = store.parse(path, data)
    except FormulaError as error:
        return FileResult(None, [Placed.of(error.finding)])
    schema = store.schema(record.kind)
    problems = schema.problems(record.data)
    context = RuleContext(store.settings, schema, _team(store), record.id, plaintext_ok)
    problems += check_record(context, record.data)
    facts = record_facts(schema, record.data)
    return FileResult(facts, _locate(data, problems))


def validate(
    store: Store,
    paths: Iterable[Path] = (),
    cache: BlobCache | None = None,
    runs: BlobCache | None = None,
) -> Report:
    """Check the whole store or the files under `paths`; `runs` remembers whole runs."""
    cache = cache or BlobCache(None, "")
    checker = Checker(store, cache)
    wanted = select(store, checker.listing, list(paths))
    key = checker.run_key(wanted) if runs is not None else None
    remembered = runs.get(key) if runs is not None and key else None
    if remembered is not None:
        files, unreadable, rows = remembered
        return Report([Finding(*row) for row in rows], files, unreadable)
    report = _validate(checker, wanted)
    cache.save(prune=not paths)
    if runs is not None and key:
        runs.entries.clear()  # only the latest run is worth remembering
        runs.put(key, (report.files, report.unreadable, [astuple(f) for f in report.findings]))
        runs.save(prune=False)
    return report


def _validate(checker: Checker, wanted: set[str]) -> Report:
    store = checker.store
    report = Report(files=len(wanted))
    located: list[Located] = []
    checker.prefetch(sorted(path for path in wanted if path not in STORE_FILES))
    for path in sorted(wanted):
        if path in STORE_FILES:
            report.findings += _check_store_file(store, path)
            continue
        facts, placed = checker.result(path)
        report.findings += [item.at(path) for item in placed]
        if facts is None:
            report.unreadable += 1
            continue
        located += _store_rules(checker, path, facts, store.read_bytes)
    if any(path.startswith(CUSTOMERS) for path in wanted):
        customers = _customers(checker)
        located += [item for item in check_unique_tax_ids(customers) if item.path in wanted]
        located += [item for item in check_owners(customers, _team(store)) if item.path in wanted]
    report.findings += _place(located, store.read_bytes)
    report.findings.sort(key=lambda f: (f.path, f.line, f.col, f.rule))
    return report


def check_unsaved(
    store: Store, path: str, data: bytes, cache: BlobCache, plaintext_ok: bool = False
) -> list[Finding]:
    """Findings for content about to be written at `path`, placed in `data` itself
    (`plaintext_ok`: it is the plain text of a record that will be sealed before writing)."""
    facts, placed = check_file(store, path, data, plaintext_ok)
    findings = [item.at(path) for item in placed]
    if facts is None:
        return findings
    checker = Checker(store, cache)
    located = _store_rules(checker, path, facts, lambda _path: data)
    if path.startswith(CUSTOMERS):
        others = [(other, facts_) for other, facts_ in _customers(checker) if other != path]
        located += [
            item for item in check_unique_tax_ids([*others, (path, facts)]) if item.path == path
        ]
    cache.save(prune=False)
    return findings + _place(located, lambda _path: data)


def _store_rules(
    checker: Checker, path: str, facts: Mapping[str, Any], read: Callable[[str], bytes]
) -> list[Located]:
    found = _path_rules(checker.store, path, facts)
    found += [Located(path, problem) for problem in qc_problems(checker, facts)]
    settings = checker.store.settings
    placed = [
        (kind, value, Problem("", "reference", message, hint))
        for kind, value, message, hint in check_references(
            settings, facts, checker, checker.verdicts
        )
    ]
    placed += [
        ("supplier", supplier, problem)
        for supplier, problem in disqualified_suppliers(facts, checker.facts_of)
    ]
    if placed:  # rare: parse the file again to say where each reference is
        record = checker.store.parse(path, read(path))
        schema = checker.store.schema(record.kind)
        for kind, value, problem in placed:
            for pointer in reference_pointers(schema, record.data, kind, value):
                found.append(Located(path, replace(problem, pointer=pointer)))
    return found


def qc_problems(checker: Checker, facts: Mapping[str, Any]) -> list[Problem]:
    """A batch's typed `pass` judged by its formula's specification, when the batch names
    the formula's current version (`trace` and `release` read older versions from history)."""
    ref = facts.get("formula")
    if "qc" not in facts or not isinstance(ref, str) or "@" not in ref:
        return []
    formula_id, _, version = ref.partition("@")
    if not checker.exists("formula", formula_id):
        return []
    formula = checker.facts_of("formula", formula_id) or {}
    if str(formula.get("version")) != version:
        return []
    return list(typed_pass_problems(formula.get("specifications"), facts["qc"], ref))


def _customers(checker: Checker) -> list[tuple[str, dict[str, Any]]]:
    return [
        (path, checker.result(path)[0] or {})
        for path in checker.listing
        if path.startswith(CUSTOMERS) and path.endswith(".yaml")
    ]


def _path_rules(store: Store, path: str, facts: Mapping[str, Any]) -> list[Located]:
    """Rules that depend on where the file is: the name is the ID, in the kind's format."""
    name = path.rsplit("/", 1)[-1].removesuffix(".yaml")
    kind = FOLDERS[path.split("/")[-2]].name
    fmt = store.settings.id_formats[kind]
    found: list[Located] = []
    matched = fmt.regex.fullmatch(name)
    if not matched:
        problem = Problem(
            "",
            "id-format",
            f"file name {name} is not a {kind} ID",
            f"{kind} IDs look like {fmt.example()}",
        )
        found.append(Located(path, problem))
    if facts.get("id") is not None and facts.get("id") != name:
        problem = Problem(
            "/id",
            "id-mismatch",
            f"id {facts.get('id')} differs from the file name {name}",
            "the file name is the ID: make them the same",
        )
        found.append(Located(path, problem))
    stamp = matched.groupdict().get("date") if matched else None
    day = facts.get("date")
    if stamp and isinstance(day, str) and day.replace("-", "") != stamp:
        problem = Problem(
            "/date",
            "id-date",
            f"date {day} differs from the date in the ID {name}",
            "the ID carries the day the record was made: correct the date",
        )
        found.append(Located(path, problem))
    return found


def _team(store: Store) -> Team:
    """The team, or nobody while team.yaml itself has findings (reported on their own)."""
    try:
        return store.team
    except FormulaError:
        return Team({})


def _check_store_file(store: Store, path: str) -> list[Finding]:
    try:
        data = store.read_bytes(path, 1 << 20)
        content = yamlio.load_record(data, path, 1 << 20)
    except FormulaError as error:
        return [error.finding]
    schema = store.schema(STORE_FILES[path])
    problems = (
        team_file_problems(schema, content) if path == TEAM_FILE else schema.problems(content)
    )
    return [item.at(path) for item in _locate(data, problems)]


def _place(located: list[Located], read: Callable[[str], bytes]) -> list[Finding]:
    by_path: dict[str, list[Problem]] = {}
    for item in located:
        by_path.setdefault(item.path, []).append(item.problem)
    return [
        item.at(path)
        for path, problems in by_path.items()
        for item in _locate(read(path), problems)
    ]


def _locate(data: bytes, problems: list[Problem]) -> list[Placed]:
    """Problems (JSON pointers) placed at line and column in the file's bytes."""
    if not problems:
        return []
    places = yamlio.locate(data, [problem.pointer for problem in problems])
    return [Placed(*places[p.pointer], p.pointer, p.rule, p.message, p.hint) for p in problems]
