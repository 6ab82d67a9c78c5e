"""The approval gate: a formula version that breaks a limit or a customer restriction is not
approved, and an approver who cannot read it cannot approve it (they would sign unseen)."""

from __future__ import annotations

import dataclasses

from formulactl.crypto import crypto
from formulactl.errors import Finding, FormulaError
from formulactl.formulation.checking import check_formula
from formulactl.formulation.source import FormulaVersion, Reader
from formulactl.store.store import Record, Store


def approval_findings(
    store: Store, identities: list[crypto.Identity], record: Record
) -> list[Finding]:
    """`check` on the record about to be approved, each breach as a finding in its file."""
    if record.kind != "formula":
        return []
    reader = Reader(store, identities)
    data = reader.open(record)
    version = FormulaVersion(record.id, int(data.get("version", 1)), str(data.get("status")), data)
    result = check_formula(reader, version, None)
    return [
        Finding(
            record.path,
            0,
            0,
            "/ingredients",
            f"breaks-{breach.kind}",
            breach.message,
            "change the formula (revise it if approved), or reject it back to draft",
        )
        for breach in result.breaches
    ]


def store_findings(
    store: Store, identities: list[crypto.Identity], record_ids: list[str]
) -> tuple[list[Finding], list[str]]:
    """`validate --decrypt`: every formula's breaches, and the formulas this reader cannot open.

    Archived formulas are left out: they are no longer made."""
    findings: list[Finding] = []
    unreadable: list[str] = []
    for record_id in record_ids:
        record = store.load(record_id)
        if record.data.get("status") == "archived":
            continue
        try:
            findings += approval_findings(store, identities, record)
        except FormulaError as error:
            if error.finding.rule != "not-a-reader":
                findings.append(dataclasses.replace(error.finding, path=record.path))
            else:
                unreadable.append(record_id)
    return findings, unreadable
