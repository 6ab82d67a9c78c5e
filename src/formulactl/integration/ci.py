"""Continuous integration: the check a pull request must pass, its annotations, and the
workflow files that run it on GitHub Actions and GitLab CI."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from formulactl.audit.verify import verify_history
from formulactl.errors import Finding, FormulaError
from formulactl.git import gitio
from formulactl.rules.check import validate
from formulactl.store.store import Store

TEMPLATES = {
    "github": (
        ".github/workflows/formulactl.yml",
        """\
# Written by `formulactl ci-template github`. Every push and pull request is checked:
# the records of the tree, and every new commit judged by the team file of the base.
name: formulactl
on:
  push:
  pull_request:
jobs:
  formulactl:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0   # the history rules need every commit; a shallow clone fails closed
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install formulactl
        run: pip install "${FORMULACTL_SPEC:-formulactl}"
      - name: Check records and history
        env:
          BASE: ${{ github.event.pull_request.base.sha || github.event.before }}
        run: formulactl ci --base "$BASE" --format github
""",
    ),
    "gitlab": (
        ".gitlab-ci.yml",
        """\
# Written by `formulactl ci-template gitlab`. Every push and merge request is checked:
# the records of the tree, and every new commit judged by the team file of the base.
formulactl:
  image: python:3.11
  variables:
    GIT_DEPTH: "0"   # the history rules need every commit; a shallow clone fails closed
  script:
    - pip install "${FORMULACTL_SPEC:-formulactl}"
    - formulactl ci --base "${CI_MERGE_REQUEST_DIFF_BASE_SHA:-$CI_COMMIT_BEFORE_SHA}"
        --format gitlab > gl-code-quality-report.json
  artifacts:
    when: always
    reports:
      codequality: gl-code-quality-report.json
""",
    ),
}


def write_template(store: Store, platform: str) -> Path:
    if platform not in TEMPLATES:
        raise FormulaError(f"no CI template for `{platform}`", "use github or gitlab", rule="usage")
    name, text = TEMPLATES[platform]
    store.write_text(name, text)
    return store.root / name


def ci_findings(store: Store, base: str) -> list[Finding]:
    """The tree's records, and the commits since `base` judged by the team of `base`;
    a base this clone does not hold fails closed. CI trusts no cache it did not build, and
    it builds none: everything is read and checked afresh."""
    store = store.without_cache()
    if not base or set(base) == {"0"}:
        raise FormulaError(
            "no base commit to compare with",
            "pass --base: the pull request's base, or the commit before a push",
            rule="no-base",
        )
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
