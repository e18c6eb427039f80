"""A hostile portal on 127.0.0.1: one TRS-style list page linking to bad responses, built per request.

replica/server.py serves a well-behaved static copy of a portal; real portals are
not well-behaved. This server answers every link of ``/bad/index.html`` with one
way a response goes wrong in the wild (charset lies, truncated or binary bodies,
a gzip bomb, redirect loops, redirects offsite or to a private address, error
statuses, a response slower than the timeout, an endless pagination trap, odd
URLs) next to a few good articles that must survive all of it. ``CASES`` is the
table the end-to-end test (tests/test_hostile.py) checks outcomes against, so the
expectation of each case sits next to how it is produced.

It also counts every request it receives, so a test can prove the crawler sent
nothing anywhere else: each request that reached Scrapy's downloader must have
arrived here (``downloader/request_count`` == ``total_requests``).

``python -m replica.hostile [--port N]`` serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import html
import random
import socket
import struct
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from replica.server import BackgroundServer

SITE = "hostile"
LIST_PATH = "/bad/index.html"
TRAP_PREFIX = "/bad/index_"  # /bad/index_N.html links to /bad/index_{N+1}.html, forever
SLOW_SECONDS = 6.0  # the test sets DANGJIAN_DOWNLOAD_TIMEOUT well below this
LARGE_PAGE_BYTES = 20 * 1024 * 1024  # under DOWNLOAD_MAXSIZE (32 MiB): fetched whole, then extracted
OVERSIZE_BYTES = 40 * 1024 * 1024  # over DOWNLOAD_MAXSIZE: announced by Content-Length, cancelled
LINKS_PATH = "/bad/links/index.html"  # a list page with LINKS_PAGE_LINKS links
LINKS_PAGE_LINKS = 6000  # over the spider's MAX_LIST_LINKS (5000)
BOMB_INFLATED_BYTES = 512 * 1024 * 1024  # ~2.3 MB on the wire, 512 MiB inflated: far over DOWNLOAD_MAXSIZE

# What a handler returns: (status, headers, body). Handlers with special wire behaviour
# (slow, cut short, oversize) write to the socket themselves and return None.
Reply = tuple[int, list[tuple[str, str]], bytes]
Handler = Callable[["_Handler"], Reply | None]


def article_path(n: int) -> str:
    """The TRS article URL of case number ``n``; matches the registry's article pattern."""
    return f"/bad/202401/t20240101_{n:06d}.html"


# --- page bodies -----------------------------------------------------------------------------------

_WORD_LIST = (
    "党支部 组织 学习 贯彻 会议 精神 党员 干部 群众 基层 服务 作风 建设 廉政 教育 活动 主题 实践 调研 "
    "社区 乡村 振兴 产业 发展 志愿 帮扶 走访 座谈 交流 经验 做法 成效 问题 整改 落实 责任 制度 规范 "
    "监督 考核 培训 课堂 理论 宣讲 红色 文化 传承 阵地 品牌 创新 机制 平台 项目 企业 窗口 效能 民生 "
    "实事 办理 诉求 回应 网格 治理 安全 生产 防汛 保障 应急 演练 文明 创建 环境 整治 垃圾 分类 绿化"
)
_WORDS = _WORD_LIST.split()


def article_text(n: int, paragraphs: int = 6) -> list[str]:
    """Distinct Chinese paragraphs per case number: seeded word sequences, so no two articles are
    near-duplicates of each other (or of the seed corpus) and dedup cannot hide a lost page."""
    rng = random.Random(n)
    return [
        "".join(rng.choice(_WORDS) for _ in range(24)) + f"，第{n}号稿件第{i + 1}段内容。" for i in range(paragraphs)
    ]


def key_sentence(n: int) -> str:
    """A phrase that must appear in the stored text of case ``n`` (proves the body, not mojibake)."""
    return f"第{n}号稿件第1段内容"


def title_of(n: int) -> str:
    return f"第{n}号测试稿件标题"


def article_html(n: int, charset: str = "utf-8", meta: str | None = "utf-8", extra: str = "") -> str:
    """A TRS-like article page; ``meta`` is the charset its <meta> declares (None: no meta)."""
    meta_tag = f'<meta http-equiv="Content-Type" content="text/html; charset={meta}">' if meta else ""
    paras = "".join(f'<p style="text-indent: 2em;">{p}</p>\n' for p in article_text(n))
    return (
        f"<!DOCTYPE html>\n<html>\n<head>\n{meta_tag}\n<title>{title_of(n)} - 恶劣测试网</title>\n</head>\n<body>\n"
        '<div class="nav"><a href="/bad/index.html">首页</a> <a href="/bad/index.html">党建工作</a></div>\n'
        f'<div class="article">\n<div class="title">{title_of(n)}</div>\n'
        '<div class="info"><span>发布时间：2024-01-01 09:00</span>　<span>来源：恶劣测试网</span></div>\n'
        f'<div id="zoom"><div class="TRS_Editor">\n{paras}</div></div>\n</div>\n{extra}'
        '<div class="footer">版权所有：恶劣测试网</div>\n</body>\n</html>\n'
    )


def _html(body: str | bytes, content_type: str = "text/html; charset=utf-8") -> Reply:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return 200, [("Content-Type", content_type)], data


def _status(code: int) -> Handler:
    return lambda h: (code, [("Content-Type", "text/html; charset=utf-8")], f"<html>{code}</html>".encode())


def _redirect(location: str) -> Handler:
    return lambda h: (302, [("Location", location)], b"")


def _redirect_self(h: _Handler) -> Reply:
    """A true loop, A → A?hop=1 → A: the third hop is a URL the crawler has already requested."""
    parts = urlsplit(h.path)
    target = parts.path if parts.query else f"{parts.path}?hop=1"
    return 302, [("Location", target)], b""


def _good(n: int) -> Handler:
    return lambda h: _html(article_html(n))


def _gbk_header_utf8(n: int) -> Handler:
    return lambda h: _html(article_html(n, meta=None).encode("gbk"), "text/html; charset=utf-8")


def _meta_gbk_bytes_utf8(n: int) -> Handler:
    return lambda h: _html(article_html(n, meta="gbk").encode("utf-8"), "text/html")


def _header_gbk_meta_utf8(n: int) -> Handler:
    return lambda h: _html(article_html(n, meta="utf-8").encode("gbk"), "text/html; charset=gbk")


def _truncated_after_text(n: int) -> Handler:
    page = article_html(n)
    cut = page.index("第2段内容")  # mid-article: no closing </p>, </div>, </body>, </html>
    return lambda h: _html(page[:cut])


def _truncated_in_head(n: int) -> Handler:
    page = article_html(n)
    return lambda h: _html(page[: page.index("<body>")] + '<div class="nav"><a href="/bad/ind')


def _unclosed_tags(n: int) -> Handler:
    page = article_html(n).replace("</p>", "").replace("</div>", "")
    return lambda h: _html(page)


def _random_bytes(h: _Handler) -> Reply:
    return _html(random.Random(7).randbytes(64 * 1024), "text/html")


def _png(h: _Handler) -> Reply:
    raw = b"".join(b"\x00" + bytes(random.Random(row).randbytes(3 * 64)) for row in range(64))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    return _html(png, "text/html; charset=utf-8")


def _large(n: int) -> Handler:
    """A real article carrying ~20 MB of pasted image as a data: URI, as TRS editors produce.

    Why an image and not 20 MB of visible markup: the size limits under test are the crawler's
    (fetched whole under DOWNLOAD_MAXSIZE, memory bounded). 20 MB of visible table rows is a different
    problem, found while building this: extraction takes ~110 s and keeps ~4 MB of "text" (see the
    report of tests/test_hostile.py's author); that belongs to steps/extract.py, not to this suite.
    """
    data = base64.b64encode(random.Random(n).randbytes(LARGE_PAGE_BYTES * 3 // 4)).decode("ascii")
    page = article_html(n, extra=f'<p><img src="data:image/png;base64,{data}" alt="图片"></p>\n')
    return lambda h: _html(page)


_BOMB: bytes | None = None
_BOMB_LOCK = threading.Lock()


def gzip_bomb() -> bytes:
    """Valid gzip of zeros: ~2.3 MB sent, 512 MiB if inflated. Built once, 1 MiB at a time (never held
    inflated); HostileServer builds it up front so serving it is instant, not a timeout."""
    global _BOMB
    with _BOMB_LOCK:
        if _BOMB is None:
            # level 1: 1 s to build, 2.3 MB on the wire (level 9 is 0.5 MB but takes 3.5 s)
            deflate = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # 16+: gzip framing
            block = bytes(1024 * 1024)
            parts = [deflate.compress(block) for _ in range(BOMB_INFLATED_BYTES // len(block))]
            _BOMB = b"".join(parts) + deflate.flush()
        return _BOMB


def _gzip_bomb(h: _Handler) -> Reply:
    return 200, [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")], gzip_bomb()


def _spam_only(h: _Handler) -> Reply:
    spam = " | ".join(["国产精品", "无码中文字幕", "欧美日韩一区二区", "人妻熟妇", "久久精品", "亚洲成人天堂"] * 4)
    lines = "\n".join(f"<p>{spam}</p>" for _ in range(8))
    return _html(f"<html><head><title>精品</title></head><body><div class='content'>{lines}</div></body></html>")


def _nav_only(h: _Handler) -> Reply:
    links = "".join(f'<li><a href="/bad/index.html">栏目{i}</a></li>' for i in range(12))
    return _html(
        f"<html><head><title>导航</title></head><body><div class='nav'><ul>{links}</ul></div>"
        "<div class='footer'>版权所有</div></body></html>"
    )


def _empty(h: _Handler) -> Reply:
    return _html(b"")


def _slow(h: _Handler) -> None:
    """Headers at once, body only after SLOW_SECONDS: longer than the crawl's DOWNLOAD_TIMEOUT."""
    time.sleep(SLOW_SECONDS)
    body = article_html(0).encode()
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def _cut_short(n: int) -> Handler:
    """Content-Length promises more than is sent, then the connection closes: data loss."""

    def make(h: _Handler) -> None:
        body = article_html(n).encode()
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(body) * 2))
        h.end_headers()
        h.wfile.write(body)
        h.wfile.flush()
        h.close_connection = True

    return make


def _oversize(h: _Handler) -> None:
    """Announces 40 MB (over DOWNLOAD_MAXSIZE); the crawler must cancel on the header, not download it."""
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(OVERSIZE_BYTES))
    h.end_headers()
    chunk = b"<p>x</p>" * 8192
    sent = 0
    while sent < OVERSIZE_BYTES:
        h.wfile.write(chunk)
        sent += len(chunk)


def _redirect_port(path: str, host: str = "127.0.0.1") -> Handler:
    """A redirect to another port of the same host (``OTHER_PORT`` below this server's own)."""
    return lambda h: (302, [("Location", f"http://{host}:{other_port(h.server.server_address[1])}{path}")], b"")


def other_port(port: int) -> int:
    return port - 1 if port > 1024 else port + 1


def _meta_refresh(target: Callable[[int], str]) -> Handler:
    def make(h: _Handler) -> Reply:
        url = html.escape(target(h.server.server_address[1]), quote=True)
        return _html(f'<html><head><meta http-equiv="refresh" content="0;url={url}"></head><body>…</body></html>')

    return make


def _chunked_oversize(h: _Handler) -> None:
    """No Content-Length, over DOWNLOAD_MAXSIZE: Scrapy cancels it mid-body with an empty message (it
    crashed failure_reason and the page vanished without a record, issue #13)."""
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.end_headers()
    chunk = b"<p>x</p>" * 8192
    for _ in range(OVERSIZE_BYTES // len(chunk)):
        h.wfile.write(chunk)
    h.close_connection = True


def _aborted(h: _Handler) -> None:
    """Half a page, then a TCP reset (SO_LINGER 0): no clean end of body, no Content-Length."""
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.end_headers()
    h.wfile.write(article_html(0).encode()[:500])
    h.wfile.flush()
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.close_connection = True


MARKDOWN_TITLE = "[点我领奖](http://evil.example.invalid/x) ![图](http://evil.example.invalid/x.png) <b>|表格|</b>"


def _markdown_title(n: int) -> Handler:
    page = article_html(n).replace(title_of(n), MARKDOWN_TITLE + title_of(n))
    return lambda h: _html(page)


def links_page() -> str:
    """A list page with more links than MAX_LIST_LINKS: cut, with an error record."""
    items = "".join(f'<li><a href="/bad/nolink/{i}.html">{i}</a></li>' for i in range(LINKS_PAGE_LINKS))
    return f'<html><head><meta charset="utf-8"><title>链接</title></head><body><ul>{items}</ul></body></html>'


# --- the case table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One link of /bad/index.html and what the pipeline must make of it.

    ``expect``: "stored" (an article row, exactly once), "error" (a page_errors row whose stage is
    ``stage`` and whose reason contains ``reason``), "not_fetched" (dropped by the crawler before
    any request; ``reason`` names the crawl stat that proves it) or "ignored" (not an article link at
    all: never requested, no row). ``href`` may hold ``{port}`` and ``{other_port}``, filled per server.
    """

    id: str
    href: str  # as written in the list page's <a href>
    path: str  # the path the server answers on (what its request counter sees)
    expect: str
    stage: str = ""
    reason: str = ""
    handler: Handler | None = None
    number: int = 0  # article number for stored cases (title/key sentence)


def _cases() -> list[Case]:
    c: list[Case] = []

    def add(cid: str, n: int, expect: str, stage: str, reason: str, handler: Handler | None, href: str = "") -> None:
        path = article_path(n)
        c.append(Case(cid, href or path, path, expect, stage, reason, handler, n))

    # good articles: nothing valid on the same site may be lost
    for n in (1, 2, 3):
        add(f"good-{n}", n, "stored", "", "", _good(n))
    # charset lies (decoded right, so stored without mojibake)
    add("charset-header-utf8-bytes-gbk", 10, "stored", "", "", _gbk_header_utf8(10))
    add("charset-meta-gbk-bytes-utf8", 11, "stored", "", "", _meta_gbk_bytes_utf8(11))
    add("charset-header-gbk-meta-utf8-bytes-gbk", 12, "stored", "", "", _header_gbk_meta_utf8(12))
    # broken markup
    add("truncated-mid-article", 13, "stored", "", "", _truncated_after_text(13))
    add("unclosed-tags", 14, "stored", "", "", _unclosed_tags(14))
    add("truncated-before-body-text", 15, "error", "extract", "no main text found", _truncated_in_head(15))
    # not HTML at all, served as text/html
    add("binary-random-bytes", 16, "error", "extract", "no main text found", _random_bytes)
    add("binary-png", 17, "error", "extract", "no main text found", _png)
    add("empty-body", 18, "error", "decode", "empty body", _empty)
    add("spam-only", 19, "error", "extract", "page is mostly spam", _spam_only)
    add("navigation-only", 20, "error", "extract", "no main text found", _nav_only)
    # size
    add("large-20mb", 21, "stored", "", "", _large(21))
    add("gzip-bomb", 22, "error", "fetch", "larger than the download max size", _gzip_bomb)
    add("oversize-content-length", 23, "error", "fetch", "larger than the download max size", _oversize)
    add("cut-short-data-loss", 24, "error", "fetch", "data loss", _cut_short(24))
    # redirects
    add("redirect-loop", 25, "error", "fetch", "max redirections reached", _redirect_self)
    add(
        "redirect-offsite",
        26,
        "error",
        "fetch",
        "refused offsite request to 'evil.example.invalid'",
        _redirect("http://evil.example.invalid/bad/202401/t20240101_000026.html"),
    )
    add(
        "redirect-private-ip",
        27,
        "error",
        "fetch",
        "refused offsite request to '10.0.0.1'",
        _redirect("http://10.0.0.1/bad/202401/t20240101_000027.html"),
    )
    add(
        "redirect-metadata-ip",
        28,
        "error",
        "fetch",
        "refused offsite request to '169.254.169.254'",
        _redirect("http://169.254.169.254/latest/meta-data/t20240101_000028.html"),
    )
    # a same-site redirect is followed; the article is stored under its final URL (number 30)
    c.append(
        Case(
            "redirect-good",
            article_path(29),
            article_path(29),
            "stored",
            handler=_redirect(article_path(30)),
            number=30,
        )
    )
    # statuses
    for n, code in ((31, 404), (32, 410), (33, 403), (34, 500), (35, 503)):
        add(f"status-{code}", n, "error", "fetch", f"HTTP {code}", _status(code))
    add("slower-than-timeout", 36, "error", "fetch", "timed out", _slow)
    # odd URLs
    add("url-unicode-and-spaces", 37, "stored", "", "", _good(37), href=article_path(37) + "?标题=党建 工作&x=a b")
    add(
        "url-percent-encoded-unicode",
        38,
        "stored",
        "",
        "",
        _good(38),
        href=article_path(38) + "?q=" + quote("党建工作"),
    )
    c.append(
        Case(
            "url-5000-chars",
            "/bad/202401/t20240101_" + "9" * 5000 + ".html",
            "/bad/202401/t20240101_" + "9" * 5000 + ".html",
            "error",
            "fetch",
            "longer than URLLENGTH_LIMIT",
        )
    )
    c.append(
        Case(
            "url-malformed-ipv6-host",
            "http://[bad/bad/202401/t20240101_000039.html",
            "/bad/202401/t20240101_000039.html",
            "not_fetched",
            "",
            "dangjian/malformed_links",
        )
    )
    # article links pointing at other hosts: dropped while parsing the list page, never requested
    c.append(
        Case(
            "link-direct-to-private-ip",
            "http://10.0.0.1/bad/202401/t20240101_000040.html",
            "/bad/202401/t20240101_000040.html",
            "not_fetched",
            "",
            "dangjian/offsite_article_links",
        )
    )
    c.append(
        Case(
            "link-direct-offsite",
            "http://evil.example.invalid/bad/202401/t20240101_000041.html",
            "/bad/202401/t20240101_000041.html",
            "not_fetched",
            "",
            "dangjian/offsite_article_links",
        )
    )
    # the same article in many spellings: stored once, fetched once
    add("spellings-canonical", 42, "stored", "", "", _good(42))
    for i, variant in enumerate(("?utm_source=x", "#frag", "?spm=1.2.3&utm_medium=wx", "?utm_source=y#top"), start=1):
        c.append(Case(f"spelling-{i}", article_path(42) + variant, article_path(42), "same_as:spellings-canonical"))
    c.append(
        Case(
            "spelling-dot-segment",
            "/bad/202401/./t20240101_000042.html",
            article_path(42),
            "same_as:spellings-canonical",
        )
    )
    c.append(
        Case(
            "spelling-relative-dotdot",
            "/bad/202312/../202401/t20240101_000042.html",
            article_path(42),
            "same_as:spellings-canonical",
        )
    )

    # scheme, port and fragment tricks (issue #13): none is fetched; each refusal is a page_errors row
    def trick(cid: str, n: int, href: str, reason: str, expect: str = "error", path: str = "") -> None:
        c.append(Case(cid, href, path or article_path(n), expect, "fetch" if expect == "error" else "", reason))

    trick("link-file-scheme", 50, "file://127.0.0.1" + article_path(50), "refused file: URL")
    trick("link-file-no-host", 51, "file://" + article_path(51), "refused file: URL")
    trick(
        "link-file-fragment-trick", 52, "file://127.0.0.1/etc/passwd#" + article_path(52), "", "ignored", "/etc/passwd"
    )
    trick("link-http-fragment-trick", 53, "/etc/shadow#" + article_path(53), "", "ignored", "/etc/shadow")
    trick("link-ftp-same-host", 54, "ftp://127.0.0.1:{port}" + article_path(54), "refused ftp: URL")
    trick("link-other-port", 55, "http://127.0.0.1:{other_port}" + article_path(55), "refused request to port")
    trick("link-https-443", 56, "https://127.0.0.1" + article_path(56), "refused request to port 443")
    trick(  # credentials are refused before the port is looked at (issue #24: one origin check)
        "link-userinfo-other-port",
        57,
        "http://a@127.0.0.1:{other_port}" + article_path(57),
        "refused URL with credentials",
    )
    trick("link-gopher", 58, "gopher://127.0.0.1:{port}" + article_path(58), "refused gopher: URL")
    trick("link-s3", 59, "s3://127.0.0.1" + article_path(59), "refused s3: URL")
    c.append(
        Case(
            "link-ipv6-loopback",
            "http://[::1]:{port}" + article_path(60),
            article_path(60),
            "not_fetched",
            reason="dangjian/offsite_article_links",
        )
    )
    c.append(
        Case(
            "link-lookalike-host",
            "http://127.0.0.1.evil.example.invalid" + article_path(61),
            article_path(61),
            "not_fetched",
            reason="dangjian/offsite_article_links",
        )
    )
    add("redirect-other-port", 62, "error", "fetch", "refused request to port", _redirect_port("/admin"))
    add(
        "redirect-localhost-other-port",
        63,
        "error",
        "fetch",
        "refused offsite request to 'localhost'",
        _redirect_port("/admin", host="localhost"),
    )
    add("redirect-ftp", 64, "error", "fetch", "HTTP 302", _redirect("ftp://127.0.0.1/bad/x.html"))
    add("redirect-file", 65, "error", "fetch", "HTTP 302", _redirect("file:///etc/passwd"))
    add(
        "meta-refresh-other-port",
        66,
        "error",
        "fetch",
        "refused request to port",
        _meta_refresh(lambda port: f"http://127.0.0.1:{other_port(port)}/admin"),
    )
    add(
        "meta-refresh-offsite",
        67,
        "error",
        "fetch",
        "refused offsite request to 'evil.example.invalid'",
        _meta_refresh(lambda port: "http://evil.example.invalid/admin"),
    )
    # responses that end badly still end in one record each
    add("oversize-no-content-length", 68, "error", "fetch", "larger than the download max size", _chunked_oversize)
    # HTTP/1.0 without Content-Length: the close ends the body, so the half page is processed (one record)
    add("aborted-mid-body", 69, "error", "extract", "no main text found", _aborted)
    # crawled markup in a title must not become live markdown in the run's artifacts
    add("markdown-in-title", 70, "stored", "", "", _markdown_title(70))
    # a list page with more links than the bound: cut, with a record
    c.append(Case("list-page-too-many-links", LINKS_PATH, LINKS_PATH, "error", "fetch", "list page cut"))
    return c


CASES: list[Case] = _cases()
ROUTES: dict[str, Handler] = {case.path: case.handler for case in CASES if case.handler is not None}
ROUTES[article_path(30)] = _good(30)  # the target of redirect-good


def list_page(port: int) -> str:
    """The column page: every case as a dated list entry, plus the way into the pagination trap."""
    items = "\n".join(
        f'<li><a href="{html.escape(case.href.format(port=port, other_port=other_port(port)), quote=True)}"'
        f' target="_blank">{case.id}</a><span>2024-01-01</span></li>'
        for case in CASES
    )
    return (
        '<html><head><meta charset="utf-8"><title>党建工作 - 恶劣测试网</title></head><body>\n'
        f'<ul class="list">\n{items}\n</ul>\n<div class="page"><a href="{TRAP_PREFIX}1.html">下一页</a></div>\n'
        "</body></html>\n"
    )


def trap_page(n: int) -> str:
    """Page n of a pagination that never ends: each page links to a new one and to nothing else."""
    return (
        f'<html><head><meta charset="utf-8"><title>第{n}页</title></head><body><ul class="list"></ul>'
        f'<div class="page"><a href="{TRAP_PREFIX}{n + 1}.html">下一页</a>'
        f'<a href="{TRAP_PREFIX}{n + 2}.html">{n + 2}</a></div></body></html>'
    )


# --- the server ------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server: _HostileHTTPServer
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read the counters

    def handle(self) -> None:
        # the crawler hangs up on purpose (timeout, oversize, bomb): that is the point, not an error
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            super().handle()

    def do_GET(self) -> None:
        path = unquote(urlsplit(self.path).path)
        self.server.count(path, self.headers.get("Host", ""))
        reply = self._route(path)
        if reply is None:
            return
        status, headers, body = reply
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _route(self, path: str) -> Reply | None:
        if path == "/robots.txt":
            return 200, [("Content-Type", "text/plain")], b"User-agent: *\nAllow: /\n"
        if path == LIST_PATH:
            return _html(list_page(self.server.server_address[1]))
        if path == LINKS_PATH:
            return _html(links_page())
        if path.startswith(TRAP_PREFIX) and path.endswith(".html"):
            number = path[len(TRAP_PREFIX) : -len(".html")]
            if number.isdigit():
                return _html(trap_page(int(number)))
        handler = ROUTES.get(path)
        if handler is None:
            return 404, [("Content-Type", "text/html; charset=utf-8")], b"<html>404</html>"
        return handler(self)


class _HostileHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int]) -> None:
        self.counts: Counter[str] = Counter()
        self.hosts: Counter[str] = Counter()
        self.lock = threading.Lock()
        super().__init__(address, _Handler)

    def count(self, path: str, host: str) -> None:
        with self.lock:
            self.counts[path] += 1
            self.hosts[host] += 1


class HostileServer(BackgroundServer):
    """``with HostileServer() as srv: srv.base_url`` — the hostile portal on 127.0.0.1 and a free port."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        gzip_bomb()  # ~1-2 s once per process; built lazily it would make the first request time out
        self._httpd: _HostileHTTPServer = _HostileHTTPServer((host, port))
        super().__init__(self._httpd, "hostile-server")

    @property
    def request_counts(self) -> dict[str, int]:
        """Requests per (unquoted) URL path so far."""
        with self._httpd.lock:
            return dict(self._httpd.counts)

    @property
    def host_headers(self) -> dict[str, int]:
        """Requests per Host header: anything but this server's own host:port would be a proxy leak."""
        with self._httpd.lock:
            return dict(self._httpd.hosts)

    @property
    def total_requests(self) -> int:
        with self._httpd.lock:
            return sum(self._httpd.counts.values())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the hostile test portal on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args(argv)
    server = HostileServer(port=args.port).start()
    print(f"{server.base_url}{LIST_PATH} ({len(CASES)} cases; Ctrl-C stops)", flush=True)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
