"""`cost --at REV` costs with the material prices an older commit (or tag) held, at the
exchange rate of that commit's day; without --at, today's prices."""

from __future__ import annotations

import json

from conftest import Invoke, Member, git, step
from formulactl.store.store import Store


def test_cost_at_an_older_commit_uses_the_prices_it_held(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    key = team_keys["zhang.min"].key
    root = sample_signed_store.root
    git(root, "tag", "before-price")
    step(sample_signed_store, invoke, "revise", "M-00078", "--reason", "new price list")
    step(sample_signed_store, invoke, "set", "M-00078", "unit_cost.amount=50", "--identity", key)
    old = json.loads(
        invoke("cost", "F-000014", "--at", "before-price", "--identity", key, "--json").out
    )
    new = json.loads(invoke("cost", "F-000014", "--identity", key, "--json").out)
    day = git(root, "show", "-s", "--format=%cs", "before-price")
    assert (old["prices_on"], old["product_kg"], old["weighed_kg"]) == (day, "1000", "1020.408")
    old_prices = {line["material"]: line for line in old["lines"]}
    new_prices = {line["material"]: line for line in new["lines"]}
    assert old_prices["M-00078"]["price_per_kg"] == "297.7548"  # 42 USD × 7.0894
    assert new_prices["M-00078"]["price_per_kg"] == "354.4700"  # 50 USD × 7.0894
    assert (old["batch_cost"], old["per_kg"]) == ("4928.82", "4.9288")
    # only the fragrance moved: 6.122 kg × (354.47 − 297.7548) = 347.21 CNY more per batch,
    # 4928.82 + 347.21 = 5276.03 for 1000 kg of product
    assert old_prices["M-00078"]["kg"] == new_prices["M-00078"]["kg"] == "6.122"
    assert (new["batch_cost"], new["per_kg"]) == ("5276.03", "5.2760")
    at_commit = invoke(
        "cost", "F-000014", "--at", git(root, "rev-parse", "before-price"), "--identity", key
    )
    assert at_commit.code == 0, at_commit.err
    assert f"prices of {day} in CNY" in at_commit.out


def test_cost_at_a_revision_that_is_not_a_commit_is_one_line(
    sample_signed_store: Store, invoke: Invoke, team_keys: dict[str, Member]
) -> None:
    key = team_keys["zhang.min"].key
    done = invoke(
        "cost", "F-000014", "--at", "no-such-tag", "--identity", key, cwd=sample_signed_store.root
    )
    assert done.code == 2
    assert done.err.strip() == (
        "formulactl: `no-such-tag` is not a commit here — check it with `git log`"
    )
