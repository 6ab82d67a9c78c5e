"""Merged customers are counted under the customer they were merged into."""

from formulactl.archive.identity import canonical_ids


def test_chains_are_followed_to_their_end() -> None:
    customers = {
        "C-1": {"merged_into": "C-2"},
        "C-2": {"merged_into": "C-3"},
        "C-3": {},
        "C-4": {},
    }
    assert canonical_ids(customers) == {"C-1": "C-3", "C-2": "C-3", "C-3": "C-3", "C-4": "C-4"}


def test_loops_and_unknown_targets_stop_at_a_known_customer() -> None:
    customers = {
        "C-1": {"merged_into": "C-2"},
        "C-2": {"merged_into": "C-1"},
        "C-5": {"merged_into": "C-404"},
    }
    found = canonical_ids(customers)
    assert found["C-1"] == "C-2" and found["C-2"] == "C-1"
    assert found["C-5"] == "C-5"
