"""The article's publication date, from the page's own info line, its URL, or htmldate.

Party-building portals print the date in a labelled info line under the
heading (``发布时间：2024-09-02 10:30``, ``时间:2022-08-29 17:46:10``,
``发布时间:2024年09月02日``, ``2024-12-09 18:00 来源：…``) and TRS-style CMSs put
the day in the URL (``t20240902_…``). A labelled date beats an unlabelled one;
sidebar lists of other articles carry dates too, so an unlabelled date is only
trusted when the URL agrees, and htmldate is the last resort.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from steps.urldates import date_from_url

CHINA = ZoneInfo("Asia/Shanghai")

_DATE = (
    r"(?P<y>(?:19|20)\d{2})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?P<H>\d{1,2})[:：](?P<M>\d{2})(?:[:：](?P<S>\d{2}))?)?"
)
_LABEL = r"(?:发布时间|發布時間|发布日期|發布日期|发表时间|發表時間|更新时间|時間|时间|日期)"
LABELLED_DATE = re.compile(_LABEL + r"\s*[:：]?\s*" + _DATE)
ANY_DATE = re.compile(_DATE)
# An unlabelled date directly followed by 来源 is the info line of TRS pages ("2024-12-09 18:00 来源：…").
INFO_LINE_DATE = re.compile(_DATE + r"\s*(?:来源|來源|作者|点击|點擊|浏览|瀏覽)")


def _to_datetime(m: re.Match[str]) -> datetime | None:
    try:
        day = date(int(m["y"]), int(m["m"]), int(m["d"]))
        clock = time(int(m["H"] or 0), int(m["M"] or 0), int(m["S"] or 0))
    except (ValueError, TypeError):
        return None
    return datetime.combine(day, clock, tzinfo=CHINA)


def _first(pattern: re.Pattern[str], text: str) -> datetime | None:
    for m in pattern.finditer(text):
        found = _to_datetime(m)
        if found:
            return found
    return None


def date_in_text(text: str, url: str | None = None) -> datetime | None:
    """A date from visible text (the info line); None when the text has no trustworthy one."""
    url_day = date_from_url(url) if url else None
    for pattern in (LABELLED_DATE, INFO_LINE_DATE):
        found = _first(pattern, text)
        if found:
            return found
    if url_day:
        for m in ANY_DATE.finditer(text):
            found = _to_datetime(m)
            if found and found.date() == url_day:
                return found
    return None


def find_published_date(text_or_html: str, url: str | None = None, html: str | None = None) -> datetime | None:
    """Publication date as an aware datetime in Asia/Shanghai, or None.

    ``text_or_html`` is searched for a labelled date first; the URL's day
    comes next; htmldate over ``html`` (or ``text_or_html``) last.
    """
    found = date_in_text(text_or_html, url)
    url_day = date_from_url(url) if url else None
    if found and (url_day is None or abs((found.date() - url_day).days) <= 2):
        return found
    if url_day:
        return datetime.combine(url_day, time(0, 0), tzinfo=CHINA)
    if found:
        return found
    if html is not None:  # the caller passed the info zone as text: an unlabelled date there is the one
        found = _first(ANY_DATE, text_or_html)
        if found:
            return found
    return _htmldate(html or text_or_html)


def _htmldate(html: str) -> datetime | None:
    if "<" not in html:
        return None
    try:
        from htmldate import find_date

        value = find_date(html, original_date=True, extensive_search=False, outputformat="%Y-%m-%d")
    except Exception:  # htmldate raises on some malformed trees; a missing date is not an error
        return None
    if not value:
        return None
    return datetime.combine(date.fromisoformat(value), time(0, 0), tzinfo=CHINA)
