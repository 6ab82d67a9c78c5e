"""The CI workflow files for GitHub Actions and GitLab CI, and where they install formulactl.

CI runs with access to the repository, so the code it installs is pinned by the admin when
the file is written: a git commit or a wheel with its sha256, never a name looked up on a
package index (whoever registers that name there would run code in every plant's CI)."""

from __future__ import annotations

import re
from pathlib import Path

from formulactl.errors import FormulaError
from formulactl.store.store import Store

_HOST = r"[A-Za-z0-9.-]+(?::[0-9]+)?"
_PATH = r"[A-Za-z0-9._~%+/-]+"
_WHEEL = r"formulactl-[0-9][A-Za-z0-9.+!]*-[A-Za-z0-9._+-]+\.whl#sha256=[0-9a-f]{64}"
# What `--install` accepts; each pins exact code (a tag or a bare URL can change under us).
GIT_COMMIT = re.compile(rf"git\+https://{_HOST}/{_PATH}@[0-9a-f]{{40}}")
WHEEL_URL = re.compile(rf"https://{_HOST}/(?:{_PATH}/)?{_WHEEL}")
WHEEL_IN_REPO = re.compile(rf"(?!/)(?:{_PATH}/)?{_WHEEL}")

INSTALL_HINT = (
    "pass --install with git+https://HOST/PATH@<40-hex commit>, "
    "https://HOST/PATH/formulactl-VERSION-….whl#sha256=<64 hex>, "
    "or a wheel in this repository: PATH/formulactl-VERSION-….whl#sha256=<64 hex>"
)

_GITHUB = """\
# Written by `formulactl ci-template github`. Every push and pull request is checked:
# the records of the tree, and every new commit judged by the team file of the base
# (for a new branch: of the default branch where the branch left it).
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
      - name: Install formulactl (pinned when this file was written)
        run: pip install "@PIP@"
      - name: Check records and history
        env:
          BASE: ${{ github.event.pull_request.base.sha || github.event.before }}
          DEFAULT_BRANCH: ${{ github.event.repository.default_branch }}
        run: formulactl ci --base "$BASE" --default-branch "$DEFAULT_BRANCH" --format github
"""

_GITLAB = """\
# Written by `formulactl ci-template gitlab`. Every push and merge request is checked:
# the records of the tree, and every new commit judged by the team file of the base
# (for a new branch: of the default branch where the branch left it).
formulactl:
  image: python:3.11
  variables:
    GIT_DEPTH: "0"   # the history rules need every commit; a shallow clone fails closed
  script:
    - pip install "@PIP@"   # pinned when this file was written
    - git fetch --quiet origin
        "+refs/heads/$CI_DEFAULT_BRANCH:refs/remotes/origin/$CI_DEFAULT_BRANCH"
    - formulactl ci --base "${CI_MERGE_REQUEST_DIFF_BASE_SHA:-$CI_COMMIT_BEFORE_SHA}"
        --default-branch "$CI_DEFAULT_BRANCH" --format gitlab > gl-code-quality-report.json
  artifacts:
    when: always
    reports:
      codequality: gl-code-quality-report.json
"""

TEMPLATES = {
    "github": (".github/workflows/formulactl.yml", _GITHUB),
    "gitlab": (".gitlab-ci.yml", _GITLAB),
}


def pip_argument(spec: str | None) -> str:
    """What the workflow hands to `pip install` for an `--install` spec; anything not pinned
    to exact code, or not in one of the three accepted shapes, is refused."""
    if not spec:
        raise FormulaError(
            "no --install given: CI would install formulactl by name from a package index",
            INSTALL_HINT,
            rule="usage",
        )
    if GIT_COMMIT.fullmatch(spec):
        return f"formulactl @ {spec}"
    if WHEEL_URL.fullmatch(spec):
        return spec
    if WHEEL_IN_REPO.fullmatch(spec) and ".." not in spec.split("/"):
        return f"file://$PWD/{spec.removeprefix('./')}"
    raise FormulaError(
        f"--install {spec[:80]} is not pinned to exact code", INSTALL_HINT, rule="usage"
    )


def write_template(store: Store, platform: str, install: str | None) -> Path:
    """Write the workflow for `platform`, installing formulactl from `install`."""
    if platform not in TEMPLATES:
        raise FormulaError(f"no CI template for `{platform}`", "use github or gitlab", rule="usage")
    pip = pip_argument(install)
    name, text = TEMPLATES[platform]
    store.write_text(name, text.replace("@PIP@", pip))
    return store.root / name
