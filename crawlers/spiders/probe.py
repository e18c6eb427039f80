"""The probe spider: reads one column's list page politely and records what it finds (probe/findings).

Why a Scrapy spider rather than a small fetcher: every protection the crawl has earned against real
portals comes with it for free: robots.txt (RobotsTxtMiddleware), the project's user agent, the
allowed-host middleware (no redirect to another host, port or scheme, nor to a non-public address: the
crawl's own origin check, sites/origin.py), DOWNLOAD_MAXSIZE (gzip
bombs, endless bodies), timeouts, retries, redirect limits; and the hostile-server tests already prove
them. A probe is a dozen requests: the start page, one further list page, a feed and a sitemap if
announced, and a few articles, all under a page budget and a time limit (crawlers/probe_run.py).

Two modes: ``probe`` infers the article and list patterns (crawlers.discovery); ``check`` applies a
registry entry's own rules to the live page, as the portal spider would, and also infers, so a report
can say what the page looks like now.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawlers import discovery
from crawlers.failures import failure_reason
from crawlers.feeds import feed_entries, sitemap_entries
from probe.findings import ArticleSample, Findings, GroupSummary, Mode
from sites.origin import AddressRule, probe_origin
from sites.registry import DEFAULT_NEXT_PAGE_TEXTS, SiteConfig
from steps.decode import DecodeError, decode_html
from steps.extract import ExtractionError, extract_article

SAMPLE_ARTICLES = 3
TEXT_LINES = 3  # first lines of each sample's text shown
MAX_GROUPS_REPORTED = 4


class ProbeSpider(scrapy.Spider):
    name = "probe"

    def __init__(
        self,
        url: str,
        mode: Mode = "probe",
        name: str | None = None,
        site: SiteConfig | None = None,
        addresses: AddressRule = "public",
        **kw: Any,
    ) -> None:
        super().__init__(name=f"probe-{name or 'column'}", **kw)
        self.site = site
        self.findings = Findings(mode=mode, url=url, name=name)
        self.origin = probe_origin(url, self.site, addresses)  # AllowedHostsMiddleware applies it
        self.allowed_domains = list(self.origin.domains or ())
        self._next_texts = self.site.next_page_texts if self.site else DEFAULT_NEXT_PAGE_TEXTS
        self._matches: Any = None  # is this URL one of the column's articles? (set on the list page)
        self._started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ProbeSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._robots_sitemaps, signal=signals.robots_parsed)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    def _robots_sitemaps(self, robotparser: Any, request: scrapy.Request, **_: Any) -> None:
        sitemaps = getattr(getattr(robotparser, "rp", None), "sitemaps", None) or []
        for url in sitemaps:
            url = urljoin(request.url, url)
            if self.origin.allows(url) and url not in self.findings.sitemaps:
                self.findings.sitemaps.append(url)

    def _closed(self, spider: scrapy.Spider, reason: str) -> None:
        self.findings.seconds = round(time.monotonic() - self._started, 2)
        if self.crawler.stats:
            self.findings.requests = int(self.crawler.stats.get_value("downloader/request_count", 0) or 0)
        if reason not in ("finished",) and self.findings.status is None and not self.findings.reason:
            self.findings.reason = f"crawl closed ({reason}) before the list page was read"

    async def start(self) -> Any:
        yield _request(self.findings.url, self.parse_list, self.on_list_error)

    # -- the list page -----------------------------------------------------------------------------

    def on_list_error(self, failure: Failure) -> None:
        self.findings.reason = _reason(failure, "list page")

    def parse_list(self, response: Response) -> Iterator[scrapy.Request]:
        f = self.findings
        f.status, f.final_url = response.status, response.url
        if not isinstance(response, TextResponse) or not response.body.strip():
            f.reason = "the list page is not an HTML page"
            return
        f.page_title = " ".join((response.xpath("//title/text()").get() or "").split()) or None
        f.column_name = response.xpath("//meta[@name='ColumnName']/@content").get()
        links = discovery.page_links(response)
        groups = discovery.article_groups(links, response.url)
        f.groups = [
            GroupSummary(g.shape, len(g.urls), g.dated, g.mean_text, g.score, list(g.urls[:2]))
            for g in groups[:MAX_GROUPS_REPORTED]
        ]
        best = groups[0] if groups and groups[0].looks_like_articles else None
        if best is not None:
            f.article_pattern = discovery.article_pattern(best)
        if self.site is not None:
            site = self.site
            self._matches = site.is_article_url
            own = [x.url for x in links if site.is_article_url(x.url)]
        elif best is not None:
            self._matches = re.compile(f.article_pattern or "").search
            own = [x.url for x in links if self._matches(x.url)]
        else:
            f.reason = "no article list found: " + discovery.why_no_list(groups)
            return
        f.article_urls = [u for u in dict.fromkeys(own) if self.origin.allows(u)]
        f.offsite_article_links = len(set(own)) - len(f.article_urls)
        pagination = discovery.find_pagination(response, links, set(own), self._next_texts)
        f.pagination_pages, f.pagination_kinds = list(pagination.pages), list(pagination.kinds)
        f.list_patterns = discovery.list_patterns(response.url, pagination.pages) if pagination.pages else []
        if self.site is not None:
            f.entry_list_links = len(_entry_list_pages(self.site, response, links))
        yield from self._follow_ups(response, links)

    def _follow_ups(self, response: TextResponse, links: list[discovery.Link]) -> Iterator[scrapy.Request]:
        f = self.findings
        for url in f.article_urls[:SAMPLE_ARTICLES]:
            f.articles.append(ArticleSample(url))
            yield _request(url, self.parse_article, self.on_article_error, n=len(f.articles) - 1)
        second = _second_page(self.site, response, links, f.pagination_pages)
        if second:
            f.page2_url = second
            yield _request(second, self.parse_page2, self.on_page2_error)
        f.feeds = [u for u in discovery.feed_links(response) if self.origin.allows(u)]
        if f.feeds:
            yield _request(f.feeds[0], self.parse_feed, self.on_side_error)
        if f.sitemaps:
            yield _request(f.sitemaps[0], self.parse_sitemap, self.on_side_error)

    # -- follow-ups ----------------------------------------------------------------------------------

    def parse_page2(self, response: Response) -> None:
        if not isinstance(response, TextResponse):
            self.findings.page2_reason = "not an HTML page"
            return
        urls = {x.url for x in discovery.page_links(response) if self._matches and self._matches(x.url)}
        self.findings.page2_article_links = len(urls)

    def on_page2_error(self, failure: Failure) -> None:
        self.findings.page2_reason = _reason(failure, "second list page")

    def parse_feed(self, response: Response) -> None:
        text = response.text if isinstance(response, TextResponse) else ""
        entries = feed_entries(text, response.url) or []
        self.findings.feed_articles = sum(1 for e in entries if self._matches and self._matches(e.url))

    def parse_sitemap(self, response: Response) -> None:
        sitemap = sitemap_entries(response.body)
        entries = sitemap.entries if sitemap and sitemap.kind == "urlset" else []  # not XML: no articles
        self.findings.sitemap_articles = sum(1 for e in entries if self._matches and self._matches(e.url))

    def on_side_error(self, failure: Failure) -> None:
        self.logger.info("probe: %s", _reason(failure, "feed or sitemap"))

    def parse_article(self, response: Response, n: int) -> None:
        sample = self.findings.articles[n]
        sample.status = response.status
        if not isinstance(response, TextResponse):
            sample.reason = "not an HTML page"
            return
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        try:
            page = decode_html(response.body, content_type)
            body_xpath = self.site.body_xpath if self.site else None
            title_xpath = self.site.title_xpath if self.site else None
            article = extract_article(page.text, response.url, body_xpath=body_xpath, title_xpath=title_xpath)
        except (DecodeError, ExtractionError) as exc:
            sample.reason = f"extraction: {exc}"
            return
        sample.title, sample.source = article.title, article.source
        sample.published = article.published_at.isoformat() if article.published_at else None
        sample.lines = [line[:120] for line in article.text.splitlines() if line.strip()][:TEXT_LINES]

    def on_article_error(self, failure: Failure) -> None:
        n = failure.request.cb_kwargs["n"]  # type: ignore[attr-defined]
        self.findings.articles[n].reason = _reason(failure, "article")


def _request(url: str, callback: Any, errback: Any, **cb_kwargs: Any) -> scrapy.Request:
    """dont_filter: Scrapy's offsite filter would drop a redirect to another host silently; the project's
    AllowedHostsMiddleware refuses it instead, through the errback, so the probe can say why."""
    return scrapy.Request(url, callback=callback, errback=errback, cb_kwargs=cb_kwargs, dont_filter=True)


def _reason(failure: Failure, what: str) -> str:
    if failure.check(IgnoreRequest) and "robots.txt" in failure.getErrorMessage():
        return f"robots.txt forbids fetching the {what}"
    _status, reason = failure_reason(failure)
    return f"{what}: {reason}"


def _entry_list_pages(site: SiteConfig, response: TextResponse, links: list[discovery.Link]) -> set[str]:
    """Further list pages the portal spider would follow from this page with the entry's own rules."""
    here = response.url.split("#", 1)[0]
    texts = {discovery.label(t) for t in site.next_page_texts} - {""}
    pages = {x.url for x in links if x.url != here and not site.is_article_url(x.url) and site.is_list_url(x.url)}
    pages |= {x.url for x in links if x.label and x.label in texts and x.url != here}
    pages |= set(discovery.column_pages(response)) - {here}
    return pages


_NEXT = frozenset({"下一页", "下页", "后一页"})


def _second_page(
    site: SiteConfig | None, response: TextResponse, links: list[discovery.Link], pages: list[str]
) -> str | None:
    """The list page to fetch after the first: the 下一页 link's, else the first numbered page after it."""
    candidates = sorted(_entry_list_pages(site, response, links)) if site else list(pages)
    host = urlsplit(response.url).hostname
    candidates = [u for u in candidates if urlsplit(u).hostname == host]
    for link in links:
        if link.label in _NEXT and link.url in candidates:
            return link.url
    candidates.sort(key=lambda u: discovery.page_number(u) == 0)  # index.html is the first page again
    return candidates[0] if candidates else None
