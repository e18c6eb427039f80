"""Main text and metadata of one article page: trafilatura plus what it does not know about these portals.

trafilatura finds the main text; this module adds the portal conventions
around it: the title is the article heading (not the ``<title>`` with its
site-name suffix), the date/来源/作者 come from the info line under the
heading, a stray ``</html>`` from a CMS header include must not hide the
article from the parser, and a registry XPath is the fallback when
trafilatura finds too little. The text is then cleaned (steps/clean.py).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime

import lxml.html
import trafilatura
from lxml import etree

from steps.clean import clean_text
from steps.dates import find_published_date

MIN_TEXT_CHARS = 30  # fewer word characters than this is not an article
FALLBACK_BELOW_CHARS = 150  # trafilatura output shorter than this triggers the fallbacks
MOSTLY_SPAM = 0.5

# Containers that TRS and similar government CMSs put the article body in; used when trafilatura finds too little.
GENERIC_BODY_XPATHS = (
    "//div[contains(@class,'TRS_Editor')]",
    "//div[@id='zoom']",
    "//div[contains(@class,'article-content') or contains(@class,'article_content')]",
    "//div[@id='content' or @class='content']",
)
HEADING_XPATHS = (
    "//meta[@name='ArticleTitle']/@content",
    "//h1",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' title ')][not(self::title)]",
    "//h2",
)
_STRAY_CLOSERS = re.compile(r"</\s*(?:html|body)\s*>", re.IGNORECASE)
_WORD_CHARS = re.compile(r"[\u3400-\u9fffA-Za-z0-9]")
_TITLE_SUFFIX = re.compile(r"\s*(?:[-_|｜—–]+|&nbsp;)\s*[^-_|｜—–]{2,30}$")
# A value runs until whitespace, a separator or the next label: CMS templates often glue
# "<span>来源：X</span><span>作者：Y</span>" together without a space.
_NEXT_LABEL = (
    r"(?=\s|[|｜:：()（）]|作者|记者|記者|编辑|編輯|责任编辑|責任編輯|发布|發布|时间|時間|点击|點擊|浏览|瀏覽|$)"
)
_SOURCE = re.compile(
    r"(?:稿件来源|稿件來源|文章来源|文章來源|来源|來源|出处|出處)\s*[:：]\s*(?P<v>[^\s|｜:：()（）]{2,30}?)"
    + _NEXT_LABEL
)
_AUTHOR = re.compile(r"(?:作者|撰稿|记者|記者)\s*[:：/]\s*(?P<v>[^\s|｜:：()（）]{2,20}?)" + _NEXT_LABEL)
_EDITOR = re.compile(
    r"(?:责任编辑|責任編輯|编辑|編輯|责编|責編)\s*[:：]\s*(?P<v>[^\s|｜:：()（）]{2,20}?)" + _NEXT_LABEL
)
_LABEL_WORDS = ("发布", "發布", "时间", "時間", "日期", "来源", "來源", "作者", "编辑", "編輯", "点击", "浏览")


class ExtractionError(ValueError):
    """No usable article in the page; the message is the reason recorded in the database."""


@dataclass
class Extracted:
    url: str
    title: str | None
    published_at: datetime | None
    source: str | None
    author: str | None
    editor: str | None
    text: str
    flags: list[str] = field(default_factory=list)


def word_chars(text: str) -> int:
    return len(_WORD_CHARS.findall(text))


def parse_html(html: str) -> etree._Element:
    """Parse leniently; closing html/body tags are dropped so a stray early ``</html>`` hides nothing."""
    repaired = _STRAY_CLOSERS.sub("", html)
    try:
        tree = lxml.html.document_fromstring(
            repaired.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
        )
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"unparseable HTML: {exc}") from exc
    for bad in tree.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    return tree


def _clean_title(value: str | None) -> str | None:
    if not value:
        return None
    title = re.sub(r"\s+", " ", value).strip()
    return title or None


def find_title(tree: etree._Element, fallback: str | None) -> str | None:
    """The article heading; the <title> minus its site-name suffix only when there is no heading."""
    page_title = _clean_title(" ".join(tree.xpath("//title//text()")))
    for xp in HEADING_XPATHS:
        for node in tree.xpath(xp):
            text = _clean_title(node if isinstance(node, str) else node.text_content())
            if text and 4 <= len(text) <= 120 and not any(w in text[:6] for w in _LABEL_WORDS):
                return text
    candidate = _clean_title(fallback) or page_title
    if candidate and page_title and candidate == page_title:
        candidate = _TITLE_SUFFIX.sub("", candidate) or candidate
    return candidate


def info_zone(page_text: str, title: str | None) -> str:
    """The few hundred characters after the heading, where the date/来源/作者 line sits."""
    if title:
        pos = page_text.find(title)
        if pos >= 0:
            return page_text[pos + len(title) : pos + len(title) + 300]
    return page_text[:1500]


def _first(pattern: re.Pattern[str], *texts: str) -> str | None:
    for text in texts:
        m = pattern.search(text)
        if m:
            return m["v"].strip()
    return None


def _fallback_text(tree: etree._Element, xpaths: tuple[str, ...]) -> str:
    for xp in xpaths:
        try:
            nodes = tree.xpath(xp)
        except etree.XPathError:
            continue
        parts = []
        for node in nodes:
            if isinstance(node, str):
                parts.append(node)
                continue
            paragraphs = node.xpath(".//p")
            chunks = [p.text_content() for p in paragraphs] if paragraphs else [node.text_content()]
            parts.extend(chunk.strip() for chunk in chunks)
        text = "\n".join(p for p in parts if p.strip())
        if word_chars(text) >= FALLBACK_BELOW_CHARS // 2:
            return text
    return ""


def extract_article(html: str, url: str, *, body_xpath: str | None = None, title_xpath: str | None = None) -> Extracted:
    if not html or not html.strip():
        raise ExtractionError("empty page")
    tree = parse_html(html)
    flags: list[str] = []
    doc = trafilatura.bare_extraction(
        copy.deepcopy(tree),
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        favor_precision=True,
        deduplicate=False,
    )
    text = (getattr(doc, "text", None) or "") if doc is not None else ""
    if word_chars(text) < FALLBACK_BELOW_CHARS:
        xpaths = ((body_xpath,) if body_xpath else ()) + GENERIC_BODY_XPATHS
        fallback = _fallback_text(tree, xpaths)
        if word_chars(fallback) > word_chars(text):
            text = fallback
            flags.append("fallback_xpath")

    title = None
    if title_xpath:
        try:
            found = tree.xpath(title_xpath)
        except etree.XPathError:
            found = []
        if found:
            title = _clean_title(found[0] if isinstance(found[0], str) else found[0].text_content())
    title = title or find_title(tree, getattr(doc, "title", None) if doc is not None else None)

    body_nodes = tree.xpath("//body")
    page_text = body_nodes[0].text_content() if body_nodes else tree.text_content()
    zone = info_zone(page_text, title)
    published = find_published_date(zone, url, html=html)

    cleaned = clean_text(text)
    if cleaned.spam_ratio > MOSTLY_SPAM or (cleaned.spam_ratio and word_chars(cleaned.text) < MIN_TEXT_CHARS):
        raise ExtractionError(f"page is mostly spam ({cleaned.spam_ratio:.0%} of its text)")
    body = cleaned.text
    if title and body.startswith(title):
        body = body[len(title) :].lstrip("\n")
    if word_chars(body) < MIN_TEXT_CHARS:
        raise ExtractionError("no main text found")
    flags.extend(f for f in cleaned.flags if f not in flags)
    tail = page_text[-3000:]
    return Extracted(
        url=url,
        title=title,
        published_at=published,
        source=_first(_SOURCE, zone, text[-300:], tail),
        author=_first(_AUTHOR, zone) or (getattr(doc, "author", None) if doc is not None else None),
        editor=cleaned.editor or _first(_EDITOR, text[-300:], tail),
        text=body,
        flags=flags,
    )
