"""Setup steps the README's tour hides: the plant's currency, dated exchange rates and
product types, taken from this repository's own settings into the tour's store, and the two
account managers who own the old archive's customers (李伟 Li Wei and 王芳 Wang Fang, with
their keys from ~/.ssh); with `--quality`, the quality targets, the training each role needs
and the team's training."""

from __future__ import annotations

import sys
from pathlib import Path

from formulactl.store import yamlio
from formulactl.store.store import Store

PROJECT = Path(__file__).resolve().parent.parent
PLANT_SETTINGS = ("cost_currency", "exchange_rates", "product_types", "exposures")
QUALITY_SETTINGS = ("targets", "training_required")
# Chen Jing's GMP basics expired; Zhang Min has taken no course yet; Wang Fang is trained.
TRAINING = {
    "chen.jing": [
        {"course": "GMP basics", "date": "2025-07-01", "expires": "2026-06-30"},
        {"course": "formula review", "date": "2025-07-01"},
    ],
    "wang.fang": [{"course": "GMP basics", "date": "2026-03-02"}],
}


def add_plant_settings(store_root: Path, names: tuple[str, ...] = PLANT_SETTINGS) -> None:
    """Copy the plant's settings `names` into the store's formulactl.yaml, canonical."""
    project = yamlio.load_record(
        (PROJECT / "formulactl.yaml").read_bytes(), "formulactl.yaml", 1 << 20
    )
    path = store_root / "formulactl.yaml"
    data = yamlio.load_record(path.read_bytes(), "formulactl.yaml", 1 << 20)
    data.update({name: project[name] for name in names if name in project})
    shape = Store(store_root).schema("settings").shape
    path.write_text(yamlio.dump(data, shape), encoding="utf-8")


# The owners of the sample customers: account managers who log visits, complaints and
# surveys (entry scoped to those kinds, so they read no sealed field).
ACCOUNT_MANAGERS = (("li.wei", "李伟 Li Wei", "li"), ("wang.fang", "王芳 Wang Fang", "wang"))


def add_account_managers(store_root: Path) -> None:
    """The sample customers' owners added to team.yaml, canonical, with their public keys."""
    path = store_root / "team.yaml"
    data = yamlio.load_record(path.read_bytes(), "team.yaml", 1 << 20)
    for person_id, name, key in ACCOUNT_MANAGERS:
        public = (Path.home() / ".ssh" / f"{key}_ed25519.pub").read_text().split()
        data["people"].append(
            {
                "id": person_id,
                "name": name,
                "email": f"{person_id}@example.com",
                "roles": ["entry"],
                "scopes": {"kinds": ["interaction", "feedback", "survey"]},
                "keys": [{"key": f"{public[0]} {public[1]}"}],
            }
        )
    path.write_text(yamlio.dump(data, Store(store_root).schema("team").shape), encoding="utf-8")


def add_training(store_root: Path) -> None:
    """The team's training records, written into team.yaml, canonical."""
    path = store_root / "team.yaml"
    data = yamlio.load_record(path.read_bytes(), "team.yaml", 1 << 20)
    for person in data["people"]:
        if person["id"] in TRAINING:
            person["training"] = TRAINING[person["id"]]
    path.write_text(yamlio.dump(data, Store(store_root).schema("team").shape), encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1] == "--quality":
        add_plant_settings(Path(sys.argv[2]), QUALITY_SETTINGS)
        add_training(Path(sys.argv[2]))
    else:
        add_plant_settings(Path(sys.argv[1]))
        add_account_managers(Path(sys.argv[1]))
