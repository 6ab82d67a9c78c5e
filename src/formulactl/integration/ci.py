"""Continuous integration: the check a pull request or push must pass, and its annotations
(the workflow files that run it are in ci_templates)."""

from __future__ import annotations

import hashlib
import json

from formulactl.audit.verify import verify_history
from formulactl.errors import Finding, FormulaError
from formulactl.git import gitio
from formulactl.rules.check import validate
from formulactl.store.store import Store


def ci_findings(store: Store, base: str, default_branch: str = "") -> list[Finding]:
    """The tree's records, and the commits since `base` judged by the team of `base`; a
    new branch (no base: git gives all zeros) is judged from where it left the default
    branch. A base this clone does not hold fails closed. CI trusts no cache it did not build,
    and it builds none: everything is read and checked afresh."""
    store = store.without_cache()
    if not base or set(base) == {"0"}:
        base_id = _fork_point(store, default_branch)
        if base_id == gitio.head(store.repo):
            # Nothing beyond the default branch: its own first push, which nothing judged.
            return validate(store, []).findings + verify_history(store).findings
    else:
        try:
            base_id = gitio.resolve(store.repo, base)
        except FormulaError:
            raise FormulaError(
                f"the base {base} is not in this clone",
                "fetch the full history (actions/checkout fetch-depth: 0, GitLab GIT_DEPTH: 0)",
                rule="no-base",
            ) from None
    findings = validate(store, []).findings
    findings += verify_history(store, f"{base_id}..HEAD", judge_by=base_id).findings
    return findings


def _fork_point(store: Store, default_branch: str) -> str:
    """Where HEAD left the default branch (`origin/NAME`, or `origin/HEAD` when no name is
    given): the commits after it are the new branch's own."""
    names = [default_branch] if default_branch else []
    refs = [f"refs/remotes/origin/{name}" for name in names]
    refs += [f"refs/heads/{name}" for name in names]
    for ref in refs or ["refs/remotes/origin/HEAD"]:
        tip = gitio.read_ref(store.repo, ref)
        fork = gitio.merge_base(store.repo, tip, "HEAD") if tip else None
        if fork:
            return fork
    raise FormulaError(
        "no base commit to compare with, and no default branch this branch left",
        "pass --base (the pull request's base, or the commit before a push) or "
        "--default-branch NAME with origin/NAME fetched",
        rule="no-base",
    )


def github_annotations(findings: list[Finding]) -> list[str]:
    """`::error` workflow commands: GitHub shows each finding on its file and line."""
    lines = []
    for finding in findings:
        place = [f"file={finding.path}"] if finding.path else []
        if finding.path and finding.line:
            place += [f"line={finding.line}", f"col={finding.col}"]
        place.append(f"title=formulactl {finding.rule}")
        message = f"{finding.message} — {finding.hint}".replace("%", "%25").replace("\n", "%0A")
        commit = f"{finding.commit[:10]}: " if finding.commit else ""
        lines.append(f"::error {','.join(place)}::{commit}{message}")
    return lines


def gitlab_report(findings: list[Finding]) -> str:
    """A GitLab Code Quality report: findings appear in the merge request."""
    issues = [
        {
            "description": f"{finding.message} — {finding.hint}",
            "check_name": finding.rule,
            "fingerprint": hashlib.sha256(
                f"{finding.commit}{finding.path}{finding.rule}{finding.message}".encode()
            ).hexdigest(),
            "severity": "major",
            "location": {"path": finding.path or ".", "lines": {"begin": finding.line or 1}},
        }
        for finding in findings
    ]
    return json.dumps(issues, ensure_ascii=False, indent=2)
