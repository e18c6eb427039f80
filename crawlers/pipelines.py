"""Item pipeline: stream every RawPage to the run's JSON-lines file as it arrives.

With the WARC archive on (crawlers/archive.py), a page's bodies are written as references to their
response records, so the run's bytes are stored once, in the archive.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawlers.archive import archive_of
from crawljob import stats
from pages.raw import RawPage, RawPageWriter


class RawPageFilePipeline:
    def __init__(self, path: str, crawler: Crawler) -> None:
        self.writer = RawPageWriter(path)
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RawPageFilePipeline:
        path = crawler.settings.get("RAW_PAGES_PATH")
        if not path:
            raise NotConfigured("RAW_PAGES_PATH is not set")
        return cls(path, crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, RawPage):
            archive = archive_of(self.crawler)
            self.writer.write(archive.by_reference(item) if archive is not None else item)
            if self.crawler.stats:
                self.crawler.stats.inc_value(stats.raw_pages(item.kind))
        return item

    def close_spider(self) -> None:
        # Items the spider still holds when the crawl closes early (max_pages, max_bytes): a multi-page
        # article whose last parts were never fetched is written with the parts it has, plus why.
        unfinished = getattr(self.crawler.spider, "unfinished_items", None)
        for item in unfinished() if callable(unfinished) else ():
            self.process_item(item)
        self.writer.close()
