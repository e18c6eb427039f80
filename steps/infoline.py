"""The info line next to the heading: where it is (the zone between heading and body, the header area) and
what it says (来源, 作者, 编辑), kept apart."""

from __future__ import annotations

import re

from steps.html import WS, word_chars

INFO_ZONE_CHARS = 300  # the date/来源 line sits within this many characters after the heading

_TRAILING_DATE = re.compile(r"\s*(?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}日?.*$")

_LABEL_WORDS = (
    "作者|记者|記者|编辑|編輯|责任|責任|发布|發布|时间|時間|日期|点击|點擊|浏览|瀏覽|文字|字号|字號|字体|字體|分享"
)

_NEXT_LABEL = r"(?=\s|[|｜:：()（）【】\[\]]|" + _LABEL_WORDS + "|$)"

_NOT_A_LABEL = "(?!" + _LABEL_WORDS + "|字号|字號)"

_VALUE = r"[ \t\u3000\u00a0]*(?P<v>" + _NOT_A_LABEL + r"[^\s|｜:：()（）【】\[\]]{2,30}?)" + _NEXT_LABEL

SOURCE = re.compile(r"(?:稿件来源|稿件來源|文章来源|文章來源|信息来源|信息來源|来源|來源|出处|出處)\s*[:：]" + _VALUE)

AUTHOR = re.compile(r"(?:作者|撰稿|撰文|记者|記者)\s*[:：/]" + _VALUE)

EDITOR = re.compile(r"(?:责任编辑|責任編輯|编辑|編輯|责编|責編)\s*[:：]" + _VALUE)

STRICT_EDITOR = re.compile(r"(?:责任编辑|責任編輯)\s*[:：]" + _VALUE)

# English pages of the same CMSs: "Release time: 2023-02-15 10:20  Source: Luohe Meteorological Bureau  Font size".
SOURCE_EN = re.compile(
    r"\bSource\s*:\s*(?P<v>[A-Z][\w'’&.,-]*(?: [\w'’&.,-]+){0,8}?)"
    r"(?=\s*(?:$|\||Author|Editor|Release|Time|Date|Font|Print|Share|Views|Clicks))"
)

AUTHOR_EN = re.compile(r"\b(?:Author|By)\s*:\s*(?P<v>[A-Z][\w.'-]*(?: [A-Z][\w.'-]*){0,3})")

# A people.cn-style byline: the author's bare name right under the heading, then the date ("王婉 2024年10月16日09:29").
BYLINE_NAME = re.compile(r"^\s*(?P<v>[\u4e00-\u9fff]{2,4})\s+(?:19|20)\d{2}\s*[-/.年]")

TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")

INFO_MARK = re.compile(r"来源|來源|时间|時間|日期|发布|發布|作者|编辑|編輯|(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}")


def info_zone(page_text: str, title: str | None) -> str:
    """The characters right after the heading, where the date/来源/作者 line sits.

    The title can also occur earlier (breadcrumb, "上一篇" links), so the first occurrence followed by
    something that looks like an info line is taken.
    """
    if title:
        start = 0
        first: int | None = None
        for _ in range(6):
            pos = page_text.find(title, start)
            if pos < 0:
                break
            end = pos + len(title)
            if first is None:
                first = end
            if INFO_MARK.search(page_text[end : end + INFO_ZONE_CHARS]):
                return page_text[end : end + INFO_ZONE_CHARS]
            start = end
        if first is not None:
            return page_text[first : first + INFO_ZONE_CHARS]
    return page_text[:1500]


HEADER_BEFORE_TITLE_CHARS = 1000  # a 发布日期 box or a date widget can sit above the heading

HEADER_MAX_CHARS = 3000

_BODY_PROBE_CHARS = 12


def _body_probe(body: str) -> str:
    """The start of the body's first real line, to find where the body begins in the page text."""
    first_line = next((line for line in body.split("\n") if word_chars(line) >= _BODY_PROBE_CHARS), "")
    return WS.sub(" ", first_line).strip()[:_BODY_PROBE_CHARS]


def header_area(page_text: str, title: str | None, body: str) -> str:
    """The page text from a little above the heading down to where the article body starts.

    Where the body's first line cannot be found in the page text, the area ends INFO_ZONE_CHARS after the
    heading (or at the top 1500 characters when the heading is not found either).
    """
    title_at = page_text.find(title) if title else -1
    start = max(0, title_at - HEADER_BEFORE_TITLE_CHARS) if title_at >= 0 else 0
    probe = _body_probe(body)
    body_at = page_text.find(probe, max(start, title_at)) if probe else -1
    if body_at > start:
        return page_text[max(start, body_at - HEADER_MAX_CHARS) : body_at]
    end = title_at + len(title) + INFO_ZONE_CHARS if title and title_at >= 0 else 1500
    return page_text[start:end]


def cut_at_body(zone: str, body: str) -> str:
    """The info zone ends where the article body starts: a date in the lead sentence is an event's, not the
    page's ("2月27日，调研组一行…")."""
    probe = _body_probe(body)
    at = zone.find(probe) if probe else -1
    return zone[:at] if at > 0 else zone


def first_match(pattern: re.Pattern[str], *texts: str) -> str | None:
    for text in texts:
        m = pattern.search(text)
        if m:
            value = _TRAILING_DATE.sub("", m["v"]).strip()  # "人民日报2024-05-13": the print date is glued on
            if len(value) >= 2:
                return value
    return None
