"""Store settings (`formulactl.yaml`) and the record ID formats they define."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from formulactl.errors import FormulaError

_TOKEN = re.compile(r"\{(seq|rand):([0-9]+)\}|\{date\}")
_REF = re.compile(r"(?P<id>[A-Z][A-Z0-9]*-[A-Za-z0-9-]+)(?:@(?P<version>[1-9][0-9]*))?")
# Far above any real ID, far below a file name's limit: a longer "ID" never reaches the disk.
MAX_REF_LENGTH = 64


@dataclass(frozen=True)
class IdFormat:
    """An ID template such as `F-{seq:6}` or `I-{date}-{rand:4}`."""

    kind: str
    template: str
    regex: re.Pattern[str]

    @classmethod
    def parse(cls, kind: str, template: str) -> IdFormat:
        parts, last = [], 0
        for token in _TOKEN.finditer(template):
            parts.append(re.escape(template[last : token.start()]))
            name, width = token.group(1), token.group(2)
            if name == "seq":
                parts.append(f"(?P<seq>[0-9]{{{width},}})")
            elif name == "rand":
                parts.append(f"[0-9a-f]{{{width}}}")
            else:
                parts.append("(?P<date>[0-9]{8})")
            last = token.end()
        parts.append(re.escape(template[last:]))
        return cls(kind, template, re.compile("".join(parts)))

    def matches(self, text: str) -> bool:
        return self.regex.fullmatch(text) is not None

    def example(self) -> str:
        return self.render(date(2026, 11, 23), 12, lambda width: "7f3a0c9e"[:width])

    def render(self, day: date, seq: int, rand: Any) -> str:
        def fill(token: re.Match[str]) -> str:
            if token.group(1) == "seq":
                return str(seq).zfill(int(token.group(2)))
            if token.group(1) == "rand":
                return str(rand(int(token.group(2))))
            return day.strftime("%Y%m%d")

        return _TOKEN.sub(fill, self.template)

    def next_id(self, existing: Iterable[str], day: date) -> str:
        """The next free ID: sequences count up (per day when dated); random parts are drawn."""
        taken = set(existing)
        if "{seq:" in self.template:
            stamp = day.strftime("%Y%m%d")
            seqs = [
                int(found.group("seq"))
                for found in map(self.regex.fullmatch, taken)
                if found and found.groupdict().get("date", stamp) == stamp
            ]
            return self.render(day, max(seqs, default=0) + 1, lambda width: "")
        import secrets  # only for a new ID: every command reads settings

        while True:
            candidate = self.render(day, 0, lambda width: secrets.token_hex(width)[:width])
            if candidate not in taken:
                return candidate


@dataclass(frozen=True)
class EncryptionPolicy:
    """Who reads the confidential fields of each kind, and the offline recovery recipient."""

    require: bool
    recovery: str | None
    readers: Mapping[str, tuple[str, ...]]  # kind → roles
    people: Mapping[str, tuple[str, ...]]  # kind → person IDs
    # a reader's data keys and the records they opened kept, sealed, on their machine
    keep_data_keys: bool = True

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> EncryptionPolicy:
        return cls(
            require=bool(data.get("require", True)),
            recovery=data.get("recovery"),
            readers={kind: tuple(roles) for kind, roles in data.get("readers", {}).items()},
            people={kind: tuple(ids) for kind, ids in data.get("people", {}).items()},
            keep_data_keys=bool(data.get("keep_data_keys", True)),
        )


# Branches the server never lets a push delete or rewrite, unless the settings name others.
DEFAULT_PROTECTED = ("main", "master")


def protected_branches(data: Mapping[str, Any]) -> tuple[str, ...]:
    """`protected_branches` of formulactl.yaml content; the default when absent or not a
    list of names (the server hook reads settings that no schema has checked)."""
    names = data.get("protected_branches")
    if isinstance(names, list) and all(isinstance(name, str) for name in names):
        return tuple(names)
    return DEFAULT_PROTECTED


@dataclass(frozen=True)
class Settings:
    store_id: str
    id_formats: Mapping[str, IdFormat]
    percent_tolerance: float
    review_interval_days: Mapping[str, int]
    response_due_days: Mapping[str, int]
    max_record_bytes: int
    allow_unsigned: bool
    encryption: EncryptionPolicy
    receipts_key: str | None
    max_skew_hours: int
    raw: Mapping[str, Any]
    protected_branches: tuple[str, ...] = DEFAULT_PROTECTED

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Settings:
        """Build from a mapping already checked against the settings schema."""
        return cls(
            store_id=data["store_id"],
            id_formats={
                kind: IdFormat.parse(kind, template)
                for kind, template in data["id_formats"].items()
            },
            percent_tolerance=float(data.get("percent_tolerance", 0.01)),
            review_interval_days=dict(data.get("review_interval_days", {})),
            response_due_days=dict(data.get("response_due_days", {})),
            max_record_bytes=int(data.get("max_record_kb", 1024)) * 1024,
            allow_unsigned=bool(data.get("allow_unsigned", False)),
            encryption=EncryptionPolicy.from_data(data.get("encryption", {})),
            receipts_key=data.get("receipts", {}).get("key"),
            max_skew_hours=int(data.get("receipts", {}).get("max_skew_hours", 24)),
            raw=data,
            protected_branches=protected_branches(data),
        )

    def kind_of(self, record_id: str) -> str | None:
        for kind, fmt in self.id_formats.items():
            if fmt.matches(record_id):
                return kind
        return None


def split_ref(text: str) -> tuple[str, int | None]:
    """`F-000123@3` → (`F-000123`, 3); anything that is not an ID shape raises."""
    found = _REF.fullmatch(text) if len(text) <= MAX_REF_LENGTH else None
    if not found:
        short = len(text) <= MAX_REF_LENGTH
        shown = f"`{text}`" if short else f"`{text[:20]}…` ({len(text)} characters)"
        raise FormulaError(
            f"{shown} is not a record ID",
            "IDs look like F-000123, C-00012 or F-000123@3 for a version",
            rule="bad-id",
        )
    version = found.group("version")
    return found.group("id"), int(version) if version else None
