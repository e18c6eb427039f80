"""The one generic spider: a registry entry tells it everything site-specific.

Column list pages → article links → pagination → article pages. Article
responses and failed requests both become RawPage items, so the pipeline
downstream can record every failure with its reason instead of losing it.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, IgnoreRequest, StopDownload
from scrapy.http import Response, TextResponse
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import sitemap_urls_from_robots
from twisted.python.failure import Failure
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

from crawlers.discovery import (
    MAX_PARTS,
    anchor_label,
    column_pages,
    continuations,
    entry_date,
    is_attachment,
    label,
    page_stem,
    part_number,
    script_urls,
)
from crawlers.failures import failure_reason
from crawlers.feeds import feed_entries, sitemap_entries
from crawlers.middlewares import REFUSAL_STATS
from crawlers.resolver import PrivateAddressRefused, refusal_reason
from crawljob import stats
from pages.raw import PageKind, RawPage
from sites.origin import Origin, host_in_domains
from sites.registry import SiteConfig
from steps.urldates import date_from_url
from steps.urls import canonical_url

_KEPT_HEADERS = ("content-type", "last-modified", "etag", "content-length", "date")
MAX_SITEMAPS = 50  # sitemap files (an index's children included) per run
# A list page past either bound is cut there, with an error record saying so: a column page holds tens
# of links, a hostile one 100,000 (31 s and ~500 MB of parsing per page, issue #13).
MAX_LIST_PAGE_BYTES = 4 * 1024 * 1024
MAX_LIST_LINKS = 5000


@dataclass
class _MultiPage:
    """An article whose continuation pages (t…_1.html, t…_2.html) are being fetched, one after another."""

    page: RawPage
    meta: dict[str, Any]  # the first page's request meta (list_url bookkeeping)
    stem: str  # t20240501_123
    queue: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)


class PortalSpider(scrapy.Spider):
    name = "portal"

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
        self._open_articles: dict[int, _MultiPage] = {}
        # Conditional GET of list pages: validators from the last run, and this run's answers.
        self.validators_in: dict[str, dict[str, str]] = {
            url: dict(v) for url, v in (validators or {}).items() if isinstance(v, Mapping)
        }
        self._validators_seen: dict[str, dict[str, str] | None] = {}
        self._list_outstanding: Counter[str] = Counter()  # list URL → its article requests not settled yet
        self._list_incomplete: set[str] = set()  # list URLs with a failed or unfinished article

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> PortalSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._release_list_pages, signal=signals.spider_idle)
        crawler.signals.connect(spider._stop_attachment_download, signal=signals.headers_received)
        crawler.signals.connect(spider._robots_sitemaps, signal=signals.robots_parsed)
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

    # -- signals -----------------------------------------------------------------------------------

    def _stop_attachment_download(self, headers: Any, body_length: int, request: scrapy.Request, **_: Any) -> None:
        """Attachments reached as articles (or redirected to): keep the headers, never download the body.
        (Once max_bytes is reached, crawlers.extensions.MaxBytesClose cuts every response at its headers.)"""
        if request.meta.get("role") not in ("article", "part"):
            return
        content_type = (headers.get("Content-Type") or b"").decode("latin-1")
        if is_attachment(request.url, content_type):
            request.meta["attachment"] = True
            raise StopDownload(fail=False)

    def _robots_sitemaps(self, robotparser: Any, request: scrapy.Request, **_: Any) -> None:
        """``sitemaps_from_robots``: the Sitemap: lines of a start host's robots.txt (parsed once, by
        Scrapy's RobotsTxtMiddleware, whose Protego parser keeps them) become sitemap requests."""
        if not self.site.sitemaps_from_robots:
            return
        if not host_in_domains(urlsplit(request.url).hostname or "", self.allowed_domains):
            return
        sitemaps = getattr(getattr(robotparser, "rp", None), "sitemaps", None)
        if sitemaps is None:  # another RobotParser implementation: fetch robots.txt ourselves
            robots = urljoin(request.url, "/robots.txt")
            self.crawler.engine.crawl(
                scrapy.Request(robots, callback=self.parse_robots, errback=self.on_error, meta={"role": "robots"})
            )
            return
        for url in sitemaps:
            self._crawl_sitemap(urljoin(request.url, url))

    # -- requests ----------------------------------------------------------------------------------

    async def start(self) -> Any:
        for url in self.site.start_urls:
            request = self._list_request(url)
            if request is not None:
                yield request
        for url in self.site.feed_urls:
            yield scrapy.Request(url, callback=self.parse_feed, errback=self.on_error, meta={"role": "feed"})
        for url in self.site.sitemap_urls:
            request = self._sitemap_request(url)
            if request is not None:
                yield request

    def _list_request(self, url: str) -> scrapy.Request | None:
        url = url.split("#", 1)[0]
        if url in self._lists_requested:
            return None
        self._lists_requested.add(url)
        headers = {}
        known = self.validators_in.get(url) or {}
        if known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        if headers:
            self.crawler.stats.inc_value(stats.LIST_PAGES_CONDITIONAL)
        return scrapy.Request(
            url,
            callback=self.parse_list,
            errback=self.on_error,
            headers=headers,
            meta={"role": "list", "handle_httpstatus_list": [304]},
        )

    def _sitemap_request(self, url: str) -> scrapy.Request | None:
        if url in self._sitemaps_requested or len(self._sitemaps_requested) >= MAX_SITEMAPS:
            return None
        self._sitemaps_requested.add(url)
        return scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error, meta={"role": "sitemap"})

    def _crawl_sitemap(self, url: str) -> None:
        request = self._sitemap_request(url)
        if request is not None:
            self.crawler.engine.crawl(request)

    def _in_window(self, day: date | None) -> bool:
        if day is None:
            return True
        if self.since and day < self.since:
            return False
        return not (self.until and day > self.until)

    def _article_request(
        self, url: str, day: date | None, *, source: str, found_on: str, list_url: str | None = None
    ) -> scrapy.Request | RawPage | None:
        """The one gate of every article URL, whatever found it (list page, sitemap, feed): allowed host,
        since/until, already stored, already requested under another spelling. None: not to fetch;
        a RawPage: an error record for a link that must not be fetched but must not vanish either."""
        counter = self.crawler.stats
        try:
            refused = self._origin.refusal(url)
            key = canonical_url(url)
        except ValueError:
            counter.inc_value(stats.MALFORMED_LINKS)
            return None
        if refused and refused[0] == "host":
            # An article link to another host: not this site's to crawl (and never contacted).
            counter.inc_value(stats.OFFSITE_ARTICLE_LINKS)
            return None
        if refused:
            # file:, ftp:, another port of an allowed host: a trick, refused here and recorded (the
            # downloader middleware would refuse it too; this saves the round trip through the queue).
            if url in self._refused_links:
                return None
            self._refused_links.add(url)
            counter.inc_value(REFUSAL_STATS[refused.kind])
            return self._error(url, f"{refused[2]} (article link)", referer=found_on)
        if source in ("sitemap", "feed") and self._discovered >= self._page_budget():
            # Counted before queueing: a 400k-URL sitemap must not queue 400k requests (~1 GB).
            counter.inc_value(stats.DISCOVERED_OVER_MAX)
            return None
        if not self._in_window(day):
            counter.inc_value(stats.ARTICLES_OUTSIDE_WINDOW)
            return None
        if key in self.skip_urls:
            counter.inc_value(stats.ARTICLES_ALREADY_KNOWN)
            return None
        if key in self._articles_requested:
            counter.inc_value(stats.ARTICLE_LINK_VARIANTS_SKIPPED)
            return None
        self._articles_requested.add(key)
        limit = self.crawler.settings.getint("URLLENGTH_LIMIT")
        if limit and len(url) > limit:
            # Scrapy's UrlLengthMiddleware would drop it with a log line only: record it as an error.
            counter.inc_value(stats.ARTICLE_URLS_TOO_LONG)
            return self._error(
                url,
                f"URL of {len(url)} characters is longer than URLLENGTH_LIMIT ({limit}): not fetched",
                referer=found_on,
                list_date=day.isoformat() if day else None,
            )
        counter.inc_value(stats.articles_from(source))
        if source in ("sitemap", "feed"):
            self._discovered += 1
        if list_url:
            self._list_outstanding[list_url] += 1
        return scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.on_error,
            meta={
                "role": "article",
                "list_date": day.isoformat() if day else None,
                "list_url": list_url,
                "found_on": found_on,  # the referer to record, also when the article redirects
            },
            dont_filter=True,  # deduplicated above, by canonical URL
        )

    def _page_budget(self) -> int:
        return self.crawler.settings.getint("CLOSESPIDER_PAGECOUNT") or self.site.max_pages

    def _article_settled(self, meta: Mapping[str, Any], ok: bool) -> None:
        list_url = meta.get("list_url")
        if not list_url:
            return
        self._list_outstanding[list_url] -= 1
        if not ok:
            self._list_incomplete.add(list_url)

    # -- list pages --------------------------------------------------------------------------------

    def parse_list(self, response: Response) -> Iterator[Any]:
        if response.status == 304:
            # Conditional GET: the column did not change since the last run, so nothing on it is new.
            self.crawler.stats.inc_value(stats.LIST_PAGES_OK)
            self.crawler.stats.inc_value(stats.LIST_PAGES_UNCHANGED)
            return
        if not isinstance(response, TextResponse):
            return
        self.crawler.stats.inc_value(stats.LIST_PAGES_OK)
        list_url = self._record_validators(response)
        entry_dates: list[date] = []
        response, cut = self._bounded_list(response)
        if cut:
            self.crawler.stats.inc_value(stats.LIST_PAGES_CUT)
            self.logger.warning("%s: %s (%s)", self.site.name, cut, response.url)
            yield self._error(list_url, f"{cut} (list page)", final_url=response.url, status=response.status)
        for anchor in response.xpath(f"(//a[@href])[position() <= {MAX_LIST_LINKS}]"):
            href = anchor.attrib.get("href", "").strip()
            if not href or href.startswith(("javascript:", "mailto:", "#")):
                continue
            try:
                url = response.urljoin(href)
                is_article = self.site.is_article_url(url)
            except ValueError:  # e.g. href="http://[bad/…": one broken link must not abort the page
                self.crawler.stats.inc_value(stats.MALFORMED_LINKS)
                continue
            if is_article:
                day = date_from_url(url) or entry_date(anchor)
                if day:
                    entry_dates.append(day)
                request = self._article_request(url, day, source="list", found_on=response.url, list_url=list_url)
                if request is not None:
                    yield request
            elif self.site.is_list_url(url):
                yield from self._follow_list(url, entry_dates)
            elif self._next_texts and anchor_label(anchor) in self._next_texts:
                yield from self._follow_next_link(url, entry_dates)
        yield from self._script_links(response, list_url, entry_dates)
        for url in column_pages(response):
            yield from self._follow_list(url, entry_dates)

    def _bounded_list(self, response: TextResponse) -> tuple[TextResponse, str | None]:
        """The list page cut to MAX_LIST_PAGE_BYTES, and why it was cut (None: whole)."""
        reasons = []
        if len(response.body) > MAX_LIST_PAGE_BYTES:
            reasons.append(f"{len(response.body)} bytes, only the first {MAX_LIST_PAGE_BYTES} read")
            response = response.replace(body=response.body[:MAX_LIST_PAGE_BYTES])
        links = int(float(response.xpath("count(//a[@href])").get() or 0))
        if links > MAX_LIST_LINKS:
            reasons.append(f"{links} links, only the first {MAX_LIST_LINKS} followed")
        return response, ("list page cut: " + "; ".join(reasons)) if reasons else None

    def _script_links(self, response: TextResponse, list_url: str, entry_dates: list[date]) -> Iterator[Any]:
        """Article URLs written inside inline scripts (see discovery.script_urls)."""
        for url in script_urls(response):
            try:
                if not self.site.is_article_url(url):
                    continue
            except ValueError:
                continue
            day = date_from_url(url)
            if day:
                entry_dates.append(day)
            request = self._article_request(url, day, source="script", found_on=response.url, list_url=list_url)
            if request is not None:
                yield request

    def _record_validators(self, response: Response) -> str:
        """Remember the list page's ETag / Last-Modified; returns the URL they are kept under (as requested)."""
        url = response.meta.get("redirect_urls", [response.url])[0] if response.request else response.url
        etag = (response.headers.get("ETag") or b"").decode("latin-1")
        modified = (response.headers.get("Last-Modified") or b"").decode("latin-1")
        found = {k: v for k, v in (("etag", etag), ("last_modified", modified)) if v}
        self._validators_seen[url] = found or None
        return str(url)

    def _follow_next_link(self, url: str, entry_dates: list[date]) -> Iterator[scrapy.Request]:
        """A 下一页 / 尾页 link whose URL the list patterns do not describe (e.g. list.jsp?page=2)."""
        if not host_in_domains(urlsplit(url).hostname or "", self.allowed_domains):
            return
        if url.split("#", 1)[0] in self._lists_requested:
            return
        limit = self.crawler.settings.getint("CLOSESPIDER_PAGECOUNT") or self.site.max_pages
        if self._next_links_followed >= limit:
            self.crawler.stats.inc_value(stats.NEXT_PAGE_LINKS_OVER_MAX)
            return
        self._next_links_followed += 1
        self.crawler.stats.inc_value(stats.NEXT_PAGE_LINKS_FOLLOWED)
        yield from self._follow_list(url, entry_dates)

    def _follow_list(self, url: str, entry_dates: list[date]) -> Iterator[scrapy.Request]:
        # Incremental stop: once every dated entry on this page is older than `since`,
        # later pages (older still, on these CMSs) are not worth fetching.
        if self.since and entry_dates and max(entry_dates) < self.since:
            self.crawler.stats.inc_value(stats.LIST_PAGES_NOT_FOLLOWED_OLDER)
            return
        request = self._list_request(url)
        if request is not None:
            self._pending_lists.append(request)
        return
        yield  # a generator still: callers iterate it (nothing is yielded, see _release_list_pages)

    # -- sitemaps and feeds ------------------------------------------------------------------------

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        for url in sitemap_urls_from_robots(response.body, base_url=response.url):
            request = self._sitemap_request(url)
            if request is not None:
                yield request

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request | RawPage]:
        body = self._sitemap_body(response)
        sitemap = sitemap_entries(body) if body else None
        if sitemap is None:
            self.crawler.stats.inc_value(stats.SITEMAPS_INVALID)
            self.logger.warning("%s: not a sitemap: %s", self.site.name, response.url)
            return
        self.crawler.stats.inc_value(stats.SITEMAPS_OK)
        for entry in sitemap.entries:
            if sitemap.kind == "sitemapindex":
                if host_in_domains(urlsplit(entry.url).hostname or "", self.allowed_domains):
                    request = self._sitemap_request(entry.url)
                    if request is not None:
                        yield request
                continue
            if self._discovered >= self._page_budget():
                self.crawler.stats.inc_value(stats.DISCOVERED_OVER_MAX)
                self.logger.info("%s: max_pages reached: rest of sitemap %s not read", self.site.name, response.url)
                return
            if not self.site.is_article_url(entry.url):
                continue
            day = date_from_url(entry.url) or entry.day
            found = self._article_request(entry.url, day, source="sitemap", found_on=response.url)
            if found is not None:
                yield found

    def _sitemap_body(self, response: Response) -> bytes | None:
        """The XML of a sitemap response: plain, or gzip (.xml.gz) inflated up to DOWNLOAD_MAXSIZE."""
        if gzip_magic_number(response):
            try:
                return gunzip(response.body, max_size=self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
            except Exception:  # corrupt or too large: not a usable sitemap
                return None
        return response.body or None

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request | RawPage]:
        """RSS 2.0 and Atom entries (crawlers/feeds.py), followed while the page budget lasts."""
        text = response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
        entries = feed_entries(text, response.url)
        if entries is None:
            self.crawler.stats.inc_value(stats.FEEDS_INVALID)
            self.logger.warning("%s: not an RSS/Atom feed: %s", self.site.name, response.url)
            return
        self.crawler.stats.inc_value(stats.FEEDS_OK)
        for entry in entries:
            if self._discovered >= self._page_budget():
                self.crawler.stats.inc_value(stats.DISCOVERED_OVER_MAX)
                return
            if not self.site.is_article_url(entry.url):
                continue
            day = date_from_url(entry.url) or entry.day
            request = self._article_request(entry.url, day, source="feed", found_on=response.url)
            if request is not None:
                yield request

    # -- articles ----------------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[Any]:
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        if (
            response.meta.get("attachment")
            or not isinstance(response, TextResponse)
            or is_attachment(response.url, content_type)
        ):
            self.crawler.stats.inc_value(stats.ATTACHMENTS)
            self._article_settled(response.meta, ok=True)
            yield self._raw(response, kind="attachment")
            return
        page = self._raw(response, kind="page")
        stem = page_stem(response.url)
        parts = continuations(response, stem) if stem else []
        if not parts:
            self._article_settled(response.meta, ok=True)
            yield page
            return
        article = _MultiPage(page=page, meta=dict(response.meta), stem=stem or "", seen={response.url})
        self._enqueue_parts(article, parts)
        self._open_articles[id(article)] = article
        self.crawler.stats.inc_value(stats.MULTIPAGE_ARTICLES)
        yield self._next_part(article)

    def _enqueue_parts(self, article: _MultiPage, urls: Iterable[str]) -> None:
        for url in urls:
            if url not in article.seen and len(article.seen) <= MAX_PARTS:
                article.seen.add(url)
                article.queue.append(url)
        article.queue.sort(key=part_number)

    def _next_part(self, article: _MultiPage) -> scrapy.Request:
        url = article.queue.pop(0)
        return scrapy.Request(
            url,
            callback=self.parse_part,
            errback=self.on_part_error,
            cb_kwargs={"article": article},
            meta={"role": "part", "list_date": article.page.list_date},
            dont_filter=True,
        )

    def parse_part(self, response: Response, article: _MultiPage) -> Iterator[Any]:
        if not isinstance(response, TextResponse) or response.meta.get("attachment"):
            yield from self._part_failed(article, response.url, response.status, "not an HTML page")
            return
        article.page.parts.append(response.body)
        article.page.part_urls.append(response.url)
        self._enqueue_parts(article, continuations(response, article.stem))
        if article.queue:
            yield self._next_part(article)
            return
        self._open_articles.pop(id(article), None)
        self._article_settled(article.meta, ok=True)
        yield article.page

    def on_part_error(self, failure: Failure) -> Iterator[RawPage]:
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]
        status, reason = failure_reason(failure)
        yield from self._part_failed(request.cb_kwargs["article"], request.url, status, reason)

    def _part_failed(self, article: _MultiPage, url: str, status: int | None, reason: str) -> Iterator[RawPage]:
        """Emit the article with the parts obtained, and the failed part as an error record."""
        self.crawler.stats.inc_value(stats.failed("part"))
        self._open_articles.pop(id(article), None)
        self._article_settled(article.meta, ok=False)
        number = len(article.page.parts) + 2  # the first page is page 1
        total = number + len(article.queue)
        self.logger.warning("%s: page %s of %s failed: %s (%s)", self.site.name, number, article.page.url, reason, url)
        yield article.page
        yield self._error(
            url,
            f"{reason} (article part: page {number} of {total} of {article.page.url})",
            status=status,
            referer=article.page.final_url,
            list_date=article.page.list_date,
        )

    def unfinished_items(self) -> list[RawPage]:
        """Multi-page articles still waiting for a part when the crawl closes (max_pages, max_bytes):
        the pipeline writes them out with the parts obtained, and why the rest is missing."""
        out: list[RawPage] = []
        for article in self._open_articles.values():
            missing = len(article.queue) + 1
            out.append(article.page)
            out.append(
                self._error(
                    article.page.url,
                    f"crawl closed before {missing} continuation page(s) were fetched (article part)",
                    final_url=article.page.final_url,
                    list_date=article.page.list_date,
                )
            )
            list_url = article.meta.get("list_url")
            if list_url:
                self._list_incomplete.add(list_url)
        self._open_articles.clear()
        return out

    def final_validators(self) -> dict[str, dict[str, str]]:
        """What to send as If-None-Match / If-Modified-Since next run (``--validators``).

        A list page's new validators are kept only when every article it led to was settled without
        failure: otherwise a 304 next run would hide the failed article until the column changes.
        Entries of list pages not reached this run (max_pages) are kept as they were.
        """
        out = dict(self.validators_in)
        for url, found in self._validators_seen.items():
            if found is None or url in self._list_incomplete or self._list_outstanding[url] > 0:
                out.pop(url, None)
            else:
                out[url] = found
        return out

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
            referer=response.meta.get("found_on") or _referer(response.request) if response.request else None,
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
            referer=request.meta.get("found_on") or _referer(request),
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


def _referer(request: scrapy.Request) -> str | None:
    return (request.headers.get("Referer", b"") or b"").decode("latin-1") or None
