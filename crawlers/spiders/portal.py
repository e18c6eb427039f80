"""The one generic spider: a registry entry tells it everything site-specific.

Column list pages → article links → pagination → article pages. Article
responses and failed requests both become RawPage items, so the pipeline
downstream can record every failure with its reason instead of losing it.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DontCloseSpider,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

from crawlers.rawpages import RawPage
from crawlers.registry import SiteConfig
from steps.urldates import date_from_url
from steps.urls import canonical_url

# TRS pagination script: createPageHTML(pageCount, currentPage, "index", "html")
_CREATE_PAGE_HTML = re.compile(r"createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*[\"']([\w-]+)[\"']\s*,\s*[\"'](\w+)[\"']")
_ENTRY_DATE = re.compile(r"((?:19|20)\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})")
_KEPT_HEADERS = ("content-type", "last-modified", "etag", "content-length", "date")


class OffsiteRefused(IgnoreRequest):
    """A request (typically a redirect) to a host outside the site's allowed_domains, never sent."""

    def __init__(self, host: str) -> None:
        super().__init__(f"refused offsite request to {host!r} (not in allowed_domains)")
        self.host = host


def host_allowed(host: str, allowed_domains: Iterable[str]) -> bool:
    """``host`` is one of ``allowed_domains`` or a subdomain of one (IP literals match only exactly)."""
    host = host.lower().rstrip(".")
    return any(host == d.lower() or host.endswith("." + d.lower()) for d in allowed_domains)


class AllowedHostsMiddleware:
    """Downloader middleware: refuse, before any DNS lookup or connection, every request to a host
    outside the spider's allowed_domains — including redirects and ``dont_filter`` requests.

    Why not only Scrapy's OffsiteMiddleware: it lets ``dont_filter`` requests through, and retries
    and redirects of our article requests carry ``dont_filter``; a portal redirecting to
    ``http://10.0.0.1/`` or a cloud metadata address must never get us to connect there. The
    failure goes to the request's errback, so the refusal is recorded as a fetch error.
    Enabled in settings.py ahead of OffsiteMiddleware and RobotsTxtMiddleware (which would fetch
    the foreign host's robots.txt first).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler  # Scrapy >= 2.13 calls process_request(request) without the spider

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AllowedHostsMiddleware:
        return cls(crawler)

    def process_request(self, request: scrapy.Request, spider: scrapy.Spider | None = None) -> None:
        allowed = getattr(self.crawler.spider, "allowed_domains", None)
        host = urlsplit(request.url).hostname or ""
        if allowed and not host_allowed(host, allowed):
            if self.crawler.stats:
                self.crawler.stats.inc_value("dangjian/refused_offsite")
            raise OffsiteRefused(host)


def failure_reason(failure: Failure) -> tuple[int | None, str]:
    """(HTTP status or None, one-line reason) for a failed request."""
    if isinstance(failure.value, HttpError):
        response = failure.value.response
        return response.status, f"HTTP {response.status}"
    if failure.check(DNSLookupError, CannotResolveHostError):
        url = getattr(failure, "request", None) and failure.request.url  # type: ignore[attr-defined]
        return None, f"DNS lookup failed: {urlsplit(url or '').hostname} could not be resolved"
    if failure.check(TimeoutError, TCPTimedOutError, DownloadTimeoutError):
        return None, "timed out"
    if failure.check(ConnectionRefusedError, DownloadConnectionRefusedError):
        return None, "connection refused"
    if failure.check(ResponseDataLossError):
        return None, "response cut short (data loss)"
    if failure.check(OffsiteRefused):
        return None, str(failure.value)
    if failure.check(DownloadCancelledError) or (
        failure.check(IgnoreRequest) and "DOWNLOAD_MAXSIZE" in failure.getErrorMessage()
    ):
        # DOWNLOAD_MAXSIZE hit: announced by Content-Length (cancelled) or while inflating a gzip body.
        return None, f"response larger than the download max size ({failure.getErrorMessage().splitlines()[0]})"
    message = failure.getErrorMessage().splitlines()[0] if failure.getErrorMessage() else ""
    name = failure.type.__name__ if failure.type else "error"
    return None, f"{name}: {message}".strip(": ")


class PortalSpider(scrapy.Spider):
    name = "portal"

    def __init__(
        self,
        site: SiteConfig,
        since: date | None = None,
        until: date | None = None,
        skip_urls: Iterable[str] = (),
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

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> PortalSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._release_list_pages, signal=signals.spider_idle)
        return spider

    def _release_list_pages(self) -> None:
        """Fetch the next list pages only once every article (and retry) found so far is done.

        Why: max_pages (CLOSESPIDER_PAGECOUNT) drops whatever is still queued when it is reached. A
        pagination trap (ever-new index_N pages) or just a long column would otherwise spend that
        budget while a slow or retried article waits, and the article would vanish without a record.
        Gated like this, the budget can only run out on list pages, after their articles are settled.
        """
        if not self._pending_lists:
            return
        while self._pending_lists:
            self.crawler.engine.crawl(self._pending_lists.popleft())
        raise DontCloseSpider

    # -- requests ----------------------------------------------------------------------------------

    async def start(self) -> Any:
        for url in self.site.start_urls:
            yield scrapy.Request(url, callback=self.parse_list, errback=self.on_error, meta={"role": "list"})

    def _in_window(self, day: date | None) -> bool:
        if day is None:
            return True
        if self.since and day < self.since:
            return False
        return not (self.until and day > self.until)

    # -- list pages --------------------------------------------------------------------------------

    def parse_list(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            return
        self.crawler.stats.inc_value("dangjian/list_pages_ok")
        entry_dates: list[date] = []
        for anchor in response.xpath("//a[@href]"):
            href = anchor.attrib.get("href", "").strip()
            if not href or href.startswith(("javascript:", "mailto:", "#")):
                continue
            try:
                url = response.urljoin(href)
                key = canonical_url(url) if self.site.is_article_url(url) else ""
            except ValueError:  # e.g. href="http://[bad/…": one broken link must not abort the page
                self.crawler.stats.inc_value("dangjian/malformed_links")
                continue
            if key and not host_allowed(urlsplit(url).hostname or "", self.allowed_domains):
                # An article link to another host: not this site's to crawl (and never contacted).
                self.crawler.stats.inc_value("dangjian/offsite_article_links")
                continue
            if key:
                day = date_from_url(url) or self._entry_date(anchor)
                if day:
                    entry_dates.append(day)
                if not self._in_window(day):
                    self.crawler.stats.inc_value("dangjian/articles_outside_window")
                    continue
                if key in self.skip_urls:
                    self.crawler.stats.inc_value("dangjian/articles_already_known")
                    continue
                if key in self._articles_requested:
                    self.crawler.stats.inc_value("dangjian/article_link_variants_skipped")
                    continue
                self._articles_requested.add(key)
                yield response.follow(
                    url,
                    callback=self.parse_article,
                    errback=self.on_error,
                    meta={"role": "article", "list_date": day.isoformat() if day else None},
                    dont_filter=True,  # deduplicated above, by canonical URL
                )
            elif self.site.is_list_url(url):
                yield from self._follow_list(response, url, entry_dates)
        for url in self._trs_pages(response):
            yield from self._follow_list(response, url, entry_dates)

    def _follow_list(self, response: Response, url: str, entry_dates: list[date]) -> Iterator[scrapy.Request]:
        # Incremental stop: once every dated entry on this page is older than `since`,
        # later pages (older still, on these CMSs) are not worth fetching.
        if self.since and entry_dates and max(entry_dates) < self.since:
            self.crawler.stats.inc_value("dangjian/list_pages_not_followed_older_than_since")
            return
        self._pending_lists.append(
            response.follow(url, callback=self.parse_list, errback=self.on_error, meta={"role": "list"})
        )
        return
        yield  # a generator still: callers iterate it (nothing is yielded, see _release_list_pages)

    @staticmethod
    def _entry_date(anchor: Any) -> date | None:
        text = " ".join(anchor.xpath("./ancestor::li[1]//text() | ./ancestor::tr[1]//text()").getall())
        m = _ENTRY_DATE.search(text)
        if not m:
            return None
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None

    @staticmethod
    def _trs_pages(response: TextResponse) -> list[str]:
        """All pages of a TRS column, read from its createPageHTML(count, current, prefix, ext) call."""
        m = _CREATE_PAGE_HTML.search(response.text)
        if not m:
            return []
        count, prefix, ext = int(m[1]), m[3], m[4]
        return [
            urljoin(response.url, f"{prefix}.{ext}" if i == 0 else f"{prefix}_{i}.{ext}")
            for i in range(min(count, 1000))
        ]

    # -- articles ----------------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[RawPage]:
        yield self._raw(response, kind="page")

    def _raw(self, response: Response, kind: str, reason: str | None = None) -> RawPage:
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        declared = http_content_type_encoding(content_type) or html_body_declared_encoding(response.body)
        detected = response.encoding if isinstance(response, TextResponse) else None
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
            referer=(response.request.headers.get("Referer", b"") or b"").decode("latin-1") or None
            if response.request
            else None,
            list_date=response.meta.get("list_date") if response.request else None,
            reason=reason,
        )

    def on_error(self, failure: Failure) -> Iterator[RawPage]:
        status, reason = failure_reason(failure)
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]  # set by Scrapy on errbacks
        self.crawler.stats.inc_value(f"dangjian/failed/{request.meta.get('role', 'page')}")
        self.logger.warning("%s: %s (%s)", self.site.name, reason, request.url)
        yield RawPage(
            kind="error",
            site=self.site.name,
            # the URL as linked, even when the failure happened on a redirect (offsite, loop)
            url=request.meta.get("redirect_urls", [request.url])[0],
            final_url=request.url,
            status=status,
            fetched_at=datetime.now(UTC).isoformat(),
            list_date=request.meta.get("list_date"),
            referer=(request.headers.get("Referer", b"") or b"").decode("latin-1") or None,
            reason=f"{reason} ({request.meta.get('role', 'page')} page)",
        )
