"""RSS/Atom feeds and XML sitemaps read into entries: one reading for the crawl and for the probe.

Why one module: the probe counts the articles a feed or a sitemap announces and the crawl follows them;
when each read them with its own XPaths the probe could promise links the crawl then never requested.
Plain functions over a document's text, no spider state: the caller decides what an entry is worth.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal
from urllib.parse import urljoin

from parsel import Selector
from scrapy.utils.sitemap import Sitemap

from crawlers.discovery import feed_day

SitemapKind = Literal["urlset", "sitemapindex"]

# RSS 2.0 <item><link>, Atom <entry><link href> (the alternate one), RSS <guid> when it is a permalink.
_ENTRY_LINKS = (
    "./link[not(@rel) or @rel='alternate']/@href",
    "./link/text()",
    "./guid[not(@isPermaLink='false')]/text()",
)
_ENTRY_STAMP = "./pubDate/text() | ./published/text() | ./date/text() | ./updated/text()"


@dataclass(frozen=True)
class Entry:
    """An announced URL (absolute) and the day its feed or sitemap gives it, if any."""

    url: str
    day: date | None


@dataclass(frozen=True)
class SitemapEntries:
    kind: SitemapKind  # a urlset lists pages; a sitemapindex lists further sitemaps
    entries: list[Entry]


def feed_entries(text: str, base_url: str) -> list[Entry] | None:
    """The entries of an RSS or Atom document, in order; None when the text is not a feed."""
    try:
        feed = Selector(text=text, type="xml")
    except Exception:  # lxml refuses the document: not a feed, like an invalid sitemap
        return None
    feed.remove_namespaces()
    items = feed.xpath("//item | //entry")
    if not items and not feed.xpath("/rss | /feed | /RDF"):
        return None
    entries = []
    for item in items:
        link = next((v for xp in _ENTRY_LINKS if (v := (item.xpath(xp).get() or "").strip())), "")
        if link:
            entries.append(Entry(urljoin(base_url, link), feed_day(item.xpath(_ENTRY_STAMP).get())))
    return entries


def sitemap_entries(body: bytes) -> SitemapEntries | None:
    """The ``<loc>`` entries of a sitemap with their ``<lastmod>`` day; None when it is no sitemap."""
    try:
        sitemap = Sitemap(body)
    except Exception:  # not XML at all
        return None
    kind = sitemap.type
    if kind not in ("urlset", "sitemapindex"):
        return None
    entries = [Entry(loc, feed_day(e.get("lastmod"))) for e in sitemap if (loc := (e.get("loc") or "").strip())]
    return SitemapEntries("urlset" if kind == "urlset" else "sitemapindex", entries)
