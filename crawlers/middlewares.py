"""Downloader middleware: the allowed-host policy, applied to every request before it is sent."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from crawlers import stats


class OffsiteRefused(IgnoreRequest):
    """A request (typically a redirect) to a host outside the site's allowed_domains, never sent."""

    def __init__(self, host: str) -> None:
        super().__init__(f"refused offsite request to {host!r} (not in allowed_domains)")
        self.host = host


def host_allowed(host: str, allowed_domains: Iterable[str]) -> bool:
    """``host`` is one of ``allowed_domains`` or a subdomain of one (IP literals match only exactly).

    Not Scrapy's ``url_is_from_any_domain``: it compares the netloc, port included, so a replica on
    ``127.0.0.1:8123`` would never match an allowed ``127.0.0.1``.
    """
    host = host.lower().rstrip(".")
    return any(host == d.lower() or host.endswith("." + d.lower()) for d in allowed_domains)


class AllowedHostsMiddleware:
    """Downloader middleware: refuse, before any DNS lookup or connection, every request to a host
    outside the spider's allowed_domains — including redirects and ``dont_filter`` requests.

    Why not only Scrapy's OffsiteMiddleware: it lets ``dont_filter`` requests through, and retries
    and redirects of our article requests carry ``dont_filter``; a portal redirecting to
    ``http://10.0.0.1/`` or a cloud metadata address must never get us to connect there. The
    failure goes to the request's errback, so the refusal is recorded as a fetch error.
    Enabled in settings.py ahead of OffsiteMiddleware and RobotsTxtMiddleware (which would fetch
    the foreign host's robots.txt first).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler  # Scrapy >= 2.13 calls process_request(request) without the spider

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AllowedHostsMiddleware:
        return cls(crawler)

    def process_request(self, request: scrapy.Request, spider: scrapy.Spider | None = None) -> None:
        allowed = getattr(self.crawler.spider, "allowed_domains", None)
        host = urlsplit(request.url).hostname or ""
        if allowed and not host_allowed(host, allowed):
            if self.crawler.stats:
                self.crawler.stats.inc_value(stats.REFUSED_OFFSITE)
            raise OffsiteRefused(host)
