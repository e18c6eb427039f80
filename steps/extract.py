"""Main text and metadata of one article page: trafilatura plus what it does not know about these portals.

trafilatura finds the main text; this module adds the portal conventions around it:

- the title is the article heading (``<meta name="ArticleTitle">``, ``<h1>``, TRS ``.title``), chosen by
  agreement with ``<title>``, whose ``_站点名`` / `` - 站点名`` suffix is only stripped as a last resort;
- date, 来源, 作者 and 编辑 come from the info line next to the heading, kept apart;
- a stray ``</html>`` or ``</body>`` from a CMS header include makes lxml drop the rest of the page
  (www.gov.cn 国务院公报), so such tags are removed before parsing when they are not at the end;
- when trafilatura still finds too little, the registry's body XPath, then the usual TRS/government
  body containers, are read directly;
- the text then goes through steps/clean.py (pinyin, furniture, spam, editor line), and lines learned
  to recur across the page's site (steps/furniture.py, passed in as ``furniture``) are removed;
- the date: the info zone between heading and body, then the header area (labelled dates, split
  widgets), the URL, htmldate on ``<head>``, and last htmldate on the page without its dated lists
  (steps/dates.py).

trafilatura runs in its balanced mode, without its fallback extractors (``fast``) and without its own
metadata pass, on the body container alone when the registry's body XPath or a TRS/government container
(GENERIC_BODY_XPATHS) holds enough text. Measured on the held-out half of bench/extraction.py
(--repeat 5): body 93/93 and leaks 1/106 either way, bigram F1 0.955 -> 0.990 and 18.3 -> 15.0 CPU ms/page
(plain trafilatura 18.6); tuning half F1 0.982 -> 0.988, 7.0 -> 5.6 ms. Measured on the 45 Chinese pages
of the shared bench (bench/extraction.py): favor_recall finds no more must_contain passages but leaks more
furniture (13 vs 8 of 176), favor_precision leaks less (2) but loses whole notices (159 vs 163 of 164).
The metadata pass (htmldate, and title/author heuristics that pick the site name on these portals) cost
about a third of the time, for values this module finds itself; htmldate runs only when the header and
the URL have no date.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import lxml.html
import trafilatura
from lxml import etree

from steps.blocks import Dropped, drop_link_blocks
from steps.clean import Cleaned, clean_text, is_spam_block, strip_pinyin
from steps.dates import (
    date_in_text,
    find_published_date,
    header_date,
    htmldate_date,
    htmldate_document,
    htmldate_page,
    visible_text,
)
from steps.furniture import remove_furniture

MIN_TEXT_CHARS = 50  # fewer letters/digits than this is not an article
FALLBACK_BELOW_CHARS = 200  # trafilatura output shorter than this sends us to the body XPaths
# A generic body container holds at least this share of the page's letters (on the tuning pages the
# article containers held 20–100 %; the one that hid an article, a teaser box, 3 %).
CONTAINER_MIN_SHARE = 0.1
MOSTLY_SPAM = 0.5
# Undecodable bytes read as text: binary bodies served as text/html come out full of U+FFFD. trafilatura's
# fallback extractors used to reject them; in fast mode the main extractor returns them, so this does.
# Real pages of the bench and the fixtures have none at all.
MAX_REPLACEMENT_SHARE = 0.02  # spam share of the extracted text above which the page is rejected
INFO_ZONE_CHARS = 300  # the date/来源 line sits within this many characters after the heading
MAX_TITLE_CHARS = 150
# Headline lists (with their labels) and link-only lines removed by shape before trafilatura (steps/blocks.py).
# Off until the bench held pages of many sites; with the AEB pages it cut held-out lines not in the truth
# 92 -> 88 of ~1,550 and changed no other held-out measure (bench/extraction.py).
DROP_LINK_BLOCKS = True
# The safety net (issue #25): the project's rules must never lose what the wrapped library finds. When they
# took more than SAFETY_REMOVED_SHARE of the page's letters before trafilatura ran, or the body is short,
# plain trafilatura runs on the untouched page; its text replaces the own one when the own body holds less
# than SAFETY_KEEP_SHARE of its letters (flag fallback_trafilatura). On the 250 pages of bench/extraction.py
# 19 pages (7.6 %) are checked at 0.75 (0.6: 37, 0.9: 10). Replacing below half of plain's letters took one
# held-out page (news.youth.cn: the right 236-letter container against plain's 683 with a teaser list) and
# made the held-out half worse (lines not in truth 2 -> 9 of ~400, F1 0.989 -> 0.955); below a quarter, no
# bench page is replaced, and a rule that took the article leaves far less than that.
SAFETY_REMOVED_SHARE = 0.75
SAFETY_KEEP_SHARE = 0.25
CONTAINER_FIRST = True  # trafilatura on the registry/TRS body container alone when one holds enough text: see below

TRAFILATURA_OPTIONS: dict[str, Any] = {
    # fast: no fallback extractors (readability/justext). On the held-out half of bench/extraction.py it keeps
    # body 93/93 and leaks 1/106 as before, at 18.5 instead of 22.7 CPU ms/page (plain trafilatura: 18.8);
    # the three extra leaks it brought on the tuning half were a breadcrumb split over lines, which
    # clean.join_breadcrumbs now puts back together.
    "fast": True,
    "with_metadata": False,
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "favor_precision": False,
    "favor_recall": False,
    "deduplicate": False,
}
# Containers that TRS and similar government CMSs put the article body in; read when trafilatura finds too little.
GENERIC_BODY_XPATHS = (
    "//div[contains(@class,'TRS_Editor')]",
    "//div[@id='zoom' or @id='Zoom']",
    "//div[contains(@class,'article-content') or contains(@class,'article_content') or @id='article_content']",
    "//div[contains(@class,'pages_content') or @id='UCAP-CONTENT']",
    "//div[@id='content' or @class='content' or @id='text' or @class='text']",
)
CMS_TITLE_XPATH = "//meta[@name='ArticleTitle']/@content"  # TRS and kin: the CMS's own title field
SOCIAL_TITLE_XPATH = "//meta[@property='og:title']/@content"  # written for sharing: often not the heading
TITLE_META_XPATHS = (CMS_TITLE_XPATH, SOCIAL_TITLE_XPATH)
_TITLE_CLASS = (
    "[contains(concat(' ', normalize-space(@class), ' '), ' title ') or @id='title' or @class='tit'"
    " or contains(@class,'article-title') or contains(@class,'article_title')]"
)
HEADING_XPATHS = (
    "//h1",
    # div/p/td/span/h2/h3 with a title class or id, in document order. Spelled as a union of one path per
    # tag with an [@class or @id] pre-filter (the test below cannot hold without one), which selects the same
    # nodes as //*[self::div or …][…] in about half the time: libxml2 evaluates the string functions
    # of the test on far fewer elements.
    "|".join(f"//{tag}[@class or @id]{_TITLE_CLASS}" for tag in ("div", "p", "td", "span", "h2", "h3")),
    "//h2",
    "//h3",
)
_LOWER = "translate(@class,'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz')"
# Any element whose class names a title or heading (bt_title, news_title, Heading, headline) and that is no
# link and holds none: list entries of other articles are links, the article's own heading is not.
LOOSE_HEADING_XPATH = "|".join(
    f"//{tag}[@class][contains({_LOWER},'title') or contains({_LOWER},'heading') or contains({_LOWER},'headline')]"
    "[not(ancestor::a)][not(.//a)]"
    for tag in ("div", "td", "p", "span", "h2", "h3", "strong", "b", "font")
)
ELLIPSIS = re.compile(r"(?:\.{2,}|…+|。{2,})\s*$")
# Children that set a subtitle apart inside <h1>: <h1>主标题<br><span>——副标题</span></h1>.
_SUBTITLE_TAGS = frozenset(("br", "span", "small", "em", "i", "p", "div", "h2", "h3", "sub", "font"))
# Separators between the article title and the site/section names in <title>.
TITLE_SEPARATORS = re.compile(r"\s*(?:_{1,2}|-{1,2}|——|—|–|\||｜)\s*")
SITE_WORDS = re.compile(
    r"(网|網|频道|頻道|门户|門戶|网站|網站|政府|日报|日報|晚报|晚報|新闻|新聞|在线|在線|官网|官網|平台|中心|党建)$"
)

_STRAY_CLOSER = re.compile(r"</\s*(?:html|body)\s*>", re.IGNORECASE)
_CONTENT_TAG = re.compile(r"<(?:div|p|table|td|span|h[1-6]|article|section|ul|li|a|font|center|img)\b", re.IGNORECASE)
_WS = re.compile(r"\s+")
_MARKUP = re.compile(r"</?[a-zA-Z][^>]*>")
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
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
# Anything but a letter or digit of any script: a Russian or Korean article has as many words as a Chinese one.
_NON_WORD_CHARS = re.compile(r"[\W_]+")
ATTACHMENT_HREF = re.compile(r"\.(?:docx?|xlsx?|pdf|wps|et|zip|rar|7z|ofd|txt)(?:[?#]|$)", re.IGNORECASE)
_INFO_MARK = re.compile(r"来源|來源|时间|時間|日期|发布|發布|作者|编辑|編輯|(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}")


# Compiled once: tree.xpath(string) compiles its expression on every call.
_XPATH = {
    xp: etree.XPath(xp)
    for xp in (
        *TITLE_META_XPATHS,
        *HEADING_XPATHS,
        LOOSE_HEADING_XPATH,
        *GENERIC_BODY_XPATHS,
        "//script|//style|//noscript",
        # not //p//a[@href]: libxml2 merges the per-<p> results with a duplicate check that is quadratic in
        # their number (10,000 linked paragraphs: 1.8 s, this spelling 4 ms; same nodes, same order)
        "//a[@href][ancestor::p]",
        ".//p|.//h2|.//h3|.//h4|.//li|.//tr",
        "//title",
        "//body",
    )
}


class ExtractionError(ValueError):
    """No usable article in the page; the message is the reason recorded in the database."""


@dataclass
class Extracted:
    url: str
    title: str | None
    published_at: datetime | None
    source: str | None  # 来源 (an outlet)
    author: str | None  # 作者 (a person)
    editor: str | None  # 责任编辑/编辑
    text: str  # main text, original script, paragraphs joined by "\n", cleaned
    flags: list[str] = field(default_factory=list)


def word_chars(text: str) -> int:
    """How many letters and digits (of any script) ``text`` has, counted by deleting the others: no list of
    one-character matches is built."""
    return len(_NON_WORD_CHARS.sub("", text))


def _squash(text: str) -> str:
    return _WS.sub("", text)


_QUOTES = str.maketrans({c: "'" for c in "‘’‚‛"} | {c: '"' for c in "“”„‟«»"})


def _fold(text: str) -> str:
    """For comparing title candidates: whitespace removed, case and curly quotes folded (og:title often
    carries straight quotes where the heading prints curly ones)."""
    return _squash(text).casefold().translate(_QUOTES)


def repair_stray_closers(html: str) -> tuple[str, bool]:
    """Drop ``</html>``/``</body>`` tags that page content follows; True if there was such a tag.

    lxml stops reading at such a tag, so a CMS header include that closes the document hides the
    article. The closers are optional in HTML, so removing all of them changes nothing else. Analytics
    scripts appended after the final ``</html>`` are common and harmless, so only content tags count.
    """
    for m in _STRAY_CLOSER.finditer(html):
        if _CONTENT_TAG.search(html, m.end()):
            return _STRAY_CLOSER.sub("", html), True
    return html, False


def parse_html(html: str) -> etree._Element:
    """Parse leniently from a str; comments, scripts and styles dropped."""
    try:
        tree = lxml.html.document_fromstring(
            html.encode("utf-8", errors="replace"),
            parser=lxml.html.HTMLParser(encoding="utf-8", remove_comments=True),
        )
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"unparseable HTML: {exc}") from exc
    for bad in _XPATH["//script|//style|//noscript"](tree):
        bad.drop_tree()
    # A notice's "附件：1.某某表" paragraph is a link to the file, and trafilatura drops link-only
    # paragraphs as navigation. Inside a paragraph, such a link is text: keep its words, drop the link.
    for link in _XPATH["//a[@href][ancestor::p]"](tree):
        if ATTACHMENT_HREF.search(link.get("href", "")):
            link.drop_tag()
    return tree


_BLOCK_TAGS = frozenset(
    [
        "div",
        "p",
        "li",
        "ul",
        "ol",
        "td",
        "th",
        "tr",
        "table",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "br",
        "dd",
        "dt",
        "dl",
        "section",
        "article",
        "header",
        "footer",
        "nav",
    ]
)


def block_text(node: etree._Element) -> str:
    """The text of ``node`` with a space wherever a block element ends.

    ``text_content()`` glues neighbouring blocks: ``<div>21</div><div>2024年02月</div>`` reads
    ``212024年02月``, a date no pattern can read back. Inline elements stay glued, as in the browser.
    """
    parts: list[str] = []
    for action, el in etree.iterwalk(node, events=("start", "end")):
        if action == "start":
            if el.text and isinstance(el.tag, str):
                parts.append(el.text)
            continue
        if el.tag in _BLOCK_TAGS:
            parts.append(" ")
        if el.tail and el is not node:
            parts.append(el.tail)
    return "".join(parts)


def _one_line(value: str | None) -> str | None:
    """Whitespace collapsed; markup that some CMSs escape into title attributes removed."""
    if not value:
        return None
    return _WS.sub(" ", _MARKUP.sub("", value)).strip() or None


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
    head = _one_line(node.text)
    if not head and children[0].tag != "br":
        head = _one_line(children[0].text_content())
    full = _one_line(node.text_content()) or ""
    return head if head and 4 <= len(head) < len(full) else None


def _complete(title: str, candidates: list[str]) -> str:
    """A heading cut with "..." replaced by the candidate (og:title, <title>) that it is the start of."""
    if not ELLIPSIS.search(title):
        return title
    stem = _squash(ELLIPSIS.sub("", title))
    for candidate in candidates:
        if len(stem) >= 4 and _squash(candidate).startswith(stem) and len(_squash(candidate)) > len(stem):
            return candidate
    return title


def printed_head(page_title: str, stripped: str, printed: str) -> str:
    """``stripped`` (``<title>`` minus its suffix), or, when the page's text does not print it, the longest
    head of ``<title>`` cut at a separator that the text does print.

    ``中华人民共和国监察法-纪检``: a bare hyphen is often part of a title ("1-10月"), so the suffix rule keeps
    it; the page's own heading settles it. ``printed`` is the body's text with whitespace removed.
    """
    if not printed or _squash(stripped) in printed:
        return stripped
    cuts = [m.start() for m in TITLE_SEPARATORS.finditer(page_title)]
    for cut in reversed(cuts):
        head = page_title[:cut].strip()
        if len(head) >= 4 and len(head) < len(stripped) and _squash(head) in printed:
            return head
    return stripped


def _site_parts(page_title: str, declared: list[str]) -> set[str]:
    """The parts of ``<title>`` after its first that name a column or the site (``文章标题_栏目_站点``), less
    any part the page's title metadata names: ``站点 | 文章标题`` puts the site first, and its
    ``ArticleTitle`` tells which part is the article's."""
    named = {_squash(v) for v in declared}
    return {p for p in map(_squash, title_parts(page_title)[1:]) if p not in named}


def _meta_titles(values: list[str], squashed_page: str, site_parts: set[str]) -> list[str]:
    titles = []
    for value in values:
        title = _one_line(value)
        if title and _squash(title) == squashed_page:  # og:title sometimes repeats <title> with its suffix
            title = strip_title_suffix(title)
        if title and 4 <= len(title) <= MAX_TITLE_CHARS and _squash(title) not in site_parts:
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
        if (best and _fold(best) in complete) or (xp == LOOSE_HEADING_XPATH and (best or first_heading)):
            break  # nothing longer can agree; loose headings only stand in for a missing heading
        for node in _XPATH[xp](tree):
            text = _one_line(node.text_content())
            if not text or not 4 <= len(text) <= MAX_TITLE_CHARS or _squash(text) in site_parts:
                continue
            if _INFO_MARK.match(text):
                continue
            main = _main_line(node) if xp == "//h1" else None
            if squashed_page and _squash(text) == squashed_page:  # a copy of <title> (share widgets), suffix and all
                text = strip_title_suffix(text)
            for candidate in (text, main):
                if candidate and any(_fold(candidate) in agreed for agreed in agree_with):
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
    squashed_page = _squash(page_title or "")
    metas = {xp: [str(v) for v in _XPATH[xp](tree)] for xp in TITLE_META_XPATHS}  # read once
    site_parts = _site_parts(page_title or "", metas[CMS_TITLE_XPATH] + metas[SOCIAL_TITLE_XPATH])
    stripped_page = strip_title_suffix(page_title) if page_title else None
    printed = _squash(page_text)
    unprinted = bool(printed) and stripped_page is not None and _squash(stripped_page) not in printed
    if page_title and stripped_page:
        stripped_page = printed_head(page_title, stripped_page, printed)
    cms = _meta_titles(metas[CMS_TITLE_XPATH], squashed_page, site_parts)
    social = _meta_titles(metas[SOCIAL_TITLE_XPATH], squashed_page, site_parts)
    complete_from = [strip_title_suffix(t) for t in cms + social] + ([stripped_page] if stripped_page else [])
    for meta in cms:
        if not ELLIPSIS.search(meta):
            return meta
    agree_with = [_fold(t) for t in (page_title, *social) if t]
    complete = {_fold(t) for t in complete_from}  # <title> and og:title without their suffixes
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
            if _INFO_MARK.search(page_text[end : end + INFO_ZONE_CHARS]):
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
    return _WS.sub(" ", first_line).strip()[:_BODY_PROBE_CHARS]


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


def _search(pattern: re.Pattern[str], *texts: str) -> str | None:
    for text in texts:
        m = pattern.search(text)
        if m:
            value = _TRAILING_DATE.sub("", m["v"]).strip()  # "人民日报2024-05-13": the print date is glued on
            if len(value) >= 2:
                return value
    return None


def _node_text(node: etree._Element) -> str:
    """Paragraph texts of a container, one per line; its whole text if it has no paragraphs."""
    paragraphs = _XPATH[".//p|.//h2|.//h3|.//h4|.//li|.//tr"](node)
    chunks = [p.text_content() for p in paragraphs] if paragraphs else [node.text_content()]
    return "\n".join(c.strip() for c in chunks if c.strip())


def fallback_text(tree: etree._Element, body_xpath: str | None) -> str:
    """The registry's body XPath if it holds enough text; else the generic container with the most text.

    Generic containers also match metadata tables (信息公开 索引号/发文机关 boxes), so the first match
    is not good enough: the one holding the most text is the article body.
    """
    best = ""
    for xp in ((body_xpath,) if body_xpath else ()) + GENERIC_BODY_XPATHS:
        try:
            nodes = _XPATH[xp](tree) if xp in _XPATH else tree.xpath(xp)
        except etree.XPathError:
            continue
        parts = [str(n).strip() if isinstance(n, str) else _node_text(n) for n in nodes]
        text = "\n".join(p for p in parts if p)
        if xp == body_xpath and word_chars(text) >= MIN_TEXT_CHARS:
            return text
        if word_chars(text) > word_chars(best):
            best = text
    return best


def body_container(tree: etree._Element, body_xpath: str | None, page_chars: int = 0) -> etree._Element | None:
    """The registry's body container, else the first generic TRS/government one, holding enough text.

    A generic match must also hold CONTAINER_MIN_SHARE of the page's ``page_chars`` letters: generic
    names (``#content``, ``.text``) also fit a teaser box or a caption, which would hide the article.
    """
    for xp in ((body_xpath,) if body_xpath else ()) + GENERIC_BODY_XPATHS:
        try:
            nodes = _XPATH[xp](tree) if xp in _XPATH else tree.xpath(xp)
        except etree.XPathError:
            continue
        least = (
            FALLBACK_BELOW_CHARS if xp == body_xpath else max(FALLBACK_BELOW_CHARS, CONTAINER_MIN_SHARE * page_chars)
        )
        for node in nodes:
            if isinstance(node, etree._Element) and word_chars(node.text_content()) >= least:
                return node
    return None


def _container_document(node: etree._Element) -> etree._Element:
    doc = lxml.html.document_fromstring("<html><body></body></html>")
    doc.find("body").append(copy.deepcopy(node))
    return doc


def _trafilatura_text(tree: etree._Element, url: str) -> str:
    doc = trafilatura.bare_extraction(tree, url=url, **TRAFILATURA_OPTIONS)
    return (getattr(doc, "text", None) or "") if doc is not None else ""


def plain_table_rows(text: str) -> str:
    """trafilatura renders tables as markdown rows; the stored text wants their cells, space-separated."""
    lines = []
    for line in text.split("\n"):
        stripped = line.strip()
        if _TABLE_RULE.match(stripped) and "-" in stripped:
            continue
        if stripped.startswith("|") and stripped.endswith("|"):
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", stripped[1:-1])]
            line = " ".join(c for c in cells if c)
            if not line:
                continue
        lines.append(line)
    return "\n".join(lines)


def _drop_title_line(text: str, title: str | None) -> str:
    if not title:
        return text
    lines = text.split("\n")
    target = _squash(title)
    # every copy among the first lines: templates print the heading twice (a title and a "subtitle" box
    # that repeats it), and a copy left there would be taken for the body's start
    head = [line for line in lines[:3] if _squash(line.strip("|")) != target]
    return "\n".join(head + lines[3:])


class _Body(NamedTuple):
    """One candidate main text: as extracted (``text``, searched for 来源/编辑 lines), cleaned, and as stored."""

    text: str
    cleaned: Cleaned
    body: str
    site_lines: list[str]


def _body(text: str, title: str | None, furniture: frozenset[str]) -> _Body:
    """The stored body made of an extracted text: cleaned, tables as cells, heading and site furniture removed.
    ExtractionError when the text is mostly spam."""
    cleaned = clean_text(text)
    if cleaned.spam_ratio > MOSTLY_SPAM:
        raise ExtractionError(f"page is mostly spam ({cleaned.spam_ratio:.0%} of its text)")
    body, site_lines = remove_furniture(_drop_title_line(plain_table_rows(cleaned.text), title), furniture)
    return _Body(text, cleaned, body, site_lines)


def garbled(text: str) -> bool:
    """More than MAX_REPLACEMENT_SHARE of ``text`` is U+FFFD. Binary bodies read as text are garbled all
    over; a page whose source itself carries a few dozen U+FFFD (emoji lost upstream: a 澎湃号 article with 32
    in 1,700 characters) is garbled in its body only, and is an article."""
    return text.count("\ufffd") > MAX_REPLACEMENT_SHARE * len(text)


def needs_safety_check(own_chars: int, page_chars: int, handed_chars: int) -> bool:
    """Whether the project's own result is suspect enough to run plain trafilatura beside it.

    Plain trafilatura costs as much as the whole extraction, so it runs only on evidence that a rule
    over-fired: the own body is short (fewer than FALLBACK_BELOW_CHARS letters: an empty result is the
    lost article of issue #25), or the rules before trafilatura (link blocks removed, the text outside the
    body container) took more than SAFETY_REMOVED_SHARE of the page's letters, leaving trafilatura
    ``handed_chars``. A generic body container is trusted from CONTAINER_MIN_SHARE of the page up, so one
    holding 10–25 % of it is checked: that is where a teaser or summary box passes for the body.
    """
    removed = max(0, page_chars - handed_chars)
    return own_chars < FALLBACK_BELOW_CHARS or removed > SAFETY_REMOVED_SHARE * page_chars


def _plain_body(html: str, url: str, title: str | None, furniture: frozenset[str]) -> _Body | None:
    """trafilatura's text of the untouched page (a fresh parse: no link blocks dropped, no container chosen),
    cleaned as the project's own; None when there is none or it is mostly spam.

    In the project's fast mode, as the own run: with its fallback extractors (readability, justext: plain
    ``trafilatura.extract``'s default) every page without an article, such as an index page, would pay two
    to five times trafilatura's cost, and on the 澎湃号 page of issue #25 fast mode keeps 1,625 of 1,721
    characters."""
    text = _trafilatura_text(parse_html(html), url)
    if not text:
        return None
    try:
        return _body(text, title, furniture)
    except ExtractionError:
        return None


def extract_article(
    html: str,
    url: str,
    *,
    body_xpath: str | None = None,
    title_xpath: str | None = None,
    furniture: frozenset[str] = frozenset(),
) -> Extracted:
    """Title, date, 来源/作者/编辑 and cleaned main text of one article page; ExtractionError if none.

    ``furniture`` holds the keys (steps/furniture.line_key) of lines learned to recur across this page's
    site; such lines are removed from the text.
    """
    if not html or not html.strip():
        raise ExtractionError("empty page")
    flags: list[str] = []
    repaired, had_stray = repair_stray_closers(html)
    if had_stray:
        flags.append("fallback_parse")
    tree = parse_html(repaired)

    titles = _XPATH["//title"](tree)  # some templates carry a second, placeholder <title> ("无标题文档")
    page_title = _one_line(titles[0].text_content()) if titles else None
    title: str | None = None
    if title_xpath:
        try:
            found = tree.xpath(title_xpath)
        except etree.XPathError:
            found = []
        if found:
            title = _one_line(str(found[0]) if isinstance(found[0], str) else found[0].text_content())
    body_nodes = _XPATH["//body"](tree)
    # Whitespace collapsed, so that a heading broken over lines in the markup is still found in the text.
    page_text = _WS.sub(" ", block_text(body_nodes[0] if body_nodes else tree))
    if not title:
        title = find_title(tree, page_title, page_text)
    zone = info_zone(page_text, title)
    tail = page_text[-3000:]

    # trafilatura prunes the tree it is given; the metadata above is read first, the fallback re-parses.
    page_chars = word_chars(page_text)
    dropped = drop_link_blocks(tree) if DROP_LINK_BLOCKS else Dropped(0, 0, 0)
    if dropped.blocks:
        flags.append("link_blocks_removed")
    container = body_container(tree, body_xpath, page_chars) if CONTAINER_FIRST else None
    text = _trafilatura_text(_container_document(container) if container is not None else tree, url)
    if word_chars(text) < FALLBACK_BELOW_CHARS:
        fallback = fallback_text(parse_html(repaired), body_xpath)
        if word_chars(fallback) > word_chars(text):
            text = fallback
            flags.append("fallback_xpath")
    own = _body(text, title, furniture)
    handed = word_chars(container.text_content()) if container is not None else page_chars - dropped.chars
    if needs_safety_check(word_chars(own.body), page_chars, handed):
        plain = _plain_body(repaired, url, title, furniture)
        if plain is not None and word_chars(own.body) < SAFETY_KEEP_SHARE * word_chars(plain.body):
            own = plain
            flags = [f for f in flags if f not in ("link_blocks_removed", "fallback_xpath")]
            flags.append("fallback_trafilatura")
    text, cleaned, body = own.text, own.cleaned, own.body
    if own.site_lines:
        flags.append("site_furniture_removed")
    if word_chars(body) < MIN_TEXT_CHARS or (garbled(body) and garbled(page_text)):
        spam_lines = sum(len(line) for line in page_text.splitlines() if is_spam_block(line.strip()))
        if spam_lines > MOSTLY_SPAM * max(1, page_chars):
            raise ExtractionError("page is mostly spam")
        raise ExtractionError("no main text found")
    flags.extend(f for f in cleaned.flags if f not in flags)
    if "pinyin_stripped" in flags:  # a mirror annotates the heading and the info line too
        title = strip_pinyin(title, force=True)[0] if title else title
        zone = strip_pinyin(zone, force=True)[0]
        tail = strip_pinyin(tail, force=True)[0]
        body = _drop_title_line(body, title)

    # html="" tells find_published_date that ``zone`` is the info zone (a bare date there is the byline's)
    # and keeps htmldate out of it; htmldate then runs here on the page itself, only when nothing else dated it.
    zone_text = cut_at_body(zone, body)
    published = find_published_date(zone_text, url, html="")
    in_header = header_date(header_area(page_text, title, body))
    if in_header and (
        published is None
        or (published.date() == in_header.date() and (published.hour, published.minute, published.second) == (0, 0, 0))
        # a bare day after the heading that is later than the header's labelled one dates something the page
        # links to (关联稿件: a later 图文解读), not the page
        or (in_header < published and date_in_text(visible_text(zone_text)) is None)
    ):
        published = in_header  # the header's 发布日期 with its time of day, rather than the URL's bare day
    published = (
        published
        or htmldate_date(repaired, url)  # the <head> meta tags
        or htmldate_document(repaired, url)  # last resort: the whole page, dated lists removed
    )
    if published is None and (published := htmldate_page(repaired, url)):
        flags.append("date_htmldate")  # the library's answer where the project's guards left none
    if published is None:  # every signal was silent: say so, so that a since/until window can take it on purpose
        flags.append("date_missing")
    return Extracted(
        url=url,
        title=title,
        published_at=published,
        source=_search(SOURCE, zone, text[-300:], tail) or _search(SOURCE_EN, zone),
        author=_search(AUTHOR, zone) or _search(AUTHOR_EN, zone) or _search(BYLINE_NAME, zone),
        # last resort: the strict 责任编辑 label anywhere on the page (templates put it after the body's
        # container, sometimes before a long sidebar that pushes it out of ``tail``)
        editor=cleaned.editor or _search(EDITOR, zone, text[-300:], tail) or _search(STRICT_EDITOR, page_text),
        text=body,
        flags=flags,
    )
