"""What every built command gets: help that names values, values converted without
pydantic, and (on a Tab press) completion of values from the store.

Typer 0.29 converts each parameter through a pydantic TypeAdapter, and importing pydantic
and building the adapters costs more than the rest of a small command. formulactl's
parameters are strings, paths, flags, numbers and lists of them: those are converted here
exactly as typer's adapters would (a path still gets typer's own existence and permission
checks), and anything else (an unusual spelling of a number, a wrong value, choices) still
goes through typer, which also words its errors.
"""

from __future__ import annotations

import os
import re
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import typer.core
from typer import _click
from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
from typer._param_types import coerce_cli_path

from formulactl.cli.commands import COMPLETE_VAR


class _Argument(typer.core.TyperArgument):
    """An argument shown by its name (`ID`, `FIELD=VALUE...`), never by its Python type."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        return self.display_name_raw


def prepare(command: _click.Command) -> _click.Command:
    """Help that names values (`--set FIELD=VALUE`, `KIND`), not `<list[str]>` or `{kind}`;
    values converted without pydantic; values that complete from the store, attached only
    when the shell asks (the completion code is not imported by any other run)."""
    completing = bool(os.environ.get(COMPLETE_VAR))
    if completing:
        from formulactl.cli import completion
    # click makes --help on first use; made now, it is converted like the rest.
    help_option = command.get_help_option(_click.Context(command))
    for param in [*command.params, *([help_option] if help_option else [])]:
        if isinstance(param, typer.core.TyperArgument):
            param.__class__ = _Argument
            if param.metavar is None:
                name = (param.name or "").upper() + ("..." if param.nargs != 1 else "")
                param.metavar = name if param.required else f"[{name}]"
        elif isinstance(param, typer.core.TyperOption) and not param.is_flag:
            param.metavar = param.metavar or param.opts[0].lstrip("-").upper()
        if isinstance(param, typer.core._TyperParameter):
            found = param.type_descriptor
            param._runtime_param = _Plain(
                annotation=found.annotation, parameter_info=found.parameter_info
            )
        if completing:
            completion.attach(param)
    return command


@dataclass(frozen=True)
class _Plain(RuntimeParam):
    """A str, Path or list of them from the command line, as typer would convert it."""

    def _coerce_value(self, value: Any, param: Any, ctx: _click.Context) -> Any:
        annotation: Any = self.annotation
        many = get_origin(annotation) is list
        kind = get_args(annotation)[0] if many else annotation
        items = list(value) if many and isinstance(value, (list, tuple)) else [value]
        if kind is Path and all(isinstance(item, Path) for item in items):
            items = [str(item) for item in items]
        if kind in (str, Path) and all(isinstance(item, str) and item for item in items):
            if kind is Path:
                info = self.parameter_info
                items = [
                    coerce_cli_path(Path(v), info, path_type=Path, param=param, ctx=ctx)
                    for v in items
                ]
            return items if many else items[0]
        if kind is bool and isinstance(value, bool):
            return value
        number = _number(_optional(kind), value) if not many else None
        if number is not None:
            return number
        typer_own = build_runtime_param(
            TypeDescriptor(
                annotation=annotation, parameter_info=self.parameter_info, file_annotation=None
            )
        )
        return typer_own._coerce_value(value, param=param, ctx=ctx)


def _optional(annotation: Any) -> Any:
    """`int | None` → `int` (None itself never reaches a conversion); anything else as is."""
    if get_origin(annotation) in (Union, types.UnionType):
        others = [arg for arg in get_args(annotation) if arg is not type(None)]
        return others[0] if len(others) == 1 else annotation
    return annotation


_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _number(kind: Any, value: Any) -> int | float | None:
    """An int or float option's value as pydantic reads it, for the plain spellings (`12`,
    `-3`, `2.5`, `1e3`) and the defaults; None for anything else, which typer converts (a
    command with a number option otherwise imports pydantic: a sixth of a second)."""
    if kind not in (int, float):
        return None
    if type(value) is kind:
        return value  # type: ignore[no-any-return]
    if isinstance(value, str):
        try:
            if kind is int and _INT.fullmatch(value):
                return int(value)
            if kind is float and _FLOAT.fullmatch(value):
                return float(value)
        except ValueError:  # more digits than int() takes: typer words the error
            return None
    return None
