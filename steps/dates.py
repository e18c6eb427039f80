"""The article's publication date, from the page's own info line, its URL, or htmldate.

Party-building portals print the date in an info line under the heading (``时间:2022-08-29 17:46:10``,
``发布时间：2024年09月02日``, ``發布時間:2024年09月02日``, ``2024-12-09 18:00 来源：…``,
``2024年10月16日09:29``, ``日期：2024/09/02``) and TRS-style CMSs put the day in the URL
(``/202409/t20240902_123456.html``; people.cn ``/n1/2024/1016/c…``; 12371 ``/2024/09/02/ARTI…``).
Pages also carry many dates that are not the article's: sidebar lists of other articles, "today is …"
banners, the copyright year. So the evidence is ranked:

1. a labelled date (发布时间/发布日期/时间/日期 …) or the date of a TRS info line (followed by 来源/作者);
2. an unlabelled date that falls on the URL's day; without a URL day, an unlabelled date with a time of day
   (a byline timestamp; sidebar lists print bare days);
3. the URL's day;
4. htmldate on the page's ``<head>`` (meta tags such as ``PubDate``, ``article:published_time``), not on
   the body, where its structural and free-text searches pick sidebar dates; never today or later: that
   is the crawl date, not a publication date.

When a labelled date and the URL differ by more than a couple of days the URL wins (templates sometimes
print the update time under the label); when they agree, the labelled one keeps its time of day.
steps/extract.py then tries htmldate on the whole page (dated lists removed) and, when every signal is
silent, flags the article ``date_missing``. The order is by how often each signal names a day that is
not the article's: the info line is printed for this article alone; a URL day is stamped when the CMS
creates the page (a day or two early at worst, so it settles a far labelled date but not a near one); meta
tags are often the template's (update time, today); htmldate's body search picks sidebar dates. Measured
with bench/extraction.py (dates per half beside htmldate.find_date).
All results are aware datetimes in Asia/Shanghai.
"""

from __future__ import annotations

import html as html_lib
import re
from datetime import date, datetime, time, timedelta

from lxml import etree

from steps.chinatime import CHINA_TZ
from steps.html import parse_document
from steps.urldates import date_from_url

CHINA = CHINA_TZ  # the name this module's callers and tests use; the one definition is steps/chinatime
EARLIEST = date(1990, 1, 1)  # the Chinese web starts in the mid-1990s; earlier years are typos or history
URL_TOLERANCE = timedelta(days=2)  # a CMS stamps the URL on creation; publication can follow a day or two later

_DAY = r"(?P<y>(?:19|20)\d{2})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})(?!\d)\s*日?"
_CLOCK = r"\s*(?P<H>[0-2]?\d)\s*[:：时時]\s*(?P<M>[0-5]\d)(?:\s*[:：分]\s*(?P<S>[0-5]\d))?"
_DATE = _DAY + "(?:" + _CLOCK + ")?"
LABELS = (
    "发布时间", "發布時間", "发布日期", "發布日期", "发表时间", "發表時間", "发稿时间", "發稿時間", "发文日期",
    "發文日期", "成文日期", "生成日期", "上传时间", "上傳時間", "录入时间", "錄入時間", "时间", "時間", "日期",
)  # fmt: skip
LABELLED_DATE = re.compile("(?:" + "|".join(LABELS) + r")\s*[:：]?\s*[\[【(（]?\s*" + _DATE)
# An unlabelled date right before 来源/作者 … is the info line of TRS pages ("2024-12-09 18:00 来源：…").
INFO_LINE_DATE = re.compile(_DATE + r"\s*[|｜]?\s*(?:来源|來源|作者|点击|點擊|浏览|瀏覽|阅读|閱讀|编辑|編輯)")
ANY_DATE = re.compile(_DATE)
TIMESTAMP = re.compile(_DAY + _CLOCK)  # "2024年10月16日09:29": a byline, not a sidebar list entry
# A day that a sentence goes on from ("2019年2月27日下午，调研组…") is an event's, not a byline's.
BYLINE_DATE = re.compile(
    _DATE + r"(?!\s*日?\s*(?:[上下]午|中午|晚上?|凌晨|早上|起|至|到|前|后|以来|期间|，|,|、|在|召开|举行))"
)
# A day split across widgets: <div class="day">21</div><div class="year">2024年02月</div> reads "21 2024年02月";
# the other order "2024年02月 21" also occurs. Only trusted in the header area of a page.
SPLIT_DATE = re.compile(
    r"(?<![\d年月/.-])(?P<d>\d{1,2})\s+(?P<y>(?:19|20)\d{2})\s*(?:年|[-/.])\s*(?P<m>\d{1,2})\s*月?(?![\d日/.-])"
    r"|(?<![\d/.-])(?P<y2>(?:19|20)\d{2})\s*(?:年|[-/.])\s*(?P<m2>\d{1,2})\s*月?\s+(?P<d2>\d{1,2})(?![\d日月:/.-])"
)
# 二〇二四年十一月五日: government documents date themselves in Chinese numerals.
_CN_DIGITS = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"○": "0", "零": "0", "Ｏ": "0", "O": "0"}
CN_DATE = re.compile(
    r"(?P<y>[〇○零Ｏ一二三四五六七八九]{4})\s*年\s*(?P<m>[一二三四五六七八九十]{1,2})\s*月"
    r"\s*(?P<d>[一二三四五六七八九十]{1,3})\s*日"
)

_TAGS = re.compile(r"<(script|style|noscript)\b.*?</\1\s*>|<!--.*?-->|<[^>]+>", re.IGNORECASE | re.DOTALL)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
_HEAD = re.compile(r"<head\b.*?</head\s*>", re.IGNORECASE | re.DOTALL)
_HEAD_FALLBACK_CHARS = 4096


def _cn_number(text: str) -> int:
    """十一 → 11, 二十三 → 23, 三十 → 30, 五 → 5 (the numbers a month or a day needs)."""
    if "十" not in text:
        return int("".join(_CN_DIGITS[c] for c in text))
    tens, _, ones = text.partition("十")
    return (int(_CN_DIGITS[tens]) if tens else 1) * 10 + (int(_CN_DIGITS[ones]) if ones else 0)


def arabic_dates(text: str) -> str:
    """Chinese-numeral dates rewritten in digits (二〇二四年十一月五日 → 2024年11月5日); other text unchanged."""

    def digits(m: re.Match[str]) -> str:
        year = "".join(_CN_DIGITS[c] for c in m["y"])
        return f"{year}年{_cn_number(m['m'])}月{_cn_number(m['d'])}日"

    return CN_DATE.sub(digits, text) if "年" in text else text


def split_date(text: str) -> datetime | None:
    """The first plausible day printed across widgets ("21 2024年02月" or "2024年02月 21")."""
    for m in SPLIT_DATE.finditer(text):
        y, mo, d = (m["y"], m["m"], m["d"]) if m["y"] else (m["y2"], m["m2"], m["d2"])
        try:
            day = date(int(y), int(mo), int(d))
        except ValueError:
            continue
        if _plausible(day):
            return datetime.combine(day, time(0, 0), tzinfo=CHINA)
    return None


def _now() -> datetime:
    return datetime.now(CHINA)


def _plausible(day: date) -> bool:
    return EARLIEST <= day <= _now().date() + timedelta(days=1)


def _to_datetime(m: re.Match[str]) -> datetime | None:
    try:
        day = date(int(m["y"]), int(m["m"]), int(m["d"]))
        clock = time(int(m["H"] or 0), int(m["M"] or 0), int(m["S"] or 0))
    except (ValueError, TypeError):
        return None
    return datetime.combine(day, clock, tzinfo=CHINA) if _plausible(day) else None


def _first(pattern: re.Pattern[str], text: str) -> datetime | None:
    for m in pattern.finditer(text):
        found = _to_datetime(m)
        if found:
            return found
    return None


def visible_text(text_or_html: str) -> str:
    """Markup removed (scripts and styles with it), entities decoded; plain text passes through."""
    if "<" in text_or_html and ">" in text_or_html:
        text_or_html = html_lib.unescape(_TAGS.sub(" ", text_or_html))
    return arabic_dates(_SPACES.sub(" ", text_or_html))


def date_in_text(text: str, url_day: date | None = None) -> datetime | None:
    """A labelled or info-line date; else an unlabelled one on the URL's day; None if neither."""
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


def find_published_date(text_or_html: str, url: str | None = None, *, html: str | None = None) -> datetime | None:
    """Publication date as an aware datetime in Asia/Shanghai, or None.

    ``text_or_html`` is a page (HTML or its text) or, when ``html`` is given, the info zone around the
    article heading, in which case an unlabelled date there also counts (a byline such as
    ``王婉 2024年10月16日09:29`` has no label) and ``html`` is the whole page for htmldate.
    """
    text = visible_text(text_or_html)
    url_day = date_from_url(url) if url else None
    if url_day and not _plausible(url_day):
        url_day = None
    found = date_in_text(text, url_day)
    if found is None:
        # In the info zone any date is the byline's; elsewhere only a timestamp with its time of day is,
        # because sidebar lists and "today is" banners print bare days.
        found = _first(BYLINE_DATE if html is not None else TIMESTAMP, text)
    if found and (url_day is None or abs(found.date() - url_day) <= URL_TOLERANCE):
        return found
    if url_day:
        return datetime.combine(url_day, time(0, 0), tzinfo=CHINA)
    if found:
        return found
    page = html if html is not None else text_or_html
    return htmldate_date(page, url) if "<" in page else None


def htmldate_date(html: str, url: str | None = None) -> datetime | None:
    """htmldate's original-date guess from the page's ``<head>`` (meta tags) and URL; never today or later.

    Only the head is given: in the body, htmldate's structural search also picks dated entries of
    sidebar lists. ``max_date`` is not used either: given one, htmldate answers a too-recent date with
    the first day of that month rather than with nothing.
    """
    head = _HEAD.search(html)
    markup = head.group(0) if head else html[:_HEAD_FALLBACK_CHARS]
    try:
        from htmldate import find_date

        value = find_date(
            f"<html>{markup}<body></body></html>",
            extensive_search=False,
            original_date=True,
            outputformat="%Y-%m-%d %H:%M:%S",
            url=url,
        )
    except Exception:  # htmldate raises on some malformed trees; a missing date is not an error
        return None
    if not value:
        return None
    try:
        found = datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA)
    except ValueError:
        return None
    if not EARLIEST <= found.date() < _now().date():
        return None
    # htmldate compares with its own (local-time) today and turns a date it thinks is in the future into
    # the first day of that month: between 16:00 and 24:00 UTC, a page dated today in China became "the 1st".
    return found if _printed(found.date(), f"{markup} {url or ''}") else None


def header_date(header_text: str) -> datetime | None:
    """A date in the page header (the text between the top of the page and the article body).

    The info line is not always right under the heading: some templates print ``发布日期：…`` above it, in
    a metadata box, or split the day across widgets. Only labelled dates, TRS info-line dates and split
    widgets count here; a bare day in a header could be a "today is" banner.
    """
    text = visible_text(header_text)
    for pattern in (LABELLED_DATE, INFO_LINE_DATE):
        found = _first(pattern, text)
        if found:
            return found
    return split_date(text)


DATED_LIST_MIN_ITEMS = 2  # two sibling list entries carrying a date make a dated list (news list, ranking)
DATED_ITEM_MAX_CHARS = 80  # a list entry is a headline and its date; a layout-table row holding the article is longer
_LIST_ITEMS = etree.XPath("//li[.//a]|//tr[.//a]|//dd[.//a]|//dt[.//a]")  # entries of such lists link elsewhere


def _without_dated_lists(html: str) -> str | None:
    """The page with every dated list removed: short linked siblings (li/tr/dd) of which several print a date.

    This is the guard against sidebar dates for a whole-document htmldate search: "相关新闻", "热点推荐",
    "新闻排行" lists print the dates of other articles, and htmldate's structural search picks them.
    ``html`` itself (the same object) when the page has no such list, so that the caller can see that the
    cleaned page is the page.
    """
    try:
        tree = parse_document(html)
    except (etree.ParserError, ValueError):
        return None
    dated: dict[etree._Element, list[etree._Element]] = {}
    for item in _LIST_ITEMS(tree):
        parent = item.getparent()
        text = item.text_content()
        if parent is not None and len(text.strip()) <= DATED_ITEM_MAX_CHARS and ANY_DATE.search(text):
            dated.setdefault(parent, []).append(item)
    lists = [items for items in dated.values() if len(items) >= DATED_LIST_MIN_ITEMS]
    if not lists:
        return html
    for items in lists:
        for item in items:
            item.drop_tree()
    return etree.tostring(tree, encoding="unicode")


class WholePageDates:
    """The two last-resort answers for one page: htmldate on the page with its dated lists removed, then
    htmldate's own answer on the untouched page.

    Each is one extensive htmldate search, whose cost grows with the page's whole markup (inline scripts
    included: htmldate reads dates out of them): on a portal page of 700 KB of scripts one search costs
    more than the rest of the extraction. A page without a dated list is the same input twice, so it is
    searched once.
    """

    def __init__(self, html: str, url: str | None = None) -> None:
        self.html, self.url = html, url
        self._untouched: tuple[date | None] | None = None  # htmldate's day on the page as is, once known

    def document(self) -> datetime | None:
        """htmldate over the whole document (its extensive search too), dated lists removed first; never today
        or later. The last resort, after the header, the URL and the ``<head>`` meta tags have said nothing."""
        cleaned = _without_dated_lists(self.html)
        if cleaned is None:
            return None
        day = _htmldate_day(cleaned, self.url)
        if cleaned is self.html:
            self._untouched = (day,)
        if day is None or not _printed(day, visible_text(cleaned)):
            return None
        return datetime.combine(day, time(0, 0), tzinfo=CHINA)

    def page(self) -> datetime | None:
        """htmldate's own answer on the untouched page, as a caller of the library would get it.

        Asked only when every other signal, ``document`` included, was silent: where the project's guards
        (dated lists removed, the day printed) leave an article undated, the wrapped library's answer wins
        and the caller flags it (``date_htmldate``), so a wrong sidebar day can be found and a missing date
        is never a rule's doing. Never today or later, as the other signals.
        """
        if self._untouched is None:
            self._untouched = (_htmldate_day(self.html, self.url),)
        day = self._untouched[0]
        return datetime.combine(day, time(0, 0), tzinfo=CHINA) if day else None


def _htmldate_day(html: str, url: str | None) -> date | None:
    """htmldate's original-date day for ``html`` (its extensive search too), if one before today."""
    try:
        from htmldate import find_date

        value = find_date(html, original_date=True, outputformat="%Y-%m-%d", url=url)
    except Exception:  # htmldate raises on some malformed trees; a missing date is not an error
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date() if value else None
    except ValueError:
        return None
    return day if day is not None and EARLIEST <= day < _now().date() else None


def _printed(day: date, text: str) -> bool:
    """Whether the page prints ``day`` itself: htmldate turns a bare year into 1 January, which is no date."""
    for m in ANY_DATE.finditer(text):
        found = _to_datetime(m)
        if found is not None and found.date() == day:
            return True
    return False
