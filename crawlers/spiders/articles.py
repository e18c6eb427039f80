"""Article pages: the one gate every found article URL passes, the fetch, and TRS continuation pages
(t…_1.html, t…_2.html) fetched one after another and handed on with their first page."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any, Literal

import scrapy
from scrapy.exceptions import StopDownload
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawlers.discovery import (
    MAX_PARTS,
    continuations,
    is_attachment,
    page_stem,
    part_number,
)
from crawlers.failures import failure_reason
from crawlers.feeds import Entry
from crawlers.middlewares import REFUSAL_STATS
from crawlers.spiders.base import MultiPage, PortalBase
from crawljob import stats
from pages.raw import RawPage
from steps.urldates import date_from_url
from steps.urls import canonical_url


class ArticlePages(PortalBase):
    """Requests and parses articles, whichever mode found them."""

    def _stop_attachment_download(self, headers: Any, body_length: int, request: scrapy.Request, **_: Any) -> None:
        """Attachments reached as articles (or redirected to): keep the headers, never download the body.
        (Once max_bytes is reached, crawlers.extensions.MaxBytesClose cuts every response at its headers.)"""
        if request.meta.get("role") not in ("article", "part"):
            return
        content_type = (headers.get("Content-Type") or b"").decode("latin-1")
        if is_attachment(request.url, content_type):
            request.meta["attachment"] = True
            raise StopDownload(fail=False)

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

    def _announced_articles(
        self, entries: Iterable[Entry], source: Literal["sitemap", "feed"], found_on: str
    ) -> Iterator[scrapy.Request | RawPage]:
        """The article requests of a sitemap's or a feed's entries, until the run's page budget is spent
        (checked per entry: a 400k-URL sitemap stops being read, not only being queued)."""
        for entry in entries:
            if self._discovered >= self._page_budget():
                self.crawler.stats.inc_value(stats.DISCOVERED_OVER_MAX)
                self.logger.info("%s: max_pages reached: rest of %s %s not read", self.site.name, source, found_on)
                return
            if not self.site.is_article_url(entry.url):
                continue
            day = date_from_url(entry.url) or entry.day
            found = self._article_request(entry.url, day, source=source, found_on=found_on)
            if found is not None:
                yield found

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
        article = MultiPage(page=page, meta=dict(response.meta), stem=stem or "", seen={response.url})
        self._enqueue_parts(article, parts)
        self._open_articles[id(article)] = article
        self.crawler.stats.inc_value(stats.MULTIPAGE_ARTICLES)
        yield self._next_part(article)

    def _enqueue_parts(self, article: MultiPage, urls: Iterable[str]) -> None:
        for url in urls:
            if url not in article.seen and len(article.seen) <= MAX_PARTS:
                article.seen.add(url)
                article.queue.append(url)
        article.queue.sort(key=part_number)

    def _next_part(self, article: MultiPage) -> scrapy.Request:
        url = article.queue.pop(0)
        return scrapy.Request(
            url,
            callback=self.parse_part,
            errback=self.on_part_error,
            cb_kwargs={"article": article},
            meta={"role": "part", "list_date": article.page.list_date},
            dont_filter=True,
        )

    def parse_part(self, response: Response, article: MultiPage) -> Iterator[Any]:
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

    def _part_failed(self, article: MultiPage, url: str, status: int | None, reason: str) -> Iterator[RawPage]:
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
