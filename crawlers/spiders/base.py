"""What every discovery mode of the portal spider shares: the site, the run's window, its bookkeeping,
and the records of pages and failures (RawPage) that the pipeline stores.

The modes (lists.py, sitemaps.py, feeds.py) find article URLs; articles.py fetches them; portal.py
assembles them into the one spider a registry entry runs, as Scrapy composes CrawlSpider, SitemapSpider
and XMLFeedSpider from Spider.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

from crawlers.discovery import (
    label,
)
from crawlers.failures import failure_reason
from crawlers.resolver import PrivateAddressRefused, refusal_reason
from crawljob import stats
from pages.raw import PageKind, RawPage
from sites.origin import Origin
from sites.registry import SiteConfig

_KEPT_HEADERS = ("content-type", "last-modified", "etag", "content-length", "date")


@dataclass
class MultiPage:
    """An article whose continuation pages (t…_1.html, t…_2.html) are being fetched, one after another."""

    page: RawPage
    meta: dict[str, Any]  # the first page's request meta (list_url bookkeeping)
    stem: str  # t20240501_123
    queue: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)


class PortalBase(scrapy.Spider):
    """The shared state and records; no discovery of its own."""

    def __init__(
        self,
        site: SiteConfig,
        since: date | None = None,
        until: date | None = None,
        skip_urls: Iterable[str] = (),
        validators: Mapping[str, Mapping[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=f"portal-{site.name}", **kwargs)
        self.site = site
        self.since = since
        self.until = until
        self.skip_urls = frozenset(skip_urls)
        self.allowed_domains = list(site.allowed_domains)
        self.start_urls = list(site.start_urls)
        # Canonical URLs of the articles requested so far: one request per article, whatever the
        # spelling (?utm_source=…, #frag, ./ segments). It replaces Scrapy's fingerprint dupefilter
        # for articles (their requests carry dont_filter), so that a redirect loop A → B → A runs into
        # REDIRECT_MAX_TIMES and is recorded, instead of being dropped silently as a "duplicate".
        self._articles_requested: set[str] = set()
        # List pages found but not yet requested; released when the spider is idle (see below).
        self._pending_lists: deque[scrapy.Request] = deque()
        self._lists_requested: set[str] = set()
        self._next_links_followed = 0
        self._next_texts = frozenset(label(t) for t in site.next_page_texts) - {""}
        self._sitemaps_requested: set[str] = set()
        self._discovered = 0  # article requests queued from sitemaps and feeds (bounded by max_pages)
        self._origin = Origin.of_site(site)
        self._refused_links: set[str] = set()  # one record per refused link, however often it is linked
        # Multi-page articles waiting for their continuation pages (flushed by the pipeline on close).
        self._open_articles: dict[int, MultiPage] = {}
        # Conditional GET of list pages: validators from the last run, and this run's answers.
        self.validators_in: dict[str, dict[str, str]] = {
            url: dict(v) for url, v in (validators or {}).items() if isinstance(v, Mapping)
        }
        self._validators_seen: dict[str, dict[str, str] | None] = {}
        self._list_outstanding: Counter[str] = Counter()  # list URL → its article requests not settled yet
        self._list_incomplete: set[str] = set()  # list URLs with a failed or unfinished article

    def _in_window(self, day: date | None) -> bool:
        if day is None:
            return True
        if self.since and day < self.since:
            return False
        return not (self.until and day > self.until)

    def _page_budget(self) -> int:
        return self.crawler.settings.getint("CLOSESPIDER_PAGECOUNT") or self.site.max_pages

    def _article_settled(self, meta: Mapping[str, Any], ok: bool) -> None:
        list_url = meta.get("list_url")
        if not list_url:
            return
        self._list_outstanding[list_url] -= 1
        if not ok:
            self._list_incomplete.add(list_url)

    def _raw(self, response: Response, kind: PageKind, reason: str | None = None) -> RawPage:
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        declared = http_content_type_encoding(content_type) or (
            html_body_declared_encoding(response.body) if kind == "page" else None
        )
        detected = response.encoding if isinstance(response, TextResponse) and kind == "page" else None
        headers = {}
        for key in _KEPT_HEADERS:
            value = response.headers.get(key)
            if value is not None:
                headers[key] = value.decode("latin-1")
        return RawPage(
            kind=kind,
            site=self.site.name,
            url=response.request.meta.get("redirect_urls", [response.url])[0] if response.request else response.url,
            final_url=response.url,
            status=response.status,
            body=response.body if kind == "page" else b"",
            headers=headers,
            declared_encoding=declared,
            detected_encoding=detected,
            fetched_at=datetime.now(UTC).isoformat(),
            referer=response.meta.get("found_on") or referer_of(response.request) if response.request else None,
            list_date=response.meta.get("list_date") if response.request else None,
            reason=reason,
        )

    def on_error(self, failure: Failure) -> Iterator[RawPage]:
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]  # set by Scrapy on errbacks
        role = request.meta.get("role", "page")
        if failure.check(IgnoreRequest) and "robots.txt" in failure.getErrorMessage():
            # A policy, not a failure: the site asks not to be crawled there (stat robotstxt/forbidden).
            self.crawler.stats.inc_value(stats.forbidden_by_robots(role))
            if role == "article":
                self._article_settled(request.meta, ok=True)
            return
        if role == "article":
            self._article_settled(request.meta, ok=False)
        if failure.check(StopDownload) and self.crawler.stats.get_value(stats.MAX_BYTES_REACHED):
            return  # cut by max_bytes (stat dangjian/cut_after_max_bytes): not fetched this run, not a failure
        if failure.check(PrivateAddressRefused) or refusal_reason(urlsplit(request.url).hostname or ""):
            self.crawler.stats.inc_value(stats.REFUSED_PRIVATE_ADDRESS)
        status, reason = failure_reason(failure)
        self.crawler.stats.inc_value(stats.failed(role))
        self.logger.warning("%s: %s (%s)", self.site.name, reason, request.url)
        yield self._error(
            # the URL as linked, even when the failure happened on a redirect (offsite, loop)
            request.meta.get("redirect_urls", [request.url])[0],
            f"{reason} ({role} page)",
            final_url=request.url,
            status=status,
            list_date=request.meta.get("list_date"),
            referer=request.meta.get("found_on") or referer_of(request),
        )

    def _error(
        self,
        url: str,
        reason: str,
        *,
        final_url: str | None = None,
        status: int | None = None,
        referer: str | None = None,
        list_date: str | None = None,
    ) -> RawPage:
        """The record of a request that failed or was refused: the pipeline stores it with its reason."""
        return RawPage(
            kind="error",
            site=self.site.name,
            url=url,
            final_url=final_url or url,
            status=status,
            fetched_at=datetime.now(UTC).isoformat(),
            list_date=list_date,
            referer=referer,
            reason=reason,
        )


def referer_of(request: scrapy.Request) -> str | None:
    return (request.headers.get("Referer", b"") or b"").decode("latin-1") or None
