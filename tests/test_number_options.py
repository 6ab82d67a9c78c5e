"""Number options (`--months 6`, `--factor 2.5`) are converted as typer's pydantic adapter
converts them, without importing pydantic (a sixth of a second of every such command);
any other spelling still goes to typer, which converts it or words the error."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from pydantic import TypeAdapter

from conftest import Invoke
from formulactl.cli.params import _number, _optional
from formulactl.store.store import Store

SPELLINGS = ["5", "+5", "-5", "007", "-0", "2.5", "1e3", "-.5", "5.", "1E-2"]


@pytest.mark.parametrize("kind", [int, float])
@pytest.mark.parametrize("text", SPELLINGS)
def test_a_plain_spelling_is_read_as_pydantic_reads_it(kind: type, text: str) -> None:
    ours = _number(kind, text)
    try:
        theirs: Any = TypeAdapter(kind).validate_python(text)
    except ValueError:
        assert ours is None  # typer then words the error
        return
    if ours is not None:
        assert (type(ours), ours) == (type(theirs), theirs)


@pytest.mark.parametrize(
    "text", [" 5", "1_000", "1.0", "inf", "nan", "five", "", "\u0663", "1" * 5000]
)
def test_anything_else_is_left_to_typer(text: str) -> None:
    assert _number(int, text) is None
    ours = _number(float, text)  # `1.0` and 5,000 digits are plain floats
    assert ours is None or ours == TypeAdapter(float).validate_python(text)


def test_defaults_and_optional_annotations() -> None:
    assert _number(float, 2.0) == 2.0
    assert _number(int, 12) == 12
    assert _number(float, 2) is None  # pydantic would make it 2.0: typer's to convert
    assert _optional(int | None) is int
    assert _optional(str) is str
    assert _number(str, "5") is None


def test_a_report_with_number_options_imports_no_pydantic(
    sample_signed_store: Store, invoke: Invoke
) -> None:
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('pydantic' in sys.modules, file=sys.stderr))\n"
        "sys.argv = ['formulactl', 'report', 'churn', '--factor', '2.5', '--json']\n"
        "from formulactl.cli import main\nmain()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=sample_signed_store.root, capture_output=True, text=True
    )
    assert (done.returncode, done.stderr) == (0, "False\n")
    root = sample_signed_store.root
    assert done.stdout == invoke("report", "churn", "--factor", "2.5", "--json", cwd=root).out
    wrong = invoke("report", "churn", "--factor", "two", cwd=root)
    assert (wrong.code, wrong.err) == (
        2,
        "formulactl report churn: Invalid value for '--factor': Input should be a valid "
        "number, unable to parse string as a number — see `formulactl report churn --help`\n",
    )
