"""What every command shares: finding the store, the consoles, rendering findings."""

from __future__ import annotations

import codecs
import dataclasses
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from formulactl.errors import Finding, FormulaError, Refused

if TYPE_CHECKING:
    from formulactl.crypto.crypto import Identity
    from formulactl.store.cache import BlobCache
    from formulactl.store.store import Record, Store

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        metavar="DIR",
        help="The store folder (default: the nearest one above here).",
        envvar="FORMULACTL_STORE",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]

EXIT_FINDINGS = 1
EXIT_INPUT = 2


def open_store(store: Path | None) -> Store:
    from formulactl.store.store import Store

    return Store.find(store if store else Path.cwd(), explicit=store is not None)


@contextmanager
def writing(store: Store, command: str) -> Iterator[None]:
    """Hold the store's write lock from reading its state to the commit, so another
    command started meanwhile waits instead of picking the same ID or losing a change."""
    from formulactl.actions.locking import exclusive

    with exclusive(store, f"formulactl {command}"):
        yield


def check_cache(store: Store) -> BlobCache:
    from formulactl.rules import runs

    return runs.check_cache(store)


def shown_path(store: Store, path: str) -> str:
    """Paths as the user can open them from where they stand."""
    return os.path.relpath(store.root / path) if path else ""


def counted(count: int, noun: str, plural: str = "") -> str:
    """`1 file`, `2 files`: a count with its noun in the right number."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def out_data(text: str) -> None:
    """Text in a format that is UTF-8 by definition (YAML, CSV), written as UTF-8 whatever
    the terminal's encoding, so that a redirect to a file keeps every character."""
    if _utf8(sys.stdout) or not hasattr(sys.stdout, "buffer"):
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
    sys.stdout.buffer.flush()


def envelope_line(text: str, data: Mapping[str, Any]) -> str:
    """A record's text with its key envelope (kilobytes of wrapped keys) as one line that
    names the readers; `--raw` shows it whole."""
    from formulactl.model.sealed import ENVELOPE

    envelope = data.get(ENVELOPE)
    if not isinstance(envelope, dict):
        return text
    readers = ", ".join(sorted(envelope.get("recipients") or {})) or "nobody"
    kept: list[str] = []
    inside = False
    for line in text.splitlines(keepends=True):
        if inside and (line[:1] in (" ", "\t") or not line.strip()):
            continue
        inside = line.startswith(f"{ENVELOPE}:")
        if inside:
            line = f"{ENVELOPE}: sealed for {readers} (use --raw to see the envelope)\n"
        kept.append(line)
    return "".join(kept)


def _utf8(stream: Any) -> bool:
    try:
        return codecs.lookup(getattr(stream, "encoding", None) or "ascii").name == "utf-8"
    except LookupError:
        return False


def err(text: str) -> None:
    sys.stderr.write(text + "\n")


def ask(question: str, default: bool) -> bool:
    """A yes/no question on stderr; end of input means no, Ctrl-C interrupts, and with
    standard input closed nobody can answer, so it is not asked."""
    if sys.stdin is None or sys.stdin.closed:
        return False
    sys.stderr.write(f"{question} [{'Y/n' if default else 'y/N'}] ")
    sys.stderr.flush()
    try:
        answer = sys.stdin.readline()
    except OSError:
        answer = ""
    if not answer:
        sys.stderr.write("\n")
        return False
    answer = answer.strip().lower()
    return default if not answer else answer in ("y", "yes")


def print_json(value: Any) -> None:
    """Any result as JSON, through the one renderer (`cli/render.py`)."""
    out(json_text(value))


def json_text(value: Any) -> str:
    """The JSON `print_json` prints, as text (a remembered report answer keeps it): indented
    by two spaces, written by orjson (Python's json writes indented text in Python, as long
    as opening 10,000 formulas took). A value orjson refuses (an integer beyond 64 bits, a
    key that is not text) is written by Python's json, which writes the same values. A number
    JSON cannot hold (infinite, not a number) is written as null, never as the `Infinity`
    or `NaN` that JSON readers refuse."""
    import orjson

    from formulactl.cli.render import to_json

    try:  # plain data as it is; `to_json` for what orjson does not know (dataclasses…)
        option = orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATACLASS
        text = orjson.dumps(value, default=to_json, option=option).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError is one
        text = json.dumps(to_json(value), ensure_ascii=False, indent=2)
    # \u escapes keep every character where the terminal cannot show it, and are still JSON.
    return _ascii_escaped(text) if stdout_ascii() else text


def _ascii_escaped(text: str) -> str:
    """JSON text with every character beyond printable ASCII (found only inside strings) as
    `\\uXXXX`, those beyond the BMP as a surrogate pair, as `json.dumps(ensure_ascii=True)`
    writes."""
    if text.isascii() and "\x7f" not in text:
        return text
    import re

    def escape(found: re.Match[str]) -> str:
        code = ord(found.group())
        if code < 0x10000:
            return f"\\u{code:04x}"
        code -= 0x10000
        return f"\\u{0xD800 | code >> 10:04x}\\u{0xDC00 | code & 0x3FF:04x}"

    return re.sub(r"[^\x00-\x7e]", escape, text)


def stdout_ascii() -> bool:
    """Whether JSON escapes non-ASCII characters on this run's standard output."""
    return not _utf8(sys.stdout)


def print_findings(store: Store, findings: Sequence[Finding], as_json: bool) -> None:
    if as_json:
        print_json(findings)
        return
    for finding in findings:
        out(_shown(store, finding).as_line())


@contextmanager
def refusals(store: Store) -> Iterator[None]:
    """Show a refused change's findings, each where the user can open it."""
    try:
        yield
    except Refused as refused:
        refuse(
            store, refused.findings, refused.finding.message.removesuffix(": nothing was written")
        )


def committed(commit: str, what: str) -> None:
    err(f"committed {commit[:10]}: {what}" if commit else f"{what}: no change to commit")


def _shown(store: Store, finding: Finding) -> Finding:
    """The finding with its path as the user can open it from where they stand."""
    return dataclasses.replace(finding, path=shown_path(store, finding.path))


def refuse(store: Store, findings: Sequence[Finding], what: str) -> NoReturn:
    """Show why nothing was written and stop with the input-error code."""
    for finding in findings:
        err(_shown(store, finding).as_line())
    err(f"{what}: nothing was written.")
    raise typer.Exit(EXIT_INPUT)


IdentityOption = Annotated[
    Path | None,
    typer.Option(
        "--identity",
        metavar="FILE",
        help="Your age identity or SSH private key, to decrypt with.",
        show_default=False,
    ),
]


def identity_files(explicit: Path | None) -> list[tuple[Path, bool]]:
    """Where to look for a decryption identity, in order: (file, must it load)."""
    found: list[tuple[Path, bool]] = []
    if explicit is not None:
        found.append((explicit, True))
    if os.environ.get("FORMULACTL_IDENTITY"):
        found.append((Path(os.environ["FORMULACTL_IDENTITY"]).expanduser(), True))
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    found.append((config / "formulactl" / "identity.txt", False))
    found.append((Path.home() / ".ssh" / "id_ed25519", False))
    return found


def identities(explicit: Path | None) -> list[Identity]:
    """The identities that load; an unreadable one named on purpose is an error, and a
    default one that cannot be read (a passphrase) is reported only if nothing else loads."""
    from formulactl.crypto.crypto import load_identity

    loaded: list[Identity] = []
    problems: list[FormulaError] = []
    for path, required in identity_files(explicit):
        if not required and not path.is_file():
            continue
        try:
            loaded.append(load_identity(path))
        except FormulaError as problem:
            if required:
                raise
            problems.append(problem)
    if not loaded and problems:
        raise problems[0]
    return loaded


def revealer(store: Store, identity: Path | None) -> Callable[[Record], dict[str, Any]]:
    """Opens each sealed record with this user's identities, loaded at the first need."""
    from formulactl.crypto.opening import open_record
    from formulactl.model.sealed import ENVELOPE

    loaded: list[list[Identity]] = []

    def reveal(record: Record) -> dict[str, Any]:
        if ENVELOPE not in record.data:
            return record.data
        if not loaded:
            loaded.append(identities(identity))
        return open_record(store, record, loaded[0]).plain

    return reveal


def read_file(path: Path) -> bytes:
    """A file the user named, or one clear line saying why it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise FormulaError(
            f"cannot be read ({error.strerror})", "check the path", str(path), rule="usage"
        ) from None


def checked_date(text: str | None, option: str) -> str | None:
    """A YYYY-MM-DD date given on the command line, refused in one line otherwise."""
    from formulactl.store.schema import is_date

    if text is not None and not (isinstance(text, str) and is_date(text) and len(text) == 10):
        raise FormulaError(
            f"{option} {text!r} is not a date", "write dates as YYYY-MM-DD", rule="usage"
        )
    return text
