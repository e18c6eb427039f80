"""Item pipeline: stream every RawPage to the run's JSON-lines file as it arrives."""

from __future__ import annotations

from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawlers.rawpages import RawPage, RawPageWriter


class RawPageFilePipeline:
    def __init__(self, path: str) -> None:
        self.writer = RawPageWriter(path)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RawPageFilePipeline:
        path = crawler.settings.get("RAW_PAGES_PATH")
        if not path:
            raise NotConfigured("RAW_PAGES_PATH is not set")
        return cls(path)

    def process_item(self, item: Any, spider: Spider) -> Any:
        if isinstance(item, RawPage):
            self.writer.write(item)
            spider.crawler.stats.inc_value(f"dangjian/raw_pages/{item.kind}")
        return item

    def close_spider(self, spider: Spider) -> None:
        self.writer.close()
