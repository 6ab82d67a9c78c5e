"""`report kpi`: per person, from signed history (who signed each `new`, `submit`, `reject`
and `approve`): records entered, first-pass approval rate (a submitted version approved
with no reject before), reject rate, days from submit to approve; and from the records at
the commit: interactions per month, overdue reviews of records they approved, complaints
they own, and follow-ups whose date passed with no later contact."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from formulactl.audit.history import Commit, History
from formulactl.audit.rulefiles import RULE_FILES
from formulactl.errors import FormulaError
from formulactl.git import gitio
from formulactl.model.team import Person
from formulactl.reports.quality_common import Basis, Report, percent
from formulactl.trace.tables import table

COUNTED = ("new", "submit", "reject", "approve")
OPEN = ("open", "investigating")


@dataclass
class Tally:
    entered: int = 0
    submitted: int = 0
    approved: int = 0  # of this person's submissions
    first_pass: int = 0
    rejected: int = 0
    waits: list[float] = field(default_factory=list)  # days from submit to approve
    approver_of: set[str] = field(default_factory=set)  # records this person approved last


@dataclass
class _Cycle:
    submitter: str
    submitted_at: int
    rejected: bool = False


def kpi_report(
    basis: Basis,
    commits: Iterable[Commit],
    signer_of: Any,
    person: str | None = None,
    since: str | None = None,
) -> Report:
    """`commits` parents first up to the basis commit; `signer_of(commit)` the team member
    who signed it (None for unsigned or unknown keys, which count for nobody)."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    cycles: dict[str, _Cycle] = {}
    last_approver: dict[str, str] = {}
    for commit in commits:
        action = commit.trailers.get("Action")
        if action not in COUNTED:
            continue
        signer: Person | None = signer_of(commit)
        if signer is None:
            continue
        ref = commit.trailers.get("Record", "")
        counted = since is None or commit.day >= since
        _count(tallies, cycles, last_approver, action, ref, signer.id, commit, counted)
    for record, approver in last_approver.items():
        tallies[approver].approver_of.add(record)
    people = sorted({str(p.get("id")) for p in basis.people()} | set(tallies))
    if person is not None:
        if person not in people:
            raise FormulaError(
                f"no person `{person}` in the team or the history at {basis.commit[:10]}",
                f"one of: {', '.join(people) or 'nobody yet'}",
                rule="unknown-id",
            )
        people = [person]
    work = _customer_work(basis, since)
    target = basis.targets.get("first_pass_percent")
    approvals, customer_rows = [], []
    for pid in people:
        tally = tallies.get(pid, Tally())
        first = percent(tally.first_pass, tally.approved)
        why = (
            f"first pass {first} % below target {target:g} %"
            if isinstance(target, (int, float)) and first is not None and first < target
            else ""
        )
        wait = round(sum(tally.waits) / len(tally.waits), 1) if tally.waits else None
        reject = percent(tally.rejected, tally.submitted)
        approvals.append(
            (
                pid,
                tally.entered,
                tally.submitted,
                tally.approved,
                first,
                tally.rejected,
                reject,
                wait,
                why,
            )
        )
        customer_rows.append(_work_row(basis, pid, work, tally))
    summary = {"people": len(people), "since": since, "first_pass_target_percent": target}
    return Report(
        "staff KPIs",
        basis,
        [
            table(
                "Entry and approval",
                (
                    "person",
                    "entered",
                    "submitted",
                    "approved",
                    "first pass %",
                    "rejects",
                    "reject %",
                    "submit→approve d",
                    "why",
                ),
                approvals,
            ),
            table(
                "Customer work",
                (
                    "person",
                    "interactions",
                    "per month",
                    "overdue reviews",
                    "open complaints",
                    "overdue complaints",
                    "overdue follow-ups",
                    "why",
                ),
                customer_rows,
            ),
        ],
        summary,
    )


def _count(
    tallies: dict[str, Tally],
    cycles: dict[str, _Cycle],
    last_approver: dict[str, str],
    action: str,
    ref: str,
    who: str,
    commit: Commit,
    counted: bool,
) -> None:
    """One signed step; cycles are followed from the start so a window cuts only counts."""
    if action == "new":
        tallies[who].entered += counted
    elif action == "submit":
        rejected = cycles[ref].rejected if ref in cycles else False
        cycles[ref] = _Cycle(who, commit.timestamp, rejected)
        tallies[who].submitted += counted
    elif action == "reject" and ref in cycles:
        cycles[ref].rejected = True
        tallies[cycles[ref].submitter].rejected += counted
    elif action == "approve":
        last_approver[ref.partition("@")[0]] = who
        cycle = cycles.pop(ref, None)
        if cycle is not None and counted:
            tally = tallies[cycle.submitter]
            tally.approved += 1
            tally.first_pass += not cycle.rejected
            tally.waits.append((commit.timestamp - cycle.submitted_at) / 86400)


@dataclass
class _Work:
    interactions: dict[str, int]
    months: int
    followups: dict[str, int]


def _customer_work(basis: Basis, since: str | None) -> _Work:
    today = basis.today.isoformat()
    interactions = sorted(
        basis.snapshot.of("interaction").values(), key=lambda d: str(d.get("date", ""))
    )
    counts: dict[str, int] = defaultdict(int)
    last_contact: dict[str, str] = {}
    for data in interactions:
        last_contact[basis.customer_of(data)] = str(data.get("date", ""))
        if since is None or str(data.get("date", "")) >= since:
            counts[str(data.get("by"))] += 1
    followups: dict[str, int] = defaultdict(int)
    for data in interactions:
        next_date = data.get("next_date")
        later = last_contact.get(basis.customer_of(data), "") > str(data.get("date", ""))
        if isinstance(next_date, str) and next_date < today and not later:
            followups[str(data.get("by"))] += 1
    start = since or (str(interactions[0].get("date")) if interactions else today)
    return _Work(counts, _months(start, basis.today), followups)


def _months(start: str, today: date) -> int:
    try:
        first = date.fromisoformat(start)
    except ValueError:
        return 1
    return max(1, (today.year - first.year) * 12 + today.month - first.month + 1)


def _work_row(basis: Basis, pid: str, work: _Work, tally: Tally) -> tuple[Any, ...]:
    today = basis.today.isoformat()
    overdue_reviews = sorted(
        rid
        for kind in ("customer", "formula", "material", "supplier", "limit")
        for rid, data in basis.snapshot.of(kind).items()
        if rid in tally.approver_of and _review_overdue(data, today)
    )
    owned = [
        (fid, data)
        for fid, data in basis.snapshot.of("feedback").items()
        if data.get("owner") == pid and data.get("status") in OPEN
    ]
    late = sorted(fid for fid, data in owned if str(data.get("response_due", "9999")) < today)
    why = []
    if overdue_reviews:
        why.append(f"reviews overdue: {', '.join(overdue_reviews)}")
    if late:
        why.append(f"answers overdue: {', '.join(late)}")
    count = work.interactions.get(pid, 0)
    return (
        pid,
        count,
        round(count / work.months, 1),
        len(overdue_reviews),
        len(owned),
        len(late),
        work.followups.get(pid, 0),
        "; ".join(why),
    )


def _review_overdue(data: Mapping[str, Any], today: str) -> bool:
    due = data.get("review_due")
    return data.get("status") == "approved" and isinstance(due, str) and due < today


def history_commits(history: History, commit: str) -> list[Commit]:
    """Every commit up to `commit`, parents first, through the history index (cached by
    commit ID, so a second report reads no commit object again). KPIs count actions and
    signers, not contents: the changed files are not listed (a store imported in one commit
    lists 200,000, seconds of `git log --raw`), only which commits changed the team and
    settings files, so each commit is judged by the team of its parent as History does."""
    root = history.store.repo
    rules = [history.prefix + path for path in RULE_FILES]
    touched = gitio.run(
        root, ["log", "--full-history", "--format=%H", "--end-of-options", commit, "--", *rules]
    )
    changed_rules = set(touched.stdout.decode().split())
    listed = gitio.run(
        root,
        ["rev-list", "--reverse", "--topo-order", "--parents", "--end-of-options", commit, "--"],
    )
    found = []
    for line in listed.stdout.decode().splitlines():
        ids = line.split()
        made = history.commit(gitio.LoggedCommit(ids[0], tuple(ids[1:]), ()))
        if made.id in changed_rules:
            history.rules.blobs(made.id)  # read as the commit holds them
        else:
            history.rules.follow(made.id, made.parents, {})  # the parent's, unchanged
        found.append(made)
    return found
