"""A Tab press on a record ID is answered before typer is imported (cli/tab.py), and the
answer is exactly typer's: same values, same shell formats, same exit codes. What the
quick path does not fully understand it leaves to typer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer import _click

from formulactl.cli import tab
from formulactl.cli.commands import COMPLETE_VAR
from formulactl.cli.root import command
from formulactl.store.store import Store


def real_table() -> dict[str, tuple[str, str]]:
    """What cli/tab.py's COMMANDS must say, read from the commands typer builds."""
    group = command()
    context = _click.Context(group)
    table = {}
    for name in group.list_commands(context):
        built = group.get_command(context, name)
        if built is None or not any(param.name in tab.ID_PARAMS for param in built.params):
            continue
        names = [
            (param.name or "") + ("..." if param.nargs == -1 else "")
            for param in built.params
            if param.param_type_name == "argument"
        ]
        options = []
        for param in built.params:
            if param.param_type_name != "option":
                continue
            for spelled in param.opts + param.secondary_opts:
                if getattr(param, "is_flag", False) or getattr(param, "count", False):
                    options.append(spelled)
                elif param.name == spelled.lstrip("-").replace("-", "_"):
                    options.append(f"{spelled}=")
                else:
                    options.append(f"{spelled}={param.name}")
        table[name] = (" ".join(names), " ".join(sorted(options)))
    return dict(sorted(table.items()))


def test_the_table_is_the_real_commands() -> None:
    real = real_table()
    paste = "\n".join(f"    {name!r}: {value!r}," for name, value in real.items())
    assert real == tab.COMMANDS, f"cli/tab.py's COMMANDS should read:\n{paste}"
    # Groups hold no command with a record ID parameter (the quick path reads one word).
    group = command()
    context = _click.Context(group)
    for name in group.list_commands(context):
        built = group.get_command(context, name)
        for child in getattr(built, "commands", {}).values():
            assert not any(param.name in tab.ID_PARAMS for param in child.params), name


@pytest.fixture
def store(small_store: Store) -> Store:
    subprocess.run(["git", "-C", str(small_store.root), "add", "-A"], check=True)
    return small_store


def typer_answer(environ: dict[str, str], cwd: Path) -> tuple[str, int]:
    """What typer's own completion prints, and its exit code, for the same request."""
    done = subprocess.run(
        [sys.executable, "-c", "from formulactl.cli.root import main; main()"],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
    )
    assert done.stderr == ""
    return done.stdout, done.returncode


def request(shell: str, line: str, **extra: str) -> dict[str, str]:
    """The environment the shell's completion script sets for `line` (Tab at its end)."""
    environ = {k: v for k, v in os.environ.items() if k != "FORMULACTL_STORE"}
    environ[COMPLETE_VAR] = f"complete_{shell}"
    if shell == "bash":
        words = line.split(" ")
        environ.update(COMP_WORDS=line, COMP_CWORD=str(len(words) - 1))
    else:
        environ["_TYPER_COMPLETE_ARGS"] = line
    environ.update(extra)
    return environ


ANSWERED = [
    "formulactl show C-",
    "formulactl show C-00001 F-",
    "formulactl show --json --at HEAD F-000001@",
    "formulactl show F-000001@2",
    "formulactl approve ",
    "formulactl scale ",
    "formulactl scale --size 500kg F-000001@",
    "formulactl cost --what-if=M-00001=2 F-",
    "formulactl where-used ",
    "formulactl trace --material M-",
    "formulactl recall --batch ",
    "formulactl substitute --replace M-00001 --with ",
    "formulactl show X-",
    "formulactl show C-/../",
]


@pytest.mark.parametrize("line", ANSWERED)
@pytest.mark.parametrize(
    ("shell", "extra"),
    [
        ("bash", {}),
        ("zsh", {}),
        ("fish", {"_TYPER_COMPLETE_FISH_ACTION": "get-args"}),
        ("fish", {"_TYPER_COMPLETE_FISH_ACTION": "is-args"}),
    ],
    ids=["bash", "zsh", "fish-get", "fish-is"],
)
def test_record_ids_are_answered_as_typer_answers(
    line: str, shell: str, extra: dict[str, str], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    environ = request(shell, line, **extra)
    monkeypatch.chdir(store.root)
    quick = tab.answer(environ)
    assert quick is not None
    assert quick == typer_answer(environ, store.root)


def test_the_answer_names_the_records(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(store.root)
    assert tab.answer(request("bash", "formulactl show C-")) == ("C-00001\nC-00002\n", 0)
    assert tab.answer(request("bash", "formulactl scale F-000001@")) == (
        "F-000001@1\nF-000001@2\n",
        0,
    )
    zsh = tab.answer(request("zsh", "formulactl where-used "))
    assert zsh == ('_arguments \'*: :(("M-00001"\n"M-00002"))\'\n', 0)
    assert tab.answer(request("zsh", "formulactl show X-")) == ("_files\n", 0)
    fish = request("fish", "formulactl show X-", _TYPER_COMPLETE_FISH_ACTION="is-args")
    assert tab.answer(fish) == ("", 1)


def test_a_store_named_by_option_or_environment(store: Store, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    line = f"formulactl show --store {store.root} C-"
    environ = request("bash", line)
    assert tab.answer(environ) == ("C-00001\nC-00002\n", 0)
    assert tab.answer(environ) == typer_answer(environ, outside)
    named = request("bash", "formulactl show M-", FORMULACTL_STORE=str(store.root))
    assert tab.answer(named) == ("M-00001\nM-00002\n", 0) == typer_answer(named, outside)


@pytest.mark.parametrize(
    "line",
    [
        "formulactl list ",  # a kind, not an ID
        "formulactl set C-00001 contacts[0].p",  # a field path
        "formulactl set C-00001 --unset x C-",  # still a field path (set's second argument)
        "formulactl blame C-00001 ",
        "formulactl show --at ",  # the value of an option that takes no ID
        "formulactl show -",  # option names
        "formulactl show --unknown C-",  # an option this table does not know
        "formulactl show -- C-",
        "formulactl show 'C-",  # quoting: typer splits it as shlex does
        "formulactl sh",  # a command name
        "formulactl team add ",
    ],
)
def test_anything_else_is_left_to_typer(
    line: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(store.root)
    assert tab.answer(request("bash", line)) is None
    assert tab.answer(request("zsh", line)) is None


def test_a_record_id_tab_press_imports_no_typer(store: Store) -> None:
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('typer', 'click', 'yaml')), file=sys.stderr))\n"
        "from formulactl.cli import main\nmain()\n"
    )
    environ = request("bash", "formulactl show C-")
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=store.root, env=environ, capture_output=True, text=True
    )
    assert (done.stdout, done.stderr, done.returncode) == ("C-00001\nC-00002\n", "[]\n", 0)


@pytest.mark.parametrize(
    "line",
    [
        "formulactl show C-\xa0",  # shlex splits at space, tab, CR and LF only
        "formulactl show\u3000C-",  # an ideographic space, as a CJK input method types it
        "formulactl approve C-00001\u3000",
        "formulactl show C-\x0c",
    ],
)
@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_other_white_space_is_part_of_a_word_as_for_typer(
    line: str, shell: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    environ = request(shell, line)
    environ["COMP_CWORD"] = str(len(line.split(" ")) - 1)
    monkeypatch.chdir(store.root)
    quick = tab.answer(environ)
    assert quick is None or quick == typer_answer(environ, store.root)  # None: typer answers


def test_an_empty_store_option_and_odd_positions_are_left_to_typer(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    below = store.root / "records"
    monkeypatch.chdir(below)
    empty = request("bash", "formulactl show --store= C-")
    assert tab.answer(empty) is None  # typer reads it as this folder, which is no store
    assert typer_answer(empty, below) == ("\n", 0)
    odd = request("bash", "formulactl show C-")
    odd["COMP_CWORD"] = "\u00b2"  # a digit to str.isdigit, not to int()
    assert tab.answer(odd) is None


def test_a_folder_removed_under_the_shell_completes_nothing(tmp_path: Path) -> None:
    """No traceback and no internal error: nothing to offer, as outside a store."""
    gone = tmp_path / "gone"
    gone.mkdir()
    code = (
        "import os, sys\n"
        f"os.chdir({str(gone)!r}); os.rmdir({str(gone)!r})\n"
        "from formulactl.cli import main\nmain()\n"
    )
    environ = request("bash", "formulactl show C-")
    done = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, "\n", "")
    long_name = request("bash", f"formulactl show --store={'x' * 5000} C-")
    assert tab.answer(long_name) == ("\n", 0) == typer_answer(long_name, tmp_path)
