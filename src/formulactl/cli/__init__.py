"""The `formulactl` command: typer commands only; the core does the work."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import typer
import typer.core
import typer.main

from formulactl.cli import (
    audit,
    checking,
    data,
    formulation,
    integration,
    records,
    reports,
    secrets,
    team,
    trace,
    workflow,
)
from formulactl.errors import FormulaError, Interrupted

app = typer.Typer(
    name="formulactl",
    help="Customer archives and customer formulas as reviewed, signed YAML records in Git.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
records.register(app)
workflow.register(app)
team.register(app)
secrets.register(app)
checking.register(app)
audit.register(app)
integration.register(app)
trace.register(app)
formulation.register(app)
reports.register(app)
data.register(app)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every user-caused problem ends as one line and an exit code, never a trace."""
    for stream in (sys.stdout, sys.stderr):
        # A terminal that cannot show a character gets `\u9648`, not a crash half-way.
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    sys.exit(run(argv))


class _Argument(typer.core.TyperArgument):
    """An argument shown by its name (`ID`, `FIELD=VALUE...`), never by its Python type."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        return self.display_name_raw


def _plain_metavars(command: Any) -> Any:
    """Help that names values (`--set FIELD=VALUE`, `KIND`), not `<list[str]>` or `{kind}`."""
    for param in command.params:
        if isinstance(param, typer.core.TyperArgument):
            param.__class__ = _Argument
            if param.metavar is None:
                name = (param.name or "").upper() + ("..." if param.nargs != 1 else "")
                param.metavar = name if param.required else f"[{name}]"
        elif isinstance(param, typer.core.TyperOption) and not param.is_flag:
            param.metavar = param.metavar or param.opts[0].lstrip("-").upper()
    for child in getattr(command, "commands", {}).values():
        _plain_metavars(child)
    return command


def run(argv: list[str] | None = None) -> int:
    try:
        command = _plain_metavars(typer.main.get_command(app))
        result = command.main(args=argv, prog_name="formulactl", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except FormulaError as error:
        sys.stderr.write(f"formulactl: {error}\n")
        return 2
    except typer.Exit as done:
        return int(done.exit_code)
    except typer.TyperException as error:  # a usage error, such as a missing argument
        sys.stderr.write(_usage_line(error) + "\n")
        return int(getattr(error, "exit_code", 2))
    except (KeyboardInterrupt, typer.Abort, Interrupted):
        sys.stderr.write("formulactl: interrupted; nothing was written\n")
        return 130
    except BrokenPipeError:
        return 0
    except Exception:
        log = _crash_log()
        sys.stderr.write(
            f"formulactl: internal error; details were written to {log}. "
            "Please report it with that file.\n"
        )
        return 3


def _usage_line(error: Exception) -> str:
    """Click's three-line usage message as one line with the way out."""
    context = getattr(error, "ctx", None)
    command = context.command_path if context is not None else "formulactl"
    message = getattr(error, "format_message", lambda: str(error))()
    return f"{command}: {message.rstrip('.')} — see `{command} --help`"


def _crash_log() -> Path:
    import traceback

    folder = Path.home() / ".cache" / "formulactl"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / "last-error.log"
        log.write_text(traceback.format_exc(), encoding="utf-8")
        return log
    except OSError:
        traceback.print_exc()
        return Path("standard error")
