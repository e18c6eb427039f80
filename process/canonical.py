"""Which of two copies of an article is the canonical one: the rule, as pure data and one function.

The corpus keeps one article per story and records the other copies as its duplicates. The copy kept
should be the original, not whichever the crawler met first: portals list newest first, so a backfill
meets a later 【转载】 repost before the original it copies. process.decide applies this rule when a page
is confirmed as a copy of a stored article (a WARC reprocess can apply it the same way).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from steps.chinatime import CHINA_TZ

# A page that says it is a repost: 【转载】/[转载]/（转载） in its title, or a source line "转载自/转自 …".
_REPOST_TITLE = re.compile(r"[【\[（(]\s*(转载|轉載|转发|轉發)\s*[】\])）]|^\s*(转载|轉載)\s*[:：|｜]")
_REPOST_SOURCE = re.compile(r"转载|轉載|转自|轉自")


@dataclass(frozen=True)
class CopyFacts:
    """What the rule looks at for one copy."""

    published_on: date | None  # China-time day; None when the page gave no date
    is_repost: bool  # the page says it is a repost (or a mirror of another portal's page)


def china_day(published_at: datetime | None) -> date | None:
    """The publication day as the portal shows it: days, not instants, since many pages give only a date."""
    return published_at.astimezone(CHINA_TZ).date() if published_at else None


def says_repost(title: str | None, source: str | None) -> bool:
    return bool((title and _REPOST_TITLE.search(title)) or (source and _REPOST_SOURCE.search(source)))


def facts(title: str | None, source: str | None, published_at: datetime | None) -> CopyFacts:
    return CopyFacts(china_day(published_at), says_repost(title, source))


def outranks(new: CopyFacts, stored: CopyFacts) -> bool:
    """Whether a newly met copy should replace the stored one as the canonical copy.

    Earliest published first (by China-time day); on the same day, or when either day is unknown, the
    portal's own page over a repost; otherwise the copy stored first stays (so reruns change nothing).
    """
    if new.published_on and stored.published_on and new.published_on != stored.published_on:
        return new.published_on < stored.published_on
    return stored.is_repost and not new.is_repost
