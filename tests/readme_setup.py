"""Setup steps the README's tour hides: the plant's currency, dated exchange rates and
product types, taken from this repository's own settings into the tour's store."""

from __future__ import annotations

import sys
from pathlib import Path

from formulactl.store import yamlio
from formulactl.store.store import Store

PROJECT = Path(__file__).resolve().parent.parent
PLANT_SETTINGS = ("cost_currency", "exchange_rates", "product_types", "exposures")


def add_plant_settings(store_root: Path) -> None:
    """Copy the plant's formula-work settings into the store's formulactl.yaml, canonical."""
    project = yamlio.load_record(
        (PROJECT / "formulactl.yaml").read_bytes(), "formulactl.yaml", 1 << 20
    )
    path = store_root / "formulactl.yaml"
    data = yamlio.load_record(path.read_bytes(), "formulactl.yaml", 1 << 20)
    data.update({name: project[name] for name in PLANT_SETTINGS if name in project})
    shape = Store(store_root).schema("settings").shape
    path.write_text(yamlio.dump(data, shape), encoding="utf-8")


if __name__ == "__main__":
    add_plant_settings(Path(sys.argv[1]))
