"""Shell completion through the mechanism the shells use: the completion script, and
`formulactl` run with _FORMULACTL_COMPLETE and the words typed so far."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Invoke
from formulactl.store.store import Store


@pytest.fixture
def shell_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """This venv's `formulactl` first on PATH, no XDG_DATA_HOME from the user."""
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("FORMULACTL_STORE", raising=False)
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    monkeypatch.setenv("PATH", path)
    return dict(os.environ)


def output(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    """What `command` prints; it must succeed and print no error."""
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=True)
    assert done.stderr == ""
    return done.stdout


def bash_words(words: str, cwd: Path) -> list[str]:
    """What bash gets back on Tab after `words` (the last one being completed)."""
    parts = words.split(" ")
    env = {
        **os.environ,
        "_FORMULACTL_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(parts) - 1),
    }
    return output([sys.executable, "-m", "formulactl"], cwd, env).split()


@pytest.fixture
def store(small_store: Store) -> Store:
    subprocess.run(["git", "-C", str(small_store.root), "add", "-A"], check=True)
    return small_store


def test_commands_complete_from_the_table(store: Store, shell_env: dict[str, str]) -> None:
    assert bash_words("formulactl re", store.root) == [
        "reject",
        "revise",
        "reaffirm",
        "reassign",
        "rekey",
        "recover",
        "review",
        "recall",
        "release",
        "reject-batch",
        "restore",
        "report",
    ]
    assert bash_words("formulactl team ", store.root) == ["add", "remove", "show"]
    assert bash_words("formulactl --sh", store.root) == ["--show-completion"]


def test_record_ids_and_versions_complete_from_the_listing(
    store: Store, shell_env: dict[str, str]
) -> None:
    assert bash_words("formulactl show C-", store.root) == ["C-00001", "C-00002"]
    assert bash_words("formulactl show F-000001@", store.root) == ["F-000001@1", "F-000001@2"]
    assert bash_words("formulactl approve ", store.root) == [
        "B-20261105-001",
        "C-00001",
        "C-00002",
        "F-000001",
        "FB-20261110-9b1e",
        "M-00001",
        "M-00002",
        "O-20261101-3c2a",
        "S-0001",
    ]
    # Where only one kind fits, only its IDs are offered.
    assert bash_words("formulactl scale ", store.root) == ["F-000001"]
    assert bash_words("formulactl where-used ", store.root) == ["M-00001", "M-00002"]


def test_a_new_file_completes_before_it_is_added_and_a_removed_one_no_more(
    store: Store, shell_env: dict[str, str]
) -> None:
    shutil.copy(
        store.root / "records/customers/C-00002.yaml", store.root / "records/customers/C-00003.yaml"
    )
    (store.root / "records/customers/C-00001.yaml").unlink()
    subprocess.run(["git", "-C", str(store.root), "rm", "-q", "--cached", "-r", "records"])
    assert bash_words("formulactl show C-", store.root) == ["C-00002", "C-00003"]


def test_kinds_and_field_paths_complete_from_the_schema(
    store: Store, shell_env: dict[str, str]
) -> None:
    assert bash_words("formulactl list ", store.root) == [
        "customer",
        "formula",
        "material",
        "supplier",
        "limit",
        "batch",
        "interaction",
        "order",
        "feedback",
        "survey",
    ]
    assert bash_words("formulactl set C-00001 contacts[0].p", store.root) == [
        "contacts[0].phone=",
        "contacts[0].preferred_channel=",
        "contacts[0].primary=",
    ]
    assert bash_words("formulactl list customer --where cla", store.root) == ["class="]
    assert bash_words("formulactl set F-000001 --unset ingredients[0].ph", store.root) == [
        "ingredients[0].phase"
    ]


def test_outside_a_store_nothing_but_commands_completes(
    tmp_path: Path, shell_env: dict[str, str]
) -> None:
    assert bash_words("formulactl show C-", tmp_path) == []
    assert bash_words("formulactl valid", tmp_path) == ["validate"]


def test_zsh_and_fish_get_the_same_values_in_their_formats(
    store: Store, shell_env: dict[str, str]
) -> None:
    def ask(shell: str, **extra: str) -> str:
        env = {
            **os.environ,
            "_FORMULACTL_COMPLETE": f"complete_{shell}",
            "_TYPER_COMPLETE_ARGS": "formulactl show C-",
            **extra,
        }
        return output([sys.executable, "-m", "formulactl"], store.root, env)

    zsh = ask("zsh")
    assert "C-00001" in zsh and "C-00002" in zsh and zsh.startswith("_arguments")
    fish = ask("fish", _TYPER_COMPLETE_FISH_ACTION="get-args")
    assert fish.split() == ["C-00001", "C-00002"]


def test_bash_sourcing_the_script_completes_a_record_id(
    store: Store, shell_env: dict[str, str], invoke: Invoke
) -> None:
    script = invoke("--show-completion", "bash").out
    assert "complete -o default -F _formulactl_completion formulactl" in script
    (store.root.parent / "completion.bash").write_text(script)
    asked = (
        "source ../completion.bash; COMP_WORDS=(formulactl show F-0); COMP_CWORD=2; "
        '_formulactl_completion formulactl; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    assert output(["bash", "--norc", "-c", asked], store.root, shell_env) == "F-000001\n"


@pytest.mark.parametrize(
    ("shell", "place"),
    [
        ("bash", ".local/share/bash-completion/completions/formulactl"),
        ("zsh", ".zfunc/_formulactl"),
        ("fish", ".config/fish/completions/formulactl.fish"),
    ],
)
def test_install_writes_one_file_and_says_where(
    shell: str, place: str, invoke: Invoke, isolated_home: Path, shell_env: dict[str, str]
) -> None:
    done = invoke("--install-completion", shell)
    target = isolated_home / place
    assert done.code == 0
    assert done.out.startswith(f"{shell} completion written to {target}; ")
    assert target.read_text() == invoke("--show-completion", shell).out
    written = sorted(p.relative_to(isolated_home).as_posix() for p in isolated_home.rglob("*"))
    assert [p for p in written if p.count("/") == place.count("/")] == [place]
    assert not (isolated_home / ".bashrc").exists() and not (isolated_home / ".zshrc").exists()


def test_install_without_a_name_takes_the_shell_from_shell(
    invoke: Invoke, isolated_home: Path, monkeypatch: pytest.MonkeyPatch, shell_env: dict[str, str]
) -> None:
    monkeypatch.setenv("SHELL", "/usr/bin/fish")
    done = invoke("--install-completion")
    assert done.out.startswith("fish completion written to ")
    monkeypatch.setenv("SHELL", "/bin/tcsh")
    unknown = invoke("--install-completion")
    assert (unknown.code, unknown.out) == (2, "")
    assert unknown.err == (
        "formulactl: cannot tell which shell this is (from $SHELL) — "
        "name it after the option: bash, zsh or fish\n"
    )


def test_an_unknown_shell_is_one_line(invoke: Invoke, shell_env: dict[str, str]) -> None:
    done = invoke("--show-completion", "tcsh")
    assert (done.code, done.out) == (2, "")
    assert done.err == "formulactl: no completion for the shell 'tcsh' — use bash, zsh or fish\n"
    extra = invoke("--show-completion", "bash", "zsh")
    assert extra.code == 2
    assert extra.err.startswith("formulactl: --show-completion takes one shell name")
