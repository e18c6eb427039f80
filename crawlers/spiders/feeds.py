"""RSS and Atom feeds: the registry's feed_urls."""

from __future__ import annotations

from collections.abc import Iterator

import scrapy
from scrapy.http import Response, TextResponse

from crawlers.feeds import feed_entries
from crawlers.spiders.articles import ArticlePages
from crawljob import stats
from pages.raw import RawPage


class Feeds(ArticlePages):
    """Discovery through the entries of RSS/Atom feeds."""

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request | RawPage]:
        """RSS 2.0 and Atom entries (crawlers/feeds.py), followed while the page budget lasts."""
        text = response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
        entries = feed_entries(text, response.url)
        if entries is None:
            self.crawler.stats.inc_value(stats.FEEDS_INVALID)
            self.logger.warning("%s: not an RSS/Atom feed: %s", self.site.name, response.url)
            return
        self.crawler.stats.inc_value(stats.FEEDS_OK)
        yield from self._announced_articles(entries, "feed", response.url)
