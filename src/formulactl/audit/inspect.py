"""audit verify: the whole history, the signed list of verified heads, receive times and
approved records changed but not committed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from formulactl.audit.history import History, record_id_of
from formulactl.audit.trail import commit_zone
from formulactl.audit.verify import HistoryReport, verify_history
from formulactl.errors import Finding, FormulaError
from formulactl.git import gitio
from formulactl.model.kinds import RECORDS_DIR
from formulactl.store import yamlio
from formulactl.store.store import Store

ANCHOR_REF = "refs/formulactl/verified"


@dataclass
class AuditReport:
    history: HistoryReport
    findings: list[Finding] = field(default_factory=list)
    summary: dict[str, int] = field(default_factory=dict)
    anchored: str = ""  # the commit of the verified-heads list that records this check
    anchored_head: str = ""  # the HEAD it recorded as verified


def audit(store: Store, can_sign: Callable[[], bool] = lambda: False) -> AuditReport:
    """The history rules, plus: the history still contains every head verified before, each
    record was created in a commit, and the working tree holds no change to approved records.
    A clean history is recorded as verified when this clone `can_sign` for a team member
    (asked only then: the working tree's team file is read only for a clean history)."""
    report = AuditReport(verify_history(store))
    report.findings = list(report.history.findings)
    head = gitio.head(store.root)
    if head is None:
        return report
    report.findings += _anchor_findings(store, head)
    report.findings += _uncommitted_approved(store)
    report.findings += _receipt_findings(store)
    counts = Counter(finding.rule for finding in report.findings)
    records = [
        path for path in gitio.list_blobs(store.root, RECORDS_DIR) or {} if record_id_of(path)
    ]
    report.summary = {
        "commits checked": report.history.commits,
        "signed commits": report.history.signed,
        "records": len(records),
        "findings": len(report.findings),
        **{f"  {rule}": count for rule, count in sorted(counts.items())},
    }
    if not report.findings and can_sign():
        report.anchored, report.anchored_head = anchor(store, head), head
    return report


def anchor(store: Store, head: str) -> str:
    """Add `head` to the signed list of verified heads (refs/formulactl/verified)."""
    previous = gitio.read_ref(store.root, ANCHOR_REF)
    heads = _anchored_heads(store, previous)
    if heads and heads[-1] == head:
        return previous or ""
    text = "".join(f"{line}\n" for line in [*heads, head])
    commit = gitio.commit_file(
        store.root, "heads", text, f"verified {head}", [previous] if previous else [], sign=True
    )
    gitio.update_ref(store.root, ANCHOR_REF, commit, previous)
    return commit


def _anchor_findings(store: Store, head: str) -> list[Finding]:
    tip = gitio.read_ref(store.root, ANCHOR_REF)
    if tip is None:
        return []
    heads = _anchored_heads(store, tip)
    found = []
    with History(store) as history:
        logged = next(iter(gitio.log(store.root, [tip], ("heads",), limit=1)), None)
        commit = history.commit(logged) if logged else None
        signer = history.signer(commit) if commit else None
        team = store.team.signer(commit.verdict.key) if commit else None
    if commit is None or (signer is None and team is None):
        found.append(
            Finding(
                "",
                0,
                0,
                "",
                "anchor-unsigned",
                "the list of verified heads is not signed by a team member",
                f"inspect {ANCHOR_REF}; it may have been tampered with",
            )
        )
    if heads and not gitio.is_ancestor(store.root, heads[-1], head):
        found.append(
            Finding(
                "",
                0,
                0,
                "",
                "history-rewritten",
                f"head {heads[-1][:10]}, verified before, is no longer in the "
                "history of HEAD: commits were dropped or rewritten (force-push?)",
                "compare with the server and with backups before trusting this history",
                commit=heads[-1],
            )
        )
    return found


def _receipt_findings(store: Store) -> list[Finding]:
    """A commit's own date against the time the server received it: a clock set back or
    forward to make a record look older or newer shows here."""
    found = []
    with History(store) as history:
        receipts = history.receipts
        if not receipts:
            return []
        for commit in history.commits(["HEAD"]):
            receipt = receipts.get(commit.id)
            if receipt is None:
                continue
            if not receipt.valid:
                found.append(
                    Finding(
                        "",
                        0,
                        0,
                        "",
                        "receipt-unverified",
                        f"the receive-time note of {commit.id[:10]} is not signed "
                        "by the store's receipts key",
                        "check receipts.key in formulactl.yaml and the server's key",
                        commit=commit.id,
                    )
                )
                continue
            received = datetime.fromisoformat(receipt.time).timestamp()
            # The tolerance of the commit's parent: a commit cannot widen it for itself.
            settings = history.settings_at(commit.parents[0] if commit.parents else commit.id)
            limit = (settings or store.settings).max_skew_hours * 3600
            if abs(received - commit.timestamp) > limit:
                claimed = datetime.fromtimestamp(commit.timestamp, commit_zone(commit.offset))
                found.append(
                    Finding(
                        "",
                        0,
                        0,
                        "",
                        "claimed-date",
                        f"commit {commit.id[:10]} claims {claimed.isoformat()} but "
                        f"the server received it at {receipt.time}",
                        "ask who made it why their clock was off",
                        commit=commit.id,
                    )
                )
    return found


def _anchored_heads(store: Store, tip: str | None) -> list[str]:
    if tip is None:
        return []
    found = gitio.file_at(store.root, tip, "heads")
    return found.decode().split() if found else []


def _uncommitted_approved(store: Store) -> list[Finding]:
    found = []
    for path in gitio.dirty(store.root, [RECORDS_DIR]):
        place = record_id_of(path)
        if place is None:
            continue
        committed = gitio.file_at(store.root, "HEAD", path)
        try:
            data = yamlio.load_record(committed or b"", path, 1 << 24)
        except FormulaError:
            continue
        if data.get("status") == "approved":
            found.append(
                Finding(
                    path,
                    0,
                    0,
                    "",
                    "approved-uncommitted",
                    f"approved {place[1]} has changes that are not committed",
                    "discard them, or revise the record first",
                )
            )
    return found
