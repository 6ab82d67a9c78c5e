"""Work spread over every core gives the same answers, in order, and the same errors."""

from __future__ import annotations

import pytest

from formulactl.errors import FormulaError, Refused
from formulactl.parallel import WORTH_IT, parallel_map


def square(value: int) -> int:
    return value * value


def test_results_come_back_in_order() -> None:
    items = list(range(WORTH_IT * 3 + 7))
    assert parallel_map(square, items) == [value * value for value in items]


def test_an_error_in_a_worker_arrives_whole() -> None:
    def refuse(value: int) -> int:
        if value == WORTH_IT + 3:
            raise FormulaError(
                "record 131 is not a reader", "run rekey", "x.yaml", 2, 3, rule="not-a-reader"
            )
        return value

    with pytest.raises(FormulaError) as caught:
        parallel_map(refuse, list(range(WORTH_IT * 2)))
    assert str(caught.value) == "x.yaml:2:3: record 131 is not a reader — run rekey"
    assert caught.value.finding.rule == "not-a-reader"


def test_a_refusal_keeps_its_findings_across_processes() -> None:
    import pickle

    refused = Refused("rekey F-000001", [])
    again = pickle.loads(pickle.dumps(refused))
    assert (type(again), again.findings, str(again)) == (
        Refused,
        [],
        "rekey F-000001: nothing was written",
    )
