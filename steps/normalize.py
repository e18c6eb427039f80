"""``text_normalized``: one form of a text for dedup and search, whatever script and punctuation it came in.

NFKC folds full-width letters and digits; OpenCC t2s folds traditional into
simplified; the remaining CJK punctuation is mapped to its ASCII counterpart
(``，``→``,``, ``：``→``:``, ``“”``→``"`` …); whitespace runs become one space;
paragraphs stay separated by "\\n". The original script is kept in ``text``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc

_PUNCT = str.maketrans(
    {
        "，": ",",
        "。": ".",
        "、": ",",
        "；": ";",
        "：": ":",
        "？": "?",
        "！": "!",
        "“": '"',
        "”": '"',
        "„": '"',
        "‘": "'",
        "’": "'",
        "「": '"',
        "」": '"',
        "『": '"',
        "』": '"',
        "（": "(",
        "）": ")",
        "【": "[",
        "】": "]",
        "〔": "[",
        "〕": "]",
        "《": "<",
        "》": ">",
        "〈": "<",
        "〉": ">",
        "—": "-",
        "–": "-",
        "－": "-",
        "～": "~",
        "…": "...",
        "·": "·",
        "\u3000": " ",
        "\u00a0": " ",
    }
)
_SPACES = re.compile(r"[ \t\f\v]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return str(_t2s().convert(text))


@dataclass(frozen=True)
class Normalized:
    text_normalized: str
    script: str  # "hans" | "hant" | "latin"
    language: str  # "zh" | "en" | "und"


def detect_script(text: str, simplified: str | None = None) -> str:
    """hant when t2s changes a noticeable share of the CJK characters; latin when there is little CJK."""
    cjk = _CJK.findall(text)
    if len(cjk) < max(10, len(_LATIN.findall(text)) // 4):
        return "latin"
    simplified = simplified if simplified is not None else to_simplified(text)
    changed = sum(1 for a, b in zip(text, simplified, strict=False) if a != b and _CJK.match(a))
    return "hant" if changed / len(cjk) > 0.03 else "hans"


def normalize_text(text: str) -> Normalized:
    folded = unicodedata.normalize("NFKC", text)
    simplified = to_simplified(folded)
    script = detect_script(folded, simplified if len(simplified) == len(folded) else None)
    unified = simplified.translate(_PUNCT)
    lines = (_SPACES.sub(" ", line).strip() for line in unified.splitlines())
    normalized = "\n".join(line for line in lines if line)
    language = "en" if script == "latin" and _LATIN.search(text) else ("zh" if script != "latin" else "und")
    return Normalized(normalized, script, language)
