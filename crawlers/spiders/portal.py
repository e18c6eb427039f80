"""The one generic spider: a registry entry tells it everything site-specific.

Column list pages → article links → pagination → article pages, with sitemaps and feeds beside the
lists. Article responses and failed requests both become RawPage items, so the pipeline downstream can
record every failure with its reason instead of losing it. Each discovery mode is a class of its own
(lists.py, sitemaps.py, feeds.py over articles.py and base.py); this one assembles them.
"""

from __future__ import annotations

from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler

from crawlers.spiders.feeds import Feeds
from crawlers.spiders.lists import ListPages
from crawlers.spiders.sitemaps import Sitemaps


class PortalSpider(ListPages, Sitemaps, Feeds):
    name = "portal"

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> PortalSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._release_list_pages, signal=signals.spider_idle)
        crawler.signals.connect(spider._stop_attachment_download, signal=signals.headers_received)
        crawler.signals.connect(spider._robots_sitemaps, signal=signals.robots_parsed)
        return spider

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
