"""A pull request's summary for its reviewers: each record touched, what changed in it, its
status before and after, who signed what, what still needs an approver, and every finding."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from formulactl.audit.diffing import FieldChange, cell_text, record_diff
from formulactl.audit.history import History, record_id_of
from formulactl.audit.trail import signature_of
from formulactl.audit.verify import verify_history
from formulactl.errors import Finding, FormulaError
from formulactl.git import gitio
from formulactl.integration.githooks import unpacked
from formulactl.model.workflow import customer_of
from formulactl.rules.check import validate
from formulactl.store import yamlio
from formulactl.store.store import Store


@dataclass
class Touched:
    record: str
    kind: str
    change: str  # what happened to the file: added, changed or removed
    status_before: str | None
    status_after: str | None
    changes: list[FieldChange]
    signed: list[str]  # `abc1234 zhang.min submit`
    waiting_for: list[str] | None  # approvers who may approve it, when it awaits approval


@dataclass
class Review:
    base: str
    head: str
    commits: int
    records: list[Touched] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def review(store: Store, revision_range: str) -> Review:
    base_name, dots, head_name = revision_range.partition("..")
    if not dots:
        raise FormulaError(
            f"`{revision_range}` is not a range",
            "write it as BASE..HEAD, such as main..HEAD",
            rule="usage",
        )
    base = gitio.resolve(store.repo, base_name or "HEAD")
    head = gitio.resolve(store.repo, head_name or "HEAD")
    commits = set(gitio.new_commits(store.repo, base, head, ""))
    result = Review(base, head, len(commits))
    touched: dict[str, list[str]] = {}
    with History(store) as history:
        for commit in history.commits([head]):
            if commit.id not in commits:
                continue
            signature = signature_of(history, commit)
            for change in commit.changes:
                if record_id_of(change.path):
                    touched.setdefault(change.path, []).append(
                        f"{commit.id[:10]} {signature.person} "
                        f"{commit.trailers.get('Action', 'commit')}"
                    )
        team = history.team_at(head)
        for path, signed in touched.items():
            place = record_id_of(path)
            assert place is not None
            kind, record_id = place
            before, after = _data(store, base, path), _data(store, head, path)
            status_after = after.get("status") if after else None
            waiting = None
            if status_after == "in_review" and team is not None:
                authors = history.authors_since_approval(path, head)
                customer = customer_of(kind, record_id, after or {})
                waiting = [
                    p.id for p in team.holders("approver", kind, customer) if p.id not in authors
                ]
            result.records.append(
                Touched(
                    record_id,
                    kind,
                    _what_happened(before, after),
                    before.get("status") if before else None,
                    status_after,
                    record_diff(store.schema(kind), before, after),
                    signed,
                    waiting,
                )
            )
    result.findings = verify_history(store, head, commits=commits, judge_by=base).findings
    with unpacked(store.repo, head) as tree:
        result.findings += validate(tree, []).findings
    return result


def _what_happened(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    if before is None:
        return "added"
    return "removed" if after is None else "changed"


def _heading(item: Touched) -> str:
    """What happened to the record, and its status where its kind has one."""
    before, after = item.status_before, item.status_after
    if item.change == "added":
        status = f" as {after}" if after else ""
    elif item.change == "removed":
        status = f" (was {before})" if before else ""
    elif before == after:
        status = f", still {after}" if after else ""
    else:
        status = f", {before} → {after}"
    return f"### {item.record} ({item.kind}): {item.change}{status}"


def _data(store: Store, revision: str, path: str) -> dict[str, Any] | None:
    raw = gitio.file_at(store.repo, revision, path)
    if raw is None:
        return None
    try:
        return yamlio.load_record(raw, path, len(raw) + 1)
    except FormulaError:
        return {"(unreadable)": raw.decode("utf-8", "replace")}


def markdown(result: Review) -> str:
    """Ready to post as a pull request comment."""
    lines = [
        f"## formulactl review: {result.base[:10]}..{result.head[:10]}",
        "",
        f"{result.commits} commits, {len(result.records)} records touched, "
        f"{len(result.findings)} findings.",
        "",
    ]
    for item in sorted(result.records, key=lambda touched: touched.record):
        lines.append(_heading(item))
        lines.append("")
        if item.waiting_for is not None:
            who = ", ".join(item.waiting_for) or "nobody: no approver may approve it"
            lines += [f"Needs an approver: {who}.", ""]
        if item.changes:
            lines += ["| field | change | before | after |", "| --- | --- | --- | --- |"]
            lines += [
                f"| `{c.field}` | {c.change} | {cell_text(c.before)} | {cell_text(c.after)} |"
                for c in item.changes
            ]
            lines.append("")
        lines += ["Signed: " + "; ".join(item.signed), ""]
    lines.append("### Findings")
    lines.append("")
    if not result.findings:
        lines.append("None.")
    for finding in result.findings:
        where = " ".join(part for part in (finding.commit[:10], finding.path) if part)
        lines.append(f"- `{finding.rule}` {where}: {finding.message} — {finding.hint}")
    return "\n".join(lines) + "\n"
