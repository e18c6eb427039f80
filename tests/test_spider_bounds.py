"""The spider's bounds on hostile discovery input, as components (issue #13): responses built in the
test and fed to the callbacks, no server. A 400k-URL sitemap queued 400k requests (~1 GB), a list page
of 100k links took 31 s and ~500 MB; the tricks on a list page must each end in a record."""

from __future__ import annotations

import time
from typing import Any

import scrapy
from scrapy.http import HtmlResponse, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from crawlers.spiders.lists import MAX_LIST_LINKS, MAX_LIST_PAGE_BYTES
from crawlers.spiders.portal import PortalSpider
from crawljob import stats
from pages.raw import RawPage
from sites.registry import parse_site

BASE = "http://127.0.0.1:8123"
SITE = parse_site(
    {
        "name": "demo",
        "start_urls": [f"{BASE}/djgz/index.html"],
        "allowed_domains": ["127.0.0.1"],
        "article_url_patterns": [r"/djgz/\d{6}/t\d{8}_\d+\.html$"],
        "max_pages": 50,
    }
)


def _spider(max_pages: int = 50) -> PortalSpider:
    crawler = get_crawler(PortalSpider, settings_dict={"CLOSESPIDER_PAGECOUNT": max_pages})
    spider = PortalSpider.from_crawler(crawler, site=SITE)
    crawler.spider = spider
    assert crawler.stats is not None
    crawler.stats.open_spider()
    return spider


def _stat(spider: PortalSpider, key: str) -> Any:
    assert spider.crawler.stats is not None
    return spider.crawler.stats.get_value(key)


def _article(n: int) -> str:
    return f"{BASE}/djgz/202401/t20240101_{n}.html"


def test_sitemap_urls_count_against_max_pages_before_queueing() -> None:
    spider = _spider(max_pages=25)
    urls = "".join(f"<url><loc>{_article(n)}</loc></url>" for n in range(100_000))
    body = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    response = XmlResponse(f"{BASE}/sitemap.xml", body=body.encode())
    started = time.perf_counter()
    out = list(spider.parse_sitemap(response))
    elapsed = time.perf_counter() - started
    assert len([r for r in out if isinstance(r, scrapy.Request)]) == 25
    assert _stat(spider, stats.DISCOVERED_OVER_MAX)
    assert elapsed < 20, elapsed  # it stops reading at the budget (a bound, not a speed claim)


def test_feed_items_count_against_max_pages_too() -> None:
    spider = _spider(max_pages=10)
    items = "".join(f"<item><link>{_article(n)}</link></item>" for n in range(1000))
    response = XmlResponse(f"{BASE}/rss.xml", body=f"<rss><channel>{items}</channel></rss>".encode())
    out = list(spider.parse_feed(response))
    assert len([r for r in out if isinstance(r, scrapy.Request)]) == 10
    assert _stat(spider, stats.DISCOVERED_OVER_MAX)


def test_list_page_with_too_many_links_is_cut_with_a_record() -> None:
    spider = _spider()
    links = "".join(f'<a href="/x/{n}.html">{n}</a>' for n in range(100_000))
    response = HtmlResponse(f"{BASE}/djgz/index.html", body=f"<html><body>{links}</body></html>".encode())
    started = time.perf_counter()
    out = list(spider.parse_list(response))
    elapsed = time.perf_counter() - started
    (record,) = [r for r in out if isinstance(r, RawPage)]
    assert record.kind == "error" and record.url == response.url
    assert record.reason == f"list page cut: 100000 links, only the first {MAX_LIST_LINKS} followed (list page)"
    assert _stat(spider, stats.LIST_PAGES_CUT) == 1
    print(f"100k-link list page: {elapsed:.2f} s")  # was 31 s


def test_list_page_over_the_size_bound_is_read_up_to_it() -> None:
    spider = _spider()
    head = f'<html><body><a href="{_article(1)}">1</a>'
    filler = "<p>" + "党" * 1000 + "</p>"
    tail = f'<a href="{_article(2)}">2</a></body></html>'
    body = (head + filler * (MAX_LIST_PAGE_BYTES // 3000 + 10) + tail).encode()
    out = list(spider.parse_list(HtmlResponse(f"{BASE}/djgz/index.html", body=body)))
    requests = [r.url for r in out if isinstance(r, scrapy.Request)]
    assert requests == [_article(1)]  # the link past the bound was not read
    (record,) = [r for r in out if isinstance(r, RawPage)]
    assert "list page cut" in (record.reason or "") and f"only the first {MAX_LIST_PAGE_BYTES} read" in (
        record.reason or ""
    )


def test_scheme_port_and_fragment_tricks_are_refused_with_a_record_each() -> None:
    spider = _spider()
    path = "/djgz/202401/t20240101_7.html"
    tricks = {
        f"file://127.0.0.1{path}": "refused file: URL",
        f"file://{path}": "refused file: URL",
        f"ftp://127.0.0.1:8123{path}": "refused ftp: URL",
        f"http://127.0.0.1:8124{path}": "refused request to port 8124",
        f"https://127.0.0.1{path}": "refused request to port 443",
        f"gopher://127.0.0.1:8123{path}": "refused gopher: URL",
    }
    ignored = [f"file://127.0.0.1/etc/passwd#{path}", f"/etc/passwd#{path}", f"http://evil.example{path}"]
    links = "".join(f'<a href="{href}">x</a>' for href in [*tricks, *ignored, *tricks])  # tricks twice
    out = list(spider.parse_list(HtmlResponse(f"{BASE}/djgz/index.html", body=f"<html>{links}</html>".encode())))
    assert not [r for r in out if isinstance(r, scrapy.Request)], "nothing may be fetched"
    records = {r.url: r.reason for r in out if isinstance(r, RawPage)}
    assert len([r for r in out if isinstance(r, RawPage)]) == len(tricks)  # one record per trick, not two
    for url, words in tricks.items():
        assert words in (records.get(url) or ""), (url, records.get(url))
    assert _stat(spider, stats.OFFSITE_ARTICLE_LINKS) == 1


def test_empty_list_page_yields_nothing() -> None:
    """An empty list page: no links, no cut record, no crash."""
    spider = _spider()
    assert list(spider.parse_list(TextResponse(f"{BASE}/djgz/index.html", body=b"", encoding="utf-8"))) == []
