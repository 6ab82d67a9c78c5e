"""The owner rule at entry: `new customer`, `set C-… owner=…` and `import customer` refuse
an owner who is not a current team member in one line naming the owner and who could take
the customer (the words of `validate`'s `owner-in-team` rule); a team file naming nobody
(solo use) checks no owner, as the rule does."""

from __future__ import annotations

from pathlib import Path

from conftest import Invoke, Member, assert_refused, head, load, new_customer, step
from formulactl.actions.records import refuse_stranger_owner
from formulactl.rules.owners import owner_problem
from formulactl.store.store import Record, Store
from sheets_fixture import MAPPING, TAX_A, write_mapping, write_xlsx

REFUSAL = (
    "customer {id}: owner li.wie is not a current team member; can take over: "
    "chen.jing, li.wei, wang.fang, zhang.min — choose one of them as the owner "
    "(`formulactl team show` lists the team)"
)


def test_new_customer_with_an_owner_outside_the_team_is_refused(
    signed_store: Store, invoke: Invoke
) -> None:
    before = head(signed_store)
    done = invoke("new", "customer", *new_customer("新锐涂装", "li.wie"), cwd=signed_store.root)
    assert_refused(signed_store, done, before, REFUSAL.format(id="C-00003"))
    created = step(signed_store, invoke, "new", "customer", *new_customer("新锐涂装", "li.wei"))
    assert created.out == "C-00003\n"


def test_set_owner_outside_the_team_is_refused_but_a_team_member_is_taken(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    before = head(signed_store)
    done = invoke("set", "C-00002", "owner=li.wie", cwd=signed_store.root)
    assert_refused(signed_store, done, before, REFUSAL.format(id="C-00002"))
    # an owner who left is `validate`'s and `reassign`'s business: other changes go on
    chen = team_keys["chen.jing"]
    step(signed_store, invoke, "team", "remove", "wang.fang", "--reason", "离职", who=chen)
    step(signed_store, invoke, "set", "C-00002", "notes=交接中", who=team_keys["zhang.min"])
    step(signed_store, invoke, "set", "C-00002", "owner=zhang.min")
    assert load(signed_store, "records/customers/C-00002.yaml")["owner"] == "zhang.min"


def test_import_names_the_owner_cell_and_writes_nothing(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    sheet = write_xlsx(tmp_path / "客户.xlsx", [["新锐涂装", TAX_A, "潜在客户", "B类", "li.wie"]])
    mapping = write_mapping(tmp_path / "客户.map.yaml", MAPPING)
    before = head(signed_store)
    done = invoke(
        "import", "customer", sheet, "--map", mapping, "--reason", "客户表", cwd=signed_store.root
    )
    assert done.code == 2
    assert done.err.splitlines() == [
        "客户.xlsx:Sheet1!E2: customer C-00003: owner li.wie is not a current team member; "
        "can take over: chen.jing, li.wei, wang.fang, zhang.min — write one of them as the owner",
        "客户.xlsx:Sheet1: 1 problem(s); nothing was written",
    ]
    assert head(signed_store) == before


def test_a_team_naming_nobody_checks_no_owner(small_store: Store) -> None:
    """(Such a store writes nothing through formulactl until someone is in the team; the
    check itself stays silent, as `validate`'s rule does.)"""
    record = Record("C-00003", "customer", "records/customers/C-00003.yaml", {"owner": "li.wie"})
    assert small_store.team.people == {}
    refuse_stranger_owner(small_store, record, None)  # no refusal
    assert owner_problem(record.data, small_store.team) is None
