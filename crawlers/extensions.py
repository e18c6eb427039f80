"""Close conditions as extensions, wired by signals (the shape of Scrapy's CloseSpider)."""

from __future__ import annotations

import logging
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured, StopDownload
from scrapy.http import Response
from scrapy.utils.defer import _schedule_coro

from crawljob import stats

log = logging.getLogger(__name__)


class MaxBytesClose:
    """Registry ``max_bytes``: close the crawl cleanly once the downloaded bytes exceed it.

    Responses still in flight when the limit is crossed are cut at their headers (StopDownload with
    fail=True), so they end in the spider's errback, which knows from the MAX_BYTES_REACHED stat that
    they were not fetched this run rather than failed. The limit is the spider's site's own (one crawl
    process crawls one site); a spider without one leaves the extension idle.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.closing = False
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.headers_received, signal=signals.headers_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MaxBytesClose:
        if not crawler.settings.getbool("DANGJIAN_MAX_BYTES_ENABLED", True):
            raise NotConfigured
        return cls(crawler)

    def _limit(self) -> int | None:
        site = getattr(self.crawler.spider, "site", None)
        return getattr(site, "max_bytes", None)

    def response_received(self, response: Response, request: scrapy.Request, **_: Any) -> None:
        limit = self._limit()
        if not limit or self.closing or self.crawler.stats is None:
            return
        received = self.crawler.stats.get_value("downloader/response_bytes", 0)
        if received > limit:
            self.closing = True
            log.warning("%s bytes downloaded, over max_bytes %s: closing", received, limit)
            self.crawler.stats.set_value(stats.MAX_BYTES_REACHED, received)
            assert self.crawler.engine is not None
            _schedule_coro(self.crawler.engine.close_spider_async(reason="closespider_maxbytes"))

    def headers_received(self, **_: Any) -> None:
        if self.closing:
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value(stats.CUT_AFTER_MAX_BYTES)
            raise StopDownload(fail=True)
