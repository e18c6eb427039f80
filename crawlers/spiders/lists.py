"""Column list pages: article links, pagination (list patterns, 下一页 links, scripts), conditional GETs,
and list pages released only once the articles found so far are settled."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse

from crawlers.discovery import (
    anchor_label,
    column_pages,
    entry_date,
    script_urls,
)
from crawlers.spiders.articles import ArticlePages
from crawljob import stats
from sites.origin import host_in_domains
from steps.urldates import date_from_url

# A list page past either bound is cut there, with an error record saying so: a column page holds tens
# of links, a hostile one 100,000 (31 s and ~500 MB of parsing per page, issue #13).
MAX_LIST_PAGE_BYTES = 4 * 1024 * 1024
MAX_LIST_LINKS = 5000


class ListPages(ArticlePages):
    """Discovery through the column's list pages (the registry's start_urls)."""

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
