"""Build only the command that is asked for.

Typer turns each command function into a click command by reading its signature and type
hints, which costs about a millisecond per parameter; doing that for every command on every
start was most of `formulactl --help`. Here a group's commands are a mapping that builds a
command the first time it is looked up: the top level from the table in `cli/commands.py`
(importing only the module named there), a sub-group (`team`, `audit`, `report` …) from the
functions its module registered. Help listings, suggestions for a mistyped command and
completion of command names read names and summaries without building anything.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import typer
import typer.core
import typer.main
from typer import _click
from typer.models import CommandInfo, TyperInfo

from formulactl.cli.commands import COMMANDS, OPTIONS
from formulactl.cli.params import prepare

# The settings the root app is made with; every built command uses the same.
_BUILD: dict[str, Any] = {"pretty_exceptions_short": True, "rich_markup_mode": None}


class LazyCommands(MutableMapping[str, _click.Command]):
    """Command names known up front; each command built on first lookup."""

    def __init__(self, names: list[str], build: Callable[[str], _click.Command]) -> None:
        self._names = names
        self._build = build
        self._built: dict[str, _click.Command] = {}

    def __getitem__(self, name: str) -> _click.Command:
        if name not in self._built:
            if name not in self._names:
                raise KeyError(name)
            self._built[name] = self._build(name)
        return self._built[name]

    def __setitem__(self, name: str, command: _click.Command) -> None:
        if name not in self._names:
            self._names.append(name)
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        self._names.remove(name)
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._names))

    def __len__(self) -> int:
        return len(self._names)


class RootGroup(typer.core.TyperGroup):
    """The `formulactl` group: its listing comes from the table, not from built commands."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(list(COMMANDS), _from_table)
        prepare(self)

    def _visible(self, prefix: str = "") -> list[tuple[str, str]]:
        return [
            (name, entry.summary)
            for name, entry in COMMANDS.items()
            if not entry.hidden and name.startswith(prefix)
        ]

    def format_options(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        """--install-completion and --show-completion (answered by `cli.run` before any
        parsing, as they take an optional value), then --help, then the commands."""
        rows = [(f"{name} [SHELL]", text) for name, text in OPTIONS.items()]
        rows += [row for param in self.get_params(ctx) if (row := param.get_help_record(ctx))]
        with formatter.section("Options"):
            formatter.write_dl(rows)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        """What click would print for the built commands, from their summaries."""
        visible = self._visible()
        limit = formatter.width - 6 - max(len(name) for name, _ in visible)
        rows = [(name, _click.utils.make_default_short_help(text, limit)) for name, text in visible]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def shell_complete(self, ctx: _click.Context, incomplete: str) -> list[Any]:
        """Command names with their summaries, and the group's own options."""
        items = [
            _click.shell_completion.CompletionItem(
                name, help=_click.utils.make_default_short_help(text)
            )
            for name, text in self._visible(incomplete)
        ]
        if incomplete.startswith("-"):
            items += [
                _click.shell_completion.CompletionItem(name, help=text)
                for name, text in OPTIONS.items()
                if name.startswith(incomplete)
            ]
        return items + _click.core.Command.shell_complete(self, ctx, incomplete)


def _from_table(name: str) -> _click.Command:
    module = importlib.import_module(f"formulactl.cli.{COMMANDS[name].module}")
    family = typer.Typer()
    module.register(family)
    return build(family, name)


def build(family: typer.Typer, name: str) -> _click.Command:
    """The command or group `name` that `family` registered, and nothing else."""
    for info in family.registered_commands:
        if command_name(info) == name:
            return prepare(typer.main.get_command_from_info(info, **_BUILD))
    for group in family.registered_groups:
        if group_name(group) == name:
            return lazy_group(group)
    raise LookupError(f"{name} is in formulactl.cli.commands but its module does not register it")


def command_name(info: CommandInfo) -> str:
    """The name typer gives a registered function (its own, or the function's, dashed)."""
    return info.name or typer.main.get_command_name(getattr(info.callback, "__name__", ""))


def group_name(info: TyperInfo) -> str:
    return typer.main.solve_typer_info_defaults(info).name or ""


def lazy_group(info: TyperInfo) -> typer.core.TyperGroup:
    """A sub-group made as typer makes it, with its commands built when looked up."""
    family = info.typer_instance
    assert family is not None
    names = [command_name(each) for each in family.registered_commands]
    names += [group_name(each) for each in family.registered_groups]
    empty = copy.copy(family)
    empty.registered_commands, empty.registered_groups = [], []
    shell = copy.copy(info)
    shell.typer_instance = empty
    group = typer.main.get_group_from_info(shell, suggest_commands=True, **_BUILD)
    group.commands = LazyCommands(names, lambda name: build(family, name))
    prepare(group)
    return group
