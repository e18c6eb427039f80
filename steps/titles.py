"""The article's title: the heading that agrees with ``<title>``, the CMS's own title field, the page title
without its site suffix as the last resort."""

from __future__ import annotations

import re
from typing import NamedTuple

from lxml import etree

from steps.html import fold, one_line, squash
from steps.infoline import INFO_MARK
from steps.xpaths import (
    CMS_TITLE_XPATH,
    HEADING_XPATHS,
    LOOSE_HEADING_XPATH,
    SOCIAL_TITLE_XPATH,
    TITLE_META_XPATHS,
    XPATH,
)

MAX_TITLE_CHARS = 150

ELLIPSIS = re.compile(r"(?:\.{2,}|…+|。{2,})\s*$")

# Children that set a subtitle apart inside <h1>: <h1>主标题<br><span>——副标题</span></h1>.
_SUBTITLE_TAGS = frozenset(("br", "span", "small", "em", "i", "p", "div", "h2", "h3", "sub", "font"))

# Separators between the article title and the site/section names in <title>.
TITLE_SEPARATORS = re.compile(r"\s*(?:_{1,2}|-{1,2}|——|—|–|\||｜)\s*")

SITE_WORDS = re.compile(
    r"(网|網|频道|頻道|门户|門戶|网站|網站|政府|日报|日報|晚报|晚報|新闻|新聞|在线|在線|官网|官網|平台|中心|党建)$"
)


def title_parts(page_title: str) -> list[str]:
    return [p for p in TITLE_SEPARATORS.split(page_title) if p]


def strip_title_suffix(page_title: str) -> str:
    """``文章标题_站点名`` / ``文章标题 - 栏目 - 站点名`` → ``文章标题``.

    Trailing parts are removed while they look like a site or section name (end in 网/频道/政府 …) or are
    shorter than what remains; a title that itself contains ``｜`` or ``-`` keeps its longer head.
    """
    title = page_title.strip()
    for _ in range(4):
        seps = list(TITLE_SEPARATORS.finditer(title))
        if not seps:
            break
        last = seps[-1]
        head, tail = title[: last.start()].strip(), title[last.end() :].strip()
        if not head:
            break
        ambiguous = last[0] == "-"  # "1-10月": a bare hyphen is often part of the title; "--", " - ", "_" are not
        if not tail or SITE_WORDS.search(tail) or (len(tail) <= 30 and len(tail) < len(head) and not ambiguous):
            title = head
            continue
        break
    return title


def _main_line(node: etree._Element) -> str | None:
    """The heading's own first line when a child (``<br>``, ``<span>`` …) sets a subtitle apart, else None."""
    children = [c for c in node if isinstance(c.tag, str)]
    if not children or not any(c.tag in _SUBTITLE_TAGS for c in children):
        return None
    head = one_line(node.text)
    if not head and children[0].tag != "br":
        head = one_line(children[0].text_content())
    full = one_line(node.text_content()) or ""
    return head if head and 4 <= len(head) < len(full) else None


def _complete(title: str, candidates: list[str]) -> str:
    """A heading cut with "..." replaced by the candidate (og:title, <title>) that it is the start of."""
    if not ELLIPSIS.search(title):
        return title
    stem = squash(ELLIPSIS.sub("", title))
    for candidate in candidates:
        if len(stem) >= 4 and squash(candidate).startswith(stem) and len(squash(candidate)) > len(stem):
            return candidate
    return title


def printed_head(page_title: str, stripped: str, printed: str) -> str:
    """``stripped`` (``<title>`` minus its suffix), or, when the page's text does not print it, the longest
    head of ``<title>`` cut at a separator that the text does print.

    ``中华人民共和国监察法-纪检``: a bare hyphen is often part of a title ("1-10月"), so the suffix rule keeps
    it; the page's own heading settles it. ``printed`` is the body's text with whitespace removed.
    """
    if not printed or squash(stripped) in printed:
        return stripped
    cuts = [m.start() for m in TITLE_SEPARATORS.finditer(page_title)]
    for cut in reversed(cuts):
        head = page_title[:cut].strip()
        if len(head) >= 4 and len(head) < len(stripped) and squash(head) in printed:
            return head
    return stripped


def _site_parts(page_title: str, declared: list[str]) -> set[str]:
    """The parts of ``<title>`` after its first that name a column or the site (``文章标题_栏目_站点``), less
    any part the page's title metadata names: ``站点 | 文章标题`` puts the site first, and its
    ``ArticleTitle`` tells which part is the article's."""
    named = {squash(v) for v in declared}
    return {p for p in map(squash, title_parts(page_title)[1:]) if p not in named}


def _meta_titles(values: list[str], squashed_page: str, site_parts: set[str]) -> list[str]:
    titles = []
    for value in values:
        title = one_line(value)
        if title and squash(title) == squashed_page:  # og:title sometimes repeats <title> with its suffix
            title = strip_title_suffix(title)
        if title and 4 <= len(title) <= MAX_TITLE_CHARS and squash(title) not in site_parts:
            titles.append(title)
    return titles


class _Headings(NamedTuple):
    agreeing: str | None  # the longest heading that <title> or og:title contains
    first_h1: str | None  # else the first <h1> that names no site
    first_loose: str | None  # else the first title-class element that is no link


def _headings(
    tree: etree._Element, squashed_page: str, site_parts: set[str], agree_with: list[str], complete: set[str]
) -> _Headings:
    """The page's heading candidates, in document order of each kind (``<h1>``, title classes, ``<h2>``,
    ``<h3>``, loose title classes); the search stops once nothing better can be found."""
    best: str | None = None
    first_heading: str | None = None
    first_loose: str | None = None
    for xp in (*HEADING_XPATHS, LOOSE_HEADING_XPATH):
        if (best and fold(best) in complete) or (xp == LOOSE_HEADING_XPATH and (best or first_heading)):
            break  # nothing longer can agree; loose headings only stand in for a missing heading
        for node in XPATH[xp](tree):
            text = one_line(node.text_content())
            if not text or not 4 <= len(text) <= MAX_TITLE_CHARS or squash(text) in site_parts:
                continue
            if INFO_MARK.match(text):
                continue
            main = _main_line(node) if xp == "//h1" else None
            if squashed_page and squash(text) == squashed_page:  # a copy of <title> (share widgets), suffix and all
                text = strip_title_suffix(text)
            for candidate in (text, main):
                if candidate and any(fold(candidate) in agreed for agreed in agree_with):
                    if best is None or len(candidate) > len(best):
                        best = candidate
                    break
            else:
                if SITE_WORDS.search(text):
                    continue
                if first_heading is None and xp == "//h1":
                    first_heading = text
                elif first_loose is None and xp == LOOSE_HEADING_XPATH:
                    first_loose = text
    return _Headings(best, first_heading, first_loose)


def find_title(tree: etree._Element, page_title: str | None, page_text: str = "") -> str | None:
    """The article heading, complete and without its subtitle.

    The CMS's title field (``ArticleTitle``) wins; then a heading that appears in ``<title>`` or og:title
    (the longest such, never a part of ``<title>`` that is the site name, such as an ``<h1>`` logo; for an
    ``<h1>`` with a subtitle, its first line); then the first ``<h1>``; only then og:title, which is written
    for sharing and often differs from what the page prints (AEB pages: og:title before the ``<h1>`` got
    81/90 held-out titles, after it 85/90); then the first element whose class names a title and which is
    no link; then ``<title>`` minus suffix. A heading cut with "..." is completed from og:title or
    ``<title>``.

    ``page_text`` (the body's text) is evidence about ``<title>``: a ``<title>`` the page never prints is no
    article heading (科普中国-辟谣文章 names the site and the column), so a title-class element is preferred
    to it, as to a ``<title>`` that names a site; and of an ambiguous ``<title>``, the head the page
    prints is taken (printed_head).
    """
    squashed_page = squash(page_title or "")
    metas = {xp: [str(v) for v in XPATH[xp](tree)] for xp in TITLE_META_XPATHS}  # read once
    site_parts = _site_parts(page_title or "", metas[CMS_TITLE_XPATH] + metas[SOCIAL_TITLE_XPATH])
    stripped_page = strip_title_suffix(page_title) if page_title else None
    printed = squash(page_text)
    unprinted = bool(printed) and stripped_page is not None and squash(stripped_page) not in printed
    if page_title and stripped_page:
        stripped_page = printed_head(page_title, stripped_page, printed)
    cms = _meta_titles(metas[CMS_TITLE_XPATH], squashed_page, site_parts)
    social = _meta_titles(metas[SOCIAL_TITLE_XPATH], squashed_page, site_parts)
    complete_from = [strip_title_suffix(t) for t in cms + social] + ([stripped_page] if stripped_page else [])
    for meta in cms:
        if not ELLIPSIS.search(meta):
            return meta
    agree_with = [fold(t) for t in (page_title, *social) if t]
    complete = {fold(t) for t in complete_from}  # <title> and og:title without their suffixes
    best, first_heading, first_loose = _headings(tree, squashed_page, site_parts, agree_with, complete)
    printed_heading = best or first_heading
    if printed_heading:
        return _complete(printed_heading, complete_from)
    for meta in social:
        if not ELLIPSIS.search(meta):
            return meta
    site_like = stripped_page is None or bool(SITE_WORDS.search(stripped_page)) or unprinted
    chosen = (first_loose if site_like else None) or stripped_page
    return _complete(chosen, complete_from) if chosen else None
