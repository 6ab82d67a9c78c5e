"""`check` and `declare` with a market nobody knows: one line naming the known markets, exit 2,
not a check of nothing that passes."""

from __future__ import annotations

import pytest

from conftest import Invoke, Member
from formulactl.store.store import Store


@pytest.mark.parametrize("command", ["check", "declare"])
def test_an_unknown_market_is_one_line_naming_the_known_ones(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member], command: str
) -> None:
    key = team_keys["zhang.min"].key
    done = invoke(
        command, "F-000014", "--market", "XX", "--identity", key, cwd=sample_signed_store.root
    )
    assert done.code == 2
    assert done.out == ""
    (line,) = done.err.strip().splitlines()
    assert line == (
        "formulactl: unknown market 'XX': known markets are CN, EU — give one of the known "
        "markets, or enter and approve limits for that market first"
    )


def test_a_known_market_still_checks(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    key = team_keys["zhang.min"].key
    done = invoke(
        "declare", "F-000014", "--market", "EU", "--identity", key, cwd=sample_signed_store.root
    )
    assert done.code == 0, done.err
    assert "ingredient declaration for EU" in done.out
