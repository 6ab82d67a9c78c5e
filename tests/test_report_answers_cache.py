"""Remembered report answers: a warm report prints exactly what a cold one printed, in every
form, without reading an order; a changed folder is a new answer, a commit that changes none
of the folders a report reads reuses its answer under the new commit; a tampered file is not
trusted; an answer made from opened sealed prices or percentages is never kept; and the KPI
history walk that lists no files judges every commit as the full walk does."""

from __future__ import annotations

import json
import marshal
from pathlib import Path

import pytest

from conftest import Invoke, Member, act_as, commit_as
from formulactl.audit.history import History
from formulactl.git import gitio
from formulactl.reports import facts, kpi
from formulactl.store.cache import BlobCache, code_version
from formulactl.store.store import Store
from sales_fixture import VISIT, customer, import_sales, order

ON = ("--on", "2026-12-01")


@pytest.fixture
def sales(signed_store: Store, team_keys: dict[str, Member], tmp_path: Path) -> Store:
    records = [
        customer("C-00003", "甲"),
        customer("C-00004", "乙", kind="potential"),
        *(order("C-00003", f"2026-0{month}-05", 100, 10) for month in range(1, 8)),
        order("C-00004", "2026-03-09", 40, 12),
        ("interactions/I-20260620-c0c3.yaml", VISIT),
    ]
    import_sales(signed_store, team_keys, tmp_path / "sales", records)
    return signed_store


def no_records_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any computing of a report fail: only a remembered answer can be printed."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the report was computed, not remembered")

    monkeypatch.setattr(facts, "sales_facts", refuse)
    monkeypatch.setattr(kpi, "history_commits", refuse)


@pytest.mark.parametrize(
    "args",
    [
        ("classify", *ON),
        ("churn", *ON),
        ("forecast", *ON, "--months", "2"),
        ("kpi",),
    ],
)
def test_a_warm_answer_is_the_cold_one(
    sales: Store, invoke: Invoke, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    forms = [("--json",), ("--format", "text"), ("--format", "markdown"), ("--format", "csv")]
    cold = [invoke("report", *args, *form, cwd=sales.root) for form in forms]
    assert [done.code for done in cold] == [0] * len(forms), cold[0].err
    assert (sales.cache_dir / f"answers-{args[0]}.marshal").is_file()
    no_records_read(monkeypatch)
    warm = [invoke("report", *args, *form, cwd=sales.root) for form in forms]
    assert [(done.code, done.out) for done in warm] == [(0, done.out) for done in cold]
    assert len({done.out for done in warm}) == len(forms)  # one answer per form


def test_a_changed_folder_is_a_new_answer_an_unchanged_one_is_reused(
    sales: Store, team_keys: dict[str, Member], invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = gitio.resolve(sales.root, "HEAD")
    first = json.loads(invoke("report", "classify", *ON, "--json", cwd=sales.root).out)
    values = {c["customer"]: c["value"] for c in first["customers"]}
    assert (values["C-00003"], values["C-00004"]) == (700.0, 40.0)  # quantities: prices sealed
    path = sales.root / "records/orders/O-20261105-aaa4.yaml"
    path.write_text(order("C-00004", "2026-11-05", 900, 10)[1], encoding="utf-8")
    added = commit_as(sales.root, team_keys["zhang.min"], "add an order")
    second = json.loads(invoke("report", "classify", *ON, "--json", cwd=sales.root).out)
    assert second["commit"] == added
    values = {c["customer"]: c["value"] for c in second["customers"]}
    assert (values["C-00003"], values["C-00004"]) == (700.0, 940.0)
    assert second["customers"][0]["customer"] == "C-00004"
    visit = sales.root / "records/interactions/I-20261120-c0c4.yaml"
    visit.write_text(VISIT.replace("20260620-c0c3", "20261120-c0c4"), encoding="utf-8")
    unrelated = commit_as(sales.root, team_keys["zhang.min"], "log a visit")
    no_records_read(monkeypatch)
    third = json.loads(invoke("report", "classify", *ON, "--json", cwd=sales.root).out)
    assert third == {**second, "commit": unrelated}  # orders and customers did not change
    back = invoke("report", "classify", *ON, "--json", "--at", before, cwd=sales.root)
    assert json.loads(back.out) == first


def test_a_tampered_answer_is_not_trusted(sales: Store, invoke: Invoke) -> None:
    cold = invoke("report", "churn", *ON, cwd=sales.root)
    path = sales.cache_dir / "answers-churn.marshal"
    data = path.read_bytes()
    keys = list(BlobCache(path, code_version()).entries)
    assert len(keys) == 1
    forged = {keys[0]: "\nGap since last order: forged"}
    path.write_bytes(data[:32] + marshal.dumps((2, forged)))  # the old tag on new entries
    warm = invoke("report", "churn", *ON, cwd=sales.root)
    assert (warm.code, warm.out) == (cold.code, cold.out)
    assert "forged" not in warm.out


def test_an_answer_from_opened_sealed_values_is_never_kept(
    sales: Store, team_keys: dict[str, Member], invoke: Invoke
) -> None:
    key = str(team_keys["zhang.min"].key)
    opened = invoke("report", "classify", *ON, "--identity", key, "--json", cwd=sales.root)
    assert json.loads(opened.out)["measure"] == "revenue CNY"
    assert not (sales.cache_dir / "answers-classify.marshal").exists()
    again = invoke("report", "classify", *ON, "--identity", key, "--json", cwd=sales.root)
    assert again.out == opened.out  # computed again, from the opened prices
    # the formula's percentages are sealed: the material demand is computed, never kept
    demand = invoke("report", "demand", *ON, "--identity", key, "--json", cwd=sales.root)
    assert demand.code == 0, demand.err
    assert json.loads(demand.out)["materials"]
    assert not (sales.cache_dir / "answers-demand.marshal").exists()


def test_the_kpi_walk_judges_commits_as_the_full_walk(
    sales: Store, team_keys: dict[str, Member]
) -> None:
    from formulactl.actions.membership import remove_person

    act_as(sales, team_keys["chen.jing"])
    remove_person(sales, "li.wei", "left the company")  # a team change in history
    act_as(sales, team_keys["zhang.min"])
    path = sales.root / "records/orders/O-20261105-aaa4.yaml"
    path.write_text(order("C-00004", "2026-11-05", 900, 10)[1], encoding="utf-8")
    commit_as(sales.root, team_keys["zhang.min"], "add an order")
    head = gitio.resolve(sales.root, "HEAD")
    with History(sales) as history:
        full = [(c.id, c.parents, c.trailers, history.signer(c)) for c in history.commits([head])]
    with History(sales) as history:
        quick = [
            (c.id, c.parents, c.trailers, history.signer(c))
            for c in kpi.history_commits(history, head)
        ]
    assert quick == full
    assert len(full) > 5 and None not in [signer for *_, signer in full[-3:]]
