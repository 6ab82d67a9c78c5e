"""History's per-version digests, which encode a record once for both the content digest
and the digest without `version`, equal the digests of the two views encoded apart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from formulactl.model.workflow import content_digest, state_digests
from formulactl.store.yamlio import load_record

ROOT = Path(__file__).resolve().parent.parent


def expected(data: dict[str, Any]) -> tuple[str, str]:
    """The content digest and the body digest (no `version`), each encoded on its own."""
    body = {key: value for key, value in data.items() if key != "version"}
    return content_digest(data), content_digest(body)


def test_every_sample_record_gets_both_digests_as_if_encoded_apart() -> None:
    files = sorted((ROOT / "records").glob("*/*.yaml"))
    assert len(files) >= 100
    with_version = 0
    for path in files:
        data = load_record(path.read_bytes(), path.name, 1 << 20)
        sealed = any("fcx" in str(value) for value in data.values())
        assert state_digests(data, sealed)[:2] == expected(data), path.name
        with_version += "version" in data
    assert with_version >= 50


@pytest.mark.parametrize(
    "data",
    [
        {"id": "M-00001"},
        {"version": 3},
        {"id": "M-00001", "version": 3},
        {"version": 3, "weight": 2.5},
        {"a": 1, "version": 3, "weight": 2.5, "zone": ["x", {"version": 9}]},
        {"a": {"version": 3}, "b": [{"version": 4}], "version": 3},
        {"id": "C-1", "version": {"major": 1, "minor": [2, 3]}, "vz": "后"},
        {"名称": "环氧树脂", "version": None, "status": "approved", "review_due": "2026-01-01"},
        {"version": "3", "versions": [1], "version_note": "a\\"},
        {"": 0, "version": 1, "~": True},
    ],
)
def test_both_digests_equal_encoding_apart(data: dict[str, Any]) -> None:
    assert state_digests(data, False)[:2] == expected(data)
    assert state_digests(data, True)[:2] == expected(data)
