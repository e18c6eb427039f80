"""The crawl's own stats keys, one name each: the spider and its components increment them, the crawl
report and the flow read them. Scrapy's own keys (downloader/…, robotstxt/…) are read as Scrapy names them.

A list page that answered 304 Not Modified counts in both LIST_PAGES_OK and LIST_PAGES_UNCHANGED: the
flow's "did any list page work?" test reads LIST_PAGES_OK.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PREFIX = "dangjian/"

LIST_PAGES_OK = "dangjian/list_pages_ok"
LIST_PAGES_UNCHANGED = "dangjian/list_pages_unchanged"
LIST_PAGES_CONDITIONAL = "dangjian/list_pages_conditional"
LIST_PAGES_NOT_FOLLOWED_OLDER = "dangjian/list_pages_not_followed_older_than_since"
NEXT_PAGE_LINKS_FOLLOWED = "dangjian/next_page_links_followed"
NEXT_PAGE_LINKS_OVER_MAX = "dangjian/next_page_links_over_max_pages"

ARTICLES_ALREADY_KNOWN = "dangjian/articles_already_known"
ARTICLES_OUTSIDE_WINDOW = "dangjian/articles_outside_window"
ARTICLE_LINK_VARIANTS_SKIPPED = "dangjian/article_link_variants_skipped"
ARTICLE_URLS_TOO_LONG = "dangjian/article_urls_too_long"
OFFSITE_ARTICLE_LINKS = "dangjian/offsite_article_links"
MALFORMED_LINKS = "dangjian/malformed_links"
MULTIPAGE_ARTICLES = "dangjian/multipage_articles"
ATTACHMENTS = "dangjian/attachments"

SITEMAPS_OK = "dangjian/sitemaps_ok"
SITEMAPS_INVALID = "dangjian/sitemaps_invalid"
FEEDS_OK = "dangjian/feeds_ok"
FEEDS_INVALID = "dangjian/feeds_invalid"

REFUSED_OFFSITE = "dangjian/refused_offsite"
REFUSED_SCHEME = "dangjian/refused_scheme"
REFUSED_PORT = "dangjian/refused_port"
REFUSED_AUTHORITY = "dangjian/refused_credentials_or_backslash"  # user:pass@ or \\ in the host part
REFUSED_PRIVATE_ADDRESS = "dangjian/refused_private_address"
LIST_PAGES_CUT = "dangjian/list_pages_cut"
DISCOVERED_OVER_MAX = "dangjian/discovered_urls_over_max_pages"
MAX_BYTES_REACHED = "dangjian/max_bytes_reached"
CUT_AFTER_MAX_BYTES = "dangjian/cut_after_max_bytes"


def left_for_later(stats: Mapping[str, Any]) -> int:
    """Requests the crawl never completed, so they left no record (article, duplicate or page error): still
    in the scheduler's queue when the crawl closed (max_pages, max_bytes, a shutdown) plus the responses
    the max_bytes stop cut at their headers. The next run fetches them; the summary must say so."""
    queued = int(stats.get("scheduler/enqueued", 0) or 0) - int(stats.get("scheduler/dequeued", 0) or 0)
    return max(0, queued) + int(stats.get(CUT_AFTER_MAX_BYTES, 0) or 0)


def articles_from(source: str) -> str:
    """Article requests by what found them: list, script, sitemap, feed."""
    return f"dangjian/articles_from/{source}"


def failed(role: str) -> str:
    """Failed requests by role: list, article, part, sitemap, feed, robots."""
    return f"dangjian/failed/{role}"


def forbidden_by_robots(role: str) -> str:
    return f"dangjian/forbidden_by_robots/{role}"


def raw_pages(kind: str) -> str:
    """Raw-page records written, by kind: page, error, attachment."""
    return f"dangjian/raw_pages/{kind}"


LIST_PAGES_FAILED = failed("list")
