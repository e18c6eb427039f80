"""Downloader middleware: the scheme, host and port policy, applied to every request before it is sent."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from crawlers import stats
from crawlers.registry import DEFAULT_PORTS

log = logging.getLogger(__name__)

ALLOWED_SCHEMES = ("http", "https")
RefusalKind = Literal["scheme", "host", "port"]


class OffsiteRefused(IgnoreRequest):
    """A request outside the site's origin policy (scheme, host or port), never sent."""

    def __init__(self, reason: str, kind: RefusalKind = "host", host: str = "") -> None:
        super().__init__(reason)
        self.kind = kind
        self.host = host


def host_allowed(host: str, allowed_domains: Iterable[str]) -> bool:
    """``host`` is one of ``allowed_domains`` or a subdomain of one (IP literals match only exactly).

    Not Scrapy's ``url_is_from_any_domain``: it compares the netloc, port included, so a replica on
    ``127.0.0.1:8123`` would never match an allowed ``127.0.0.1``. Ports are checked by :class:`Origin`.
    """
    host = host.lower().rstrip(".")
    return any(host == d.lower() or host.endswith("." + d.lower()) for d in allowed_domains)


@dataclass(frozen=True)
class Origin:
    """Where a site's crawl may connect: http/https only, to the allowed hosts, on the allowed ports.

    ``domains`` / ``ports`` None: any host / any port (a spider without allowed_domains or without a
    registry entry, e.g. in a component test); the scheme rule always holds.
    """

    domains: tuple[str, ...] | None
    ports: Collection[int] | None = None

    def refusal(self, url: str) -> tuple[RefusalKind, str, str] | None:
        """(kind, host, one-line reason) if ``url`` must not be fetched, else None."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        if scheme not in ALLOWED_SCHEMES:
            return "scheme", host, f"refused {scheme or 'scheme-less'}: URL (only http and https are fetched)"
        if self.domains is not None and not host_allowed(host, self.domains):
            return "host", host, f"refused offsite request to {host!r} (not in allowed_domains)"
        try:
            port = parts.port or DEFAULT_PORTS[scheme]
        except ValueError:
            return "port", host, f"refused request to {host!r} with an invalid port"
        if self.ports is not None and port not in self.ports:
            allowed = ", ".join(str(p) for p in sorted(self.ports))
            return "port", host, f"refused request to port {port} of {host!r} (allowed ports: {allowed})"
        return None


_STAT = {"scheme": stats.REFUSED_SCHEME, "host": stats.REFUSED_OFFSITE, "port": stats.REFUSED_PORT}


class AllowedHostsMiddleware:
    """Downloader middleware, the one choke point of the origin policy: refuse, before any handler runs
    (no DNS lookup, no connection, no file read), every request whose scheme is not http/https, whose
    host is outside the spider's allowed_domains, or whose port the registry entry does not name.

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
        spider = self.crawler.spider
        site = getattr(spider, "site", None)
        domains = getattr(spider, "allowed_domains", None) or getattr(site, "allowed_domains", None)
        return Origin(tuple(domains) if domains else None, getattr(site, "allowed_ports", None))

    def process_request(self, request: scrapy.Request, spider: scrapy.Spider | None = None) -> None:
        refused = self._origin().refusal(request.url)
        if refused is None:
            return
        kind, host, reason = refused
        if self.crawler.stats:
            self.crawler.stats.inc_value(_STAT[kind])
        log.info("%s: %s", reason, request.url[:300])
        raise OffsiteRefused(reason, kind, host)
