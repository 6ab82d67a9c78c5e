"""A mapping whose values stay marshalled until read, in buckets.

The trace index holds hundreds of thousands of lot lines, deliveries and batch facts;
unmarshalling all of them costs more than a whole warm answer may take. So the keys are
spread over `BUCKETS` buckets by a hash, each bucket one marshalled `bytes`: a cache file
loads as a few thousand strings, and an answer unmarshals only the buckets of the keys it
reads."""

from __future__ import annotations

import marshal
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

T = TypeVar("T")
BUCKETS = 512
Buckets = dict[int, bytes]


def bucket_of(key: str) -> int:
    """The same bucket for a key on every run and machine."""
    return zlib.crc32(key.encode()) % BUCKETS


def pack(index: Mapping[str, Any]) -> Buckets:
    """The index as marshalled buckets (the inverse of `Packed`)."""
    groups: dict[int, dict[str, Any]] = defaultdict(dict)
    for key, value in index.items():
        groups[bucket_of(key)][key] = value
    return {number: marshal.dumps(group) for number, group in groups.items()}


class Packed(Mapping[str, T], Generic[T]):
    """Key → value, each bucket unmarshalled when one of its keys is first read, and each
    value made into `T` by `make` then."""

    def __init__(self, raw: Mapping[int, bytes], make: Callable[[str, Any], T]) -> None:
        self.raw = raw
        self.make = make
        self.buckets: dict[int, dict[str, Any]] = {}
        self.read: dict[str, T] = {}

    def _bucket(self, number: int) -> dict[str, Any]:
        if number not in self.buckets:
            raw = self.raw.get(number)
            self.buckets[number] = marshal.loads(raw) if raw is not None else {}
        return self.buckets[number]

    def __getitem__(self, key: str) -> T:
        if key not in self.read:
            self.read[key] = self.make(key, self._bucket(bucket_of(key))[key])
        return self.read[key]

    def __iter__(self) -> Iterator[str]:
        for number in sorted(self.raw):
            yield from self._bucket(number)

    def __len__(self) -> int:
        return sum(len(self._bucket(number)) for number in self.raw)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self._bucket(bucket_of(key))


def as_is(_key: str, value: Any) -> Any:
    return value
