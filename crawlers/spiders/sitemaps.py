"""Sitemaps: the registry's sitemap_urls and, with sitemaps_from_robots, robots.txt's Sitemap: lines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import sitemap_urls_from_robots

from crawlers.feeds import sitemap_entries
from crawlers.spiders.articles import ArticlePages
from crawljob import stats
from pages.raw import RawPage
from sites.origin import host_in_domains

MAX_SITEMAPS = 50  # sitemap files (an index's children included) per run


class Sitemaps(ArticlePages):
    """Discovery through XML sitemaps and sitemap indexes (plain or gzip)."""

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

    def _sitemap_request(self, url: str) -> scrapy.Request | None:
        if url in self._sitemaps_requested or len(self._sitemaps_requested) >= MAX_SITEMAPS:
            return None
        self._sitemaps_requested.add(url)
        return scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error, meta={"role": "sitemap"})

    def _crawl_sitemap(self, url: str) -> None:
        request = self._sitemap_request(url)
        if request is not None:
            self.crawler.engine.crawl(request)

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
        if sitemap.kind == "urlset":
            yield from self._announced_articles(sitemap.entries, "sitemap", response.url)
            return
        for entry in sitemap.entries:  # an index: its sitemaps on the site's hosts, however many articles so far
            if host_in_domains(urlsplit(entry.url).hostname or "", self.allowed_domains):
                request = self._sitemap_request(entry.url)
                if request is not None:
                    yield request

    def _sitemap_body(self, response: Response) -> bytes | None:
        """The XML of a sitemap response: plain, or gzip (.xml.gz) inflated up to DOWNLOAD_MAXSIZE."""
        if gzip_magic_number(response):
            try:
                return gunzip(response.body, max_size=self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
            except Exception:  # corrupt or too large: not a usable sitemap
                return None
        return response.body or None
