"""`import KIND FILE --map`: a sheet's rows judged cell by cell, then one signed commit of
drafts (or events), confidential values sealed; a second import updates the drafts."""

from __future__ import annotations

from pathlib import Path

from conftest import Invoke, Member, git, head, load, trailers
from formulactl.store.store import Store
from sheets_fixture import HEADERS, MAPPING, ROWS, TAX_A, TAX_B, write_mapping, write_xlsx

CONTACT_COLUMNS = """\
  联系人: contacts[0].name
  联系电话: contacts[0].phone
defaults:
  consent: {purpose: 供货合同联系人, date: "2026-11-02", recorded_by: li.wei}
"""


def _sheet(folder: Path, rows: list[list[object]], headers: list[str] | None = None) -> Path:
    return write_xlsx(folder / "客户.xlsx", rows, headers)


def test_a_dry_run_lists_what_each_row_would_do_and_writes_nothing(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    sheet = _sheet(tmp_path, ROWS)
    mapping = write_mapping(tmp_path / "客户.map.yaml")
    before = head(signed_store)
    done = invoke("import", "customer", sheet, "--map", mapping, "--dry-run", cwd=signed_store.root)
    assert (done.code, done.err) == (0, "")
    assert done.out.splitlines() == [
        "row 2: new C-00003 新锐涂装",
        "row 3: new C-00004 昆山晶彩",
        "客户.xlsx:Sheet1: 2 new, 0 updated (dry run: nothing was written)",
    ]
    assert head(signed_store) == before
    assert git(signed_store.root, "status", "--porcelain") == ""


def test_an_import_is_one_signed_commit_of_drafts(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    sheet = _sheet(tmp_path, ROWS)
    mapping = write_mapping(tmp_path / "客户.map.yaml")
    before = head(signed_store)
    done = invoke(
        "import", "customer", sheet, "--map", mapping, "--reason", "客户表", cwd=signed_store.root
    )
    assert done.code == 0, done.err
    assert done.out == "Imported 2 new, 0 updated\n"
    assert git(signed_store.root, "rev-parse", "HEAD~1") == before
    assert trailers(signed_store)["Action"] == "import-sheet"
    assert trailers(signed_store)["Meaning"] == "authored"
    changed = git(signed_store.root, "show", "--name-only", "--format=", "HEAD").split()
    assert changed == ["records/customers/C-00003.yaml", "records/customers/C-00004.yaml"]
    record = load(signed_store, "records/customers/C-00004.yaml")
    assert record == {
        "id": "C-00004",
        "name": "昆山晶彩",
        "tax_id": TAX_B,
        "type": "key",
        "class": "A",
        "owner": "wang.fang",
        "status": "draft",
        "version": 1,
    }
    assert invoke("validate", "--history", cwd=signed_store.root).code == 0


def test_confidential_columns_are_sealed_and_never_on_disk_in_plain_text(
    signed_store: Store, invoke: Invoke, tmp_path: Path, team_keys: dict[str, Member]
) -> None:
    headers = [*HEADERS, "联系人", "联系电话"]
    sheet = _sheet(tmp_path, [[*ROWS[0], "黄志强", 13825671234]], headers)
    mapping = write_mapping(tmp_path / "客户.map.yaml", MAPPING + CONTACT_COLUMNS)
    done = invoke(
        "import", "customer", sheet, "--map", mapping, "--reason", "客户表", cwd=signed_store.root
    )
    assert done.code == 0, done.err
    text = (signed_store.root / "records/customers/C-00003.yaml").read_text(encoding="utf-8")
    assert "13825671234" not in text
    assert "phone: fcx2:" in text
    assert "13825671234" not in git(signed_store.root, "log", "-p", "--all")
    shown = invoke(
        "show",
        "C-00003",
        "--decrypt",
        "--identity",
        team_keys["zhang.min"].key,
        cwd=signed_store.root,
    )
    assert 'phone: "13825671234"' in shown.out


def test_a_second_import_of_the_same_sheet_updates_the_drafts(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    mapping = write_mapping(tmp_path / "客户.map.yaml")
    first = _sheet(tmp_path, ROWS)
    assert (
        invoke(
            "import",
            "customer",
            first,
            "--map",
            mapping,
            "--reason",
            "first",
            cwd=signed_store.root,
        ).code
        == 0
    )
    again = write_xlsx(tmp_path / "again.xlsx", [[*ROWS[0][:3], "A类", "li.wei"], ROWS[1]])
    done = invoke(
        "import", "customer", again, "--map", mapping, "--reason", "second", cwd=signed_store.root
    )
    assert (done.code, done.out) == (0, "Imported 0 new, 2 updated\n"), done.err
    assert sorted(p.name for p in (signed_store.root / "records/customers").glob("*.yaml")) == [
        "C-00001.yaml",
        "C-00002.yaml",
        "C-00003.yaml",
        "C-00004.yaml",
    ]
    assert load(signed_store, "records/customers/C-00003.yaml")["class"] == "A"


def test_a_row_naming_an_approved_record_is_refused_and_nothing_is_written(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    # C-00001 (approved) holds this tax ID in the small store.
    sheet = _sheet(tmp_path, [ROWS[0], ["华彩", "91310115MA1H7GXQ3E", "重要客户", "A类", "li.wei"]])
    mapping = write_mapping(tmp_path / "客户.map.yaml")
    before = head(signed_store)
    done = invoke(
        "import", "customer", sheet, "--map", mapping, "--reason", "x", cwd=signed_store.root
    )
    assert (done.code, done.out) == (2, "")
    assert done.err.splitlines() == [
        "客户.xlsx:Sheet1!B3: C-00001 is approved; an import updates only drafts — start its "
        "next version with `formulactl revise C-00001`, then import again",
        "客户.xlsx:Sheet1: 1 problem(s); nothing was written",
    ]
    assert head(signed_store) == before
    assert git(signed_store.root, "status", "--porcelain") == ""


def test_each_bad_cell_is_named_and_duplicates_are_listed(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    rows: list[list[object]] = [
        ["新锐涂装", "91440703MA4UQ8K2T3", "潜在客户", "B类", "li.wei"],  # wrong check char
        ["昆山晶彩", TAX_B, "大客户", "A类", "wang.fang"],  # a word the mapping lacks
        ["昆山晶彩 ", None, "潜在客户", "C类", "li.wei"],  # the row above again
        ["Nordic Adhesives AB", None, "现有客户", "B类", "li.wei"],  # C-00002 already
        ["缺等级", TAX_A, "潜在客户", None, "li.wei"],  # a required field left empty
    ]
    sheet = _sheet(tmp_path, rows)
    mapping = write_mapping(tmp_path / "客户.map.yaml")
    done = invoke("import", "customer", sheet, "--map", mapping, "--dry-run", cwd=signed_store.root)
    assert (done.code, done.out) == (2, "")
    assert done.err.splitlines() == [
        "客户.xlsx:Sheet1!B2: unified social credit code 91440703MA4UQ8K2T3 fails its check "
        "character (expected 2) — check it against the business licence",
        "客户.xlsx:Sheet1!C3: 大客户 is not one of potential, existing, key — add `大客户: …` "
        "under values for column 客户类型 in the mapping",
        "客户.xlsx:Sheet1!A5: likely the same customer as C-00002 Nordic Adhesives AB: same "
        "name after normalising: nordic adhesives ab — leave the row out if it is C-00002, or "
        "put C-00002's key in the row to update it",
        "客户.xlsx:Sheet1!6:6: missing required field `class` — add a column for it, or set it "
        "under defaults",
        "客户.xlsx:Sheet1: 4 problem(s); nothing was written (dry run)",
    ]


def test_a_repeated_customer_within_the_sheet_is_listed(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    rows: list[list[object]] = [ROWS[1], ["昆山晶彩有限公司", None, "潜在客户", "C类", "li.wei"]]
    sheet = _sheet(tmp_path, rows)
    mapping = write_mapping(tmp_path / "客户.map.yaml")
    done = invoke("import", "customer", sheet, "--map", mapping, "--dry-run", cwd=signed_store.root)
    assert done.code == 2
    assert done.err.splitlines()[0] == (
        "客户.xlsx:Sheet1!A3: likely the same customer as C-00003 昆山晶彩 (row 2): same name "
        "after normalising: 晶彩 — leave the row out if it is C-00003, or put C-00003's "
        "key in the row to update it"
    )


def test_events_come_in_as_signed_events_dated_by_their_column(
    signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    headers = ["客户编号", "日期", "方式", "记录人", "摘要"]
    sheet = write_xlsx(
        tmp_path / "沟通记录表.xlsx",
        [["C-00001", "2026/11/20", "电话", "zhang.min", "确认 12 月排产"]],
        headers,
    )
    mapping = write_mapping(
        tmp_path / "沟通.map.yaml",
        """\
kind: interaction
columns:
  客户编号: customer
  日期: {field: date, dates: ["%Y/%m/%d"]}
  方式: {field: channel, values: {电话: call, 拜访: visit}}
  记录人: by
  摘要: summary
""",
    )
    done = invoke(
        "import",
        "interaction",
        sheet,
        "--map",
        mapping,
        "--reason",
        "沟通记录",
        cwd=signed_store.root,
    )
    assert done.code == 0, done.err
    assert done.out == "Imported 1 new, 0 updated\n"
    [made] = (signed_store.root / "records/interactions").glob("I-20261120-*.yaml")
    data = load(signed_store, f"records/interactions/{made.name}")
    assert (data["customer"], data["date"], data["channel"]) == ("C-00001", "2026-11-20", "call")


def test_import_without_a_folder_or_a_kind_and_file_says_how(
    signed_store: Store, invoke: Invoke
) -> None:
    done = invoke("import", cwd=signed_store.root)
    assert (done.code, done.out) == (2, "")
    assert done.err == (
        "formulactl: import needs a folder, or a KIND and a spreadsheet FILE — "
        "see `formulactl import --help`\n"
    )


def test_a_sealed_draft_is_updated_only_with_a_readers_key(
    signed_store: Store, invoke: Invoke, tmp_path: Path, team_keys: dict[str, Member]
) -> None:
    headers = [*HEADERS, "联系人", "联系电话"]
    mapping = write_mapping(tmp_path / "客户.map.yaml", MAPPING + CONTACT_COLUMNS)
    first = write_xlsx(tmp_path / "客户.xlsx", [[*ROWS[0], "黄志强", 13825671234]], headers)
    args = ("import", "customer", first, "--map", mapping, "--reason", "客户表")
    assert invoke(*args, cwd=signed_store.root).code == 0
    before = head(signed_store)
    done = invoke(*args, cwd=signed_store.root)
    assert (done.code, done.err) == (
        2,
        "客户.xlsx:Sheet1!B2: C-00003 is a draft with sealed fields — pass --identity with a "
        "reader's key to update it\n客户.xlsx:Sheet1: 1 problem(s); nothing was written\n",
    )
    sealed = (signed_store.root / "records/customers/C-00003.yaml").read_text(encoding="utf-8")
    key = ("--identity", str(team_keys["zhang.min"].key))
    same = invoke(*args, *key, cwd=signed_store.root)
    assert (same.code, same.out) == (0, "Imported 0 new, 1 updated\n"), same.err
    assert head(signed_store) == before  # every value as it was: the same ciphertexts
    changed = write_xlsx(tmp_path / "新.xlsx", [[*ROWS[0], "黄志强", 13825679999]], headers)
    done = invoke(
        "import",
        "customer",
        changed,
        "--map",
        mapping,
        "--reason",
        "新号码",
        *key,
        cwd=signed_store.root,
    )
    assert done.code == 0, done.err
    after = (signed_store.root / "records/customers/C-00003.yaml").read_text(encoding="utf-8")
    assert after.split("encryption:")[1] == sealed.split("encryption:")[1]  # the same key
    assert after != sealed and "13825679999" not in after
