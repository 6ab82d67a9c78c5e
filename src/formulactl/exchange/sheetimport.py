"""A spreadsheet's rows as records: every problem named by its cell, then one signed commit.

Each row becomes a record in plain text in memory, is judged by the kind's real schema and
record rules (the same as `validate`, so a tax ID's check character is the store's own
rule), and each problem's field is traced back to the cell it came from. Only when every
row is clean is anything written: master data as drafts (four eyes still applies), events
as signed events, confidential values sealed before any byte reaches the disk.
"""

from __future__ import annotations

import contextlib
import copy
import unicodedata
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from formulactl.actions.commits import commit_written, written
from formulactl.actions.signing import actor
from formulactl.archive.matching import likely_duplicates
from formulactl.crypto import crypto
from formulactl.crypto.opening import Opened, open_record
from formulactl.crypto.sealing import seal
from formulactl.errors import Finding, FormulaError, Problem, Refused, pointer_part
from formulactl.exchange.mapping import CellProblem, Column, Mapping, cell_value, load_mapping
from formulactl.exchange.sheets import MAX_ROWS, Cell, Table, column_letter, open_table
from formulactl.model.kinds import KINDS
from formulactl.model.sealed import ENVELOPE
from formulactl.model.workflow import require_role
from formulactl.rules.check import Checker, validate
from formulactl.rules.owners import owner_problem
from formulactl.rules.rules import (
    RuleContext,
    check_record,
    check_references,
    record_facts,
    reference_pointers,
)
from formulactl.store.cache import BlobCache
from formulactl.store.editing import new_record
from formulactl.store.paths import Step, parse_field_path, set_at
from formulactl.store.schema import KindSchema
from formulactl.store.store import Record, Store

DUPLICATE_THRESHOLD = 85.0
ACTION = "import-sheet"  # not `import`: an entry person's rows count as authored (four eyes)


@dataclass(frozen=True)
class Planned:
    """One row's record in plain text, and the draft it updates (None: a new record)."""

    row: int
    record: Record
    before: Record | None = None
    opened: Opened | None = None


@dataclass
class Plan:
    kind: str
    source: str  # `客户基本信息表.xlsx:Sheet1`
    rows: list[Planned] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)  # possible duplicates, not certain

    @property
    def added(self) -> int:
        return sum(1 for row in self.rows if row.before is None)

    @property
    def updated(self) -> int:
        return len(self.rows) - self.added


def plan_import(
    store: Store,
    kind: str,
    path: Path,
    mapping_path: Path,
    sheet: str | None,
    encoding: str | None,
    today: date,
    identities: list[crypto.Identity] | None = None,
) -> Plan:
    """Read and judge every row; nothing is written. File-level problems (a missing column,
    an empty sheet, a bad mapping) raise; row problems are collected, each naming its cell."""
    schema = store.schema(kind)
    mapping = load_mapping(mapping_path, kind, schema)
    table = open_table(path, sheet or mapping.sheet, encoding)
    planner = _Planner(store, schema, mapping, table, today, identities or [])
    rows = _data_rows(table, mapping)
    headers = next(rows, None)
    if headers is None:
        raise FormulaError(
            f"the sheet is empty (no header row {mapping.header_row})",
            "fill in the sheet, or set header_row in the mapping",
            table.place(f"{mapping.header_row}:{mapping.header_row}"),
            rule="empty",
        )
    planner.bind(headers[1])
    seen = 0
    for number, cells in rows:
        if not any(_filled(cell.value) for cell in cells.values()):
            continue
        seen += 1
        if seen > MAX_ROWS:
            raise FormulaError(
                f"the sheet has more than {MAX_ROWS:,} rows",
                "split it into several sheets",
                table.place(f"{number}:{number}"),
                rule="too-big",
            )
        planner.row(number, cells)
    if not seen:
        raise FormulaError(
            "the sheet has a header row but no data rows",
            "fill in rows under the headers",
            table.place(f"{mapping.header_row + 1}:{mapping.header_row + 1}"),
            rule="empty",
        )
    planner.merged()
    return planner.plan


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _data_rows(table: Table, mapping: Mapping) -> Iterator[tuple[int, dict[int, Cell]]]:
    """The header row and the rows after it (rows above it are a title, and skipped)."""
    for number, cells in table.rows:
        if number >= mapping.header_row:
            yield number, cells


def header_text(value: Any) -> str:
    """A header as it compares: NFKC, spaces gone, the template's required mark `*` gone."""
    text = unicodedata.normalize("NFKC", str(value)).strip().rstrip("*").strip()
    return "".join(text.split())


class _Planner:
    def __init__(
        self,
        store: Store,
        schema: KindSchema,
        mapping: Mapping,
        table: Table,
        today: date,
        identities: list[crypto.Identity],
    ) -> None:
        self.store = store
        self.schema = schema
        self.mapping = mapping
        self.table = table
        self.today = today
        self.identities = identities
        self.kind = mapping.kind
        self.plan = Plan(self.kind, table.place("").rstrip("!:"))
        self.positions: dict[str, int] = {}
        self.checker = Checker(store, BlobCache(None, ""))
        self.verdicts: dict[tuple[str, str, str], tuple[str, str] | None] = {}
        self.existing = {record_id: store.load(record_id) for record_id in store.ids(self.kind)}
        key = mapping.key_column()
        self.key_field = key.path if key else None
        self.by_key = {
            str(record.data[self.key_field]): record
            for record in self.existing.values()
            if self.key_field and self.key_field in record.data
        }
        self.keys_seen: dict[str, int] = {}
        self.taken = set(self.existing)
        self.sequences: dict[date, int] = {}
        self.known = _Known(
            {rid: r.data for rid, r in self.existing.items()} if self.kind == "customer" else {}
        )

    def bind(self, headers: dict[int, Cell]) -> None:
        """Each mapped column's position in the header row; a missing one stops here."""
        found = {header_text(cell.value): column for column, cell in headers.items()}
        missing = []
        for column in self.mapping.columns:
            position = found.get(header_text(column.header))
            if position is not None:
                self.positions[column.header] = position
            elif not column.optional:
                missing.append(column.header)
        if missing:
            shown = "、".join(str(cell.value) for cell in headers.values()) or "none"
            raise FormulaError(
                f"no column {'、'.join(missing)} in the header row",
                f"the sheet's columns are {shown}; fix the header or the mapping",
                self.table.place(f"{self.mapping.header_row}:{self.mapping.header_row}"),
                rule="missing-column",
            )

    def problem(self, ref: str, rule: str, message: str, hint: str) -> None:
        self.plan.problems.append(Finding(self.table.place(ref), 0, 0, "", rule, message, hint))

    def row(self, number: int, cells: dict[int, Cell]) -> None:
        values: list[tuple[Column, Any, str]] = []
        clean = True
        for column in self.mapping.columns:
            position = self.positions.get(column.header)
            cell = cells.get(position) if position is not None else None
            if cell is None or not _filled(cell.value):
                continue
            ref = f"{column_letter(position or 0)}{number}"
            if cell.formula:
                self.problem(
                    ref,
                    "formula-cell",
                    f"a formula ({str(cell.value)[:40]}), not a value",
                    "copy the column and paste it back as values",
                )
                clean = False
                continue
            try:
                values.append((column, cell_value(column, cell.value), ref))
            except CellProblem as why:
                self.problem(ref, "cell", why.message, why.hint)
                clean = False
        if not clean:
            return
        self._record(number, values)

    def _record(self, number: int, values: list[tuple[Column, Any, str]]) -> None:
        key_ref = f"{number}:{number}"
        before: Record | None = None
        if self.key_field:
            key = next(((v, ref) for c, v, ref in values if c.path == self.key_field), None)
            if key is not None:
                key_ref = key[1]
                earlier = self.keys_seen.setdefault(str(key[0]), number)
                if earlier != number:
                    self.problem(
                        key[1],
                        "duplicate-row",
                        f"{key[0]} is also in row {earlier}",
                        "keep one row per record",
                    )
                    return
                before = self.by_key.get(str(key[0]))
        opened = None
        if before is not None:
            base, opened = self._draft(before, key_ref)
            if base is None:
                return
        else:
            base = self._defaults()
        places: dict[str, str] = {}
        for column, value, ref in values:
            try:
                set_at(base, column.steps, value, column.path)
            except FormulaError as error:
                self.problem(ref, "bad-field", error.finding.message, error.finding.hint)
                return
            places[_pointer(base, column.steps)] = ref
        record = self._made(base, before, number)
        if record is None:
            return
        problems = self._problems(record)
        for problem in problems:
            ref = _place_of(problem.pointer, places, number)
            hint = (
                problem.hint
                if ref[0].isalpha()
                else "add a column for it, or set it under defaults"
            )
            self.problem(ref, problem.rule, problem.message, hint)
        if self.kind == "customer":
            self._duplicates(record, places, number)
        if not problems:
            self.plan.rows.append(Planned(number, record, before, opened))

    def _draft(self, before: Record, ref: str) -> tuple[dict[str, Any] | None, Opened | None]:
        """The plain data of the draft a row updates; anything else is refused for the row."""
        status = before.data.get("status")
        if not KINDS[self.kind].master:
            self.problem(
                ref, "exists", f"{before.id} exists", "an import adds events, never changes one"
            )
            return None, None
        if status != "draft":
            self.problem(
                ref,
                "not-draft",
                f"{before.id} is {status}; an import updates only drafts",
                f"start its next version with `formulactl revise {before.id}`, then import again",
            )
            return None, None
        if ENVELOPE not in before.data:
            return copy.deepcopy(before.data), None
        if not self.identities:
            self.problem(
                ref,
                "needs-key",
                f"{before.id} is a draft with sealed fields",
                "pass --identity with a reader's key to update it",
            )
            return None, None
        try:
            opened = open_record(self.store, before, self.identities)
        except FormulaError as error:
            self.problem(ref, "needs-key", error.finding.message, error.finding.hint)
            return None, None
        return copy.deepcopy(opened.plain), opened

    def _defaults(self) -> dict[str, Any]:
        """A new record's fields that no column fills, from the mapping's `defaults`."""
        base: dict[str, Any] = {}
        for name, value in self.mapping.defaults.items():
            set_at(base, parse_field_path(name), copy.deepcopy(value), name)
        return base

    def _made(self, data: dict[str, Any], before: Record | None, number: int) -> Record | None:
        if before is not None:
            return Record(before.id, before.kind, before.path, data)
        day = self.today
        stamp = data.get("date")
        if isinstance(stamp, str):
            with contextlib.suppress(ValueError):  # the schema names the cell
                day = date.fromisoformat(stamp)
        if "id" not in data:
            data["id"] = self._new_id(day)
        elif data["id"] in self.taken:
            self.problem(
                f"{number}:{number}",
                "exists",
                f"{data['id']} exists already",
                "set key: to the ID column in the mapping to update drafts",
            )
            return None
        try:
            record = new_record(self.store, self.kind, data, self.today)
        except FormulaError as error:
            finding = error.finding
            self.problem(f"{number}:{number}", finding.rule, finding.message, finding.hint)
            return None
        self.taken.add(record.id)
        return record

    def _new_id(self, day: date) -> str:
        """The next free ID: a sequence is counted on from the store's last one (per day
        when dated) rather than searched for again for every row."""
        fmt = self.store.settings.id_formats[self.kind]
        if "{seq:" not in fmt.template:
            return fmt.next_id(self.taken, day)
        seq = self.sequences.get(day)
        if seq is None:
            found = fmt.regex.fullmatch(fmt.next_id(self.taken, day))
            seq = int(found.group("seq")) if found else 1
        self.sequences[day] = seq + 1
        return fmt.render(day, seq, lambda width: "")

    def _problems(self, record: Record) -> list[Problem]:
        """The schema, the record rules and references: what `validate` would say."""
        context = RuleContext(
            self.store.settings, self.schema, self.store.team, record.id, plaintext_ok=True
        )
        problems = self.schema.problems(record.data) + check_record(context, record.data)
        owner = owner_problem(record.data, self.store.team) if self.kind == "customer" else None
        if owner is not None:  # `validate` says the same once the sheet is in
            problems.append(
                Problem(owner.pointer, owner.rule, owner.message, "write one of them as the owner")
            )
        facts = record_facts(self.schema, record.data)
        for kind, value, message, hint in check_references(
            self.store.settings, facts, self.checker, self.verdicts
        ):
            for pointer in reference_pointers(self.schema, record.data, kind, value):
                problems.append(Problem(pointer, "reference", message, hint))
        return problems

    def _duplicates(self, record: Record, places: dict[str, str], number: int) -> None:
        """The same customer already in the store, or earlier in this sheet, is listed: a
        certain match stops the import, a likely one is shown for a person to judge."""
        for match in likely_duplicates(
            record.data, self.known.near(record.data), DUPLICATE_THRESHOLD
        ):
            if match.other == (record.data.get("id")):
                continue
            other = self.known.names.get(match.other, "")
            where = self.known.rows.get(match.other)
            shown = f"{match.other} {other}".strip() + (f" (row {where})" if where else "")
            field_ = "/tax_id" if any("tax" in reason for reason in match.reasons) else "/name"
            finding = Finding(
                self.table.place(_place_of(field_, places, number)),
                0,
                0,
                "",
                "duplicate",
                f"likely the same customer as {shown}: {'; '.join(match.reasons)}",
                f"leave the row out if it is {match.other}, or put {match.other}'s key in the "
                "row to update it",
            )
            (self.plan.problems if match.certain else self.plan.notes).append(finding)
        self.known.add(record.id, record.data, number)

    def merged(self) -> None:
        """Merged ranges under the header row: only the first cell holds a value, so the
        others would import as empty."""
        if not self.table.merged:
            return  # a CSV, or a sheet without merges: openpyxl need not be loaded
        from openpyxl.utils.cell import range_boundaries

        for ranged in self.table.merged:
            _left, _top, _right, bottom = range_boundaries(ranged)
            if bottom is not None and bottom >= self.mapping.header_row:
                self.problem(
                    ranged,
                    "merged-cells",
                    "merged cells: only the first holds the value",
                    "unmerge them and fill in every cell",
                )


class _Known:
    """Customers to compare a row with: those in the store and the rows before it that
    share its tax ID or the first characters of a name (a block, as record linkage does,
    so 10,000 rows are not compared pair by pair; the matching itself is the archive's)."""

    PREFIX = 4  # characters of a name that put two customers in one block
    NEAREST = 10  # the latest customers of one block that a row is compared with

    def __init__(self, customers: dict[str, dict[str, Any]]) -> None:
        self.groups: dict[str, deque[tuple[str, dict[str, Any]]]] = {}
        self.names: dict[str, str] = {}
        self.rows: dict[str, int] = {}
        for record_id, data in customers.items():
            self.add(record_id, data, 0)

    @classmethod
    def _keys(cls, data: dict[str, Any]) -> set[str]:
        keys = {f"tax:{data['tax_id']}"} if isinstance(data.get("tax_id"), str) else set()
        for name in (data.get("name"), data.get("legal_name")):
            if isinstance(name, str):
                keys.add("name:" + header_text(name).casefold()[: cls.PREFIX])
        return keys

    def add(self, record_id: str, data: dict[str, Any], row: int) -> None:
        for key in self._keys(data):
            self.groups.setdefault(key, deque(maxlen=self.NEAREST)).append((record_id, data))
        self.names[record_id] = str(data.get("name", ""))
        if row:
            self.rows[record_id] = row

    def near(self, data: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {
            record_id: other
            for key in self._keys(data)
            for record_id, other in self.groups.get(key, ())
        }


def _pointer(data: dict[str, Any], steps: list[Step]) -> str:
    """The JSON pointer of a field path in `data` (a selector step becomes its index)."""
    pointer = ""
    node: Any = data
    for step in steps:
        if isinstance(step, tuple):
            index = next((i for i, item in enumerate(node) if str(item.get(step[0])) == step[1]), 0)
            pointer += pointer_part(index)
            node = node[index]
        else:
            pointer += pointer_part(step)
            node = node[step] if isinstance(node, dict) or isinstance(step, int) else None
    return pointer


def _place_of(pointer: str, places: dict[str, str], number: int) -> str:
    """The cell a problem's field came from: the field itself, the nearest field above it,
    or the first cell below it; a field no column fills is named by its row."""
    if pointer in places:
        return places[pointer]
    inside = sorted(ref for at, ref in places.items() if at.startswith(pointer + "/"))
    if inside and pointer:
        return inside[0]
    above = [at for at in places if pointer.startswith(at + "/")]
    if above:
        return places[max(above, key=len)]
    return f"{number}:{number}"  # the whole row, as Excel names it


def apply_import(store: Store, plan: Plan, reason: str) -> str:
    """One signed commit of every planned record, sealed before anything is written."""
    if not reason.strip():
        raise FormulaError("import needs a reason", 'add --reason "…"', rule="usage")
    if plan.problems:
        raise Refused(f"import {plan.source}", plan.problems)
    person = actor(store)
    schema = store.schema(plan.kind)
    texts: dict[str, str | bytes | None] = {}
    for planned in plan.rows:
        record = planned.record
        require_role(person, ("entry",), record.kind, record.id, record.data, "import")
        opened = planned.opened
        data = seal(
            store.settings,
            store.team,
            schema,
            record.id,
            record.data,
            key=opened.key if opened else None,
            previous=planned.before.data if opened and planned.before else None,
            previous_plain=opened.plain if opened else None,
        )
        texts[record.path] = store.canonical(Record(record.id, record.kind, record.path, data))
    subject = f"import {len(texts)} {plan.kind} records from {plan.source}"
    with written(store, texts, subject):
        report = validate(store, [store.root / path for path in texts])
        if report.findings:
            raise Refused("import", report.findings)
        return commit_written(
            store,
            texts,
            subject,
            [("Action", ACTION), ("Meaning", "authored"), ("Reason", reason)],
        )


def row_line(planned: Planned) -> str:
    """`row 3: new C-00015 嘉禾涂料` — what one clean row will do."""
    what = "update" if planned.before is not None else "new"
    title = next(
        (
            str(planned.record.data[name])
            for name in ("name", "product", "subject", "summary")
            if isinstance(planned.record.data.get(name), str)
        ),
        "",
    )
    return f"row {planned.row}: {what} {planned.record.id} {title}".rstrip()
