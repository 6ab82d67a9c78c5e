"""A Tab press on a record ID, answered before typer is imported.

Completion runs `formulactl` once per Tab press, and importing typer alone takes about
0.15 s: most of the 0.2 s after which a user notices a wait. Record IDs are what people
complete most (`show C-`, `approve F-0`, `scale F-000001@`), and answering them needs only
the words typed so far, the table below and a listing of `records/`. So `formulactl`
answers those here, in the shells' own formats (the ones typer's completion classes
speak), and hands everything else to typer: a command line this module does not fully
understand (quotes, `--`, an unknown option, a word that is not a record ID) is never
guessed at. tests/test_tab_completion.py checks the table against the real commands and
every answer against typer's.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from formulactl.cli.commands import COMPLETE_VAR

# Parameters that take a record ID, and the ID prefix they take.
ID_PARAMS = {
    "record_id": "",
    "record_ids": "",
    "ref": "F-",
    "formula": "F-",
    "batch": "B-",
    "material": "M-",
    "only": "M-",
    "replace": "M-",
    "with_": "M-",
}


# Every command with a parameter in ID_PARAMS: its positional arguments in order (`NAME...`
# takes all the rest) and its options: `--flag` takes no value, `--option=` takes one for the
# parameter of its name, `--option=PARAMETER` one for a parameter named otherwise.
# tests/test_tab_completion.py prints this table if it drifts.
COMMANDS: dict[str, tuple[str, str]] = {
    "active": ("formula", "--at= --format=form --json --on= --store="),
    "approve": ("record_id", "--identity= --store="),
    "archive": ("record_id", "--reason= --store="),
    "blame": ("record_id field", "--decrypt --identity= --json --store="),
    "check": ("ref", "--draft --format=fmt --identity= --json --market= --store="),
    "cost": ("ref", "--at= --draft --format=fmt --identity= --json --size= --store= --what-if="),
    "declare": ("ref", "--draft --format=fmt --identity= --json --market= --store="),
    "diff": ("record_id first second", "--decrypt --identity= --json --markdown --store="),
    "edit": ("record_id", "--identity= --store="),
    "feedback": (
        "record_id status",
        "--capa= --no-capa-reason= --reason= --resolution= --store= --to=",
    ),
    "log": ("record_id", "--json --store="),
    "merge": ("record_id", "--into= --json --reason= --store="),
    "reaffirm": ("record_id", "--store="),
    "recall": (
        "",
        "--at= --batch= --format=form --identity= --json --lot= --material=only --store=",
    ),
    "reject": ("record_id", "--reason= --store="),
    "reject-batch": ("batch", "--reason= --store="),
    "rekey": ("record_id", "--all --identity= --store="),
    "release": ("batch", "--identity= --store="),
    "revise": ("record_id", "--reason= --store="),
    "scale": ("ref", "--draft --format=fmt --identity= --json --loss= --size= --store="),
    "set": ("record_id assignments...", "--identity= --store= --unset="),
    "show": ("record_ids...", "--at= --decrypt --identity= --json --raw --store="),
    "submit": ("record_id", "--store="),
    "substitute": (
        "",
        "--dry-run --identity= --json --ratio= --reason= --replace= --store= --where= --with=with_",
    ),
    "trace": ("batch", "--at= --format=form --identity= --json --lot= --material=only --store="),
    "where-used": ("material", "--at= --format=form --json --lot= --material=only --store="),
}


def answer(environ: Mapping[str, str]) -> tuple[str, int] | None:
    """What to print and the exit code for the shell's completion request in `environ`,
    or None when typer should answer it."""
    instruction = environ.get(COMPLETE_VAR, "")
    request = _request(instruction, environ)
    if request is None:
        return None
    shell, words, incomplete = request
    values = _values(words, incomplete, environ)
    if values is None or not all(_PLAIN.fullmatch(value) for value in values):
        return None
    if shell == "bash":
        return "\n".join(values) + "\n", 0
    if shell == "zsh":
        if not values:
            return "_files\n", 0
        quoted = "\n".join(f'"{value}"' for value in values)
        return f"_arguments '*: :(({quoted}))'\n", 0
    action = environ.get("_TYPER_COMPLETE_FISH_ACTION", "")
    if action == "is-args":
        return "", 0 if values else 1
    return ("\n".join(values) if action == "get-args" and values else "") + "\n", 0


# Values every shell takes as they are (no quoting or escaping in any of the formats).
_PLAIN = re.compile(r"[A-Za-z0-9_.@-]+")
# A command line with quoting or escapes is left to typer, which splits it as shlex does;
# without them, shlex splits at these four characters only (not at U+3000 or U+00A0).
_SIMPLE = re.compile(r"[^'\"\\]*")
_SPACE = re.compile(r"[ \t\r\n]+")


def _split(line: str) -> list[str]:
    return [word for word in _SPACE.split(line) if word]


def _request(instruction: str, environ: Mapping[str, str]) -> tuple[str, list[str], str] | None:
    """(shell, the words before the one being completed, that word), as typer reads them."""
    action, _, shell = instruction.partition("_")
    if action != "complete":
        return None
    if shell == "bash":
        line, position = environ.get("COMP_WORDS", ""), environ.get("COMP_CWORD", "")
        if not _SIMPLE.fullmatch(line) or not (position.isascii() and position.isdigit()):
            return None
        words, cword = _split(line), int(position)
        return shell, words[1:cword], words[cword] if cword < len(words) else ""
    if shell in ("zsh", "fish"):
        line = environ.get("_TYPER_COMPLETE_ARGS", "")
        if not _SIMPLE.fullmatch(line):
            return None
        words = _split(line)[1:]
        if words and not line.endswith(" "):
            return shell, words[:-1], words[-1]
        return shell, words, ""
    return None


def _values(words: list[str], incomplete: str, environ: Mapping[str, str]) -> list[str] | None:
    """Record IDs (or `ID@VERSION`s) for `incomplete`, if it is a record ID parameter's."""
    if not words or words[0] not in COMMANDS or incomplete.startswith("-") or "--" in words:
        return None
    names, options = COMMANDS[words[0]]
    takes = dict(_option(option) for option in options.split())
    given: dict[str, str] = {}
    positional = 0
    waiting: str | None = None  # the parameter whose value comes next
    for word in words[1:]:
        if waiting is not None:
            given[waiting], waiting = word, None
        elif word.startswith("-"):
            name, equals, value = word.partition("=")
            if name not in takes:
                return None
            param = takes[name]
            if not param:
                if equals:
                    return None
            elif equals:
                given[param] = value
            else:
                waiting = param
        else:
            positional += 1
    completing = waiting or _argument(names.split(), positional)
    if completing not in ID_PARAMS or given.get("store") == "":
        return None  # (typer reads an empty --store= as the current folder, not upwards)
    root = store_root(given.get("store") or environ.get("FORMULACTL_STORE"))
    found = [] if root is None else ids(root, incomplete, ID_PARAMS[completing])
    return [value for value in found if value.startswith(incomplete)]


def _option(spelled: str) -> tuple[str, str]:
    """`--what-if=` → (`--what-if`, `what_if`); `--material=only` → (`--material`, `only`);
    a flag `--json` → (`--json`, ``)."""
    name, takes, param = spelled.partition("=")
    return name, param or (name.lstrip("-").replace("-", "_") if takes else "")


def _argument(names: list[str], count: int) -> str | None:
    """The argument the next positional word fills after `count` of them, as click
    assigns them (`NAME...` takes all the rest)."""
    for name in names:
        if name.endswith("...") or count == 0:
            return name.removesuffix("...")
        count -= 1
    return None


def store_root(given: str | None) -> Path | None:
    """The store named by `--store` or FORMULACTL_STORE, else the nearest one upwards; None
    where there is none or it cannot be looked at (a folder removed under the shell, a name
    too long): a Tab press then offers nothing, as outside a store."""
    try:
        start = Path(given) if given else Path.cwd()
        for folder in [start] if given else [start, *start.parents]:
            if (folder / "formulactl.yaml").is_file():
                return folder
    except OSError:
        return None
    return None


def ids(root: Path, incomplete: str, prefix: str) -> list[str]:
    """IDs starting with `prefix`, listed from those that begin with what was typed; after
    `ID@`, that record's versions. (The caller keeps the ones that begin with `incomplete`.)"""
    record, at, _ = incomplete.partition("@")
    paths = record_paths(root, record if at else max(prefix, incomplete, key=len))
    if at:
        found = paths.get(record)
        return [f"{record}@{version}" for version in _versions(root / found)] if found else []
    return sorted(record_id for record_id in paths if record_id.startswith(prefix))


def record_paths(root: Path, start: str = "") -> dict[str, str]:
    """Record ID → its path (`records/FOLDER/ID.yaml`) for IDs that begin with `start`.

    One directory listing per kind folder, no file read and no git process: starting
    `git ls-files` costs about a tenth of a Tab press's budget in a 10,000-record store.
    Links and anything but plain files are left out, as `validate` refuses them.
    """
    if not _ID_START.fullmatch(start):
        return {}  # no record ID has such characters
    found = {}
    try:
        folders = [
            entry for entry in os.scandir(root / "records") if entry.is_dir(follow_symlinks=False)
        ]
        for folder in folders:
            for entry in os.scandir(folder.path):
                name = entry.name
                if (
                    name.startswith(start)
                    and name.endswith(".yaml")
                    and not name.startswith(".")
                    and entry.is_file(follow_symlinks=False)
                ):
                    found[name[: -len(".yaml")]] = f"records/{folder.name}/{name}"
    except OSError:
        return found
    return found


_ID_START = re.compile(r"[A-Za-z0-9_.-]*")
_VERSION = re.compile(rb"^version: *(\d+) *$", re.MULTILINE)


def _versions(path: Path) -> range:
    """1 … the record's version, read from its top-level `version:` line."""
    try:
        found = _VERSION.search(path.read_bytes())
    except OSError:
        return range(0)
    return range(1, int(found.group(1)) + 1) if found else range(0)
