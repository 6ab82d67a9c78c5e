"""Shell completion: the script for bash, zsh or fish, and the values it completes.

Completion runs `formulactl` once per Tab press, so it must stay cheap: record IDs come
from the listing of `records/`'s folders (cli/tab.py, which answers most of them before
typer is even imported), field paths from the kind's
JSON schema, command names from the table in `cli/commands.py`. Typer's completion classes
speak to the shell (`_FORMULACTL_COMPLETE=complete_bash` with COMP_WORDS/COMP_CWORD, and so on).

Installing writes one file, in the place the shell loads completions from by itself, and
says where; it never edits ~/.bashrc or ~/.zshrc (typer's own installer does).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from typer import _click

from formulactl.cli.commands import COMPLETE_VAR, PROG
from formulactl.cli.tab import ID_PARAMS, ids, record_paths, store_root
from formulactl.errors import FormulaError

SHELLS = ("bash", "zsh", "fish")

Completer = Callable[[_click.Context, str], list[str]]


# ---------------------------------------------------------------- the script


def option(name: str, args: list[str]) -> str:
    """What `--install-completion [SHELL]` or `--show-completion [SHELL]` prints."""
    if len(args) > 1:
        raise FormulaError(
            f"{name} takes one shell name, not {' '.join(args)!r}",
            f"`{PROG} {name} bash`, zsh or fish",
        )
    shell = args[0] if args else None
    if name == "--show-completion":
        return script(shell) + "\n"
    path, advice = install(shell)
    return f"{_shell(shell)} completion written to {path}; {advice}\n"


def script(shell: str | None) -> str:
    """The completion script for `shell` (or the shell this runs in)."""
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=_shell(shell))


def install(shell: str | None) -> tuple[Path, str]:
    """Write the script where `shell` finds it by itself; the path and what to do next."""
    chosen = _shell(shell)
    home = Path.home()
    data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    target, advice = {
        "bash": (
            data / "bash-completion" / "completions" / PROG,
            "bash-completion loads it in new shells; without bash-completion, "
            "add `source {path}` to ~/.bashrc",
        ),
        "zsh": (
            home / ".zfunc" / f"_{PROG}",
            "add `fpath+=~/.zfunc; autoload -Uz compinit; compinit` to ~/.zshrc "
            "if it is not there, then start a new shell",
        ),
        "fish": (config / "fish" / "completions" / f"{PROG}.fish", "fish loads it in new shells"),
    }[chosen]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(script(chosen) + "\n", encoding="utf-8")
    except OSError as error:
        raise FormulaError(
            f"cannot write {target}: {error.strerror}",
            f"use `{PROG} --show-completion {chosen}` and save it yourself",
        ) from None
    return target, advice.format(path=target)


def _shell(shell: str | None) -> str:
    if shell is None:
        shell = Path(os.environ.get("SHELL", "")).name
        if shell not in SHELLS:
            raise FormulaError(
                "cannot tell which shell this is (from $SHELL)",
                "name it after the option: bash, zsh or fish",
            )
    if shell not in SHELLS:
        raise FormulaError(f"no completion for the shell {shell!r}", "use bash, zsh or fish")
    return shell


def respond(command: _click.Command, instruction: str) -> int:
    """Answer one completion request from the shell (what the script asks on Tab)."""
    from typer._completion_classes import completion_init
    from typer.completion import shell_complete

    completion_init()
    return shell_complete(command, {}, PROG, COMPLETE_VAR, instruction)


# ---------------------------------------------------------------- values


def attach(param: _click.Parameter) -> None:
    """Give a parameter the completer its name or metavar calls for, if any."""
    completer = _completer(param)
    if completer is not None:
        param._custom_shell_complete = lambda ctx, _param, incomplete: [
            _click.shell_completion.CompletionItem(value)
            for value in completer(ctx, incomplete)
            if value.startswith(incomplete)
        ]


def _completer(param: _click.Parameter) -> Completer | None:
    name, metavar = param.name or "", param.metavar or ""
    if name == "kind":
        return lambda ctx, incomplete: _kinds()
    if name == "target":  # access [ID|KIND]
        return lambda ctx, incomplete: _kinds() + _ids(ctx, incomplete, "")
    if "FIELD" in metavar:
        suffix = "=" if "=" in metavar else ""
        return lambda ctx, incomplete: [path + suffix for path in _fields(ctx)]
    if name in ID_PARAMS:
        prefix = ID_PARAMS[name]
        return lambda ctx, incomplete: _ids(ctx, incomplete, prefix)
    return None


def _kinds() -> list[str]:
    from formulactl.model.kinds import KINDS

    return list(KINDS)


def _root(ctx: _click.Context) -> Path | None:
    """The store this command line names (`--store`, FORMULACTL_STORE) or the nearest one."""
    return store_root(ctx.params.get("store") or os.environ.get("FORMULACTL_STORE"))


def _ids(ctx: _click.Context, incomplete: str, prefix: str) -> list[str]:
    """IDs starting with `prefix`; after `ID@`, that record's versions."""
    root = _root(ctx)
    return [] if root is None else ids(root, incomplete, prefix)


def _given(ctx: _click.Context, name: str) -> object:
    """An argument's value so far; while an option still waits for its value, click leaves
    the arguments before it unparsed in `ctx.args`, in order."""
    if ctx.params.get(name):
        return ctx.params[name]
    arguments = [param.name for param in ctx.command.params if param.param_type_name == "argument"]
    return dict(zip(arguments, ctx.args, strict=False)).get(name)


def _fields(ctx: _click.Context) -> list[str]:
    """Field paths of the kind this command line is about (`KIND`, or the record's ID)."""
    root = _root(ctx)
    if root is None:
        return []
    kind = _given(ctx, "kind")
    record = _given(ctx, "record_id")
    if not kind and record:
        from formulactl.model.kinds import FOLDERS

        path = record_paths(root, str(record)).get(str(record))
        folder = FOLDERS.get(path.split("/")[1]) if path else None
        kind = folder.name if folder else None
    if not kind:
        return []
    try:
        import json  # only for field paths: a record ID completes without it

        schema = json.loads((root / "schemas" / f"{kind}.schema.json").read_bytes())
    except (OSError, ValueError):
        return []
    return sorted(_paths(schema, schema, "", 4))


def _paths(root: dict[str, Any], node: dict[str, Any], prefix: str, depth: int) -> Iterator[str]:
    """`name`, `address.city`, `contacts[0].phone`: the field-path language of `set`."""
    node = _resolved(root, node)
    for key, child in node.get("properties", {}).items():
        if not isinstance(child, dict):
            continue
        path = f"{prefix}{key}"
        yield path
        child = _resolved(root, child)
        if depth <= 0:
            continue
        if "properties" in child:
            yield from _paths(root, child, f"{path}.", depth - 1)
        items = child.get("items")
        if isinstance(items, dict) and "properties" in _resolved(root, items):
            yield from _paths(root, items, f"{path}[0].", depth - 1)


def _resolved(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """A local `$ref` (`#/$defs/contact`) followed; anything else as it is."""
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return target if isinstance(target, dict) else {}
    return node
