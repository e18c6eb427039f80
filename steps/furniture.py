"""Site furniture: lines that recur across a site's articles are the site's, not any article's.

Navigation, related-news lists, disclaimers ("网友评论仅供其表达个人看法…"), calls to action and footers
that survive extraction come back on page after page of the same site, whatever their wording. So a
line is furniture when it occurs in at least ``MIN_PAGES`` of a site's stored articles *and* in at least
``MIN_SHARE`` of them. Both conditions matter: a sentence quoted in two (or a handful of) articles of
the same site is article text, and on a site with many articles a line that only a few share is too.
Measured on the replica portals (bench/furniture.py), whose generated articles reuse paragraphs from a
small pool: with 3 pages / 50% the learner took 40 such article lines for furniture; with 5 / 80% none.
Learn from a site's *recent* articles (storage/furniture.py takes the latest 50): sidebars and
recommendation lists change over months, and a line must recur across what the site shows now.

Lines are kept as short hashes of their whitespace-free text, so the knowledge is small enough to live in
the database (storage/furniture.py) and to travel to the extraction workers with each site's run.
Pure functions: no database, no framework.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

MIN_PAGES = 5  # a line shared by a few articles is a quotation or a reused paragraph until shown otherwise
MIN_SHARE = 0.8  # of the site's articles learned from: furniture is on (nearly) every page
MIN_LINE_CHARS = 4  # shorter lines ("图", "1") carry no evidence either way
SAMPLE_CHARS = 200
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class FurnitureLine:
    key: str
    pages: int  # how many of the learned articles carry the line
    sample: str  # the line itself, cut, for people reading the table


def line_key(line: str) -> str:
    """The hash a line is known by: whitespace removed, so layout changes do not hide it."""
    return hashlib.sha1(_WS.sub("", line).encode("utf-8")).hexdigest()[:16]


def _lines(text: str) -> set[str]:
    return {line.strip() for line in text.split("\n") if len(_WS.sub("", line)) >= MIN_LINE_CHARS}


def learn(texts: Iterable[str], *, min_pages: int = MIN_PAGES, min_share: float = MIN_SHARE) -> list[FurnitureLine]:
    """Furniture lines of one site, from the texts of its stored articles (each counted once per article)."""
    counts: Counter[str] = Counter()
    samples: dict[str, str] = {}
    total = 0
    for text in texts:
        total += 1
        for line in _lines(text):
            key = line_key(line)
            counts[key] += 1
            samples.setdefault(key, line[:SAMPLE_CHARS])
    if not total:
        return []
    return [
        FurnitureLine(key, n, samples[key])
        for key, n in counts.most_common()
        if n >= min_pages and n / total >= min_share
    ]


def remove_furniture(text: str, furniture: frozenset[str]) -> tuple[str, list[str]]:
    """``text`` without the lines whose key is in ``furniture``; also the lines removed."""
    if not furniture:
        return text, []
    kept: list[str] = []
    removed: list[str] = []
    for line in text.split("\n"):
        (removed if len(_WS.sub("", line)) >= MIN_LINE_CHARS and line_key(line) in furniture else kept).append(line)
    return "\n".join(kept), removed
