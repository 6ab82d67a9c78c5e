"""`validate --history`: every commit judged by the team file and settings of its parent.

No commit can authorize itself: a key added, a role granted or a rule loosened counts only
from the next commit on. Findings name the commit, the record, the rule and the person.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from formulactl.audit.disposition import disposition_problems
from formulactl.audit.duedates import moved_due_problems
from formulactl.audit.history import (
    Commit,
    History,
    RecordState,
    authored,
    content_changed,
    is_admin_path,
    is_approval,
    is_import,
    is_rekey,
    not_a_file,
    record_id_of,
)
from formulactl.audit.reassigning import is_reassign
from formulactl.audit.resealing import reseal_problems
from formulactl.errors import Finding
from formulactl.git import gitio
from formulactl.model.kinds import KINDS, TEAM_FILE
from formulactl.model.team import Person, Team
from formulactl.model.workflow import STEPS, step_between
from formulactl.store.store import Store


@dataclass
class HistoryReport:
    findings: list[Finding] = field(default_factory=list)
    commits: int = 0
    signed: int = 0


@dataclass
class _Judge:
    history: History
    report: HistoryReport
    in_range: set[str] | None
    judge_by: str | None = None  # a commit whose team judges every commit in range (CI)
    # Four eyes: who changed each record's content since its last approval.
    authors: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    timestamps: dict[str, int] = field(default_factory=dict)

    def finding(
        self, commit: Commit, path: str, rule: str, message: str, hint: str, person: str = ""
    ) -> None:
        if self.in_range is None or commit.id in self.in_range:
            self.report.findings.append(
                Finding(path, 0, 0, "", rule, message, hint, commit=commit.id, person=person)
            )


def verify_history(
    store: Store,
    revision_range: str | None = None,
    commits: set[str] | None = None,
    judge_by: str | None = None,
) -> HistoryReport:
    """Check every commit in `revision_range` (default: all of history); with `commits`,
    walk from the tip named by `revision_range` but report only on those commits. With
    `judge_by` (a pull request's base), the team of that commit judges every commit in range,
    so a change cannot approve itself by editing team.yaml on its own branch."""
    root = store.repo
    in_range: set[str] | None
    if commits is not None:
        tip, in_range = gitio.resolve(root, revision_range or "HEAD"), commits
    elif gitio.head(root) is None:
        return HistoryReport()
    else:
        tip, in_range = _range(root, revision_range)
    report = HistoryReport()
    with History(store) as history:
        judge = _Judge(history, report, in_range, judge_by)
        for commit in history.commits([tip]):
            judge.timestamps[commit.id] = commit.timestamp
            if in_range is None or commit.id in in_range:
                report.commits += 1
            _judge_commit(judge, commit)
    report.findings.sort(key=lambda f: (f.commit, f.path, f.rule))
    return report


def _range(root: Path, revision_range: str | None) -> tuple[str, set[str] | None]:
    """The tip to walk from, and the commits to report on (None: all of them)."""
    if not revision_range:
        return "HEAD", None
    if ".." in revision_range:
        base, _, tip = revision_range.partition("..")
        base_id = gitio.resolve(root, base or "HEAD")
        tip_id = gitio.resolve(root, tip or "HEAD")
        done = gitio.run(root, ["rev-list", "--end-of-options", f"{base_id}..{tip_id}"])
        return tip_id, set(done.stdout.decode().split())
    return gitio.resolve(root, revision_range), None


def _judge_commit(judge: _Judge, commit: Commit) -> None:
    if len(commit.parents) > 1:
        _judge_merge(judge, commit)
        return
    parent = commit.parents[0] if commit.parents else None
    if parent and commit.timestamp < judge.timestamps.get(parent, commit.timestamp):
        judge.finding(
            commit,
            "",
            "backdated",
            f"commit {commit.id[:10]} is dated before its parent",
            "commit dates must not go backwards; recommit with the real date",
        )
    if not commit.touches_store() and not commit.trailers:
        return
    # The root commit founds the store: its own team file is the only one there is.
    in_range = judge.in_range is None or commit.id in judge.in_range
    base = judge.judge_by if judge.judge_by and in_range else None
    judged_by = base or parent or commit.id
    team = judge.history.team_at(judged_by)
    signer = _signer(judge, commit, team, judged_by)
    if commit.verdict.status == "good":
        judge.report.signed += 1
    who = signer.id if signer else (commit.verdict.key or "unsigned")
    for change in commit.changes:
        if change.path == TEAM_FILE and change.new:
            _judge_team_file(judge, commit, judged_by)
        if is_admin_path(change.path) and not (signer and signer.is_admin):
            judge.finding(
                commit,
                change.path,
                "admin-required",
                f"{change.path} was changed by {who}, who is not an admin",
                "team, settings and schemas change only in an admin's signed commit",
                who,
            )
    _judge_entries(judge, commit, who)
    _judge_records(judge, commit, signer, who)
    if not commit.changes and commit.trailers.get("Action") == "reaffirm":
        _judge_recorded_review(judge, commit, signer, who)


def _judge_recorded_review(judge: _Judge, commit: Commit, signer: Person | None, who: str) -> None:
    """A reaffirm that moved no date changes no file, yet it is a review: an approver's."""
    record_id = commit.trailers.get("Record", "").partition("@")[0]
    path, state = judge.history.state_at(commit.id, record_id)
    if state is None or state.status != "approved":
        judge.finding(
            commit,
            path,
            "forged-trailer",
            f"commit {commit.id[:10]} reaffirms {record_id or 'no record'}, "
            "which is not an approved record",
            "trailers must describe what the commit does",
            who,
        )
        return
    _require(judge, commit, path, signer, ("approver",), state, who, "reaffirm")


def _judge_team_file(judge: _Judge, commit: Commit, judged_by: str) -> None:
    """The team file a commit leaves keeps the team rules, by the schema of its parent."""
    for problem in judge.history.rules.team_problems(commit.id, judged_by):
        judge.finding(
            commit, TEAM_FILE, problem.rule, f"{TEAM_FILE}: {problem.message}", problem.hint
        )


def _judge_entries(judge: _Judge, commit: Commit, who: str) -> None:
    """Links and submodules in a store are never followed: adding one is a finding."""
    for change in commit.changes:
        what = not_a_file(change)
        if what:
            judge.finding(
                commit,
                change.path,
                "not-a-file",
                f"is {what}, not a regular file (added in commit {commit.id[:10]})",
                "a store holds regular files only: commit the file itself",
                who,
            )


def _signer(judge: _Judge, commit: Commit, team: Team | None, judged_by: str) -> Person | None:
    verdict = commit.verdict
    short = commit.id[:10]
    if verdict.status != "good":
        words = {
            "unsigned": "is not signed",
            "bad": f"has a bad signature ({verdict.reason})",
            "unsupported": f"has a signature formulactl cannot check ({verdict.reason})",
        }
        judge.finding(
            commit,
            "",
            "unsigned" if verdict.status == "unsigned" else "bad-signature",
            f"commit {short} {words[verdict.status]}",
            "every change to the store is a signed commit: run `formulactl setup-signing`",
        )
        # A trial store (its parent allows unsigned commits) names the person by email.
        person = judge.history.unsigned_person(commit, judged_by)
        if person is not None and verdict.status == "unsigned":
            return person
        if commit.trailers:
            judge.finding(
                commit,
                "",
                "forged-trailer",
                f"commit {short} claims {_claim(commit)} without a valid signature",
                "formulactl trailers count only in a commit signed by a team key",
            )
        return None
    found = team.signer(verdict.key) if team else None
    if found is None:
        judge.finding(
            commit,
            "",
            "unknown-key",
            f"commit {short} is signed by a key the team file of its parent does not list",
            "an admin adds the key first, in a commit of its own",
            verdict.key,
        )
        if commit.trailers:
            judge.finding(
                commit,
                "",
                "forged-trailer",
                f"commit {short} claims {_claim(commit)} with a key nobody vouches for",
                "formulactl trailers count only in a commit signed by a team key",
            )
        return None
    person, key = found
    problem = key.problem_on(commit.day)
    if problem:
        judge.finding(
            commit,
            "",
            "key-validity",
            f"commit {short} by {person.id} on {commit.day}: {problem}",
            "sign with a valid key; an admin renews keys in team.yaml",
            person.id,
        )
        return None
    return person


def _judge_records(judge: _Judge, commit: Commit, signer: Person | None, who: str) -> None:
    history = judge.history
    importing = is_import(commit, signer)
    changed_content = []
    approvals = []
    for change in commit.changes:
        place = record_id_of(change.path)
        if place is None:
            continue
        before = history.state(change.path, change.old)
        after = history.state(change.path, change.new)
        record_id = place[1]
        reassigned = is_reassign(history, commit, signer, change, before, after)
        if (
            content_changed(before, after)
            and not is_rekey(commit, signer, before, after)
            and not reassigned
        ):
            changed_content.append(record_id)
        for rule, message, hint in reseal_problems(history, commit, change, signer):
            judge.finding(commit, change.path, rule, message, hint, who)
        if is_approval(before, after):
            assert after is not None
            approvals.append((change.path, before, after))
        elif before is not None and not reassigned:
            _judge_change_of_approved(judge, commit, change.path, before, after, signer, who)
        for rule, message, hint in disposition_problems(
            history, commit, change, signer, who, judge.authors[record_id]
        ):
            judge.finding(commit, change.path, rule, message, hint, who)
        for rule, message, hint in moved_due_problems(history, commit, change):
            judge.finding(commit, change.path, rule, message, hint, who)
        if authored(commit, signer, before, after):
            judge.authors[record_id].add(who)
    for path, before, after in approvals:
        if importing and before is None:
            continue
        _judge_approval(judge, commit, path, before, after, signer, who, changed_content)
    _judge_claims(judge, commit, approvals, who)


def _judge_change_of_approved(
    judge: _Judge,
    commit: Commit,
    path: str,
    before: RecordState,
    after: RecordState | None,
    signer: Person | None,
    who: str,
) -> None:
    record = before.id
    rekeyed = is_rekey(commit, signer, before, after)
    if before.status == "archived" and (
        after is None
        or (after.cipher != before.cipher and not rekeyed)
        or after.status != "archived"
    ):
        judge.finding(
            commit,
            path,
            "archived-edited",
            f"archived {record} was changed by {who}",
            "an archived record stays as it was",
            who,
        )
        return
    if before.status != "approved":
        return
    if after is None:
        judge.finding(
            commit,
            path,
            "approved-deleted",
            f"approved {record} was deleted by {who}",
            "archive approved records instead of deleting them",
            who,
        )
        return
    # A revise starts the next version as a draft and may carry that draft's first change
    # (`substitute` revises and changes many formulas in one commit): the approved version
    # stays in history as approved, the signer needs the entry role either way and counts
    # as an author of the new version for four eyes.
    revised = after.status == "draft" and after.version == (before.version or 0) + 1
    if after.cipher != before.cipher and not revised and not rekeyed:
        judge.finding(
            commit,
            path,
            "approved-edited",
            f"approved {record}@{before.version} was changed in place by {who}",
            "revise it first: `formulactl revise` starts the next version",
            who,
        )
        return
    if after.status == before.status and after.review_due == before.review_due:
        return
    step = step_between(before.status, after.status)
    if step is None or (step.name == "revise" and not revised):
        judge.finding(
            commit,
            path,
            "not-a-step",
            f"{record} went from {before.status} to {after.status} in a way no workflow step does",
            "change status only with formulactl's workflow commands",
            who,
        )
        return
    _require(judge, commit, path, signer, step.roles, after, who, step.name)


def _judge_approval(
    judge: _Judge,
    commit: Commit,
    path: str,
    before: RecordState | None,
    after: RecordState,
    signer: Person | None,
    who: str,
    changed_content: list[str],
) -> None:
    record = f"{after.id}@{after.version}" if after.version else after.id
    approve = STEPS["approve"]
    if not _require(judge, commit, path, signer, approve.roles, after, who, approve.name):
        return
    if before is None or before.status != "in_review":
        judge.finding(
            commit,
            path,
            "approval-without-review",
            f"{record} was approved without being submitted for review",
            "submit it first; approval follows review",
            who,
        )
    if (before is not None and before.cipher != after.cipher) or any(
        other != after.id for other in changed_content
    ):
        judge.finding(
            commit,
            path,
            "approval-changes-content",
            f"the approval of {record} also changes content",
            "an approval commit changes nothing but workflow fields",
            who,
        )
    claimed = commit.trailers.get("Approves", "")
    if claimed != f"{record} {after.digest}":
        judge.finding(
            commit,
            path,
            "approval-digest",
            f"the approval of {record} does not bind its content "
            f"(Approves: {claimed or 'missing'})",
            "approve with `formulactl approve`, which binds the reviewed content",
            who,
        )
    authors = judge.authors.pop(after.id, set()) - {""}
    if who in authors:
        judge.finding(
            commit,
            path,
            "self-approval",
            f"{who} approved {record} after changing it since its last approval",
            "four eyes: another approver must approve it",
            who,
        )


def _require(
    judge: _Judge,
    commit: Commit,
    path: str,
    signer: Person | None,
    roles: tuple[str, ...],
    state: RecordState,
    who: str,
    doing: str,
) -> bool:
    if signer is not None and any(signer.may(role, state.kind, state.customer) for role in roles):
        return True
    judge.finding(
        commit,
        path,
        "not-authorized",
        f"{who} may not {doing} {state.id}",
        f"this needs the {' or '.join(roles)} role for {KINDS[state.kind].folder}",
        who,
    )
    return False


def _judge_claims(
    judge: _Judge,
    commit: Commit,
    approvals: list[tuple[str, RecordState | None, RecordState]],
    who: str,
) -> None:
    """Trailers must describe what the commit really did."""
    claims_approval = (
        commit.trailers.get("Meaning") == "approved" or commit.trailers.get("Action") == "approve"
    )
    if claims_approval and not approvals:
        judge.finding(
            commit,
            "",
            "forged-trailer",
            f"commit {commit.id[:10]} claims an approval but approves no record",
            "trailers must describe what the commit does",
            who,
        )


def _judge_merge(judge: _Judge, commit: Commit) -> None:
    if len(commit.parents) != 2:
        judge.finding(
            commit,
            "",
            "evil-merge",
            f"merge {commit.id[:10]} has {len(commit.parents)} parents",
            "merge one branch at a time",
        )
        return
    merged = gitio.merge_tree(judge.history.store.repo, *commit.parents)
    tree = judge.history.objects.read(f"{commit.id}^{{tree}}")
    if merged is None or tree is None or merged != tree[0]:
        judge.finding(
            commit,
            "",
            "evil-merge",
            f"merge {commit.id[:10]} adds changes of its own",
            "a merge must only join the branches; make changes in signed commits",
        )


def _claim(commit: Commit) -> str:
    return ", ".join(f"{name}: {value}" for name, value in commit.trailers.items())
