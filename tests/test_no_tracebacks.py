"""Whatever a user types or their terminal, editor or server does, the real CLI answers in
one line and an exit code, never a traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import Invoke, Member, Result, act_as, make_key, run_cli
from formulactl.store.store import Store
from test_history_rules import git

LONG_ID = "C-" + "1" * 10_000
DEEP_PATH = "contacts" + ".name" * 2_000
DEEP_VALUE = "[" * 2_000 + "]" * 2_000
NOT_UTF8 = {"PYTHONIOENCODING": "ascii", "LANG": "C", "LC_ALL": "C", "PYTHONUTF8": "0"}


def one_line(done: Result) -> str:
    """The single line on standard error of a run that ended with exit 2."""
    assert "Traceback" not in done.err and "internal error" not in done.err, done.err
    assert done.code == 2, done.err
    lines = done.err.splitlines()
    assert len(lines) == 1, done.err
    return lines[0]


@pytest.mark.parametrize(
    "command",
    [
        ["show", LONG_ID],
        ["show", LONG_ID + "@2"],
        ["set", LONG_ID, "name=x"],
        ["edit", LONG_ID],
        ["submit", LONG_ID],
        ["approve", LONG_ID],
        ["reaffirm", LONG_ID],
        ["log", LONG_ID],
        ["blame", LONG_ID],
        ["diff", LONG_ID],
        ["access", LONG_ID],
    ],
)
def test_a_ten_kilobyte_record_id_is_refused_before_it_reaches_the_disk(
    signed_store: Store, command: list[str]
) -> None:
    line = one_line(run_cli(*command, cwd=signed_store.root))
    assert "is not a record ID" in line and "characters)" in line and len(line) < 200


def test_a_path_too_long_for_the_system_is_one_line(signed_store: Store) -> None:
    assert "does not exist" in one_line(run_cli("validate", LONG_ID, cwd=signed_store.root))


@pytest.mark.parametrize(
    "command",
    [
        ["set", "C-00002", f"{DEEP_PATH}=x"],
        ["set", "C-00002", "--unset", DEEP_PATH],
        ["list", "customer", "--where", f"{DEEP_PATH}=x"],
    ],
)
def test_a_field_path_two_thousand_levels_deep_is_one_line(
    signed_store: Store, command: list[str]
) -> None:
    assert "more than 32 fields deep" in one_line(run_cli(*command, cwd=signed_store.root))


def test_a_value_nested_two_thousand_levels_deep_is_one_line(signed_store: Store) -> None:
    line = one_line(run_cli("set", "C-00002", f"contacts={DEEP_VALUE}", cwd=signed_store.root))
    assert "nesting" in line


@pytest.mark.parametrize(
    ("script", "said"),
    [
        ('rm "$0"', "the editor removed the file"),
        ('rm "$0" && mkdir "$0"', "the editor left a folder where the file was"),
    ],
)
def test_edit_when_the_editor_takes_the_file_away(
    signed_store: Store, script: str, said: str
) -> None:
    path = signed_store.root / "records/customers/C-00002.yaml"
    before = path.read_bytes()
    done = run_cli("edit", "C-00002", cwd=signed_store.root, env={"EDITOR": f"sh -c '{script}'"})
    assert said in one_line(done)
    assert path.read_bytes() == before


def test_edit_with_standard_input_closed_refuses_without_asking(signed_store: Store) -> None:
    editor = "sh -c 'sed -i s/class:.B/class:\\ D/ \"$0\"'"
    done = run_cli("edit", "C-00002", cwd=signed_store.root, env={"EDITOR": editor}, stdin=None)
    assert "Traceback" not in done.err and done.code == 2, done.err
    finding, last = done.err.splitlines()
    assert "`class` is 'D'" in finding
    assert last == "edit C-00002: nothing was written."


@pytest.mark.parametrize(
    "command", [["show", "C-00001"], ["list", "customer"], ["log", "C-00001"], ["whoami"]]
)
def test_output_to_a_terminal_that_cannot_show_chinese_is_escaped_not_a_crash(
    signed_store: Store, command: list[str]
) -> None:
    done = run_cli(*command, cwd=signed_store.root, env=NOT_UTF8)
    assert (done.code, done.err) == (0, ""), done.err
    assert done.out


def test_show_writes_a_record_as_utf8_whatever_the_terminal(signed_store: Store) -> None:
    done = run_cli("show", "C-00001", cwd=signed_store.root, env=NOT_UTF8)
    assert "\nname: 华彩涂料\n" in done.out


def test_findings_reach_a_non_utf8_terminal(signed_store: Store) -> None:
    path = signed_store.root / "records/customers/C-00002.yaml"
    path.write_text(path.read_text().replace("class: B", "class: 甲"), encoding="utf-8")
    done = run_cli("validate", path, cwd=signed_store.root, env=NOT_UTF8)
    assert done.code == 1 and "Traceback" not in done.err, done.err
    assert "`class` is '\\u7532'" in done.out


def test_the_audit_csv_is_whole_on_a_non_utf8_terminal(signed_store: Store) -> None:
    plain = run_cli("audit", "export", "--format", "csv", cwd=signed_store.root)
    done = run_cli("audit", "export", "--format", "csv", cwd=signed_store.root, env=NOT_UTF8)
    assert (done.code, done.err) == (0, ""), done.err
    assert done.out == plain.out
    assert "陈静 Chen Jing" in done.out


def test_a_push_that_deletes_every_file_is_refused_in_one_line(
    signed_store: Store, invoke: Invoke, tmp_path: Path, team_keys: dict[str, Member]
) -> None:
    bare = tmp_path / "server.git"
    git(tmp_path, "clone", "-q", "--bare", str(signed_store.root), str(bare))
    key = make_key(tmp_path / "server-keys", "server")
    assert invoke("hooks", "install", "--server", "--repo", bare, "--key", key).code == 0
    clone = tmp_path / "zhang"
    git(tmp_path, "clone", "-q", str(bare), str(clone))
    act_as(Store(clone), team_keys["zhang.min"])
    git(clone, "rm", "-q", "-r", ".")
    git(clone, "commit", "-q", "-S", "-m", "delete everything")
    before = git(bare, "rev-parse", "main")
    pushed = subprocess.run(
        ["git", "-C", str(clone), "push", "origin", "main"], capture_output=True, text=True
    )
    assert pushed.returncode != 0
    said = [line for line in pushed.stderr.splitlines() if "formulactl" in line]
    assert len(said) == 1 and "holds no store (formulactl.yaml is missing)" in said[0], said
    assert "Traceback" not in pushed.stderr
    assert git(bare, "rev-parse", "main") == before
