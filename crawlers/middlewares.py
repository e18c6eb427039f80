"""Downloader middleware: the scheme, host and port policy, applied to every request before it is sent."""

from __future__ import annotations

import logging

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from crawljob import stats
from sites.origin import Origin, RefusalKind

log = logging.getLogger(__name__)


class OffsiteRefused(IgnoreRequest):
    """A request outside the site's origin policy (scheme, host, address or port), never sent."""

    def __init__(self, reason: str, kind: RefusalKind = "host", host: str = "") -> None:
        super().__init__(reason)
        self.kind = kind
        self.host = host


REFUSAL_STATS: dict[RefusalKind, str] = {
    "scheme": stats.REFUSED_SCHEME,
    "authority": stats.REFUSED_AUTHORITY,  # credentials, or a backslash: which host is meant is disputed
    "host": stats.REFUSED_OFFSITE,
    "address": stats.REFUSED_PRIVATE_ADDRESS,
    "port": stats.REFUSED_PORT,
}


class AllowedHostsMiddleware:
    """Downloader middleware, the one choke point of the origin policy: refuse, before any handler runs
    (no DNS lookup, no connection, no file read), every request whose scheme is not http/https, whose
    host is outside the spider's allowed_domains, whose port the registry entry does not name, or which
    names a non-public IP literal the entry does not allow (sites/origin.py).

    Why here: Scrapy's OffsiteMiddleware compares host names only and lets ``dont_filter`` requests
    through (retries and redirects of our article requests carry it), and its file/ftp handlers would
    happily read ``file://<allowed host>/etc/passwd``. Redirects and meta refreshes come back through
    this chain too: RedirectMiddleware (600) and MetaRefreshMiddleware (580) return new requests, which
    the engine schedules and the downloader passes to every middleware again, starting here at 40.
    The refusal goes to the request's errback, so it is recorded as a fetch error with its reason.
    Enabled in settings.py ahead of OffsiteMiddleware (50) and RobotsTxtMiddleware (100, which would
    fetch the foreign host's robots.txt first).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler  # Scrapy >= 2.13 calls process_request(request) without the spider

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AllowedHostsMiddleware:
        return cls(crawler)

    def _origin(self) -> Origin:
        """The spider's own Origin (the probe's), else its registry entry's, else its allowed_domains'."""
        spider = self.crawler.spider
        origin = getattr(spider, "origin", None)
        if isinstance(origin, Origin):
            return origin
        site = getattr(spider, "site", None)
        if site is not None:
            return Origin.of_site(site)
        domains = getattr(spider, "allowed_domains", None)
        return Origin(tuple(domains) if domains else None)

    def process_request(self, request: scrapy.Request, spider: scrapy.Spider | None = None) -> None:
        refused = self._origin().refusal(request.url)
        if refused is None:
            return
        kind, host, reason = refused
        if self.crawler.stats:
            self.crawler.stats.inc_value(REFUSAL_STATS[kind])
        log.info("%s: %s", reason, request.url[:300])
        raise OffsiteRefused(reason, kind, host)
