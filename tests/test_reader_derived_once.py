"""A reader works out a material's substances and weighing increment once per record as
read: the same data answers from memory, a material read anew (another commit's prices, a
changed file) is worked out again."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from formulactl.formulation.formula import reader_increment, reader_parts
from formulactl.formulation.source import Reader
from formulactl.store.store import Store


def test_the_same_material_data_is_worked_out_once(tmp_path: Path) -> None:
    reader = Reader(Store(tmp_path), [])
    calls: list[str] = []

    def compute(_record_id: str, _data: object) -> int:
        calls.append("x")
        return len(calls)

    parts, increment = reader.remembered("parts", compute), reader.remembered("increment", compute)
    first: dict[str, object] = {"name": "water"}
    assert parts("M-1", first) == 1
    assert reader.remembered("parts", compute)("M-1", first) == 1  # the same memory
    assert increment("M-1", first) == 2  # another question
    again = dict(first)  # equal, but read anew
    assert parts("M-1", again) == 3
    assert len(calls) == 3


def test_parts_and_increments_follow_the_data_read(tmp_path: Path) -> None:
    reader = Reader(Store(tmp_path), [])
    parts, increment = reader_parts(reader), reader_increment(reader)
    salt = {"name": "salt", "cas": "7647-14-5", "weighing_increment": {"quantity": 5, "unit": "g"}}
    assert [(p.key, p.high) for p in parts("M-1", salt)] == [("7647-14-5", D(100))]
    assert parts("M-1", salt) is parts("M-1", salt)
    assert increment("M-1", salt) == D("0.005")
    coarser = dict(salt, weighing_increment={"quantity": 1, "unit": "kg"})
    assert increment("M-1", coarser) == D(1)
