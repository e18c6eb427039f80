"""Feed and sitemap reading shared by the crawl and the probe (crawlers/feeds.py)."""

from __future__ import annotations

from datetime import date

from crawlers.feeds import feed_entries, sitemap_entries

RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>党建</title>
<item><title>一</title><link>/a/1.html</link><pubDate>Tue, 30 Apr 2024 20:30:00 +0000</pubDate></item>
<item><title>二</title><guid isPermaLink="false">tag:2</guid></item>
<item><title>三</title><guid>http://x.example/a/3.html</guid></item>
</channel></rss>"""

ATOM = """<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><link rel="self" href="/self"/><link rel="alternate" href="http://x.example/b/1.html"/>
<updated>2024-05-01T08:00:00+08:00</updated></entry></feed>"""


def test_rss_links_guids_and_china_days() -> None:
    entries = feed_entries(RSS, "http://x.example/rss.xml")
    assert entries is not None
    assert [e.url for e in entries] == ["http://x.example/a/1.html", "http://x.example/a/3.html"]
    assert entries[0].day == date(2024, 5, 1)  # 20:30 UTC is the next day in China
    assert entries[1].day is None


def test_atom_takes_the_alternate_link() -> None:
    entries = feed_entries(ATOM, "http://x.example/atom.xml")
    assert entries is not None and [(e.url, e.day) for e in entries] == [
        ("http://x.example/b/1.html", date(2024, 5, 1))
    ]


def test_a_page_that_is_no_feed_is_none_not_empty() -> None:
    assert feed_entries("<html><body><p>首页</p></body></html>", "http://x.example/") is None
    assert feed_entries("", "http://x.example/") is None
    assert feed_entries('<rss version="2.0"><channel></channel></rss>', "http://x.example/") == []


def test_sitemaps_urlset_and_index() -> None:
    urlset = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <url><loc> http://x.example/a/1.html </loc><lastmod>2024-04-30</lastmod></url><url><loc></loc></url></urlset>"""
    found = sitemap_entries(urlset)
    assert found is not None and found.kind == "urlset"
    assert [(e.url, e.day) for e in found.entries] == [("http://x.example/a/1.html", date(2024, 4, 30))]
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <sitemap><loc>http://x.example/s1.xml</loc></sitemap></sitemapindex>"""
    found = sitemap_entries(index)
    assert found is not None and found.kind == "sitemapindex" and found.entries[0].url == "http://x.example/s1.xml"
    assert sitemap_entries(b"<html><body>not a sitemap</body></html>") is None
    assert sitemap_entries(b"\x00\x01 not xml") is None
