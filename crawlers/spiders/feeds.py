"""RSS and Atom feeds: the registry's feed_urls."""

from __future__ import annotations

from collections.abc import Iterator

import scrapy
from scrapy.http import Response, TextResponse

from crawlers.feeds import feed_entries
from crawlers.spiders.articles import ArticlePages
from crawljob import stats
from pages.raw import RawPage
from steps.urldates import date_from_url


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
