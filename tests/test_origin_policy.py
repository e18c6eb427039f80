"""The origin policy, the DNS-rebinding resolver and failure reasons as components: requests and
failures built in the test, a crawler from scrapy.utils.test.get_crawler, no server (issue #13)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

import pytest
import scrapy
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler
from twisted.internet import defer
from twisted.python.failure import Failure

from crawlers import settings as project_settings
from crawlers.failures import failure_reason
from crawlers.middlewares import AllowedHostsMiddleware, OffsiteRefused, Origin
from crawlers.resolver import ALLOW_SETTING, PrivateAddressRefused, PublicAddressResolver, non_public
from crawlers.spiders.portal import PortalSpider
from crawljob import stats
from sites.registry import RegistryError, load_registry, parse_site

ENTRY: dict[str, Any] = {
    "name": "demo",
    "start_urls": ["http://portal.example.cn/djgz/index.html"],
    "article_url_patterns": [r"/djgz/\d{6}/t\d{8}_\d+\.html$"],
}


def _site(**extra: Any) -> Any:
    return parse_site({**ENTRY, **extra})


def _middleware(site: Any) -> tuple[AllowedHostsMiddleware, Any]:
    crawler = get_crawler(PortalSpider, settings_dict={"DOWNLOAD_HANDLERS": project_settings.DOWNLOAD_HANDLERS})
    crawler.spider = PortalSpider.from_crawler(crawler, site=site)
    crawler.stats.open_spider()
    return AllowedHostsMiddleware.from_crawler(crawler), crawler


# --- the policy, URL by URL ------------------------------------------------------------------------

ARTICLE = "/djgz/202401/t20240101_7.html"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        (f"http://portal.example.cn{ARTICLE}", None),
        (f"https://portal.example.cn{ARTICLE}", None),  # http → https upgrade on 443
        (f"http://www.portal.example.cn{ARTICLE}", None),  # subdomain
        (f"http://portal.example.cn:80{ARTICLE}", None),
        (f"file://portal.example.cn/etc/passwd#{ARTICLE}", "scheme"),
        ("file:///etc/passwd", "scheme"),
        (f"ftp://portal.example.cn{ARTICLE}", "scheme"),
        (f"s3://portal.example.cn{ARTICLE}", "scheme"),
        ("data:text/html,<p>x</p>", "scheme"),
        (f"gopher://portal.example.cn{ARTICLE}", "scheme"),
        (f"http://portal.example.cn:8080{ARTICLE}", "port"),
        (f"http://portal.example.cn:22{ARTICLE}", "port"),
        (f"https://portal.example.cn:8443{ARTICLE}", "port"),
        (f"http://portal.example.cn:99999{ARTICLE}", "port"),
        (f"http://evil.example{ARTICLE}", "host"),
        (f"http://portal.example.cn.evil.example{ARTICLE}", "host"),
        (f"http://10.0.0.1{ARTICLE}", "host"),
        (f"http://169.254.169.254{ARTICLE}", "host"),
        (f"http://user@evil.example{ARTICLE}", "authority"),  # credentials: refused whatever the host
    ],
)
def test_origin_refuses_other_schemes_hosts_and_ports(url: str, kind: str | None) -> None:
    site = _site()
    refused = Origin(site.allowed_domains, site.allowed_ports).refusal(url)
    assert (refused[0] if refused else None) == kind, refused


def test_default_ports_are_the_start_urls_ports() -> None:
    assert _site().allowed_ports == (80, 443)
    replica = _site(start_urls=["http://127.0.0.1:8123/djgz/index.html"], allowed_domains=["127.0.0.1"])
    assert replica.allowed_ports == (8123,)
    origin = Origin.of_site(replica)
    assert origin.refusal(f"http://127.0.0.1:8123{ARTICLE}") is None
    assert origin.refusal("http://127.0.0.1:8124/admin")[0] == "port"  # type: ignore[index]
    assert origin.refusal(f"http://127.0.0.1{ARTICLE}")[0] == "port"  # type: ignore[index]
    assert _site(allowed_ports=[80, 8080]).allowed_ports == (80, 8080)


def test_middleware_refuses_before_any_handler_and_counts_each_refusal() -> None:
    middleware, crawler = _middleware(_site())
    middleware.process_request(scrapy.Request(f"http://portal.example.cn{ARTICLE}"))  # passes: no raise
    for url, key in (
        ("file://portal.example.cn/etc/passwd", stats.REFUSED_SCHEME),
        (f"ftp://portal.example.cn{ARTICLE}", stats.REFUSED_SCHEME),
        (f"http://portal.example.cn:2121{ARTICLE}", stats.REFUSED_PORT),
        (f"http://evil.example{ARTICLE}", stats.REFUSED_OFFSITE),
    ):
        with pytest.raises(OffsiteRefused) as refused:
            middleware.process_request(scrapy.Request(url, dont_filter=True))
        assert crawler.stats.get_value(key), key
        assert "refused" in str(refused.value)
    assert crawler.stats.get_value(stats.REFUSED_SCHEME) == 2


def test_redirects_and_meta_refreshes_come_back_through_the_policy() -> None:
    """Scrapy's redirect middlewares build a new request; the policy refuses it like any other."""
    middleware, crawler = _middleware(_site())
    request = scrapy.Request(f"http://portal.example.cn{ARTICLE}", dont_filter=True)
    redirect = RedirectMiddleware.from_crawler(crawler)
    meta_refresh = MetaRefreshMiddleware.from_crawler(crawler)
    refused = 0
    for target in ("http://portal.example.cn:8081/admin", "http://127.0.0.1/admin", "file:///etc/passwd"):
        moved = Response(request.url, status=302, headers={"Location": target}, request=request)
        follow = redirect.process_response(request, moved)
        if isinstance(follow, scrapy.Request):  # Scrapy itself drops non-http(s) Locations
            with pytest.raises(OffsiteRefused):
                middleware.process_request(follow)
            refused += 1
        page = HtmlResponse(
            request.url,
            body=f'<html><head><meta http-equiv="refresh" content="0;url={target}"></head></html>'.encode(),
            request=request,
        )
        refresh = meta_refresh.process_response(request, page)
        if isinstance(refresh, scrapy.Request):
            with pytest.raises(OffsiteRefused):
                middleware.process_request(refresh)
            refused += 1
    assert refused >= 4  # both http targets, by Location and by meta refresh


def test_unused_download_handlers_are_off_and_remote_control_too() -> None:
    assert project_settings.DOWNLOAD_HANDLERS == {"file": None, "ftp": None, "s3": None, "data": None}
    assert project_settings.REMOTE_CONTROL_ENABLED is False
    assert project_settings.TWISTED_DNS_RESOLVER == "crawlers.resolver.PublicAddressResolver"


# --- patterns see the path and query only ----------------------------------------------------------


def test_patterns_match_path_and_query_never_the_fragment_or_host() -> None:
    site = _site(article_url_patterns=[r"t\d{8}_\d+\.html"], list_url_patterns=[r"index\.html"])
    assert site.is_article_url(f"http://portal.example.cn{ARTICLE}")
    assert not site.is_article_url(f"file://portal.example.cn/etc/passwd#{ARTICLE}")
    assert not site.is_article_url(f"http://portal.example.cn/etc/passwd#{ARTICLE}")
    assert not site.is_article_url("http://t20240101_1.html.example/x")  # host
    assert site.is_list_url("http://portal.example.cn/a/index.html?page=2")
    assert not site.is_list_url("http://portal.example.cn/a/#index.html")


# --- registry validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ({"article_url_patterns": ["/(a+)+$"]}, "article_url_patterns", "backtrack"),
        ({"article_url_patterns": ["/(a|ab)*$"]}, "article_url_patterns", "backtrack"),
        ({"list_url_patterns": ["^(\\d*)*x"]}, "list_url_patterns", "backtrack"),
        ({"article_url_patterns": [".*.*.*.*.*x"]}, "article_url_patterns", "too slow"),
        ({"download_delay": float("inf")}, "download_delay", "from 0 to"),
        ({"download_delay": float("nan")}, "download_delay", "from 0 to"),
        ({"download_delay": -1}, "download_delay", "from 0 to"),
        ({"download_delay": 100000}, "download_delay", "from 0 to"),
        ({"body_xpath": "//div[@id='zoom'"}, "body_xpath", "invalid XPath"),
        ({"title_xpath": "///"}, "title_xpath", "invalid XPath"),
        ({"body_xpath": ""}, "body_xpath", "non-empty"),
        ({"allowed_ports": [70000]}, "allowed_ports", "port number"),
        ({"allowed_ports": [8080]}, "allowed_ports", "does not include"),
        ({"allowed_ports": "80"}, "allowed_ports", "list"),
        ({"allow_private_addresses": "yes"}, "allow_private_addresses", "true or false"),
    ],
)
def test_registry_refuses_unsafe_entries_naming_entry_and_field(extra: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(RegistryError) as err:
        _site(**extra)
    assert f"site 'demo', field {field!r}" in str(err.value)
    assert words in str(err.value)


def test_catastrophic_pattern_is_refused_fast() -> None:
    """The check itself must not hang on the pattern it refuses (it did freeze a crawl: issue #13)."""
    import time

    started = time.perf_counter()
    with pytest.raises(RegistryError):
        _site(article_url_patterns=["/(a+)+$"])
    assert time.perf_counter() - started < 2


def test_shipped_registries_pass_the_checks() -> None:
    root = Path(__file__).resolve().parent.parent
    for path, variables in (
        (None, {}),
        (root / "replica" / "hostile_sites.yaml", {"base_url": "http://127.0.0.1:1"}),
        (root / "replica" / "sites.yaml", {"base_url": "http://127.0.0.1:1"}),
    ):
        assert load_registry(path, variables)


# --- DNS rebinding: a resolver stub, no real DNS ---------------------------------------------------


class StubResolver(PublicAddressResolver):
    answers: ClassVar[dict[str, str]] = {}

    def _lookup(self, name: str, timeout: Any) -> defer.Deferred[str]:
        return defer.succeed(self.answers[name])


def _resolve(site: Any, name: str, address: str) -> tuple[str | None, Failure | None, Any]:
    """Resolve through the stub, with the settings crawlers/run.py gives the crawl process of ``site``."""
    from crawlers.run import crawl_settings

    allow = crawl_settings(site, Path("unused.jsonl"), None).getbool(ALLOW_SETTING)
    crawler = get_crawler(PortalSpider, settings_dict={ALLOW_SETTING: allow})
    resolver = StubResolver.from_crawler(crawler, reactor=None)
    StubResolver.answers = {name: address}
    results: list[Any] = []
    resolver.getHostByName(name).addCallbacks(results.append, results.append)
    (result,) = results
    return (None, result, crawler) if isinstance(result, Failure) else (result, None, crawler)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "::1", "0.0.0.0"])
def test_public_name_resolving_to_non_public_address_is_refused(address: str) -> None:
    ok, failure, _ = _resolve(_site(), "portal.example.cn", address)
    assert ok is None and failure is not None and failure.check(PrivateAddressRefused)
    _, reason = failure_reason(failure)
    assert reason == f"host 'portal.example.cn' resolves to non-public address {address}: refused (DNS rebinding)"


def test_public_address_and_opted_in_intranet_portal_resolve() -> None:
    assert _resolve(_site(), "portal.example.cn", "8.8.8.8")[0] == "8.8.8.8"
    intranet = _site(allow_private_addresses=True)
    assert _resolve(intranet, "portal.example.cn", "10.1.2.3")[0] == "10.1.2.3"


def test_private_default_follows_the_allowed_domains() -> None:
    assert _site().allow_private_addresses is False
    loopback = _site(start_urls=["http://127.0.0.1:8123/djgz/index.html"], allowed_domains=["127.0.0.1"])
    assert loopback.allow_private_addresses is True
    assert _site(start_urls=["http://localhost:8123/x/index.html"]).allow_private_addresses is True
    assert _resolve(loopback, "127.0.0.1", "127.0.0.1")[0] == "127.0.0.1"  # a literal is itself
    assert non_public("::ffff:127.0.0.1") and non_public("100.64.0.1") and not non_public("1.1.1.1")


# --- failure reasons are sentences -----------------------------------------------------------------


def test_cancelled_download_without_message_has_a_reason() -> None:
    """Scrapy cancels a chunked body past DOWNLOAD_MAXSIZE with an empty message: it crashed
    failure_reason (IndexError) and the page vanished without a record."""
    from scrapy.exceptions import DownloadCancelledError

    assert failure_reason(Failure(DownloadCancelledError(""))) == (None, "response larger than the download max size")


def test_twisted_wrapped_failures_read_as_sentences() -> None:
    from twisted.internet.error import ConnectionLost
    from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

    for exc in (ResponseNeverReceived([Failure(ConnectionLost())]), ResponseFailed([Failure(ConnectionLost())])):
        _, reason = failure_reason(Failure(exc))
        assert reason == "connection closed by the server before a complete response"
    _, reason = failure_reason(Failure(RuntimeError(f"<{object()!r}>")))
    assert not re.search(r"<|0x[0-9a-f]+", reason), reason
