"""The team file's rules, in one place for every check of it: `validate`, the history
rules and `team add/remove` all ask this one function."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from formulactl.errors import Problem
from formulactl.model.team import team_problems
from formulactl.store.schema import KindSchema


def team_file_problems(schema: KindSchema, content: Any) -> list[Problem]:
    """Its schema, then what a schema cannot say: one entry per person, one person per
    key, and an admin."""
    problems = schema.problems(content)
    if isinstance(content, Mapping):
        problems += team_problems(content)
    return problems
