"""The table `--help` reads (cli/commands.py) is the real commands, and a lazily built
command is the command typer would build: same help, same listing, same suggestions."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main
from typer import _click

import formulactl.cli
from conftest import Invoke
from formulactl.cli.commands import COMMANDS
from formulactl.cli.params import prepare
from formulactl.cli.root import command
from formulactl.store.store import Store


def family_modules() -> list[str]:
    """Every CLI module that registers commands at the top level (`report_*` modules
    register into the `report` group, which `reports` adds)."""
    return [
        found.name
        for found in pkgutil.iter_modules(formulactl.cli.__path__)
        if not found.name.startswith("report_")
        and hasattr(importlib.import_module(f"formulactl.cli.{found.name}"), "register")
    ]


def eager(module: str) -> dict[str, Any]:
    """Every command `module` registers, built all at once as typer would."""
    family = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False)
    importlib.import_module(f"formulactl.cli.{module}").register(family)
    if not family.registered_commands and not family.registered_groups:
        return {}
    family.callback()(lambda: None)  # always a group, even for one command
    group = typer.main.get_group(family)
    return {name: everywhere(prepare, built) for name, built in group.commands.items()}


def everywhere(change: Any, built: Any) -> Any:
    change(built)
    for child in getattr(built, "commands", {}).values():
        everywhere(change, child)
    return built


def first_sentence(help_text: str) -> str:
    """The rule the table's summaries follow (paste-ready in a failure message)."""
    words: list[str] = []
    for word in help_text.split("\n\n")[0].split():
        words.append(word)
        if word.endswith("."):
            break
        if len(" ".join(words)) > 64:
            return " ".join(words) + "…"
    return " ".join(words)


def real_commands() -> dict[str, tuple[str, Any]]:
    """Name → (the module that registers it, the command), for every module."""
    found: dict[str, tuple[str, Any]] = {}
    for module in family_modules():
        for name, built in eager(module).items():
            # A family may register another's commands too (formulation adds compliance's):
            # the table names the module that defines them.
            owner = built.callback.__module__ if built.callback else f"formulactl.cli.{module}"
            if owner.startswith("formulactl.cli.") and owner != f"formulactl.cli.{module}":
                continue
            found.setdefault(name, (module, built))
    return found


def test_the_table_lists_every_real_command_with_its_module_and_summary() -> None:
    real = real_commands()
    expected = {
        name: (module, first_sentence(built.help or ""), built.hidden)
        for name, (module, built) in real.items()
    }
    table = {name: tuple(entry) for name, entry in COMMANDS.items()}
    lines = "\n".join(
        f"    {name!r}: Entry{expected[name]!r},"
        for name in expected
        if table.get(name) != expected[name]
    )
    assert table == expected, f"cli/commands.py should read:\n{lines}"


def test_summaries_give_the_listing_click_would_print_at_every_width() -> None:
    real = real_commands()
    for name, entry in COMMANDS.items():
        built = real[name][1]
        for limit in range(20, 66):
            assert _click.utils.make_default_short_help(entry.summary, limit) == (
                built.get_short_help_str(limit)
            ), (name, limit)


def help_of(built: Any, path: list[str]) -> str:
    """`formulactl PATH --help` as click renders it, at a fixed width."""
    context = _click.Context(
        built, info_name=" ".join(["formulactl", *path]), terminal_width=80, max_content_width=80
    )
    return str(built.get_help(context))


def test_every_command_built_alone_has_the_help_typer_gives_it() -> None:
    root = command()
    checked = 0
    for name, (_module, built) in real_commands().items():
        alone = root.commands[name]
        assert help_of(alone, [name]) == help_of(built, [name]), name
        for child in getattr(built, "commands", {}):
            assert help_of(alone.commands[child], [name, child]) == help_of(
                built.commands[child], [name, child]
            )
            checked += 1
        checked += 1
    assert checked > len(COMMANDS)  # the sub-groups' commands too (team add, audit verify …)


def test_help_lists_the_visible_commands_in_table_order(invoke: Invoke) -> None:
    done = invoke("--help")
    listed = done.out.split("Commands:\n", 1)[1].splitlines()
    names = [line.split()[0] for line in listed]
    assert names == [name for name, entry in COMMANDS.items() if not entry.hidden]
    assert "  validate       Check records against their schemas and rules, or...\n" in done.out
    assert "  --install-completion [SHELL]  Install completion: bash, zsh or fish" in done.out


def test_a_mistyped_command_is_answered_from_the_table(invoke: Invoke) -> None:
    done = invoke("valdate")
    assert done.code == 2
    assert done.err == (
        "formulactl: No such command 'valdate'. Did you mean 'validate'? "
        "— see `formulactl --help`\n"
    )


def loaded_after(args: list[str], cwd: Path) -> set[str]:
    """The modules a real `formulactl ARGS` process imported."""
    code = (
        "import sys\nfrom formulactl.cli.root import run\n"
        f"run({args!r})\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.__stdout__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True
    )
    return set(done.stdout.split("\n"))


@pytest.mark.parametrize(
    "args",
    [["--help"], ["validate", "--help"], ["audit", "verify", "--help"]],
    ids=" ".join,
)
def test_help_imports_no_other_command_family_nor_pydantic(args: list[str], tmp_path: Path) -> None:
    loaded = loaded_after(args, tmp_path)
    families = {name for name in loaded if name.startswith("formulactl.cli.")}
    wanted = {f"formulactl.cli.{COMMANDS[args[0]].module}"} if args[0] in COMMANDS else set()
    assert families - wanted - {"formulactl.cli.common"} == {
        "formulactl.cli.commands",
        "formulactl.cli.lazy",
        "formulactl.cli.params",
        "formulactl.cli.root",
    }  # completion only when the shell asks
    assert not {"pydantic", "yaml", "cryptography"} & loaded


def test_a_warm_validate_imports_no_yaml_schema_or_rule_code(small_store: Store) -> None:
    subprocess.run(["git", "-C", str(small_store.root), "add", "-A"], check=True)
    first = loaded_after(["validate"], small_store.root)
    assert "formulactl.rules.check" in first  # the cold run checks
    again = loaded_after(["validate"], small_store.root)
    assert not {"yaml", "pydantic", "formulactl.rules.check", "formulactl.store.schema"} & again
    assert "formulactl.rules.runs" in again
