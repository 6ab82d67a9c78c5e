"""The `formulactl` command: typer commands only; the core does the work."""

from __future__ import annotations

import gc
import io
import os
import sys
from pathlib import Path

import typer
import typer.core
import typer.main

from formulactl.cli import lazy
from formulactl.cli.commands import COMPLETE_VAR, OPTIONS
from formulactl.errors import FormulaError, Interrupted

# Commands are listed in cli/commands.py and built one at a time when asked for (cli/lazy.py):
# starting formulactl imports typer and the one command family it runs.
app = typer.Typer(
    name="formulactl",
    help="Customer archives and customer formulas as reviewed, signed YAML records in Git.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=lazy.RootGroup,
)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every user-caused problem ends as one line and an exit code, never a trace."""
    collect_seldom()
    for stream in (sys.stdout, sys.stderr):
        # A terminal that cannot show a character gets `\u9648`, not a crash half-way.
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    sys.exit(run(argv))


def collect_seldom() -> None:
    """A command holds thousands of parsed records at once: with the default thresholds the
    cycle collector walks them all again and again (a fifth of a substitution's time) and
    finds nothing, as parsed records hold no cycles. Collect seldom; not never. (The benches
    that time the core in-process call this too, to measure what the command does.)"""
    gc.set_threshold(50_000, 50, 100)


def command() -> typer.core.TyperGroup:
    """The `formulactl` group, with its commands built only when looked up."""
    return typer.main.get_group(app)


def run(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        group = command()
        instruction = os.environ.get(COMPLETE_VAR)
        if instruction:
            from formulactl.cli import completion

            return completion.respond(group, instruction)
        if args[:1] and args[0] in OPTIONS:
            from formulactl.cli import completion

            sys.stdout.write(completion.option(args[0], args[1:]))
            return 0
        result = group.main(args=args, prog_name="formulactl", standalone_mode=False)
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
