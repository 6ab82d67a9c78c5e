"""scale, cost, check and declare end to end on the sample store, imported, sealed and signed."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Invoke, Member, make_key
from formulactl.store.store import Store


def test_scale_prints_the_weighing_sheet_of_the_approved_version(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    key = team_keys["zhang.min"].key
    done = invoke(
        "scale", "F-000014", "--size", "500kg", "--identity", key, cwd=sample_signed_store.root
    )
    assert done.code == 0, done.err
    assert done.out.startswith("F-000014@1 MR-BW01 甜橙清爽沐浴露\napproved by 陈静 Chen Jing")
    assert "batch 500 kg of product, loss 2 %, weighed 510.204 kg" in done.out
    assert sample_signed_store.settings.store_id in done.out
    lines = done.out.splitlines()
    assert any(line.split()[:2] == ["D", "M-00001"] and "5.000" in line for line in lines)
    assert lines[-1] == "total 510.204 kg"


def test_scale_json_adds_up_to_the_weighed_total(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    key = team_keys["zhang.min"].key
    done = invoke(
        "scale",
        "F-000014",
        "--size",
        "0.2t",
        "--loss",
        "0",
        "--identity",
        key,
        "--json",
        cwd=sample_signed_store.root,
    )
    sheet = json.loads(done.out)
    assert sheet["weighed_kg"] == "200"
    assert sum(float(line["kg"]) for line in sheet["lines"]) == 200.0
    assert sheet["commit"] and sheet["store_id"] == sample_signed_store.settings.store_id


def test_check_finds_mit_over_the_eu_rinse_off_limit(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    key = team_keys["zhang.min"].key
    done = invoke("check", "F-000014", "--identity", key, cwd=sample_signed_store.root)
    assert done.code == 1
    assert "2682-20-4 Methylisothiazolinone: 0.002 % (0.02 % M-00079 × 9–10 %) > 0.0015 %" in (
        done.out
    )
    assert "must be declared: 5989-27-5 Limonene 0.324 % > 0.01 % (L-00005)" in done.out
    assert "Citral" not in done.out  # 0.0076 %, under its threshold
    china = invoke("check", "F-000014", "--market", "CN", "--identity", key)
    assert china.code == 0 and "no findings" in china.out


def test_check_finds_apeo_against_the_customers_restriction(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    key = team_keys["zhang.min"].key
    done = invoke("check", "F-000002", "--identity", key, "--json", cwd=sample_signed_store.root)
    assert done.code == 1
    (finding,) = json.loads(done.out)["findings"]
    assert finding["ref"] == "C-00001 restrictions[0]"
    assert finding["message"].startswith(
        "9016-45-9 壬基酚聚氧乙烯醚（NPEO，APEO）: 0.0105 % (0.2 % M-00027 × 1–3 % + "
        "0.15 % M-00027 × 1–3 %) but banned"
    )


def test_cost_converts_currencies_with_the_dated_rate(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    key = team_keys["zhang.min"].key
    done = invoke("cost", "F-000014", "--identity", key, "--json", cwd=sample_signed_store.root)
    assert done.code == 0, done.err
    cost = json.loads(done.out)
    prices = {line["material"]: line["price_per_kg"] for line in cost["lines"]}
    assert prices["M-00078"] == "297.7548"  # 42 USD × 7.0894 (2026-10-09)
    assert cost["currency"] == "CNY"
    what_if = invoke("cost", "F-000014", "--what-if", "M-00078=+10%", "--identity", key, "--json")
    changed = {line["material"]: line["price_per_kg"] for line in json.loads(what_if.out)["lines"]}
    assert changed["M-00078"] == "327.5303"


def test_declare_lists_inci_names_most_concentrated_first(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    key = team_keys["zhang.min"].key
    done = invoke(
        "declare",
        "F-000014",
        "--market",
        "EU",
        "--identity",
        key,
        "--format",
        "csv",
        cwd=sample_signed_store.root,
    )
    assert done.code == 0, done.err
    rows = [line for line in done.out.splitlines() if not line.startswith("#")]
    assert rows[0] == "position,INCI,name,% (max),note"
    assert rows[1].startswith("1,Aqua,")
    assert "Limonene" in done.out and "allergen above 0.01 % (L-00005)" in done.out


def test_someone_without_a_key_is_told_who_the_readers_are(
    sample_signed_store: Store, invoke: Invoke, tmp_path: Path
) -> None:
    stranger = make_key(tmp_path / "stranger", "stranger")
    done = invoke("scale", "F-000014", "--identity", stranger, cwd=sample_signed_store.root)
    assert done.code == 2
    assert "you are not a reader of F-000014 (readers: " in done.err
    assert "Traceback" not in done.err


def test_bad_sizes_and_losses_are_one_line_and_exit_2(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    key = team_keys["zhang.min"].key
    for args, said in (
        (["--size", "5lb"], "unknown unit 'lb'"),
        (["--size", "0kg"], "not above zero"),
        (["--loss", "100"], "not between 0 and 100"),
        (["--size", "10L"], "has none"),  # some materials of F-000014 have no density
    ):
        done = invoke("scale", "F-000014", *args, "--identity", key, cwd=sample_signed_store.root)
        assert done.code == 2, args
        assert said in done.err and len(done.err.strip().splitlines()) == 1
