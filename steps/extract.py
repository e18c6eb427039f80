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
    WholePageDates,
    date_in_text,
    find_published_date,
    header_date,
    htmldate_date,
    visible_text,
)
from steps.flags import Flag
from steps.furniture import remove_furniture
from steps.html import WS, block_text, node_text, one_line, parse_document, repair_stray_closers, squash, word_chars
from steps.infoline import (
    AUTHOR,
    AUTHOR_EN,
    BYLINE_NAME,
    EDITOR,
    SOURCE,
    SOURCE_EN,
    STRICT_EDITOR,
    TABLE_RULE,
    cut_at_body,
    first_match,
    header_area,
    info_zone,
)
from steps.titles import find_title
from steps.xpaths import GENERIC_BODY_XPATHS, XPATH

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

ATTACHMENT_HREF = re.compile(r"\.(?:docx?|xlsx?|pdf|wps|et|zip|rar|7z|ofd|txt)(?:[?#]|$)", re.IGNORECASE)


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
    flags: list[Flag] = field(default_factory=list)


def parse_html(html: str) -> etree._Element:
    """Parse leniently from a str; comments, scripts and styles dropped."""
    try:
        tree = parse_document(html, remove_comments=True)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"unparseable HTML: {exc}") from exc
    for bad in XPATH["//script|//style|//noscript"](tree):
        bad.drop_tree()
    # A notice's "附件：1.某某表" paragraph is a link to the file, and trafilatura drops link-only
    # paragraphs as navigation. Inside a paragraph, such a link is text: keep its words, drop the link.
    for link in XPATH["//a[@href][ancestor::p]"](tree):
        if ATTACHMENT_HREF.search(link.get("href", "")):
            link.drop_tag()
    return tree


def fallback_text(tree: etree._Element, body_xpath: str | None) -> str:
    """The registry's body XPath if it holds enough text; else the generic container with the most text.

    Generic containers also match metadata tables (信息公开 索引号/发文机关 boxes), so the first match
    is not good enough: the one holding the most text is the article body.
    """
    best = ""
    for xp in ((body_xpath,) if body_xpath else ()) + GENERIC_BODY_XPATHS:
        try:
            nodes = XPATH[xp](tree) if xp in XPATH else tree.xpath(xp)
        except etree.XPathError:
            continue
        parts = [str(n).strip() if isinstance(n, str) else node_text(n) for n in nodes]
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
            nodes = XPATH[xp](tree) if xp in XPATH else tree.xpath(xp)
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
        if TABLE_RULE.match(stripped) and "-" in stripped:
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
    target = squash(title)
    # every copy among the first lines: templates print the heading twice (a title and a "subtitle" box
    # that repeats it), and a copy left there would be taken for the body's start
    head = [line for line in lines[:3] if squash(line.strip("|")) != target]
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


def _given_title(tree: etree._Element, title_xpath: str | None) -> str | None:
    """The registry's title XPath, when it names something on this page."""
    if not title_xpath:
        return None
    try:
        found = tree.xpath(title_xpath)
    except etree.XPathError:
        found = []
    if not found:
        return None
    return one_line(str(found[0]) if isinstance(found[0], str) else found[0].text_content())


class _Page(NamedTuple):
    """What the body is judged against: the page's HTML as parsed, its text and its size."""

    repaired: str
    url: str
    text: str
    chars: int


def _main_body(
    tree: etree._Element, page: _Page, title: str | None, body_xpath: str | None, furniture: frozenset[str]
) -> tuple[_Body, list[Flag]]:
    """The cleaned body and the flags of how it was found: trafilatura on the body container (or the
    pruned page), the body XPaths when that is too little, plain trafilatura when the rules took most."""
    flags: list[Flag] = []
    # trafilatura prunes the tree it is given; the metadata was read first, the fallback re-parses.
    dropped = drop_link_blocks(tree) if DROP_LINK_BLOCKS else Dropped(0, 0, 0)
    if dropped.blocks:
        flags.append("link_blocks_removed")
    container = body_container(tree, body_xpath, page.chars) if CONTAINER_FIRST else None
    text = _trafilatura_text(_container_document(container) if container is not None else tree, page.url)
    if word_chars(text) < FALLBACK_BELOW_CHARS:
        fallback = fallback_text(parse_html(page.repaired), body_xpath)
        if word_chars(fallback) > word_chars(text):
            text = fallback
            flags.append("fallback_xpath")
    own = _body(text, title, furniture)
    handed = word_chars(container.text_content()) if container is not None else page.chars - dropped.chars
    if needs_safety_check(word_chars(own.body), page.chars, handed):
        plain = _plain_body(page.repaired, page.url, title, furniture)
        if plain is not None and word_chars(own.body) < SAFETY_KEEP_SHARE * word_chars(plain.body):
            own = plain
            flags = [f for f in flags if f not in ("link_blocks_removed", "fallback_xpath")]
            flags.append("fallback_trafilatura")
    if own.site_lines:
        flags.append("site_furniture_removed")
    return own, flags


def _refuse_empty(body: str, page: _Page) -> None:
    if word_chars(body) < MIN_TEXT_CHARS or (garbled(body) and garbled(page.text)):
        spam_lines = sum(len(line) for line in page.text.splitlines() if is_spam_block(line.strip()))
        if spam_lines > MOSTLY_SPAM * max(1, page.chars):
            raise ExtractionError("page is mostly spam")
        raise ExtractionError("no main text found")


def _published(zone: str, body: str, title: str | None, page: _Page, flags: list[Flag]) -> datetime | None:
    """The date, from every signal before giving up (the order is argued in steps/dates.py)."""
    # html="" tells find_published_date that ``zone`` is the info zone (a bare date there is the byline's)
    # and keeps htmldate out of it; htmldate then runs here on the page itself, only when nothing else dated it.
    zone_text = cut_at_body(zone, body)
    published = find_published_date(zone_text, page.url, html="")
    in_header = header_date(header_area(page.text, title, body))
    if in_header and (
        published is None
        or (published.date() == in_header.date() and (published.hour, published.minute, published.second) == (0, 0, 0))
        # a bare day after the heading that is later than the header's labelled one dates something the page
        # links to (关联稿件: a later 图文解读), not the page
        or (in_header < published and date_in_text(visible_text(zone_text)) is None)
    ):
        published = in_header  # the header's 发布日期 with its time of day, rather than the URL's bare day
    whole = WholePageDates(page.repaired, page.url)
    published = (
        published
        or htmldate_date(page.repaired, page.url)  # the <head> meta tags
        or whole.document()  # last resort: the whole page, dated lists removed
    )
    if published is None and (published := whole.page()):
        flags.append("date_htmldate")  # the library's answer where the project's guards left none
    if published is None:  # every signal was silent: say so, so that a since/until window can take it on purpose
        flags.append("date_missing")
    return published


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
    repaired, had_stray = repair_stray_closers(html)
    flags: list[Flag] = ["fallback_parse"] if had_stray else []
    tree = parse_html(repaired)

    titles = XPATH["//title"](tree)  # some templates carry a second, placeholder <title> ("无标题文档")
    page_title = one_line(titles[0].text_content()) if titles else None
    body_nodes = XPATH["//body"](tree)
    # Whitespace collapsed, so that a heading broken over lines in the markup is still found in the text.
    page_text = WS.sub(" ", block_text(body_nodes[0] if body_nodes else tree))
    page = _Page(repaired, url, page_text, word_chars(page_text))
    title = _given_title(tree, title_xpath) or find_title(tree, page_title, page_text)
    zone = info_zone(page_text, title)
    tail = page_text[-3000:]

    own, found_by = _main_body(tree, page, title, body_xpath, furniture)
    flags += found_by
    text, cleaned, body = own.text, own.cleaned, own.body
    _refuse_empty(body, page)
    flags.extend(f for f in cleaned.flags if f not in flags)
    if "pinyin_stripped" in flags:  # a mirror annotates the heading and the info line too
        title = strip_pinyin(title, force=True)[0] if title else title
        zone = strip_pinyin(zone, force=True)[0]
        tail = strip_pinyin(tail, force=True)[0]
        body = _drop_title_line(body, title)
    return Extracted(
        url=url,
        title=title,
        published_at=_published(zone, body, title, page, flags),
        source=first_match(SOURCE, zone, text[-300:], tail) or first_match(SOURCE_EN, zone),
        author=first_match(AUTHOR, zone) or first_match(AUTHOR_EN, zone) or first_match(BYLINE_NAME, zone),
        # last resort: the strict 责任编辑 label anywhere on the page (templates put it after the body's
        # container, sometimes before a long sidebar that pushes it out of ``tail``)
        editor=cleaned.editor or first_match(EDITOR, zone, text[-300:], tail) or first_match(STRICT_EDITOR, page_text),
        text=body,
        flags=flags,
    )
