"""Import a folder of YAML records as drafts and events in one signed commit."""

from __future__ import annotations

from pathlib import Path

from formulactl.actions.commits import commit_written, written
from formulactl.actions.signing import actor
from formulactl.crypto.sealing import seal
from formulactl.errors import FormulaError, Refused
from formulactl.model.kinds import KINDS, RECORDS_DIR
from formulactl.model.sealed import ENVELOPE
from formulactl.rules.check import validate
from formulactl.store.store import Record, Store


def import_records(store: Store, source: Path, reason: str) -> tuple[list[str], str]:
    """Bring existing record files in as they are (an admin's migration), in one commit."""
    person = actor(store)
    if person is None or not person.is_admin:
        raise FormulaError("only an admin imports records", "ask an admin", rule="not-allowed")
    if not reason.strip():
        raise FormulaError("import needs a reason", 'add --reason "…"', rule="usage")
    folder = source / RECORDS_DIR if (source / RECORDS_DIR).is_dir() else source
    copied: list[str] = []
    for kind in KINDS.values():
        for file in sorted((folder / kind.folder).glob("*.yaml")):
            target = f"{RECORDS_DIR}/{kind.folder}/{file.name}"
            if (store.root / target).exists():
                raise FormulaError(
                    f"{target} already exists", "import only new records", rule="exists"
                )
            copied.append(target)
    if not copied:
        raise FormulaError(
            f"no record files in {source}",
            "give a folder holding customers/, formulas/, … folders",
            rule="usage",
        )
    texts = {
        target: _import_text(
            store, target, (folder / target.removeprefix(f"{RECORDS_DIR}/")).read_bytes()
        )
        for target in copied
    }
    subject = f"import {len(copied)} records"
    with written(store, texts, subject):
        report = validate(store, [store.root / RECORDS_DIR])
        if report.findings:
            raise Refused("import", report.findings)
        commit = commit_written(
            store,
            texts,
            subject,
            [("Action", "import"), ("Meaning", "authored"), ("Reason", reason)],
        )
    return copied, commit


def _import_text(store: Store, path: str, raw: bytes) -> str | bytes:
    """An imported record in canonical form with its plain secrets sealed; a file that does
    not read is kept as it is, for validate to explain."""
    try:
        record = store.parse(path, raw)
    except FormulaError:
        return raw
    if ENVELOPE not in record.data:
        schema = store.schema(record.kind)
        data = seal(store.settings, store.team, schema, record.id, record.data)
        record = Record(record.id, record.kind, record.path, data)
    return store.canonical(record)
