"""What a sealed value and a record's key envelope look like; no cryptography here, so the
schema and the leak guard can recognize them cheaply."""

from __future__ import annotations

import re
from typing import Any

TAG = "fcx1"
SEALED = re.compile(r"fcx1:([0-9a-f]{16}):([A-Za-z0-9_-]{38,})")
SEALED_PATTERN = "^fcx1:[0-9a-f]{16}:[A-Za-z0-9_-]{38,}$"
ENVELOPE = "encryption"
RECOVERY = "recovery"
ENVELOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["key_id", "recipients"],
    "description": "The record's data key, wrapped with age for each reader",
    "properties": {
        "key_id": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
        "recipients": {
            "type": "object",
            "additionalProperties": {"type": "string", "pattern": "^[0-9a-f]{8}:[A-Za-z0-9+/]+=*$"},
        },
    },
}


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(TAG + ":")
