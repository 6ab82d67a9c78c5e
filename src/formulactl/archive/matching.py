"""Is this customer already in the archive? (查重)

People type one company many ways: full-width letters, traditional characters, with or
without 有限公司 / 股份有限公司 / Co., Ltd., with the province or city in front, or in
pinyin. Each name is brought to one normalised form (NFKC, OpenCC traditional →
simplified, region prefixes and company suffixes taken off, case and punctuation dropped)
and to a pinyin key on which an English spelling can meet the Chinese one; rapidfuzz scores
what is left. A match is *certain* only for the same tax ID or the same normalised name:
华南涂料 and 华东涂料 differ in one character and are two companies. Phones and emails count
only when the caller passes them opened: sealed values stay for their readers.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from formulactl.model.sealed import is_sealed

# Legal forms and generic words a company name may end in, longest first so that
# 股份有限公司 goes before 有限公司 and 公司.
_CN_SUFFIXES = tuple(
    sorted(
        (
            "股份有限公司",
            "有限责任公司",
            "有限公司",
            "股份公司",
            "集团公司",
            "总公司",
            "分公司",
            "公司",
            "集团",
            "控股",
            "科技",
            "实业",
            "发展",
            "工业",
            "国际",
            "厂",
        ),
        key=len,
        reverse=True,
    )
)


def _words(text: str) -> tuple[str, ...]:
    """A list of names written as one line of text, to keep the lists below readable."""
    return tuple(text.split())


_EN_SUFFIXES = frozenset(
    _words(
        "co ltd limited inc incorporated corp corporation company gmbh llc plc group holdings "
        "holding technology technologies tech industrial industries international sa ag bv pty "
        "kg srl spa"
    )
)
_PROVINCES = _words(
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 "
    "湖南 广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门"
)
_CITIES = _words(
    "深圳 广州 佛山 东莞 中山 珠海 惠州 江门 汕头 杭州 宁波 温州 台州 嘉兴 绍兴 金华 湖州 "
    "苏州 南京 无锡 常州 南通 扬州 镇江 徐州 昆山 合肥 芜湖 福州 厦门 泉州 济南 青岛 烟台 "
    "潍坊 淄博 郑州 武汉 长沙 成都 西安 沈阳 大连 长春 哈尔滨 石家庄 太原 南昌 南宁 昆明 "
    "贵阳 兰州 海口 三亚 乌鲁木齐 呼和浩特 银川 西宁 拉萨 奉贤 浦东 松江 嘉定 顺德 南海"
)
# Longest first; a region name may carry its 省/市/自治区/区 in the name or not.
_REGION_NAMES = "|".join(sorted(_PROVINCES + _CITIES, key=len, reverse=True))
_REGION_KINDS = "省|市|自治区|特别行政区|壮族自治区|回族自治区|维吾尔自治区|新区|区|县"
_REGION = re.compile(f"^(?:(?:{_REGION_NAMES})(?:{_REGION_KINDS})?)+")
# A region kept in the name is written one way: 上海市化工 and 上海化工 are one.
_REGION_KIND = re.compile(f"^({_REGION_NAMES})(?:{_REGION_KINDS})")
# Words of the trade that English and Chinese spell differently: the pinyin key carries
# the English word for both, so "Huanan Coatings" meets 华南涂料.
_TRADE = {
    "涂料": "coatings",
    "油漆": "coatings",
    "漆": "coatings",
    "胶粘剂": "adhesives",
    "粘合剂": "adhesives",
    "胶粘": "adhesives",
    "化工": "chemicals",
    "化学": "chemicals",
    "化妆品": "cosmetics",
    "材料": "materials",
    "生物": "bio",
    "食品": "foods",
    "香精": "flavours",
    "油墨": "inks",
    "树脂": "resins",
}
_EN_TRADE = {
    "coating": "coatings",
    "paint": "coatings",
    "paints": "coatings",
    "adhesive": "adhesives",
    "glue": "adhesives",
    "chemical": "chemicals",
    "chemistry": "chemicals",
    "cosmetic": "cosmetics",
    "material": "materials",
    "biotech": "bio",
    "biotechnology": "bio",
    "biological": "bio",
    "food": "foods",
    "flavour": "flavours",
    "flavor": "flavours",
    "flavors": "flavours",
    "ink": "inks",
    "resin": "resins",
}
_TRADE_RE = re.compile("|".join(sorted(_TRADE, key=len, reverse=True)))
_BRACKETS = re.compile(r"[(\[（【][^)\]）】]*[)\]）】]")
_NOT_WORD = re.compile(r"[\W_]+")
_HAN = re.compile(r"[\u3400-\u9fff]")
_DIGITS = re.compile(r"\D+")


@dataclass(frozen=True)
class Match:
    other: str  # the existing customer's ID
    score: float  # 0–100
    certain: bool  # same tax ID, or same name after normalising
    reasons: tuple[str, ...]  # e.g. ("same tax ID 9131…", "same name after normalising: 华南涂料")


@dataclass(frozen=True)
class Keys:
    """What one customer is compared by, computed once per customer."""

    id: str
    names: tuple[str, ...]  # normalised names (name, legal name), distinct
    pinyin: tuple[str, ...]  # pinyin keys of those names, distinct
    tax_id: str
    phones: frozenset[str]
    emails: frozenset[str]


@cache
def _converter() -> Any:
    """OpenCC's traditional → simplified converter, loaded once and only when needed."""
    import opencc

    return opencc.OpenCC("t2s")


@cache
def _region_pinyin() -> frozenset[str]:
    """The region names in pinyin, to take `Shanghai`, `Guangdong` off an English name."""
    return frozenset(_pinyin(name) for name in _PROVINCES + _CITIES)


def _pinyin(text: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(text))


@cache
def normalise(name: str) -> str:
    """One company name in the form two spellings of the same company share: NFKC
    (full-width → half-width), simplified characters, lower case, no brackets, region
    prefix or company suffix, no punctuation (an English name keeps one space between words)."""
    text = _converter().convert(unicodedata.normalize("NFKC", name)).lower()
    text = _BRACKETS.sub(" ", text)
    if not _HAN.search(text):
        return " ".join(_english_words(text))
    text = _NOT_WORD.sub("", text)
    stripped = _stripped(text, regions=True)
    if len(stripped) < 2 or stripped in _TRADE:
        # 上海化工有限公司 is not 深圳化工有限公司: without its region nothing would be left
        # but the trade, so the region stays part of the name.
        return _stripped(_REGION_KIND.sub(r"\1", text, count=1), regions=False)
    return stripped


def _stripped(text: str, regions: bool) -> str:
    """A Chinese name without its legal forms (and region prefixes, when asked)."""
    previous = None
    while previous != text:
        previous = text
        if regions:
            text = _REGION.sub("", text, count=1) or text
        for suffix in _CN_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)]
                break
    return text


def _english_words(text: str) -> list[str]:
    """The words of an English name without legal forms, leading regions and punctuation."""
    words = [word for word in _NOT_WORD.split(text) if word]
    while len(words) > 1 and words[-1] in _EN_SUFFIXES:
        words.pop()
    while len(words) > 1 and words[0] in _region_pinyin():
        words.pop(0)
    return words


@cache
def pinyin_key(normalised: str) -> str:
    """The normalised name spelled in pinyin with its trade word in English, so that a
    Chinese name and its English spelling can meet: 华南涂料 and `Huanan Coatings` are both
    `huanancoatings`."""
    if not _HAN.search(normalised):
        return "".join(_EN_TRADE.get(word, word) for word in _english_words(normalised))
    parts = _TRADE_RE.split(normalised)
    trades = _TRADE_RE.findall(normalised)
    spelled = [_pinyin(part) for part in parts]
    return "".join(
        spelled[index] + (_TRADE[trades[index]] if index < len(trades) else "")
        for index in range(len(spelled))
    )


class NameKeys:
    """Each name as typed → (normalised name, its pinyin key), computed once. Entries `known`
    from an earlier run (a cache keyed by the name's text) are taken as they are, so a warm
    `dedupe` loads neither OpenCC nor pypinyin for names it has already seen."""

    def __init__(self, known: Mapping[str, Any] | None = None) -> None:
        self.known: dict[str, tuple[str, str]] = {
            name: (value[0], value[1])
            for name, value in (known or {}).items()
            if isinstance(value, tuple | list) and len(value) == 2
        }
        self.added: set[str] = set()

    def __call__(self, name: str) -> tuple[str, str]:
        found = self.known.get(name)
        if found is None:
            normalised = normalise(name)
            found = (normalised, pinyin_key(normalised) if normalised else "")
            self.known[name] = found
            self.added.add(name)
        return found


def keys_of(record_id: str, record: Mapping[str, Any], names_of: NameKeys | None = None) -> Keys:
    """The keys of one customer record; sealed phones and emails count for nothing."""
    lookup = names_of or NameKeys()
    names: list[str] = []
    spelled: list[str] = []
    for field in ("name", "legal_name"):
        value = record.get(field)
        if isinstance(value, str) and value.strip():
            found, key = lookup(value)
            if found and found not in names:
                names.append(found)
                if key and key not in spelled:
                    spelled.append(key)
    pinyin = tuple(spelled)
    phones, emails = set(), set()
    contacts = record.get("contacts")
    for contact in contacts if isinstance(contacts, list) else []:
        if not isinstance(contact, Mapping):
            continue
        phone, email = contact.get("phone"), contact.get("email")
        if isinstance(phone, str) and not is_sealed(phone):
            digits = _DIGITS.sub("", phone)
            if len(digits) >= 7:
                phones.add(digits[-8:])
        if isinstance(email, str) and not is_sealed(email):
            emails.add(email.strip().lower())
    tax = record.get("tax_id")
    return Keys(
        record_id,
        tuple(names),
        pinyin,
        tax.strip().upper() if isinstance(tax, str) else "",
        frozenset(phones),
        frozenset(emails),
    )


def compare(new: Keys, old: Keys, threshold: float) -> Match | None:
    """How likely `new` is `old`, with every reason; None below the threshold."""
    from rapidfuzz import fuzz

    reasons: list[str] = []
    score = 0.0
    certain = False
    if new.tax_id and new.tax_id == old.tax_id:
        reasons.append(f"same tax ID {new.tax_id}")
        score, certain = 100.0, True
    same = [name for name in new.names if name in old.names]
    if same:
        reasons.append(f"same name after normalising: {same[0]}")
        score, certain = 100.0, True
    else:
        best, pair = 0.0, ("", "")
        for mine in new.names:
            for theirs in old.names:
                ratio = fuzz.ratio(mine, theirs)
                if ratio > best:
                    best, pair = ratio, (mine, theirs)
        if best >= threshold:
            reasons.append(f"similar names: {pair[0]} ~ {pair[1]} ({best:.0f})")
        score = max(score, best)
        spelled = [key for key in new.pinyin if key in old.pinyin]
        if spelled:
            reasons.append(f"same name in pinyin: {spelled[0]}")
            score = max(score, 90.0)
    for what, mine_set, theirs_set, worth in (
        ("phone", new.phones, old.phones, 95.0),
        ("email", new.emails, old.emails, 95.0),
    ):
        shared = sorted(mine_set & theirs_set)
        if shared:
            reasons.append(f"same {what} {shared[0]}")
            score = max(score, worth)
    if score < threshold or not reasons:
        return None
    return Match(old.id, round(score, 1), certain, tuple(reasons))


def likely_duplicates(
    candidate: Mapping[str, Any],
    customers: Mapping[str, Mapping[str, Any]],
    threshold: float = 85.0,
) -> list[Match]:
    """The existing customers `candidate` may be, best first. A customer merged into
    another is skipped (its target is compared instead); so is the candidate's own ID and
    any customer it is marked `not_duplicate_of`."""
    own = candidate.get("id")
    marked = _listed(candidate.get("not_duplicate_of"))
    new = keys_of(str(own or ""), candidate)
    found = []
    for other_id, record in customers.items():
        if other_id == own or other_id in marked or record.get("merged_into"):
            continue
        if own in _listed(record.get("not_duplicate_of")):
            continue
        match = compare(new, keys_of(other_id, record), threshold)
        if match is not None:
            found.append(match)
    return sorted(found, key=lambda match: (-match.score, match.other))


@dataclass(frozen=True)
class Pair:
    """Two customers in the archive that may be one, with the match's score and reasons."""

    first: str
    second: str
    score: float
    certain: bool
    reasons: tuple[str, ...]


def duplicate_pairs(
    customers: Mapping[str, Mapping[str, Any]],
    threshold: float = 85.0,
    names_of: NameKeys | None = None,
) -> list[Pair]:
    """Every pair of live customers that may be one, best first, without comparing each
    pair in Python: exact keys (tax ID, normalised name, pinyin, phone, email) are grouped
    in buckets, and similar names are found by rapidfuzz matrices over all names."""
    lookup = names_of or NameKeys()
    keys = {
        record_id: keys_of(record_id, record, lookup)
        for record_id, record in sorted(customers.items())
        if not record.get("merged_into")
    }
    candidates: set[tuple[str, str]] = set()
    buckets: dict[tuple[str, str], list[str]] = defaultdict(list)
    for record_id, found in keys.items():
        for bucket in _buckets(found):
            buckets[bucket].append(record_id)
    for members in buckets.values():
        candidates.update(_pairs(members))
    candidates.update(_similar_names(keys, threshold))
    pairs = []
    for first, second in candidates:
        if second in _listed(customers[first].get("not_duplicate_of")) or first in _listed(
            customers[second].get("not_duplicate_of")
        ):
            continue
        match = compare(keys[first], keys[second], threshold)
        if match is not None:
            pairs.append(Pair(first, second, match.score, match.certain, match.reasons))
    return sorted(pairs, key=lambda pair: (-pair.score, pair.first, pair.second))


def _similar_names(keys: Mapping[str, Keys], threshold: float) -> set[tuple[str, str]]:
    """Pairs of customers with names scoring at least `threshold`, by rapidfuzz matrices.
    Names are banded by length: two names of lengths a ≤ b score at most 200·a/(a+b), so
    each band is scored only against the bands it can reach (fewer cells, same answer)."""
    from rapidfuzz import fuzz, process

    by_length: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for record_id, found in keys.items():
        for name in found.names:
            by_length[len(name)].append((record_id, name))
    lengths = sorted(by_length)
    found_pairs: set[tuple[str, str]] = set()
    for length in lengths:
        queries = by_length[length]
        reach = [
            item
            for other in lengths
            if other >= length and 200 * length / (length + other) >= threshold
            for item in by_length[other]
        ]
        matrix = process.cdist(
            [name for _, name in queries],
            [name for _, name in reach],
            scorer=fuzz.ratio,
            score_cutoff=threshold,
            dtype="uint8",
            workers=-1,
        )
        rows, columns = matrix.nonzero()
        for row, column in zip(rows.tolist(), columns.tolist(), strict=True):
            first, second = queries[row][0], reach[column][0]
            if first != second:
                found_pairs.add((min(first, second), max(first, second)))
    return found_pairs


def _buckets(keys: Keys) -> Iterable[tuple[str, str]]:
    if keys.tax_id:
        yield ("tax", keys.tax_id)
    yield from (("name", name) for name in keys.names)
    yield from (("pinyin", key) for key in keys.pinyin)
    yield from (("phone", phone) for phone in keys.phones)
    yield from (("email", email) for email in keys.emails)


def _pairs(members: list[str]) -> Iterable[tuple[str, str]]:
    ordered = sorted(set(members))
    for index, first in enumerate(ordered):
        for second in ordered[index + 1 :]:
            yield first, second


def _listed(value: object) -> set[str]:
    return {item for item in value if isinstance(item, str)} if isinstance(value, list) else set()
