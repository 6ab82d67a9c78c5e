"""The weighing sheet: hand-computed batches, and every bad input as one clear line."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from formulactl.errors import FormulaError
from formulactl.formulation.scaling import Line, product_density, rounded, weighing_sheet
from formulactl.formulation.units import Quantity, parse_size, to_kg


def kgs(lines: list[Line], size: str, standard: str = "100", loss: str = "0") -> list[D]:
    sheet = weighing_sheet(lines, D(size), D(standard), D(loss), "F-000001@1")
    return [weighed.kg for weighed in sheet.lines]


def test_the_balance_line_takes_what_rounding_leaves_so_the_total_is_exact() -> None:
    lines = [
        Line("M-1", D("50"), increment_kg=D("1")),
        Line("M-2", D("30.4"), increment_kg=D("1")),  # 3.04 kg → 3 kg
        Line("M-3", D("0.123"), increment_kg=D("0.01")),  # 0.0123 kg → 0.01 kg
        Line("M-4", None, balance=True),  # 19.477 % nominally
    ]
    assert kgs(lines, "10") == [D("5"), D("3"), D("0.01"), D("1.99")]
    assert sum(kgs(lines, "10")) == D("10")


def test_an_omitted_balance_percent_is_what_the_others_leave_of_100() -> None:
    sheet = weighing_sheet(
        [Line("M-1", D("12.5")), Line("M-2", None, balance=True)], D(1), D(1), D(0), "F"
    )
    assert [weighed.percent for weighed in sheet.lines] == [D("12.5"), D("87.5")]


def test_fixed_lines_keep_their_quantity_at_the_standard_batch() -> None:
    # standard 1000 kg: the fixed 0.5 % rinse water is 5 kg whatever the batch
    lines = [
        Line("water", D("73.5"), balance=True),
        Line("base", D("26")),
        Line("rinse", D("0.5"), fixed=True),
    ]
    assert kgs(lines, "500", standard="1000") == [D("365"), D("130"), D("5")]
    assert kgs(lines, "2000", standard="1000") == [D("1475"), D("520"), D("5")]


def test_with_a_loss_the_weighed_total_leaves_the_size_of_product() -> None:
    # 500 / (1 − 0.02) = 510.2040… → 510.204 kg weighed
    lines = [Line("water", None, balance=True), Line("base", D("20"))]
    sheet = weighing_sheet(lines, D(500), D(1000), D(2), "F")
    assert sheet.weighed_kg == D("510.204")
    assert [weighed.kg for weighed in sheet.lines] == [D("408.163"), D("102.041")]
    assert sheet.total_kg == D("510.204")


def test_rounding_goes_to_the_nearest_increment_half_up() -> None:
    assert rounded(D("2.5"), D("1")) == D("3")
    assert rounded(D("0.1234"), None) == D("0.123")
    assert rounded(D("7.26"), D("0.5")) == D("7.5")


def test_sizes_by_mass_and_by_volume() -> None:
    assert to_kg(parse_size("2t"), None, "--size") == D(2000)
    assert to_kg(parse_size("250 g"), None, "--size") == D("0.250")
    assert to_kg(parse_size("100L"), D("1.2"), "--size") == D("120.0")
    # a mixture of 50 % at 1.0 kg/L and 50 % at 0.8 kg/L: 1 / (0.5/1 + 0.5/0.8) kg/L
    density = product_density([("M-1", D(50), D(1)), ("M-2", D(50), D("0.8"))], "F")
    assert density == 1 / (D("0.5") + D("0.625"))


@pytest.mark.parametrize(
    ("text", "said"),
    [("5lb", "unknown unit 'lb'"), ("0kg", "not above zero"), ("-3kg", "not above zero")],
)
def test_a_bad_size_is_one_line(text: str, said: str) -> None:
    with pytest.raises(FormulaError, match=said):
        parse_size(text)


def test_a_volume_without_density_names_the_material() -> None:
    with pytest.raises(FormulaError, match="M-2 has none") as caught:
        product_density([("M-1", D(50), D(1)), ("M-2", D(50), None)], "F-000001@1 --size")
    assert "set `density` (kg/L) on M-2" in str(caught.value)
    with pytest.raises(FormulaError, match="is a volume but no density"):
        to_kg(Quantity(D(1), "L"), None, "--size")


@pytest.mark.parametrize("loss", ["100", "120", "-1"])
def test_a_loss_of_100_percent_or_more_is_refused(loss: str) -> None:
    with pytest.raises(FormulaError, match="not between 0 and 100"):
        kgs([Line("M-1", D(100))], "10", loss=loss)


def test_two_balance_lines_are_refused() -> None:
    lines = [Line("M-1", None, balance=True), Line("M-2", None, balance=True)]
    with pytest.raises(FormulaError, match="two balance lines"):
        kgs(lines, "10")


def test_a_balance_line_that_would_go_negative_is_refused() -> None:
    # the fixed line is 60 kg at the 100 kg standard: a 50 kg batch cannot hold it
    lines = [Line("M-1", None, balance=True), Line("M-2", D(60), fixed=True)]
    with pytest.raises(FormulaError, match="balance line would be negative"):
        kgs(lines, "50")


def test_a_size_of_zero_is_refused_by_the_sheet_too() -> None:
    with pytest.raises(FormulaError, match="not above zero"):
        kgs([Line("M-1", D(100))], "0")


def test_lines_shared_with_a_known_sheet_keep_their_kg_and_the_rest_is_worked_out() -> None:
    """A substitution weighs the formula after from the one before: the very same lines keep
    their kg (a made-up 4 kg for 50 % of 10 kg shows it was taken, not worked out again), a
    changed line is weighed, and the balance line takes what the others leave."""
    from formulactl.formulation.scaling import weighed_kgs

    kept = Line("M-1", D("50"), increment_kg=D("1"))
    before = [kept, Line("M-2", D("30.4"), increment_kg=D("1")), Line("M-4", None, balance=True)]
    known = (before, [D("4"), D("3"), D("3")])
    after = [kept, Line("M-9", D("30.4"), increment_kg=D("0.5")), Line("M-4", None, balance=True)]
    found = weighed_kgs(after, D(10), D(100), D(0), "F", known=known)[2]
    assert found == [D("4"), D("3.0"), D("3.0")]  # 3.04 kg to the nearest 0.5 kg
    fresh = weighed_kgs(after, D(10), D(100), D(0), "F")[2]
    assert fresh == [D("5"), D("3.0"), D("2.0")]
    equal = Line("M-1", D("50"), increment_kg=D("1"))  # equal, but not the same line
    assert weighed_kgs([equal, *after[1:]], D(10), D(100), D(0), "F", known=known)[2] == fresh
