"""Discovery, as plain functions over responses and URLs: where a column's article links, dates and
further list pages are, whether a link is an attachment, how a multi-page article continues.

The spider (crawlers/spiders/portal.py) decides what to request from these answers; keeping them free of
spider state means they can be tested on responses built in the test, and reused by anything else that
has to read a column (a probe of a new portal).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

from scrapy.http import TextResponse

from steps.chinatime import CHINA_TZ
from steps.urldates import date_from_url

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


# --- reading an unknown column: probe and check --------------------------------------------------
#
# What follows answers "which links of this list page are the column's articles, and which are its further
# pages?" without a registry entry, from the page alone: links are grouped by URL shape (the path with its
# numbers and hex ids abstracted), the largest dated group is the article list, and its URLs give an
# anchored pattern. Used by `dangjian probe` and `dangjian check` (crawlers/spiders/probe.py).

# Generated patterns match the path (+query) of a URL, and also the absolute URL: the optional scheme and
# host keep them right whether the registry matches against the whole URL or against path+query only.
URL_PREFIX = r"^(?:https?://[^/?#]+)?"
MIN_ARTICLE_LINKS = 2  # a group of one link is not a list
MIN_DATED_SHARE = 0.5  # at least half of an article group's links carry a date (URL or list entry)
MIN_TITLE_CHARS = 6  # anchor texts of article links are headlines, nav labels are shorter
_TOKENS = re.compile(r"[/?&=._~+,;:-]|[0-9A-Fa-f]{16,}(?=[/?&=._~+,;:-]|$)|\d+|[^/?&=._~+,;:\d-]+")
_HEX = re.compile(r"^(?=.*\d)(?=.*[A-Fa-f])[0-9A-Fa-f]{16,}$")
_NEAR_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
# File names and queries of numbered list pages: index_2.html (TRS), index2.html (people.cn),
# list_12_2.html (DedeCMS), ?page=2 / ?pageIndex=2 (platforms with a query).
_PAGE_FILE = re.compile(r"^(?:index|list|default|more|page)[_-]?(?:\d+[_-])*\d+\.s?html?$", re.I)
_PAGE_QUERY = re.compile(r"(?:^|&)(?:page|pageindex|pageno|pagenum|curpage|p|pn)=\d+(?:&|$)", re.I)
_NUMBER_LABEL = re.compile(r"^\d{1,4}$")
FIRST_PAGE_TEXTS = ("首页", "上一页", "上页", "前一页")

Kind = Literal["lit", "num", "hex"]  # literal text, a digit run, a long hexadecimal id


@dataclass(frozen=True)
class Link:
    """One link of a list page, as probe reads it."""

    url: str  # absolute, without the fragment
    text: str  # the anchor's text ("" for URLs quoted in scripts)
    day: date | None  # the date in the URL or printed beside the link in its list entry
    label: str  # the anchor text as a pagination label (see label())


@dataclass(frozen=True)
class LinkGroup:
    """Links of one page sharing a URL shape: a candidate article list."""

    shape: str  # human-readable shape, e.g. /xwzx/djgz/jczs/N/tN_N.html
    urls: tuple[str, ...]  # distinct URLs, in page order
    dated: int  # how many carry a date
    mean_text: float  # mean anchor text length, in characters
    score: float

    @property
    def dated_share(self) -> float:
        return self.dated / len(self.urls) if self.urls else 0.0

    @property
    def looks_like_articles(self) -> bool:
        return len(self.urls) >= MIN_ARTICLE_LINKS and (
            self.dated_share >= MIN_DATED_SHARE or self.mean_text >= 2 * MIN_TITLE_CHARS
        )


@dataclass(frozen=True)
class Pagination:
    """Further pages of a column found on one of its list pages, and how they were found."""

    pages: tuple[str, ...]  # absolute URLs, in page order, the page itself excluded
    kinds: tuple[str, ...]  # "createPageHTML", "next-page link", "numbered links", "page URL shape"


def link_date(anchor: Any) -> date | None:
    """The date printed beside a link: in its list item or table row (entry_date), else in the short text of
    its parent or grandparent (``<div class="item"><a>…</a><span>2024-05-01</span></div>``)."""
    day = entry_date(anchor)
    if day:
        return day
    for parent in anchor.xpath("./parent::* | ./parent::*/parent::*"):
        text = " ".join(parent.xpath(".//text()").getall())
        if len(text) > 300:
            continue
        found = _NEAR_DATE.findall(text)
        if len(found) == 1:  # one entry's date; a container of the whole list has many
            m = found[0]
            try:
                return date(int(m[0]), int(m[1]), int(m[2]))
            except ValueError:
                continue
    return None


def page_links(response: TextResponse) -> list[Link]:
    """Every followable link of a page (anchors, then URLs quoted in inline scripts), fragments removed."""
    links: list[Link] = []
    for anchor in response.xpath("//a[@href]"):
        href = anchor.attrib.get("href", "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        try:
            url = response.urljoin(href).split("#", 1)[0]
            urlsplit(url).hostname  # noqa: B018  (raises ValueError on a malformed host)
        except ValueError:
            continue
        text = " ".join("".join(anchor.xpath(".//text()").getall()).split()) or anchor.attrib.get("title", "")
        links.append(Link(url, text, date_from_url(url) or link_date(anchor), anchor_label(anchor)))
    for url in script_urls(response):
        url = url.split("#", 1)[0]
        links.append(Link(url, "", date_from_url(url), ""))
    return links


def _path_query(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def tokens(url: str) -> list[tuple[Kind, str]]:
    """The path (+query) of a URL as tokens: separators and words are literal, digit runs are numbers, long
    hexadecimal ids are hex: ``/202404/t20240430_63.html`` → / 202404 / t 20240430 _ 63 . html."""
    out: list[tuple[Kind, str]] = []
    for tok in _TOKENS.findall(_path_query(url)):
        if tok.isdigit():
            out.append(("num", tok))
        elif _HEX.match(tok):
            out.append(("hex", tok))
        else:
            out.append(("lit", tok))
    return out


def shape_key(url: str) -> tuple[str, ...]:
    """URLs with the same key differ only in their numbers and ids (lengths ignored)."""
    return tuple(value if kind == "lit" else f"<{kind}>" for kind, value in tokens(url))


def _is_datelike(values: list[str], after_year: bool) -> bool:
    """Every value reads as a year, year+month, year+month+day, or (after a year) a month, day or MMDD."""

    def one(v: str) -> bool:
        if len(v) in (4, 6, 8) and v[:2] in ("19", "20"):
            month, day = (v[4:6] or "01"), (v[6:8] or "01")
            return 1 <= int(month) <= 12 and 1 <= int(day) <= 31
        if after_year and len(v) == 2:
            return 1 <= int(v) <= 31
        if after_year and len(v) == 4:
            return 1 <= int(v[:2]) <= 12 and 1 <= int(v[2:]) <= 31
        return False

    return bool(values) and all(one(v) for v in values)


def shape_regex(urls: list[str], *, page_number_last: bool = False) -> str:
    """A regex for the path (+query) of URLs sharing one shape (see shape_key).

    Date parts are always abstracted (\\d{n}: next month's articles must match too); other numbers that are
    the same in every URL stay literal (a column id like c457278), the rest become \\d+. With
    ``page_number_last`` the last number is a page number and is always abstracted."""
    rows = [tokens(u) for u in urls]
    width = len(rows[0])
    num_positions = [i for i in range(width) if rows[0][i][0] == "num"]
    parts: list[str] = []
    after_year = False
    for i in range(width):
        kind, value = rows[0][i]
        values = [r[i][1] for r in rows]
        lengths = {len(v) for v in values}
        if kind == "lit":
            parts.append(_escape(value))
            if value != "/" and not value.isdigit():
                after_year = after_year and value in ("/", "-", "_")
            continue
        if kind == "hex":
            chars = "0-9a-f" if all(v == v.lower() for v in values) else "0-9A-Fa-f"
            parts.append(f"[{chars}]{{{lengths.pop()}}}" if len(lengths) == 1 else f"[{chars}]+")
            continue
        glued = i + 1 < width and rows[0][i + 1][0] == "lit" and rows[0][i + 1][1].isalnum()
        datelike = not glued and _is_datelike(values, after_year)  # "2011xwzx" is a name, not a year
        after_year = datelike
        if datelike:
            parts.append(rf"\d{{{lengths.pop()}}}" if len(lengths) == 1 else r"\d+")
        elif len(set(values)) == 1 and len(urls) > 1 and not (page_number_last and i == num_positions[-1]):
            parts.append(values[0])
        else:
            parts.append(r"\d+")
    return "".join(parts)


def article_groups(links: list[Link], page_url: str) -> list[LinkGroup]:
    """Links on the page's own host grouped by URL shape, best article-list candidate first.

    Score: distinct URLs, weighted up by the share that carries a date and by headline-length anchor texts;
    navigation (short labels, one link per shape) and pagination (numbered, undated) score low."""
    host = urlsplit(page_url).hostname
    own = _path_query(page_url)
    groups: dict[tuple[str, ...], dict[str, Link]] = {}
    for link in links:
        parts = urlsplit(link.url)
        if parts.hostname != host or _path_query(link.url) == own or is_attachment(link.url, ""):
            continue
        bucket = groups.setdefault(shape_key(link.url), {})
        previous = bucket.get(link.url)
        if previous is None or (not previous.text and link.text) or (not previous.day and link.day):
            bucket[link.url] = link
    out = []
    for key, bucket in groups.items():
        members = list(bucket.values())
        dated = sum(1 for m in members if m.day)
        texts = [len(m.text) for m in members if m.text]
        mean_text = sum(texts) / len(texts) if texts else float(MIN_TITLE_CHARS)  # script-only: no anchor text
        weight = (0.5 + dated / len(members)) * (1.0 if mean_text >= MIN_TITLE_CHARS else 0.3)
        out.append(LinkGroup("".join(t if not t.startswith("<") else "N" for t in key), tuple(bucket), dated,
                             round(mean_text, 1), round(len(members) * weight, 2)))  # fmt: skip
    return sorted(out, key=lambda g: (-g.score, g.shape))


def article_pattern(group: LinkGroup) -> str:
    """The anchored registry pattern of a group's URLs: ``^(?:https?://[^/?#]+)?/djgz/\\d{6}/t\\d{8}_\\d+\\.html$``."""
    return URL_PREFIX + shape_regex(list(group.urls)) + "$"


_REGEX_SPECIAL = re.compile(r"([.^$*+?{}\[\]\\|()])")


def _escape(text: str) -> str:
    """Escape only what is special in a regex outside a character class: re.escape also escapes "-", "&",
    "=", "~" …, which is correct but makes registry patterns harder to read."""
    return _REGEX_SPECIAL.sub(r"\\\1", text)


def find_pagination(
    response: TextResponse, links: list[Link], article_urls: set[str], next_texts: tuple[str, ...]
) -> Pagination:
    """Further list pages of the column this page belongs to: TRS createPageHTML pages, 下一页/尾页/首页
    links, numbered links (2, 3 …) and same-folder links shaped like index_N / indexN / list_X_N / ?page=N."""
    host = urlsplit(response.url).hostname
    here = _path_query(response.url)
    folder = urlsplit(response.url).path.rsplit("/", 1)[0] + "/"
    path = urlsplit(response.url).path
    forward = {label(t) for t in next_texts} - {""}
    backward = {label(t) for t in FIRST_PAGE_TEXTS}  # 首页 of a column, not the site's home page
    found: dict[str, set[str]] = {}

    def add(url: str, kind: str) -> None:
        parts = urlsplit(url)
        if parts.hostname == host and _path_query(url) != here and url not in article_urls:
            found.setdefault(url, set()).add(kind)

    for url in column_pages(response):
        add(url, "createPageHTML")
    for link in links:
        parts = urlsplit(link.url)
        same_column = parts.path.startswith(folder) and "/" not in parts.path[len(folder) :]
        if link.label and (link.label in forward or (link.label in backward and same_column)):
            add(link.url, "next-page link")
        elif link.label and _NUMBER_LABEL.match(link.label) and same_column:
            add(link.url, "numbered links")
        elif same_column and (
            _PAGE_FILE.match(parts.path[len(folder) :]) or (parts.path == path and _PAGE_QUERY.search(parts.query))
        ):
            add(link.url, "page URL shape")
    pages = sorted(found, key=lambda u: (page_number(u), u))
    kinds = sorted({k for ks in found.values() for k in ks})
    return Pagination(tuple(pages), tuple(kinds))


def page_number(url: str) -> int:
    """The last number of the URL's file name and query: index_2.html → 2, ?pageIndex=3 → 3, index.html → 0."""
    numbers = re.findall(r"\d+", _path_query(url).rsplit("/", 1)[-1])
    return int(numbers[-1]) if numbers else 0


def list_patterns(start_url: str, pages: tuple[str, ...]) -> list[str]:
    """Anchored registry patterns for a column's list pages: its start page and the pages found.

    Pages in the start page's folder give one pattern (``/col/(?:index(?:_\\d+)?\\.html)?$``); pages
    elsewhere on the host one pattern per URL shape."""
    start = urlsplit(start_url)
    folder, start_file = start.path.rsplit("/", 1)[0] + "/", start.path.rsplit("/", 1)[1]
    start_rest = start_file + (f"?{start.query}" if start.query else "")
    same: dict[tuple[str, ...], list[str]] = {}
    other: dict[tuple[str, ...], list[str]] = {}
    for url in pages:
        parts = urlsplit(url)
        rest = _path_query(url)[len(folder) :]
        if parts.path.startswith(folder) and "/" not in parts.path[len(folder) :]:
            same.setdefault(shape_key("/" + rest), []).append("/" + rest)
        else:
            other.setdefault(shape_key(url), []).append(url)
    alternatives = {shape_regex(urls, page_number_last=True)[1:] for urls in same.values()}
    alternatives.discard("")
    if start_rest:
        alternatives.add(_escape(start_rest))
    merged = _merge_alternatives(alternatives, _escape(start_rest) if start_rest else "")
    body = merged[0] if len(merged) == 1 else "(?:" + "|".join(merged) + ")"
    if not start_rest and merged:
        body = f"(?:{merged[0]})?" if len(merged) == 1 else body + "?"
    patterns = [URL_PREFIX + _escape(folder) + body + "$"]
    patterns += [URL_PREFIX + shape_regex(urls, page_number_last=True) + "$" for urls in other.values()]
    return patterns


def _merge_alternatives(alternatives: set[str], start_alt: str) -> list[str]:
    """``index\\.html`` + ``index_\\d+\\.html`` → ``index(?:_\\d+)?\\.html``;
    ``6796771`` + ``6796771\\?pageIndex=\\d+`` → ``6796771(?:\\?pageIndex=\\d+)?``."""
    alts = set(alternatives)
    for alt in sorted(alts):
        if alt not in alts:
            continue
        m = re.fullmatch(r"(.*?)(_|-)?\\d\+(.*)", alt)
        if m:
            base = m[1] + m[3]
            if base in alts and base != alt:
                alts -= {alt, base}
                alts.add(f"{m[1]}(?:{m[2] or ''}\\d+)?{m[3]}")
                continue
        if start_alt and alt != start_alt and alt.startswith(start_alt) and start_alt in alts:
            alts -= {alt, start_alt}
            alts.add(f"{start_alt}(?:{alt[len(start_alt) :]})?")
    return sorted(alts)


def feed_links(response: TextResponse) -> list[str]:
    """RSS/Atom feeds a page announces (``<link rel="alternate" type="application/rss+xml">``)."""
    hrefs = response.xpath("//link[@rel='alternate'][contains(@type, 'rss') or contains(@type, 'atom')]/@href").getall()
    return list(dict.fromkeys(response.urljoin(h.strip()) for h in hrefs if h.strip()))


def why_no_list(groups: list[LinkGroup]) -> str:
    """One line on why none of the page's link groups looks like an article list."""
    if not groups:
        return "the page has no links on its own host (a script-rendered list, or a frame?)"
    best = groups[0]
    return (
        f"no group of at least {MIN_ARTICLE_LINKS} links sharing a URL shape carries dates or headlines "
        f"(largest: {len(best.urls)} link(s) shaped {best.shape}, {best.dated} dated)"
    )
