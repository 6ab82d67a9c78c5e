"""The README's tour is a contract: its commands, run in order, print what it shows."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conftest import PROJECT, SAMPLE_RECORDS, Invoke, Member, act_as
from formulactl.store.store import Store

README = (PROJECT / "README.md").read_text(encoding="utf-8")


def shown(text: str) -> str:
    """The output as the README shows it: commit IDs and the store's own ID vary."""
    text = re.sub(r"committed [0-9a-f]{10}", "committed 68573fb254", text)
    return re.sub(r"fst-[0-9a-f]{32}", "fst-3f0c9a2e5b7d4e18a6c1b9d07e2f4a35", text)


def in_readme(*lines: str) -> None:
    for line in lines:
        assert line in README, f"README no longer shows: {line}"


def test_the_tour_prints_what_the_readme_shows(
    invoke: Invoke, tmp_path: Path, team_keys: dict[str, Member], monkeypatch: pytest.MonkeyPatch
) -> None:
    chen, zhang = team_keys["chen.jing"], team_keys["zhang.min"]
    done = invoke("init", "acme-store", cwd=tmp_path)
    in_readme(*shown(done.out).replace(str(tmp_path), "/home/chen").splitlines())
    root = tmp_path / "acme-store"
    store = Store(root)
    assert invoke("setup-signing", "--key", chen.key, cwd=root).code == 0
    done = invoke(
        "team",
        "add",
        "chen.jing",
        "--name",
        "陈静 Chen Jing",
        "--email",
        "chen.jing@example.com",
        "--role",
        "entry",
        "--role",
        "approver",
        "--key",
        chen.public,
    )
    in_readme(shown(done.err).strip(), done.out.strip())
    assert (
        invoke(
            "team",
            "add",
            "zhang.min",
            "--name",
            "张敏 Zhang Min",
            "--email",
            "zhang.min@example.com",
            "--role",
            "entry",
            "--key",
            zhang.public,
        ).code
        == 0
    )
    in_readme(invoke("whoami").out.strip())
    assert (
        invoke("import", SAMPLE_RECORDS, "--reason", "customer archive kept before formulactl").code
        == 0
    )

    act_as(store, zhang)
    monkeypatch.setenv("FORMULACTL_IDENTITY", str(zhang.key))  # as ~/.ssh/id_ed25519 would be
    done = invoke(
        "new",
        "customer",
        "--set",
        "name=华彩涂料",
        "--set",
        "type=key",
        "--set",
        "class=A",
        "--set",
        "owner=li.wei",
    )
    in_readme(
        f"$ formulactl new customer --set name=华彩涂料 --set type=key --set class=A "
        f"--set owner=li.wei\n{done.out}"
    )
    done = invoke(
        "new",
        "formula",
        "--set",
        "customer=C-00015",
        "--set",
        "product=水性木器白漆",
        "--set",
        "ingredients[material=M-00001].percent=25",
        "--set",
        "ingredients[material=M-00002].percent=75",
    )
    in_readme(f"--set 'ingredients[material=M-00002].percent=75'\n{done.out}")
    assert invoke("show", "F-000015").code == 0
    assert (
        invoke("list", "formula", "--where", "status=approved", "--where", "customer=C-00001").code
        == 0
    )
    done = invoke("set", "F-000015", "ingredients[material=M-00002].percent=70")
    assert done.code == 2
    in_readme(done.err)
    done = invoke("set", "C-00015", "industry=涂料", "region=华东")
    in_readme(f"$ formulactl set C-00015 industry=涂料 region=华东\n{done.out}")

    done = invoke("submit", "F-000015")
    in_readme(done.out)
    act_as(store, chen)
    monkeypatch.setenv("FORMULACTL_IDENTITY", str(chen.key))
    done = invoke("approve", "F-000015")
    in_readme(done.out)
    message = subprocess.run(
        ["git", "-C", str(root), "log", "-1", "--format=%B"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    in_readme(*re.sub(r"sha256:[0-9a-f]{64}", "sha256:", message).splitlines())

    done = invoke("validate")
    in_readme(
        f"$ formulactl validate                 # the whole store; or validate PATH... "
        f"for some files\n{done.err}"
    )
    done = invoke("validate", "--history")
    in_readme(f"# every commit; or a range such as main..HEAD\n{done.err}")
