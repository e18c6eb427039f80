"""The one generic spider: a registry entry tells it everything site-specific.

Column list pages → article links → pagination → article pages. Article
responses and failed requests both become RawPage items, so the pipeline
downstream can record every failure with its reason instead of losing it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
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
            url = response.urljoin(href)
            if self.site.is_article_url(url):
                day = date_from_url(url) or self._entry_date(anchor)
                if day:
                    entry_dates.append(day)
                if not self._in_window(day):
                    self.crawler.stats.inc_value("dangjian/articles_outside_window")
                    continue
                if canonical_url(url) in self.skip_urls:
                    self.crawler.stats.inc_value("dangjian/articles_already_known")
                    continue
                yield response.follow(
                    url,
                    callback=self.parse_article,
                    errback=self.on_error,
                    meta={"role": "article", "list_date": day.isoformat() if day else None},
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
        yield response.follow(url, callback=self.parse_list, errback=self.on_error, meta={"role": "list"})

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
            url=request.url,
            final_url=request.url,
            status=status,
            fetched_at=datetime.now(UTC).isoformat(),
            list_date=request.meta.get("list_date"),
            referer=(request.headers.get("Referer", b"") or b"").decode("latin-1") or None,
            reason=f"{reason} ({request.meta.get('role', 'page')} page)",
        )
