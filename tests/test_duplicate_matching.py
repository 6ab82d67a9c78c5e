"""Duplicate customers: planted spellings are found, near-misses are not, `new customer`
warns and refuses, `dedupe customer` lists the pairs of the archive at a commit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import Invoke, Member, assert_refused, head, load, new_customer, step
from formulactl.archive.matching import Match, Pair, duplicate_pairs, likely_duplicates
from formulactl.store.store import Store

HUANAN: dict[str, dict[str, Any]] = {
    "C-00001": {
        "name": "华南涂料",
        "legal_name": "深圳市华南涂料有限公司",
        "tax_id": "91440300MA5F1234X1",
    },
    "C-00002": {"name": "华东涂料", "legal_name": "上海华东涂料有限公司"},
}
SAME_NAME = ("same name after normalising: 华南涂料",)


@pytest.mark.parametrize(
    "spelling",
    [
        "華南塗料股份有限公司",  # traditional characters, another legal form
        "广东省华南涂料有限责任公司",  # province in front
        "华南涂料（深圳）有限公司",  # region in brackets
        "华南涂料集团",
        "　华南涂料 ",  # full-width space
    ],
)
def test_a_planted_duplicate_spelled_differently_is_certain(spelling: str) -> None:
    assert likely_duplicates({"name": spelling}, HUANAN) == [
        Match("C-00001", 100.0, True, SAME_NAME)
    ]


@pytest.mark.parametrize(
    "spelling",
    ["Huanan Coatings Co., Ltd.", "ＨＵＡＮＡＮ　ＣＯＡＴＩＮＧＳ", "Guangdong Huanan Paint Inc."],
)
def test_an_english_spelling_meets_the_chinese_name_in_pinyin_but_is_not_certain(
    spelling: str,
) -> None:
    assert likely_duplicates({"name": spelling}, HUANAN) == [
        Match("C-00001", 90.0, False, ("same name in pinyin: huanancoatings",))
    ]


def test_a_name_that_is_only_region_and_trade_keeps_its_region() -> None:
    customers = {"C-00001": {"name": "上海化工", "legal_name": "上海化工有限公司"}}
    assert likely_duplicates({"name": "深圳化工有限公司"}, customers) == []
    assert likely_duplicates({"name": "上海市化工有限公司"}, customers)[0].certain


@pytest.mark.parametrize("spelling", ["华东涂料", "华南胶粘", "南华涂料", "华北涂料有限公司"])
def test_near_misses_are_not_taken_for_the_other_company(spelling: str) -> None:
    found = likely_duplicates({"name": spelling}, {"C-00001": HUANAN["C-00001"]})
    assert found == []


def test_a_near_miss_below_the_threshold_shows_its_score_and_is_never_certain() -> None:
    found = likely_duplicates({"name": "华东涂料"}, {"C-00001": HUANAN["C-00001"]}, 70)
    assert found == [Match("C-00001", 75.0, False, ("similar names: 华东涂料 ~ 华南涂料 (75)",))]


def test_the_same_tax_id_is_certain_whatever_the_name() -> None:
    found = likely_duplicates({"name": "南方新材", "tax_id": "91440300ma5f1234x1"}, HUANAN)
    assert found == [Match("C-00001", 100.0, True, ("same tax ID 91440300MA5F1234X1",))]


def test_phones_and_emails_count_only_when_opened() -> None:
    existing = {
        "C-00001": {
            "name": "嘉禾涂料",
            "contacts": [{"name": "陈", "phone": "+86 138 2345 6781", "email": "C@Jiahe.cn"}],
        },
        "C-00002": {
            "name": "美研化妆品",
            "contacts": [{"name": "许", "phone": "fcx2:ab:cd:ef:gh", "email": "fcx2:ab:cd:ef:gh"}],
        },
    }
    candidate = {
        "name": "某客户",
        "contacts": [
            {"name": "陈", "phone": "138-2345-6781", "email": "c@jiahe.cn"},
            {"name": "许", "phone": "fcx2:ab:cd:ef:gh"},
        ],
    }
    assert likely_duplicates(candidate, existing) == [
        Match("C-00001", 95.0, False, ("same phone 23456781", "same email c@jiahe.cn"))
    ]


def test_merged_customers_and_those_marked_not_duplicate_are_skipped() -> None:
    customers = {
        "C-00001": HUANAN["C-00001"],
        "C-00003": {"name": "華南塗料", "merged_into": "C-00001"},
    }
    candidate = {"name": "华南涂料", "not_duplicate_of": ["C-00001"]}
    assert likely_duplicates(candidate, customers) == []


def test_pairs_of_the_archive_best_first_skipping_merged_and_marked_ones() -> None:
    customers: dict[str, dict[str, Any]] = {
        "C-00001": HUANAN["C-00001"],
        "C-00002": HUANAN["C-00002"],
        "C-00003": {"name": "華南塗料股份有限公司"},
        "C-00004": {"name": "Huanan Coatings"},
        "C-00005": {"name": "嘉禾涂料", "tax_id": "91440605732158962T"},
        "C-00006": {"name": "佳禾化工", "tax_id": "91440605732158962T"},
        "C-00007": {"name": "嘉禾涂料科技", "merged_into": "C-00005"},
        "C-00008": {"name": "华东涂料股份有限公司", "not_duplicate_of": ["C-00002"]},
    }
    assert duplicate_pairs(customers) == [
        Pair("C-00001", "C-00003", 100.0, True, SAME_NAME),
        Pair("C-00005", "C-00006", 100.0, True, ("same tax ID 91440605732158962T",)),
        Pair("C-00001", "C-00004", 90.0, False, ("same name in pinyin: huanancoatings",)),
        Pair("C-00003", "C-00004", 90.0, False, ("same name in pinyin: huanancoatings",)),
    ]


# ------------------------------------------------------------------ new customer


def test_new_customer_warns_of_a_likely_duplicate_and_is_created(
    signed_store: Store, invoke: Invoke
) -> None:
    done = step(signed_store, invoke, "new", "customer", *new_customer("Huacai Coatings Co., Ltd."))
    assert done.out == "C-00003\n"
    assert done.err.splitlines()[0] == (
        "warning: Huacai Coatings Co., Ltd. may be C-00001 华彩涂料 "
        "(score 90: same name in pinyin: huacaicoatings)"
    )


def test_new_customer_refuses_a_certain_duplicate_in_one_line(
    signed_store: Store, invoke: Invoke
) -> None:
    before = head(signed_store)
    done = invoke("new", "customer", *new_customer("華彩塗料股份有限公司"), cwd=signed_store.root)
    assert_refused(
        signed_store,
        done,
        before,
        "華彩塗料股份有限公司 is already customer C-00001 华彩涂料 (same name after "
        "normalising: 华彩涂料) — use C-00001, or add --not-duplicate-of C-00001 if it is "
        "another company",
    )


def test_not_duplicate_of_lets_it_in_and_is_recorded(signed_store: Store, invoke: Invoke) -> None:
    args = [*new_customer("华彩涂料（集团）"), "--not-duplicate-of", "C-00001"]
    done = step(signed_store, invoke, "new", "customer", *args)
    assert done.out == "C-00003\n"
    assert load(signed_store, "records/customers/C-00003.yaml")["not_duplicate_of"] == ["C-00001"]
    again = invoke("new", "customer", *new_customer("華彩塗料"), cwd=signed_store.root)
    assert again.code == 2  # C-00001 is still the same company for anyone else
    unknown = invoke(
        "new",
        "customer",
        *new_customer("X"),
        "--not-duplicate-of",
        "C-00099",
        cwd=signed_store.root,
    )
    assert (unknown.code, unknown.err) == (
        2,
        "formulactl: --not-duplicate-of C-00099: no such customer — name an existing customer ID\n",
    )


# ------------------------------------------------------------------ dedupe customer


def test_dedupe_lists_the_planted_duplicate_of_the_sample_archive(
    sample_signed_store: Store, invoke: Invoke
) -> None:
    done = invoke("dedupe", "customer", "--json", cwd=sample_signed_store.root)
    assert done.code == 0, done.err
    report = json.loads(done.out)
    assert report["store_id"] == sample_signed_store.settings.store_id
    assert report["commit"] == head(sample_signed_store)
    assert (report["customers"], report["pairs"]) == (
        14,
        [
            {
                "first": "C-00001",
                "first_name": "嘉禾涂料",
                "second": "C-00013",
                "second_name": "佛山嘉禾塗料",
                "score": 100.0,
                "certain": True,
                "reasons": ["same name after normalising: 嘉禾涂料"],
            }
        ],
    )
    text = invoke("dedupe", "customer", "--format", "csv", cwd=sample_signed_store.root)
    assert text.out.splitlines() == [
        "table,customer,name,duplicate of?,name,score,certain,why",
        "Likely duplicates,C-00001,嘉禾涂料,C-00013,佛山嘉禾塗料,100,yes,"
        "same name after normalising: 嘉禾涂料",
    ]


def test_dedupe_answers_at_an_earlier_commit_and_forgets_merged_customers(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    before = head(sample_signed_store)
    step(sample_signed_store, invoke, "merge", "C-00013", "--into", "C-00001", "--reason", "同一家")
    now = json.loads(invoke("dedupe", "customer", "--json", cwd=sample_signed_store.root).out)
    assert (now["customers"], now["pairs"]) == (13, [])
    then = invoke("dedupe", "customer", "--at", before, "--json", cwd=sample_signed_store.root)
    assert [pair["second"] for pair in json.loads(then.out)["pairs"]] == ["C-00013"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["formula"],
            "dedupe checks customers, not 'formula': `formulactl dedupe customer` — see --help",
        ),
        (
            ["customer", "--threshold", "0"],
            "--threshold 0 is not between 0 and 100 — give a score such as 85",
        ),
        (
            ["customer", "--at", "2001-01-01"],
            "the store had no commits on or before 2001-01-01 — pick a later date",
        ),
    ],
)
def test_bad_dedupe_input_is_one_line(
    signed_store: Store, invoke: Invoke, args: list[str], message: str
) -> None:
    done = invoke("dedupe", *args, cwd=signed_store.root)
    assert (done.code, done.out, done.err) == (2, "", f"formulactl: {message}\n")


def test_dedupe_matches_phones_only_for_a_reader_of_the_contacts(
    signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    contact = [
        "contacts[0].name=Lars Berg",
        "contacts[0].phone=+46 8 123 456 78",
        "consent.purpose=业务联系",
        "consent.date=2026-11-01",
        "consent.recorded_by=zhang.min",
    ]
    step(signed_store, invoke, "set", "C-00002", *contact)
    created = step(signed_store, invoke, "new", "customer", *new_customer("Baltic Glue"),
                   *(part for field in contact for part in ("--set", field)))  # fmt: skip
    assert created.err.startswith("committed ")  # a sealed phone warns no one on entry
    sealed = invoke("dedupe", "customer", "--json", cwd=signed_store.root)
    assert json.loads(sealed.out)["pairs"] == []
    key = team_keys["zhang.min"].key
    done = invoke("dedupe", "customer", "--decrypt", "--identity", key, cwd=signed_store.root)
    assert done.code == 0, done.err
    assert done.out.splitlines()[-1].split() == [
        "C-00002", "Nordic", "Adhesives", "AB", "C-00003", "Baltic", "Glue", "95", "no",
        "same", "phone", "12345678",
    ]  # fmt: skip
