"""A mapping whose values stay marshalled until read.

The trace index holds hundreds of thousands of lot lines; unmarshalling all of them as
tuples costs more than a whole warm answer may take. Kept as one `bytes` per key, the file
loads as a few thousand strings, and an answer unmarshals only the keys it reads."""

from __future__ import annotations

import marshal
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def pack(index: Mapping[str, Any]) -> dict[str, bytes]:
    """Each value marshalled on its own (the inverse of `Packed`)."""
    return {key: marshal.dumps(value) for key, value in index.items()}


class Packed(Mapping[str, T], Generic[T]):
    """Key → value, each value unmarshalled (and made into `T` by `make`) when first read."""

    def __init__(self, raw: Mapping[str, bytes], make: Callable[[str, Any], T]) -> None:
        self.raw = raw
        self.make = make
        self.read: dict[str, T] = {}

    def __getitem__(self, key: str) -> T:
        if key not in self.read:
            self.read[key] = self.make(key, marshal.loads(self.raw[key]))
        return self.read[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)

    def __contains__(self, key: object) -> bool:
        return key in self.raw


def as_is(_key: str, value: Any) -> Any:
    return value
