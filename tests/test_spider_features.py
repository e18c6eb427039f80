"""The generic spider's discovery and politeness features (issue #3), each proven by a real Scrapy crawl
(``python -m crawlers.run`` in a subprocess, as the flow runs it) of a small portal on 127.0.0.1.

Every test asserts on the raw-page file the crawl wrote and on what the server saw (requests per path,
request headers), so a feature that silently does nothing fails. The pages imitate the portals the
registry lists: TRS columns (当前位置 breadcrumb, ``<li><a>title</a><span>date</span></li>``, a
``createPageHTML`` script) and people.cn columns (``/GB/NNN/index.html``, ``index2.html``, GBK).
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from crawljob.request import CrawlRequest
from dangjian.cli import main as cli_main
from dangjian.commands.common import EXIT_ALL_SITES_FAILED, EXIT_USAGE
from pages.raw import RawPage
from pages.stream import read_raw_pages
from replica.server import BackgroundServer

ROOT = Path(__file__).resolve().parent.parent
HTML = "text/html; charset=utf-8"


# -- a loopback portal -------------------------------------------------------------------------------------


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = HTML
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class Hit:
    at: float
    path: str  # with the query string
    headers: dict[str, str]


class _Handler(BaseHTTPRequestHandler):
    server: _PortalHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        srv = self.server
        target = self.path if urlsplit(self.path).query else urlsplit(self.path).path
        with srv.lock:
            srv.hits.append(Hit(time.monotonic(), target, {k.lower(): v for k, v in self.headers.items()}))
            route = srv.routes.get(target)
        if route is None:
            route = Route(b"<html><body>404 Not Found</body></html>", status=404)
        if route.status == 200 and (
            (route.etag and self.headers.get("If-None-Match") == route.etag)
            or (route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified)
        ):
            self.send_response(304)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type)
        if route.etag:
            self.send_header("ETag", route.etag)
        if route.last_modified:
            self.send_header("Last-Modified", route.last_modified)
        for key, value in route.headers.items():
            self.send_header(key, value)
        if "Content-Length" not in route.headers:
            self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        try:
            for i in range(0, len(route.body), 64 * 1024):
                self.wfile.write(route.body[i : i + 64 * 1024])
            self.wfile.flush()
        except OSError:  # the client hung up (an attachment whose body the crawler refused)
            with srv.lock:
                srv.aborted[target] += 1
            self.close_connection = True


class _PortalHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self.aborted: Counter[str] = Counter()
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)


class Portal(BackgroundServer):
    """``portal.add("/path", Route(...))``; ``portal.counts`` = requests per path (query included)."""

    def __init__(self) -> None:
        self.httpd = _PortalHTTPServer()
        super().__init__(self.httpd, "spider-features-portal")

    def add(self, path: str, route: Route | bytes | str) -> None:
        if isinstance(route, str):
            route = Route(route.encode("utf-8"))
        elif isinstance(route, bytes):
            route = Route(route)
        with self.httpd.lock:
            self.httpd.routes[path] = route

    @property
    def counts(self) -> Counter[str]:
        with self.httpd.lock:
            return Counter(h.path for h in self.httpd.hits)

    @property
    def hits(self) -> list[Hit]:
        with self.httpd.lock:
            return list(self.httpd.hits)

    def reset(self) -> None:
        with self.httpd.lock:
            self.httpd.hits.clear()


@pytest.fixture
def portal() -> Iterator[Portal]:
    with Portal() as server:
        server.add("/robots.txt", Route(b"User-agent: *\nDisallow:\n", content_type="text/plain"))
        yield server


# -- page builders ---------------------------------------------------------------------------------------


def trs_list(title: str, entries: list[tuple[str, str, str]], script: str = "", extra: str = "") -> str:
    """A TRS column page: breadcrumb, ``<ul class="list">`` of (href, title, date), pagination script."""
    items = "\n".join(f'<li><a href="{h}" target="_blank">{t}</a><span>{d}</span></li>' for h, t, d in entries)
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body>
<div class="crumb">当前位置：<a href="../../">首页</a> &gt; <a href="../">党建工作</a> &gt; {title}</div>
<div class="list-box"><ul class="list">
{items}
</ul>
<div class="page"><script>{script}</script>{extra}</div></div></body></html>"""


def trs_article(title: str, paragraphs: list[str], pager: str = "") -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body>
<div class="crumb">当前位置：<a href="../../">首页</a> &gt; 正文</div>
<div class="article"><h1>{title}</h1><div class="info">发布时间：2024-05-01 来源：机关党委</div>
<div class="TRS_Editor">{body}</div>
<div class="page">{pager}</div></div></body></html>"""


def registry(tmp_path: Path, entry: str) -> Path:
    path = tmp_path / "sites.yaml"
    path.write_text("sites:\n" + entry, encoding="utf-8")
    return path


@dataclass
class Crawl:
    pages: list[RawPage]
    stats: dict[str, Any]
    out: Path

    def kind(self, kind: str) -> list[RawPage]:
        return [p for p in self.pages if p.kind == kind]

    def paths(self, kind: str) -> list[str]:
        return sorted(urlsplit(p.url).path for p in self.kind(kind))


def crawl(tmp_path: Path, portal: Portal, entry: str, *args: str, name: str = "t", timeout: float = 60) -> Crawl:
    reg = registry(tmp_path, entry)
    out = tmp_path / f"{name}-{time.monotonic_ns()}.jsonl"
    stats = out.with_suffix(".stats.json")
    env = {**os.environ, "DANGJIAN_DOWNLOAD_TIMEOUT": "3", "DANGJIAN_SCRAPY_LOG_LEVEL": "INFO"}
    request = CrawlRequest(site=name, out=out, stats=stats, registry=reg, variables={"base_url": portal.base_url})
    cmd = [*request.argv(), *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return Crawl(list(read_raw_pages(out)), json.loads(stats.read_text(encoding="utf-8")), out)


def site_entry(start: str, articles: str, **fields: Any) -> str:
    lines = [
        "  - name: t",
        f'    start_urls: ["{{base_url}}{start}"]',
        '    allowed_domains: ["127.0.0.1"]',
        f"    article_url_patterns: ['{articles}']",
        "    download_delay: 0",
    ]
    lines += [f"    {key}: {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items()]
    return "\n".join(lines) + "\n"


TRS_ARTICLES = r"/\d{6}/t\d{8}_\d+\.html$"


# -- 1. discovery ------------------------------------------------------------------------------------------


def people_list(n: int, entries: list[tuple[str, str, str]], pager: str) -> bytes:
    """A people.cn (旗帜网) column page in GBK, like the real ones."""
    items = "\n".join(f"<li><a href='{h}' target=_blank>{t}</a> <em>{d}</em></li>" for h, t, d in entries)
    html = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>党建动态--旗帜网 第{n}页</title></head><body>
<div class="route">当前位置：<a href="http://www.qizhiwang.org.cn/">旗帜网</a>&gt;&gt;党建动态</div>
<div class="p2j_list"><ul>{items}</ul></div>
<div class="page_n clearfix">{pager}</div></body></html>"""
    return html.encode("gbk")


def test_people_cn_index_n_and_next_page_links_are_followed_and_bounded(tmp_path: Path, portal: Portal) -> None:
    """people.cn lists index.html → index2.html (page-number link, default list pattern) → index3.html (a
    下一页 link in GBK) → list.jsp?p=4 (a "下一页 >" link no list pattern describes) → an endless list.jsp chain,
    which max_pages bounds. Every article of the real pages is fetched."""
    gbk = "text/html; charset=GBK"
    col = "/GB/123"

    def art(page: int, i: int) -> tuple[str, str, str]:
        return f"/n1/2024/05{page:02d}/c123-{page * 100 + i}.html", f"第{page}页文章{i}", f"2024-05-{page:02d}"

    portal.add(
        f"{col}/index.html",
        Route(people_list(1, [art(1, 1), art(1, 2)], "<a href='index2.html'>2</a>"), content_type=gbk),
    )
    portal.add(
        f"{col}/index2.html",
        Route(
            people_list(2, [art(2, 1)], "<a href='index.html'>上一页</a><a href='index3.html'>下一页</a>"),
            content_type=gbk,
        ),
    )
    portal.add(
        f"{col}/index3.html",
        Route(people_list(3, [art(3, 1)], "<a href='/col/list.jsp?p=4'>[下一页]</a>"), content_type=gbk),
    )
    for p in range(4, 60):  # the trap: every page links the next, forever
        portal.add(
            f"/col/list.jsp?p={p}",
            Route(
                people_list(p, [art(4, 1)] if p == 4 else [], f"<a href='list.jsp?p={p + 1}'>下一页 &gt;</a>"),
                content_type=gbk,
            ),
        )
    for page, i in ((1, 1), (1, 2), (2, 1), (3, 1), (4, 1)):
        portal.add(art(page, i)[0], trs_article(art(page, i)[1], ["党建工作内容。"]))

    max_pages = 14
    result = crawl(
        tmp_path, portal, site_entry(f"{col}/index.html", r"/n1/\d{4}/\d{4}/c\d+-\d+\.html$", max_pages=max_pages)
    )

    counts = portal.counts
    expected = sorted(art(p, i)[0] for p, i in ((1, 1), (1, 2), (2, 1), (3, 1), (4, 1)))
    assert result.paths("page") == expected
    assert all(counts[path] == 1 for path in expected)
    assert counts[f"{col}/index2.html"] == 1 and counts[f"{col}/index3.html"] == 1
    assert counts["/col/list.jsp?p=4"] == 1
    trap = sum(n for path, n in counts.items() if path.startswith("/col/list.jsp"))
    assert 1 < trap <= max_pages
    assert result.stats["finish_reason"] == "closespider_pagecount"
    assert result.stats["dangjian/next_page_links_followed"] >= 2
    assert not result.kind("error")


def test_article_links_written_in_a_list_script_are_found(tmp_path: Path, portal: Portal) -> None:
    """A 12371.cn-style column that renders its list from a JS array: the article URLs inside the script
    go through the same gate as <a> links (pattern, host, window); other URLs in the script do not."""
    arts = [f"/2024/05/0{i}/ARTI171460000000000{i}.shtml" for i in (1, 2, 3)]
    items = ",".join(
        f"{{title:'文章{i}',brief:'2024-05-0{i} 09:00:00',link_add:'{portal.base_url}{a}'}}"
        for i, a in enumerate(arts, 1)
    )
    script = (
        f"var item=[{items},{{title:'旧文',link_add:'/2019/01/01/ARTI1546300000000001.shtml'}}];"
        "var logo='/images/logo.png';var other='http://www.example.invalid/2024/05/01/ARTI1714600000000009.shtml';"
    )
    page = f"""<html><head><meta charset="utf-8"><title>最新发布</title></head><body>
<div class="dyw1021_list"><ul id="list"></ul></div><script type="text/javascript">{script}</script></body></html>"""
    portal.add("/zxfb/", page)
    for i, a in enumerate(arts, 1):
        portal.add(a, trs_article(f"文章{i}", [f"第{i}篇正文。" * 20]))
    result = crawl(
        tmp_path, portal, site_entry("/zxfb/", r"/\d{4}/\d{2}/\d{2}/ARTI\d+\.shtml$"), "--since", "2024-01-01"
    )
    assert result.paths("page") == sorted(arts)
    assert result.stats["dangjian/articles_from/script"] == 3
    assert result.stats["dangjian/articles_outside_window"] == 1  # the 2019 one
    assert result.stats["dangjian/offsite_article_links"] == 1
    assert portal.counts["/images/logo.png"] == 0


def test_an_overlong_article_url_is_recorded_not_dropped(tmp_path: Path, portal: Portal) -> None:
    long_href = "/bad/202401/t20240101_" + "9" * 3000 + ".html"
    portal.add("/col/index.html", trs_list("党建工作", [(long_href, "超长链接", "2024-01-01")]))
    result = crawl(tmp_path, portal, site_entry("/col/index.html", TRS_ARTICLES))
    (error,) = result.kind("error")
    assert "longer than URLLENGTH_LIMIT" in (error.reason or "") and error.url.endswith(long_href)
    assert sum(portal.counts.values()) == 2  # robots.txt and the list page only


def test_sitemaps_and_feeds_go_through_the_article_rules(tmp_path: Path, portal: Portal) -> None:
    """robots.txt Sitemap: → sitemap index → urlset; a registry-listed .xml.gz sitemap; RSS and Atom feeds.
    Their article URLs pass the same gates as list links: pattern, allowed host, since (by URL date or
    lastmod/pubDate), known URLs, and one request per canonical URL."""
    b = portal.base_url
    portal.add(
        "/robots.txt",
        Route(f"User-agent: *\nDisallow:\nSitemap: {b}/sitemap_index.xml\n".encode(), content_type="text/plain"),
    )
    portal.add("/djgz/index.html", trs_list("党建工作", [("./202405/t20240510_1.html", "列表文章", "2024-05-10")]))
    portal.add(
        "/sitemap_index.xml",
        Route(
            f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{b}/sitemap_1.xml</loc></sitemap>
<sitemap><loc>http://evil.example.invalid/sitemap.xml</loc></sitemap>
</sitemapindex>""".encode(),
            content_type="application/xml",
        ),
    )
    urlset = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{b}/djgz/202405/t20240510_1.html</loc></url>
<url><loc>{b}/djgz/202405/t20240511_2.html</loc><lastmod>2024-05-11</lastmod></url>
<url><loc>{b}/djgz/202301/t20230105_3.html</loc></url>
<url><loc>{b}/djgz/art/a4.html</loc><lastmod>2023-02-01T10:00:00+08:00</lastmod></url>
<url><loc>{b}/djgz/art/a5.html</loc><lastmod>2024-06-01T10:00:00+08:00</lastmod></url>
<url><loc>{b}/djgz/202405/t20240512_6.html</loc></url>
<url><loc>{b}/about/contact.html</loc></url>
<url><loc>http://other.example.invalid/djgz/202405/t20240513_7.html</loc></url>
</urlset>"""
    portal.add("/sitemap_1.xml", Route(urlset.encode(), content_type="application/xml"))
    gz = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{b}/djgz/art/a8.html</loc>
<lastmod>2024-05-20</lastmod></url></urlset>"""
    portal.add("/extra/sitemap.xml.gz", Route(gzip.compress(gz.encode()), content_type="application/x-gzip"))
    portal.add(
        "/rss.xml",
        Route(
            f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>党建</title>
<item><title>九</title><link>{b}/djgz/art/a9.html</link><pubDate>Tue, 14 May 2024 08:00:00 +0800</pubDate></item>
<item><title>十</title><link>{b}/djgz/art/a10.html</link><pubDate>Sat, 14 Jan 2023 08:00:00 +0800</pubDate></item>
<item><title>重复</title><link>{b}/djgz/202405/t20240511_2.html?utm_source=rss</link></item>
</channel></rss>""".encode(),
            content_type="application/rss+xml",
        ),
    )
    portal.add(
        "/atom.xml",
        Route(
            f"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>党建</title>
<entry><title>十一</title><link rel="alternate" href="{b}/djgz/art/a11.html"/>
<updated>2024-05-15T09:00:00Z</updated></entry>
</feed>""".encode(),
            content_type="application/atom+xml",
        ),
    )
    for path in (
        "/djgz/202405/t20240510_1.html",
        "/djgz/202405/t20240511_2.html",
        "/djgz/202301/t20230105_3.html",
        "/djgz/art/a4.html",
        "/djgz/art/a5.html",
        "/djgz/202405/t20240512_6.html",
        "/djgz/art/a8.html",
        "/djgz/art/a9.html",
        "/djgz/art/a10.html",
        "/djgz/art/a11.html",
    ):
        portal.add(path, trs_article(path, ["党建工作内容。"]))
    known = tmp_path / "known.txt"
    known.write_text(f"{b}/djgz/202405/t20240512_6.html\n", encoding="utf-8")

    entry = site_entry(
        "/djgz/index.html",
        r"/djgz/(?:\d{6}/t\d{8}_\d+|art/a\d+)\.html$",
        sitemaps_from_robots=True,
        sitemap_urls=["{base_url}/extra/sitemap.xml.gz"],
        feed_urls=["{base_url}/rss.xml", "{base_url}/atom.xml"],
    )
    result = crawl(tmp_path, portal, entry, "--since", "2024-05-01", "--skip-urls", str(known))

    counts = portal.counts
    wanted = [
        "/djgz/202405/t20240510_1.html",  # list + sitemap: once
        "/djgz/202405/t20240511_2.html",  # sitemap + feed (?utm_source spelling): once
        "/djgz/art/a5.html",  # undated URL, lastmod in the window
        "/djgz/art/a8.html",  # from the gzipped sitemap
        "/djgz/art/a9.html",  # RSS, pubDate in the window
        "/djgz/art/a11.html",  # Atom
    ]
    assert result.paths("page") == sorted(wanted)
    assert all(counts[p] == 1 for p in wanted), {p: counts[p] for p in wanted}
    not_fetched = [
        "/djgz/202301/t20230105_3.html",  # URL date before --since
        "/djgz/art/a4.html",  # lastmod before --since
        "/djgz/art/a10.html",  # pubDate before --since
        "/djgz/202405/t20240512_6.html",  # already known
        "/about/contact.html",  # not an article URL
    ]
    assert not any(counts[p] for p in not_fetched), {p: counts[p] for p in not_fetched}
    assert counts["/sitemap_index.xml"] == 1 and counts["/sitemap_1.xml"] == 1 and counts["/robots.txt"] == 1
    assert result.stats["dangjian/articles_from/sitemap"] == 3
    assert result.stats["dangjian/articles_from/feed"] == 2
    assert result.stats["dangjian/offsite_article_links"] == 1
    assert not result.kind("error")


# -- 2. multi-page articles --------------------------------------------------------------------------------


def test_multipage_articles_become_one_raw_page_with_their_parts(tmp_path: Path, portal: Portal) -> None:
    """createPageHTML(3, 0, "t…_100") in the article → _1, _2 fetched; an article paged only by 下一页 links →
    followed part by part; a missing part → the article with the parts obtained plus an error naming the part."""
    d = "/djgz/202405"
    portal.add(
        "/djgz/index.html",
        trs_list(
            "党建工作",
            [(f"./202405/t2024050{i}_{i}00.html", f"文章{i}", f"2024-05-0{i}") for i in (1, 2, 3, 4)],
        ),
    )

    def pager(stem: str, count: int, current: int) -> str:
        return f'<script>createPageHTML({count}, {current}, "{stem}", "html");</script>'

    portal.add(f"{d}/t20240501_100.html", trs_article("三页文章", ["第一页正文。"], pager("t20240501_100", 3, 0)))
    portal.add(f"{d}/t20240501_100_1.html", trs_article("三页文章", ["第二页正文。"], pager("t20240501_100", 3, 1)))
    portal.add(f"{d}/t20240501_100_2.html", trs_article("三页文章", ["第三页正文。"], pager("t20240501_100", 3, 2)))
    # paged by links only, GBK like many TRS sites
    gbk = "text/html; charset=GBK"
    for n, nxt in (("", "_1"), ("_1", "_2"), ("_2", None)):
        link = f'<a href="t20240502_200{nxt}.html">下一页</a>' if nxt else "<span>下一页</span>"
        html = trs_article("链接分页", [f"链接分页{n or '首'}页正文。"], link).replace(
            'charset="utf-8"', 'charset="gbk"'
        )
        portal.add(f"{d}/t20240502_200{n}.html", Route(html.encode("gbk"), content_type=gbk))
    portal.add(f"{d}/t20240503_300.html", trs_article("缺页文章", ["首页。"], pager("t20240503_300", 3, 0)))
    portal.add(f"{d}/t20240503_300_1.html", trs_article("缺页文章", ["第二页。"], pager("t20240503_300", 3, 1)))
    # t20240503_300_2.html: 404
    portal.add(f"{d}/t20240504_400.html", trs_article("单页文章", ["只有一页。"]))

    result = crawl(tmp_path, portal, site_entry("/djgz/index.html", TRS_ARTICLES))
    pages = {urlsplit(p.url).path: p for p in result.kind("page")}
    assert sorted(pages) == [
        f"{d}/t20240501_100.html",
        f"{d}/t20240502_200.html",
        f"{d}/t20240503_300.html",
        f"{d}/t20240504_400.html",
    ]

    three = pages[f"{d}/t20240501_100.html"]
    assert [urlsplit(u).path for u in three.part_urls] == [f"{d}/t20240501_100_1.html", f"{d}/t20240501_100_2.html"]
    assert "第二页正文".encode() in three.parts[0] and "第三页正文".encode() in three.parts[1]
    assert "第一页正文".encode() in three.body

    linked = pages[f"{d}/t20240502_200.html"]
    assert [urlsplit(u).path for u in linked.part_urls] == [f"{d}/t20240502_200_1.html", f"{d}/t20240502_200_2.html"]
    assert "链接分页_1页正文".encode("gbk") in linked.parts[0] and "链接分页_2页正文".encode("gbk") in linked.parts[1]

    broken = pages[f"{d}/t20240503_300.html"]
    assert [urlsplit(u).path for u in broken.part_urls] == [f"{d}/t20240503_300_1.html"]
    (error,) = result.kind("error")
    assert urlsplit(error.url).path == f"{d}/t20240503_300_2.html" and error.status == 404
    assert "page 3 of 3" in (error.reason or "") and "t20240503_300.html" in (error.reason or "")

    assert pages[f"{d}/t20240504_400.html"].parts == []
    counts = portal.counts
    assert all(counts[path] == 1 for path in counts if path.startswith(d)), counts


# -- 3. attachments, 7. the crawl command ------------------------------------------------------------------


def test_attachments_are_recorded_without_their_bodies_and_crawl_reports(
    tmp_path: Path, portal: Portal, capsys: pytest.CaptureFixture[str]
) -> None:
    """Article links that lead to a PDF (by redirect), a Word file (by Content-Type only), an image and a
    huge announced zip (by URL suffix): kind="attachment", empty body, headers kept, downloads aborted.
    Run through ``dangjian crawl --out``, whose report counts them."""
    d = "/djgz/202405"
    portal.add(
        "/djgz/index.html",
        trs_list(
            "通知公告",
            [
                (f"{d}/t20240501_1.html", "正文", "2024-05-01"),
                (f"{d}/t20240502_2.html", "通知（PDF）", "2024-05-02"),
                (f"{d}/t20240503_3.html", "表格", "2024-05-03"),
                (f"{d}/P020240504_4.jpg", "图片", "2024-05-04"),
                (f"{d}/P020240505_5.zip", "附件包", "2024-05-05"),
            ],
        ),
    )
    portal.add(f"{d}/t20240501_1.html", trs_article("正文", ["党建工作。"]))
    portal.add(f"{d}/t20240502_2.html", Route(status=302, headers={"Location": f"{d}/P020240502.pdf"}))
    big = b"%PDF-1.4\n" + bytes(12 * 1024 * 1024)
    portal.add(f"{d}/P020240502.pdf", Route(big, content_type="application/pdf"))
    portal.add(f"{d}/t20240503_3.html", Route(big, content_type="application/msword"))
    portal.add(f"{d}/P020240504_4.jpg", Route(big, content_type="image/jpeg"))
    portal.add(
        f"{d}/P020240505_5.zip",
        Route(b"PK\x03\x04", content_type="application/zip", headers={"Content-Length": str(64 * 1024 * 1024)}),
    )
    reg = registry(tmp_path, site_entry("/djgz/index.html", r"/\d{6}/[tP]\d+_\d+\.(?:html|jpg|zip)$"))
    out = tmp_path / "raw.jsonl"
    code = cli_main(
        ["crawl", "--site", "t", "--registry", str(reg), "--var", f"base_url={portal.base_url}", "--out", str(out)]
    )
    report = capsys.readouterr().out
    assert code == 0, report

    pages = list(read_raw_pages(out))
    attachments = {urlsplit(p.url).path: p for p in pages if p.kind == "attachment"}
    assert sorted(attachments) == [
        f"{d}/P020240504_4.jpg",
        f"{d}/P020240505_5.zip",
        f"{d}/t20240502_2.html",
        f"{d}/t20240503_3.html",
    ]
    assert [urlsplit(p.url).path for p in pages if p.kind == "page"] == [f"{d}/t20240501_1.html"]
    pdf = attachments[f"{d}/t20240502_2.html"]
    assert urlsplit(pdf.final_url).path == f"{d}/P020240502.pdf"
    assert pdf.headers["content-type"] == "application/pdf" and pdf.headers["content-length"] == str(len(big))
    assert attachments[f"{d}/t20240503_3.html"].headers["content-type"] == "application/msword"
    assert attachments[f"{d}/P020240505_5.zip"].headers["content-length"] == str(64 * 1024 * 1024)  # > DOWNLOAD_MAXSIZE
    for page in attachments.values():
        assert page.body == b"" and page.referer and page.referer.endswith("/djgz/index.html")
    assert not [p for p in pages if p.kind == "error"]
    # the 12 MB bodies were not downloaded: the server saw its writes cut off
    assert portal.httpd.aborted[f"{d}/P020240502.pdf"] == 1
    assert portal.httpd.aborted[f"{d}/t20240503_3.html"] == 1
    assert "attachments   4" in report and "articles      1" in report and "list pages    1 ok" in report
    assert "302: 1" in report


def test_crawl_command_exit_codes(tmp_path: Path, portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    reg = registry(tmp_path, site_entry("/gone/index.html", TRS_ARTICLES))
    base = ["crawl", "--registry", str(reg), "--var", f"base_url={portal.base_url}"]
    assert cli_main([*base, "--site", "no-such-site"]) == EXIT_USAGE
    assert "unknown site" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        cli_main([*base, "--site", "t", "--max-pages", "0"])
    assert exc.value.code == EXIT_USAGE
    assert cli_main([*base, "--site", "t", "--since", "2024-06-01", "--until", "2024-05-01"]) == EXIT_USAGE
    capsys.readouterr()
    assert not portal.counts  # nothing was crawled for bad arguments
    # the start page answers 404: no list page could be fetched
    assert cli_main([*base, "--site", "t", "--json"]) == EXIT_ALL_SITES_FAILED
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["list_pages"]["ok"] == 0 and report["list_pages"]["failed"] == 1
    assert report["responses_by_status"] == {"404": 1, "200": 1}  # the page and robots.txt
    assert report["errors"][0]["reason"] == "HTTP 404 (list page)"
    assert "no list page could be fetched" in captured.err


# -- 4. max_bytes ------------------------------------------------------------------------------------------


def test_max_bytes_stops_the_crawl_and_keeps_what_it_has(tmp_path: Path, portal: Portal) -> None:
    n, size = 12, 40_000
    portal.add(
        "/djgz/index.html",
        trs_list(
            "党建工作", [(f"./202405/t202405{i:02d}_{i}.html", f"文章{i}", f"2024-05-{i:02d}") for i in range(1, n + 1)]
        ),
    )
    for i in range(1, n + 1):
        portal.add(f"/djgz/202405/t202405{i:02d}_{i}.html", trs_article(f"文章{i}", ["党" * (size // 3)]))
    limit = 100_000
    result = crawl(tmp_path, portal, site_entry("/djgz/index.html", TRS_ARTICLES, max_bytes=limit))

    assert result.stats["finish_reason"] == "closespider_maxbytes"
    assert result.stats["dangjian/max_bytes_reached"] > limit
    fetched = sum(portal.counts[f"/djgz/202405/t202405{i:02d}_{i}.html"] for i in range(1, n + 1))
    assert 1 <= fetched < n
    kept = result.kind("page")
    assert kept and all(len(p.body) > size for p in kept)  # whole pages, not cut ones
    # stopped right after the limit: the responses still in flight were cut at their headers
    assert result.stats["downloader/response_bytes"] < limit + 2 * size
    assert not result.kind("error")


# -- 5. conditional GET ------------------------------------------------------------------------------------


def test_conditional_get_of_list_pages_across_runs(tmp_path: Path, portal: Portal) -> None:
    """Run 1 stores the list pages' ETag/Last-Modified, except for the column whose article failed. Run 2
    sends If-None-Match / If-Modified-Since; 304 = unchanged (counted as an OK list page, nothing followed);
    the failed column is fetched in full again. Run 3: every list page answers 304, the crawl is still OK."""
    lm = "Wed, 01 May 2024 08:00:00 GMT"
    portal.add(
        "/col1/index.html",
        Route(
            trs_list(
                "一栏", [("./202405/t20240501_1.html", "一", "2024-05-01")], 'createPageHTML(2, 0, "index", "html");'
            ).encode(),
            etag='"col1-v1"',
        ),
    )
    portal.add(
        "/col1/index_1.html",
        Route(trs_list("一栏2", [("./202404/t20240401_2.html", "二", "2024-04-01")]).encode(), last_modified=lm),
    )
    portal.add(
        "/col2/index.html",
        Route(trs_list("二栏", [("./202405/t20240502_3.html", "三", "2024-05-02")]).encode(), etag='"col2-v1"'),
    )
    portal.add("/col1/202405/t20240501_1.html", trs_article("一", ["一。"]))
    portal.add("/col1/202404/t20240401_2.html", trs_article("二", ["二。"]))
    portal.add("/col2/202405/t20240502_3.html", Route(b"busy", status=404))
    entry = site_entry("/col1/index.html", TRS_ARTICLES).replace(
        'start_urls: ["{base_url}/col1/index.html"]',
        'start_urls: ["{base_url}/col1/index.html", "{base_url}/col2/index.html"]',
    )
    state = tmp_path / "state" / "validators.json"

    first = crawl(tmp_path, portal, entry, "--validators", str(state))
    b = portal.base_url
    saved = json.loads(state.read_text(encoding="utf-8"))
    assert saved == {f"{b}/col1/index.html": {"etag": '"col1-v1"'}, f"{b}/col1/index_1.html": {"last_modified": lm}}
    assert len(first.kind("page")) == 2 and len(first.kind("error")) == 1

    portal.add("/col2/202405/t20240502_3.html", trs_article("三", ["三。"]))  # the article is back
    portal.reset()
    second = crawl(tmp_path, portal, entry, "--validators", str(state))
    sent = {h.path: h.headers for h in portal.hits}
    assert sent["/col1/index.html"]["if-none-match"] == '"col1-v1"'
    assert "if-none-match" not in sent["/col2/index.html"]
    assert "/col1/index_1.html" not in sent  # an unchanged column: nothing on it is followed
    assert "/col1/202405/t20240501_1.html" not in sent
    assert second.paths("page") == ["/col2/202405/t20240502_3.html"]
    assert second.stats["dangjian/list_pages_unchanged"] == 1 and second.stats["dangjian/list_pages_ok"] == 2
    assert not second.kind("error")

    portal.reset()
    third = crawl(tmp_path, portal, entry, "--validators", str(state))
    assert sorted(h.path for h in portal.hits) == ["/col1/index.html", "/col2/index.html", "/robots.txt"]
    assert third.stats["dangjian/list_pages_unchanged"] == third.stats["dangjian/list_pages_ok"] == 2
    assert third.stats["downloader/response_status_count/304"] == 2
    assert not third.pages  # nothing new, nothing failed
    saved = json.loads(state.read_text(encoding="utf-8"))
    assert saved[f"{b}/col2/index.html"] == {"etag": '"col2-v1"'} and f"{b}/col1/index.html" in saved


# -- 6. robots.txt and the per-site delay ------------------------------------------------------------------


def test_robots_disallow_is_obeyed_and_the_site_delay_spaces_requests(tmp_path: Path, portal: Portal) -> None:
    d = "/djgz/202405"
    portal.add(
        "/robots.txt", Route(f"User-agent: *\nDisallow: {d}/t20240502_2.html\n".encode(), content_type="text/plain")
    )
    listing = trs_list("党建工作", [(f"{d}/t2024050{i}_{i}.html", f"文章{i}", f"2024-05-0{i}") for i in (1, 2, 3, 4)])
    portal.add("/djgz/index.html", Route(listing.encode(), etag='"r1"'))
    for i in (1, 2, 3, 4):
        portal.add(f"{d}/t2024050{i}_{i}.html", trs_article(f"文章{i}", ["党建。"]))
    state = tmp_path / "validators.json"
    delay = 0.4
    entry = site_entry("/djgz/index.html", TRS_ARTICLES).replace("download_delay: 0", f"download_delay: {delay}")
    result = crawl(tmp_path, portal, entry, "--validators", str(state))

    counts = portal.counts
    assert counts[f"{d}/t20240502_2.html"] == 0
    assert result.paths("page") == [f"{d}/t20240501_1.html", f"{d}/t20240503_3.html", f"{d}/t20240504_4.html"]
    assert result.stats["robotstxt/forbidden"] == 1
    assert not result.kind("error")  # a policy, not a failure
    # ... so the list page still counts as complete: its ETag is kept for the next run
    assert json.loads(state.read_text(encoding="utf-8")) == {f"{portal.base_url}/djgz/index.html": {"etag": '"r1"'}}
    # Scrapy spaces requests to one site by 0.5–1.5 × DOWNLOAD_DELAY (randomized); AutoThrottle never goes below it.
    starts = [h.at for h in portal.hits if h.path != "/robots.txt"]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(gaps) == 3 and min(gaps) >= 0.5 * delay - 0.05, gaps
