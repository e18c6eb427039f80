"""Generic block rules for one page: remove headline lists and link-only lines before main-text extraction.

No phrase lists: what a related-news / recommendation / ranking list ("相关新闻", "热点推荐", "新闻排行" or
unlabelled) looks like is its *shape*: several sibling items, each one link whose text is headline-long,
and almost no text outside the links. A call to action ("返回首页，查看更多") or a link to another article
under the body is a block whose whole text is one short link. Article paragraphs have text outside links
and sentence punctuation, so neither shape matches them; attachment links (附件 .pdf/.doc) never count.

The rules work on the parsed tree handed to trafilatura, which on Chinese portals keeps such lists when
they sit inside the article's container.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from lxml import etree

from steps.clean import SPAM_HINT, is_spam_block

HEADLINE_MIN_CHARS = 6  # shorter link texts are navigation words (首页, 更多), which trafilatura already drops
HEADLINE_MAX_CHARS = 120  # English headlines run to 100 characters (the bench's AEB pages); Chinese ones to ~60
LIST_MIN_ITEMS = 3
LIST_ITEM_SHARE = 0.75  # share of a list's items that must be one headline link
ITEM_LINK_DENSITY = 0.7  # link characters / item characters for a headline item (the rest: a date, a bullet)
LIST_LINK_DENSITY = 0.6  # link characters / list characters
LINK_LINE_MAX_CHARS = 40
# A menu: links and almost nothing else (dividers, a group header, submenus break the one-headline-per-item
# shape of a headline list, but not this).
MENU_MIN_LINKS = 5
MENU_LINK_DENSITY = 0.95
LABEL_MAX_CHARS = 12  # a list's heading (相关新闻, 热门排行, Related stories): a few words, no sentence
_SENTENCE_END = re.compile(r"[。！？!?；;]")
_NOT_LETTER = re.compile(r"[\W\d_]+")
_ATTACHMENT = re.compile(r"\.(?:docx?|xlsx?|pdf|wps|et|zip|rar|7z|ofd|txt)(?:[?#]|$)", re.IGNORECASE)

_LIST_TAGS = frozenset(("ul", "ol", "dl", "table", "tbody"))
_ITEM_TAGS = frozenset(("li", "tr", "dd", "dt", "p", "div", "article", "section"))  # <article> teasers too
_BLOCK_TAGS = frozenset(("p", "div", "table", "ul", "ol", "li"))
_BLOCK_CHILDREN = etree.XPath(".//p|.//div|.//table|.//ul|.//ol")


def _chars(text: str | None) -> int:
    """Letters, of any script: the dates, bullets and brackets around a list entry's link ("09-03-06·",
    "[05-23]") are no text outside it, and counting them put short dated headlines below the link density."""
    if not text or text.isspace():  # most text nodes are indentation: skip the regex
        return 0
    return len(_NOT_LETTER.sub("", text))


class Counts(NamedTuple):
    """What the rules read of one element: letters (``_chars``) of its whole text, those inside
    its non-attachment links, how many such links, and whether a block element is among its descendants."""

    chars: int
    link_chars: int
    links: int
    has_blocks: bool


def count_tree(root: etree._Element) -> dict[etree._Element, Counts]:
    """Counts of every element under ``root`` (itself included), in one pass from the leaves up: reading
    each candidate's text_content() and links again cost more than trafilatura's own pass on big pages."""
    counts: dict[etree._Element, Counts] = {}
    for el in reversed(list(root.iter())):
        if not isinstance(el.tag, str):
            continue
        chars, link_chars, links, has_blocks = _chars(el.text), 0, 0, False
        for child in el:
            if isinstance(child.tag, str):
                c = counts[child]
                chars += c.chars
                link_chars += c.link_chars
                links += c.links
                has_blocks = has_blocks or c.has_blocks or child.tag in _BLOCK_TAGS
            chars += _chars(child.tail)
        href = el.get("href") if el.tag == "a" else None
        if href is not None and not _ATTACHMENT.search(href):
            link_chars, links = chars, 1
        counts[el] = Counts(chars, link_chars, links, has_blocks)
    return counts


def _is_headline_item(c: Counts) -> bool:
    if c.links != 1 or not c.chars:
        return False
    return HEADLINE_MIN_CHARS <= c.link_chars <= HEADLINE_MAX_CHARS and c.link_chars / c.chars >= ITEM_LINK_DENSITY


def is_headline_list(node: etree._Element, counts: dict[etree._Element, Counts] | None = None) -> bool:
    """Several sibling items, most of them one headline-long link, little text outside the links."""
    counts = counts if counts is not None else count_tree(node)
    items = [counts[c] for c in node if isinstance(c.tag, str) and c.tag in _ITEM_TAGS]
    if len(items) < LIST_MIN_ITEMS:
        return False
    headlines = sum(_is_headline_item(i) for i in items)
    if headlines < LIST_MIN_ITEMS or headlines / len(items) < LIST_ITEM_SHARE:
        return False
    total = counts[node]
    return bool(total.chars) and total.link_chars / total.chars >= LIST_LINK_DENSITY


def is_menu(node: etree._Element, counts: dict[etree._Element, Counts] | None = None) -> bool:
    """Several links and almost no text outside them, whatever the items look like."""
    c = (counts if counts is not None else count_tree(node))[node]
    return c.links >= MENU_MIN_LINKS and bool(c.chars) and c.link_chars / c.chars >= MENU_LINK_DENSITY


def is_link_line(node: etree._Element, counts: dict[etree._Element, Counts] | None = None) -> bool:
    """A short leaf block whose whole text is one link and no sentence: "返回首页，查看更多", a next-article link."""
    c = (counts if counts is not None else count_tree(node))[node]
    if c.has_blocks or not c.chars or c.chars > LINK_LINE_MAX_CHARS or c.links != 1 or c.link_chars != c.chars:
        return False
    return not _SENTENCE_END.search(node.text_content())


def list_label(node: etree._Element) -> etree._Element | None:
    """The heading a headline list hangs under: its nearest earlier sibling with text, when that is a few
    words and no sentence. Left behind, the label of a removed list would read as a line of the article."""
    label = node.getprevious()
    while label is not None and not _chars(label.text_content()):
        label = label.getprevious()
    if label is None or not isinstance(label.tag, str) or _BLOCK_CHILDREN(label):
        return None
    text = label.text_content()
    return label if _chars(text) <= LABEL_MAX_CHARS and not _SENTENCE_END.search(text) else None


def _is_list(el: etree._Element) -> bool:
    if el.tag in _LIST_TAGS:
        return True
    return el.tag == "div" and sum(isinstance(c.tag, str) for c in el) >= LIST_MIN_ITEMS


_INLINE_TAGS = frozenset(("a", "b", "strong", "font", "span", "em", "i"))


def headline_runs(node: etree._Element, counts: dict[etree._Element, Counts]) -> list[etree._Element]:
    """Headline links that follow one another as lines of ``node`` (``<a>…</a><br><b><a>…</a></b><br>``),
    LIST_MIN_ITEMS or more in a run: a related-news list without list markup, as older CMSs print one at
    the foot of the body. Between them only ``<br>`` and no letters: a link with text around it is part of
    a sentence."""
    found: list[etree._Element] = []
    run: list[etree._Element] = []
    for child in node:
        if not isinstance(child.tag, str):
            continue
        c = counts[child]
        if child.tag in _INLINE_TAGS and _is_headline_item(c) and c.link_chars == c.chars:
            run.append(child)
        elif child.tag != "br":
            run = []
        if _chars(child.tail):
            run = []
        elif len(run) == LIST_MIN_ITEMS and run[-1] is child:
            found.extend(run)
        elif len(run) > LIST_MIN_ITEMS and run[-1] is child:
            found.append(child)
    if found and SPAM_HINT.search(node.text_content()) and is_spam_block(" | ".join(a.text_content() for a in found)):
        return []  # injected spam links (see drop_link_blocks)
    return found


def _is_spam_links(node: etree._Element) -> bool:
    return bool(SPAM_HINT.search(node.text_content())) and is_spam_block(" | ".join(node.itertext()))


class Dropped(NamedTuple):
    """What drop_link_blocks removed: how many blocks, their letters (``_chars``), and the letters the tree
    held before. The letters tell the safety net in steps/extract.py how much of the page the rules took."""

    blocks: int
    chars: int
    page_chars: int


def drop_link_blocks(tree: etree._Element) -> Dropped:
    """Remove headline lists and menus (with their labels) and link-only lines from ``tree`` in place."""
    counts = count_tree(tree)
    lists = [el for el in counts if _is_list(el) and (is_headline_list(el, counts) or is_menu(el, counts))]
    doomed = lists + [label for n in lists if (label := list_label(n)) is not None]
    leaves = (el for el in counts if el.tag in ("p", "div") and counts[el].links)
    doomed += [el for el in leaves if is_link_line(el, counts)]
    lined = (el for el in counts if el.tag in ("p", "div", "td") and counts[el].links >= LIST_MIN_ITEMS)
    doomed += [link for el in lined for link in headline_runs(el, counts)]
    # An injected block of spam links (hacked pages) is left to clean_text, which removes it and flags the
    # page "spam_removed": the flag is how a hacked mirror is noticed, and counting letters made such
    # "a | b | c" blocks menus.
    doomed = [el for el in doomed if not _is_spam_links(el)]
    marked = set(doomed)
    removed = chars = 0
    for node in doomed:
        if node.getparent() is not None and not any(a in marked for a in node.iterancestors()):
            chars += counts[node].chars  # drop_tree keeps the tail: the element goes, its tail stays
            node.drop_tree()
            removed += 1
    return Dropped(removed, chars, counts[tree].chars)
