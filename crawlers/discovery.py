"""Discovery, as plain functions over responses and URLs: where a column's article links, dates and
further list pages are, whether a link is an attachment, how a multi-page article continues.

The spider (crawlers/spiders/portal.py) decides what to request from these answers; keeping them free of
spider state means they can be tested on responses built in the test, and reused by anything else that
has to read a column (a probe of a new portal).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy.http import TextResponse

from steps.chinatime import CHINA_TZ

# TRS pagination script: createPageHTML(pageCount, currentPage, "index", "html")
CREATE_PAGE_HTML = re.compile(r"createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*[\"']([\w-]+)[\"']\s*,\s*[\"'](\w+)[\"']")
# A quoted absolute, protocol-relative or root-relative URL inside a script.
_QUOTED_URL = re.compile(r"""["']((?:https?:)?//[^"'\s<>]{4,500}|/[^"'\s<>/][^"'\s<>]{2,500})["']""")
_ENTRY_DATE = re.compile(r"((?:19|20)\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})")
# Non-HTML resources an article link may lead to: recorded as attachments, their bodies not downloaded.
ATTACHMENT_SUFFIXES = (
    ".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".ppt", ".pptx", ".odt", ".ods",
    ".zip", ".rar", ".7z", ".gz", ".tar",
    ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp",
    ".mp3", ".mp4", ".avi", ".flv", ".wmv", ".mov",
)  # fmt: skip
_HTML_TYPES = ("application/xhtml+xml",)
_HTML_SUFFIX = re.compile(r"\.s?html?$")
_STEM = re.compile(r"/([^/]+)\.s?html?$")
_PART = re.compile(r"_(\d+)\.s?html?$")
# Decorations around pagination anchor texts: "[下一页]", "下一页 >", "【尾页】".
_LABEL_JUNK = str.maketrans("", "", " \t\r\n\u3000\xa0[]【】<>《》«»‹›()（）|>＞")
MAX_PARTS = 50  # continuation pages of one article
MAX_COLUMN_PAGES = 1000  # pages of one column read from its createPageHTML call


def is_attachment(url: str, content_type: str) -> bool:
    """A non-HTML resource (PDF, image, office document, archive…), by URL suffix or Content-Type."""
    path = urlsplit(url).path.lower()
    if path.endswith(ATTACHMENT_SUFFIXES):
        return True
    mime = content_type.split(";", 1)[0].strip().lower()
    if not mime or mime.startswith("text/") or mime in _HTML_TYPES:
        return False
    # Misconfigured servers send HTML pages as octet-stream; the URL still says what it is.
    return not (mime == "application/octet-stream" and _HTML_SUFFIX.search(path))


def label(text: str) -> str:
    """A pagination label without spaces and decorations: "[下一页]" / "下一页 >" → "下一页"."""
    return text.translate(_LABEL_JUNK)


def anchor_label(anchor: Any) -> str:
    """The anchor's text (or title) as a pagination label (see label())."""
    return label("".join(anchor.xpath(".//text()").getall()) or anchor.attrib.get("title", ""))


def entry_date(anchor: Any) -> date | None:
    """The date printed beside a list entry: in the anchor's list item or table row."""
    text = " ".join(anchor.xpath("./ancestor::li[1]//text() | ./ancestor::tr[1]//text()").getall())
    m = _ENTRY_DATE.search(text)
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def feed_day(value: str | None) -> date | None:
    """The China-time day of an RSS (RFC 822) or Atom/sitemap (ISO 8601) timestamp."""
    value = (value or "").strip()
    if not value:
        return None
    stamp: datetime | None
    try:
        stamp = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        stamp = None
    if stamp is None:
        try:
            stamp = datetime.fromisoformat(value)
        except ValueError:
            m = _ENTRY_DATE.search(value)
            try:
                return date(int(m[1]), int(m[2]), int(m[3])) if m else None
            except ValueError:
                return None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(CHINA_TZ)
    return stamp.date()


def column_pages(response: TextResponse) -> list[str]:
    """All pages of a TRS column, read from its createPageHTML(count, current, prefix, ext) call."""
    m = CREATE_PAGE_HTML.search(response.text)
    if not m:
        return []
    count, prefix, ext = int(m[1]), m[3], m[4]
    return [
        urljoin(response.url, f"{prefix}.{ext}" if i == 0 else f"{prefix}_{i}.{ext}")
        for i in range(min(count, MAX_COLUMN_PAGES))
    ]


def script_urls(response: TextResponse) -> Iterator[str]:
    """URLs quoted inside inline scripts, as some columns render their lists from a JS array
    (12371.cn: ``item=[{title: …, link_add: 'https://www.12371.cn/2024/…/ARTI….shtml'}]``)."""
    for script in response.xpath("//script[not(@src)]/text()").getall():
        for m in _QUOTED_URL.finditer(script):
            try:
                yield response.urljoin(m[1])
            except ValueError:
                continue


def page_stem(url: str) -> str | None:
    """``…/202405/t20240501_123.html`` → ``t20240501_123`` (the prefix of its continuation pages)."""
    m = _STEM.search(urlsplit(url).path)
    return m[1] if m else None


def part_number(url: str) -> int:
    """``…/t20240501_123_2.html`` → 2; 0 for a page without a part suffix."""
    m = _PART.search(urlsplit(url).path)
    return int(m[1]) if m else 0


def continuations(response: TextResponse, stem: str) -> list[str]:
    """Continuation pages of a TRS article: its createPageHTML(count, current, "t…_123", ext) call, and
    links (下一页, 2, 3 …) to the same stem with _N in the same folder."""
    found: list[str] = []
    # Cheap test on the raw bytes first: most articles are one page, and parsing every article's DOM
    # and resolving its hundred nav links only to find no continuation cost more than the crawl itself
    # (bench/pipeline.py). Both markers are ASCII, so the bytes test holds in GBK pages too.
    marker = stem.encode("ascii", "ignore")
    body = response.body
    if marker + b"_" not in body and not (b"createPageHTML" in body and marker in body):
        return found
    for m in CREATE_PAGE_HTML.finditer(response.text):
        count, prefix, ext = int(m[1]), m[3], m[4]
        if prefix == stem:
            found += [urljoin(response.url, f"{stem}_{i}.{ext}") for i in range(1, min(count, MAX_PARTS + 1))]
    part = re.compile(rf"/{re.escape(stem)}_(\d+)\.s?html?$")
    folder = response.url.rsplit("/", 1)[0]
    for href in response.xpath("//a/@href").getall():
        try:
            url = response.urljoin(href.strip()).split("#", 1)[0]
        except ValueError:
            continue
        if part.search(urlsplit(url).path) and url.rsplit("/", 1)[0] == folder:
            found.append(url)
    return found
