"""``text_normalized``: one form of a text for dedup and search, whatever script and punctuation it came in.

The same article reaches us in simplified script, in traditional script (mirrors, 旗幟網-style pages),
with full-width or half-width punctuation (the seeds were already half-width), and with varying
whitespace. Dedup must see these as one text, so:

1. NFKC folds full-width letters, digits and most full-width punctuation (``，：（）！？；`` → ``,:()!?;``),
   and ``…`` into ``...``;
2. OpenCC ``t2s`` folds traditional into simplified script;
3. the CJK punctuation that NFKC leaves alone is mapped to its ASCII counterpart: **everything ends up
   half-width** (``。``→``.``, ``、``→``,``, ``“”「」『』``→``"``, ``‘’``→``'``, ``【】〔〕``→``[]``,
   ``《》〈〉``→``<>``, dashes → ``-``);
4. runs of spaces and tabs become one space, blank lines disappear, paragraphs stay separated by "\\n".

The original script is kept in ``Extracted.text``; only this form is folded. The OpenCC converter is built
once per process (it loads dictionaries), since the pipeline normalizes every page.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc

PUNCTUATION = str.maketrans(
    {
        "。": ".",
        "｡": ".",
        "、": ",",
        "“": '"',
        "”": '"',
        "„": '"',
        "「": '"',
        "」": '"',
        "『": '"',
        "』": '"',
        "‘": "'",
        "’": "'",
        "【": "[",
        "】": "]",
        "〔": "[",
        "〕": "]",
        "〖": "[",
        "〗": "]",
        "《": "<",
        "》": ">",
        "〈": "<",
        "〉": ">",
        "—": "-",
        "–": "-",
        "―": "-",
        "～": "~",
        "〜": "~",
        "・": "·",
    }
)
_SPACES = re.compile(r"[ \t\f\v\u00a0\u3000]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
MIN_CJK_FOR_CHINESE = 10  # below this many CJK characters a text is not Chinese prose
LATIN_PER_CJK = 4  # more than 4 Latin letters per CJK character: the text is Latin-script
TRADITIONAL_SHARE = 0.03  # share of CJK characters that t2s changes above which the text is traditional


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (OpenCC t2s); other text is unchanged."""
    return str(_t2s().convert(text))


@lru_cache(maxsize=65536)
def _is_traditional_char(char: str) -> bool:
    return to_simplified(char) != char


@dataclass(frozen=True)
class Normalized:
    text_normalized: str
    script: str  # "hans" | "hant" | "latin"
    language: str  # "zh" | "en" | "und"


def detect_script(text: str, simplified: str | None = None) -> str:
    """``latin`` when CJK is a small share of the letters; ``hant`` when t2s changes over 3% of the CJK.

    Comparing positions of the text and its t2s conversion is cheap; OpenCC's phrase tables can change
    a text's length, and then each character is looked up on its own (cached).
    """
    cjk = _CJK.findall(text)
    if len(cjk) < max(MIN_CJK_FOR_CHINESE, len(_LATIN.findall(text)) // LATIN_PER_CJK):
        return "latin"
    simplified = simplified if simplified is not None else to_simplified(text)
    if len(simplified) == len(text):
        changed = sum(1 for a, b in zip(text, simplified, strict=True) if a != b and _CJK.match(a))
    else:
        changed = sum(1 for c in cjk if _is_traditional_char(c))
    return "hant" if changed / len(cjk) > TRADITIONAL_SHARE else "hans"


def normalize_text(text: str) -> Normalized:
    folded = unicodedata.normalize("NFKC", text)
    simplified = to_simplified(folded)
    script = detect_script(folded, simplified)
    unified = simplified.translate(PUNCTUATION)
    lines = (_SPACES.sub(" ", line).strip() for line in unified.splitlines())
    normalized = "\n".join(line for line in lines if line)
    language = "zh" if script != "latin" else ("en" if _LATIN.search(folded) else "und")
    return Normalized(normalized, script, language)
