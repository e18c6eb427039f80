"""The parsed tree and its text: parsing a portal page safely (stray closers), block text, character counts."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from steps.xpaths import XPATH

_STRAY_CLOSER = re.compile(r"</\s*(?:html|body)\s*>", re.IGNORECASE)

_CONTENT_TAG = re.compile(r"<(?:div|p|table|td|span|h[1-6]|article|section|ul|li|a|font|center|img)\b", re.IGNORECASE)

WS = re.compile(r"\s+")

_MARKUP = re.compile(r"</?[a-zA-Z][^>]*>")

# Anything but a letter or digit of any script: a Russian or Korean article has as many words as a Chinese one.
_NON_WORD_CHARS = re.compile(r"[\W_]+")


def word_chars(text: str) -> int:
    """How many letters and digits (of any script) ``text`` has, counted by deleting the others: no list of
    one-character matches is built."""
    return len(_NON_WORD_CHARS.sub("", text))


def squash(text: str) -> str:
    return WS.sub("", text)


_QUOTES = str.maketrans({c: "'" for c in "‘’‚‛"} | {c: '"' for c in "“”„‟«»"})


def fold(text: str) -> str:
    """For comparing title candidates: whitespace removed, case and curly quotes folded (og:title often
    carries straight quotes where the heading prints curly ones)."""
    return squash(text).casefold().translate(_QUOTES)


def parse_document(html: str, *, remove_comments: bool = False) -> etree._Element:
    """The tree of a decoded page. Its bytes are handed to lxml as UTF-8, said so explicitly: left to itself,
    lxml believes the page's own ``<meta charset=gbk>`` and reads the UTF-8 bytes as GBK (mojibake)."""
    return lxml.html.document_fromstring(
        html.encode("utf-8", errors="replace"),
        parser=lxml.html.HTMLParser(encoding="utf-8", remove_comments=remove_comments),
    )


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


def one_line(value: str | None) -> str | None:
    """Whitespace collapsed; markup that some CMSs escape into title attributes removed."""
    if not value:
        return None
    return WS.sub(" ", _MARKUP.sub("", value)).strip() or None


def node_text(node: etree._Element) -> str:
    """Paragraph texts of a container, one per line; its whole text if it has no paragraphs."""
    paragraphs = XPATH[".//p|.//h2|.//h3|.//h4|.//li|.//tr"](node)
    chunks = [p.text_content() for p in paragraphs] if paragraphs else [node.text_content()]
    return "\n".join(c.strip() for c in chunks if c.strip())
