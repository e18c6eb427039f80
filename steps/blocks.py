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

from lxml import etree

HEADLINE_MIN_CHARS = 6  # shorter link texts are navigation words (首页, 更多), which trafilatura already drops
HEADLINE_MAX_CHARS = 60
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
_ATTACHMENT = re.compile(r"\.(?:docx?|xlsx?|pdf|wps|et|zip|rar|7z|ofd|txt)(?:[?#]|$)", re.IGNORECASE)
_WS = re.compile(r"\s+")

_CONTAINERS = etree.XPath("//ul|//ol|//dl|//table|//div[count(*) >= 3]|//tbody")
_ITEM_TAGS = frozenset(("li", "tr", "dd", "dt", "p", "div"))
_LINKS = etree.XPath(".//a[@href]")
_LEAF_BLOCKS = etree.XPath("//p[.//a[@href]]|//div[.//a[@href]][not(.//div|.//p|.//table|.//ul|.//li)]")
_BLOCK_CHILDREN = etree.XPath(".//p|.//div|.//table|.//ul|.//ol")


def _chars(text: str) -> int:
    return len(_WS.sub("", text))


def _link_chars(node: etree._Element) -> tuple[int, int]:
    """(characters inside non-attachment links, number of such links) under ``node``."""
    chars = links = 0
    for a in _LINKS(node):
        if _ATTACHMENT.search(a.get("href", "")):
            continue
        chars += _chars(a.text_content())
        links += 1
    return chars, links


def _is_headline_item(item: etree._Element) -> bool:
    total = _chars(item.text_content())
    chars, links = _link_chars(item)
    if links != 1 or not total:
        return False
    return HEADLINE_MIN_CHARS <= chars <= HEADLINE_MAX_CHARS and chars / total >= ITEM_LINK_DENSITY


def is_headline_list(node: etree._Element) -> bool:
    """Several sibling items, most of them one headline-long link, little text outside the links."""
    items = [c for c in node if isinstance(c.tag, str) and c.tag in _ITEM_TAGS]
    if len(items) < LIST_MIN_ITEMS:
        return False
    headlines = sum(_is_headline_item(i) for i in items)
    if headlines < LIST_MIN_ITEMS or headlines / len(items) < LIST_ITEM_SHARE:
        return False
    total = _chars(node.text_content())
    return bool(total) and _link_chars(node)[0] / total >= LIST_LINK_DENSITY


def is_menu(node: etree._Element) -> bool:
    """Several links and almost no text outside them, whatever the items look like."""
    total = _chars(node.text_content())
    chars, links = _link_chars(node)
    return links >= MENU_MIN_LINKS and bool(total) and chars / total >= MENU_LINK_DENSITY


def is_link_line(node: etree._Element) -> bool:
    """A short leaf block whose whole text is one link and no sentence: "返回首页，查看更多", a next-article link."""
    if _BLOCK_CHILDREN(node):
        return False
    text = _WS.sub("", node.text_content())
    if not text or len(text) > LINK_LINE_MAX_CHARS or _SENTENCE_END.search(text):
        return False
    chars, links = _link_chars(node)
    return links == 1 and chars == len(text)


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


def drop_link_blocks(tree: etree._Element) -> int:
    """Remove headline lists (with their labels) and link-only lines from ``tree`` in place; how many
    blocks were removed."""
    lists = [n for n in _CONTAINERS(tree) if is_headline_list(n) or is_menu(n)]
    doomed = lists + [label for n in lists if (label := list_label(n)) is not None]
    doomed += [n for n in _LEAF_BLOCKS(tree) if is_link_line(n)]
    marked = set(doomed)
    removed = 0
    for node in doomed:
        if node.getparent() is not None and not any(a in marked for a in node.iterancestors()):
            node.drop_tree()
            removed += 1
    return removed
