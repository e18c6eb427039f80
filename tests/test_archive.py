"""The raw WARC archive (issue #16): what a crawl writes, what standard tools and our reader get back."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from replica_crawl import REPLICA_REGISTRY, ROOT, SITE, crawl, crawl_command
from scrapy import Request, Spider
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from crawlers.archive import ArchiveWriter, WarcArchiveMiddleware, exchange_records, prune
from pages.raw import RawPage
from pages.stream import read_raw_pages
from pages.warc import (
    ArchivedResponse,
    NotAWarc,
    archived_pages,
    read_archive,
    read_response_at,
    warc_files,
)

WARCIO = str(Path(sys.executable).parent / "warcio")
REPLICA_SITE = ROOT / "replica" / "site"


def responses(archive: Path) -> list[ArchivedResponse]:
    return [e for path in warc_files([archive]) for e in read_archive(path) if isinstance(e, ArchivedResponse)]


def served_file(url: str) -> Path:
    return REPLICA_SITE / url.split("/", 3)[3]


# --- the component, on built responses (no server) ----------------------------------------------------


def middleware(tmp_path: Path, **settings: Any) -> tuple[WarcArchiveMiddleware, Spider]:
    crawler = get_crawler(Spider, {"ARCHIVE_DIR": str(tmp_path / "archive"), "ARCHIVE_RUN": "r9", **settings})
    spider = Spider(name="t")
    spider.site = SimpleNamespace(name="demo")  # type: ignore[attr-defined]
    mw = WarcArchiveMiddleware.from_crawler(crawler)
    mw.spider_opened(spider)
    return mw, spider


def test_the_bytes_as_sent_are_archived_and_read_back_decoded(tmp_path: Path) -> None:
    mw, spider = middleware(tmp_path)
    html = "<html><body><p>党建工作要闻</p></body></html>".encode()
    request = Request("http://127.0.0.1:9/a/t20240101_1.html", meta={"role": "article", "list_date": "2024-01-01"})
    compressed = gzip.compress(html)
    sent = HtmlResponse(
        request.url,
        body=compressed,
        request=request,
        headers={"Content-Encoding": "gzip", "Transfer-Encoding": "chunked", "Content-Type": "text/html"},
    )
    assert mw.process_response(request, sent, spider) is sent
    pdf = Request("http://127.0.0.1:9/a/file.pdf", meta={"role": "article"})
    cut = Response(
        pdf.url, body=b"", request=pdf, headers={"Content-Type": "application/pdf"}, flags=["download_stopped"]
    )
    mw.process_response(pdf, cut, spider)
    page = RawPage("page", "demo", request.url, request.url, 200, html, {"content-type": "text/html"})
    mw.item_scraped(page)
    mw.spider_closed(spider)

    (path,) = warc_files([tmp_path / "archive" / "demo"])
    assert path.name.startswith("r9-") and path.name.endswith(".warc.gz")
    records = _loaded(path)
    raw = records[("response", request.url)]
    assert raw["payload"] == compressed  # exactly as received, still gzip-encoded
    assert raw["headers"].get_header("X-Archive-Orig-Transfer-Encoding") == "chunked"
    assert records[("response", pdf.url)]["warc"].get_header("WARC-Truncated") == "length"

    events = list(read_archive(path))
    rebuilt, attachment = archived_pages(events, "demo")  # the PDF's item never came: rebuilt from its record
    assert (rebuilt.kind, attachment.kind, attachment.body) == ("page", "attachment", b"")
    assert rebuilt.body == html  # the Content-Encoding undone
    first = next(e for e in events if isinstance(e, ArchivedResponse))
    assert first.fields == {"site": "demo", "run": "r9", "role": "article", "list-date": "2024-01-01"}


def test_two_crawls_of_a_site_in_the_same_second_write_two_files(tmp_path: Path) -> None:
    """Same site, run label and start second: each writer gets a file of its own, so the offsets it hands
    over (the raw pages' body_ref) point at its records (they once pointed into the other crawl's file)."""
    writers = [ArchiveWriter(tmp_path, "demo", "r9") for _ in range(2)]
    writers[1].stamp = writers[0].stamp
    where = []
    for n, writer in enumerate(writers):
        request = Request(f"http://127.0.0.1:9/a/t20240101_{n}.html")
        response = HtmlResponse(request.url, body=f"<p>第{n}篇</p>".encode(), request=request)
        where.append(writer.write(exchange_records(writer.builder, request, response, "demo", "r9")))
    for writer in writers:
        writer.close()
    assert writers[0].paths != writers[1].paths
    for n, refs in enumerate(where):
        response_ref = refs[1]  # request, response, metadata
        assert read_response_at(*response_ref).body == f"<p>第{n}篇</p>".encode()


def _loaded(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """Records as warcio itself reads them: raw payload (no decoding), keyed by (type, URI)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            key = (record.rec_type, record.rec_headers.get_header("WARC-Target-URI") or "")
            out[key] = {"warc": record.rec_headers, "headers": record.http_headers, "payload": record.raw_stream.read()}
    return out


def test_a_multi_page_article_is_rebuilt_with_its_parts_in_order(tmp_path: Path) -> None:
    """As the spider fetches one: the first page, then its continuation pages (their requests carry the
    article in cb_kwargs), then the item; a second article's item never comes (the crawl was killed)."""
    mw, spider = middleware(tmp_path)
    urls = [f"http://127.0.0.1:9/a/t20240101_7{suffix}.html" for suffix in ("", "_1", "_2")]
    bodies = [f"<html><p>第{i + 1}页</p></html>".encode() for i in range(3)]
    first = RawPage("page", "demo", urls[0], urls[0], 200, bodies[0], {"content-type": "text/html"})
    article = SimpleNamespace(page=first)
    for i, (url, body) in enumerate(zip(urls, bodies, strict=True)):
        meta = {"role": "article" if i == 0 else "part"}
        request = Request(url, meta=meta, cb_kwargs={"article": article} if i else {})
        mw.process_response(request, HtmlResponse(url, body=body, request=request), spider)
    first.parts, first.part_urls = bodies[1:], urls[1:]
    mw.item_scraped(first)
    orphan = [u.replace("_7", "_8") for u in urls[:2]]
    article2 = SimpleNamespace(page=SimpleNamespace(final_url=orphan[0]))
    for i, url in enumerate(orphan):
        request = Request(url, meta={"role": "part" if i else "article"}, cb_kwargs={"article": article2} if i else {})
        mw.process_response(request, HtmlResponse(url, body=bodies[i], request=request), spider)
    mw.spider_closed(spider)

    (path,) = warc_files([tmp_path / "archive"])
    pages = list(archived_pages(read_archive(path), "demo"))
    assert [(p.final_url, p.body, p.parts, p.part_urls) for p in pages] == [
        (urls[0], bodies[0], bodies[1:], urls[1:]),
        (orphan[0], bodies[0], bodies[1:2], orphan[1:]),  # rebuilt from the part-of field
    ]


def test_a_gzip_bomb_is_archived_as_sent_and_never_inflated(tmp_path: Path) -> None:
    mw, spider = middleware(tmp_path)
    request = Request("http://127.0.0.1:9/a/t20240101_9.html", meta={"role": "article"})
    bomb = gzip.compress(b"\0" * (40 << 20))  # 40 MB inflated, past the 32 MB download limit
    headers = {"Content-Encoding": "gzip", "Content-Type": "text/html"}
    mw.process_response(request, HtmlResponse(request.url, body=bomb, headers=headers, request=request), spider)
    assert mw.bodies == {}  # not a body the hand-off may reference
    mw.spider_closed(spider)
    (resp,) = responses(tmp_path / "archive")
    assert resp.body == b"" and resp.truncated


def test_every_cut_of_a_file_reads_back_only_complete_records(tmp_path: Path) -> None:
    mw, spider = middleware(tmp_path)
    for i in range(5):
        request = Request(f"http://127.0.0.1:9/a/t20240101_{i}.html", meta={"role": "article"})
        body = (f"<html><p>第{i}篇</p>" + "党建" * 500 * (i + 1) + "</html>").encode()
        mw.process_response(request, HtmlResponse(request.url, body=body, request=request), spider)
    mw.spider_closed(spider)
    (path,) = warc_files([tmp_path / "archive"])
    data = path.read_bytes()
    whole = {(r.url, r.body) for r in read_archive(path) if isinstance(r, ArchivedResponse)}
    assert len(whole) == 5
    cut = tmp_path / "cut.warc.gz"
    for size in range(0, len(data), 7):
        cut.write_bytes(data[:size])
        try:
            got = {(r.url, r.body) for r in read_archive(cut) if isinstance(r, ArchivedResponse)}
        except NotAWarc:  # cut inside the first record: nothing complete to read
            got = set()
        assert got <= whole, size  # never a body cut short


def test_files_older_than_the_retention_are_deleted(tmp_path: Path) -> None:
    site = tmp_path / "demo"
    site.mkdir()
    old, new = site / "r1-x-00000.warc.gz", site / "r2-x-00000.warc.gz"
    old.write_bytes(b"x")
    new.write_bytes(b"x")
    os.utime(old, (time.time() - 10 * 86400, time.time() - 10 * 86400))
    assert prune(tmp_path, "demo", 0) == []  # 0: kept forever
    assert prune(tmp_path, "demo", 7) == [old]
    assert new.exists() and not old.exists()


# --- real crawls of the replica ---------------------------------------------------------------------


@pytest.mark.slow
def test_a_real_crawl_archives_every_response_byte_identical(replica: Any, tmp_path: Path) -> None:
    raw_path, archive = crawl(replica, tmp_path)
    served = replica.request_counts
    got = responses(archive)
    assert len(got) == sum(served.values())  # every response, robots.txt, lists, 404 and 500 included
    by_url = {r.url.replace(replica.base_url, ""): r for r in got}
    assert by_url["/djgz/202403/t20240311_404404.html"].status == 404
    assert by_url["/djgz/202405/t20240520_500500.html"].status == 500
    articles = [r for r in got if r.role == "article" and r.status == 200]
    assert len(articles) == 14
    for resp in articles:
        assert resp.body == served_file(resp.url).read_bytes()  # byte-identical to what was served
        assert resp.fields["site"] == SITE and resp.fields["run"] == "r1"
    lines = [json.loads(line) for line in raw_path.read_text("utf-8").splitlines()]
    pages = [line for line in lines if line["kind"] == "page"]
    assert len(pages) == 14 and all(p["body"] == "" and p["body_ref"] for p in pages)  # bytes stored once
    handed_over = {p.final_url: p for p in read_raw_pages(raw_path) if p.kind == "page"}
    rebuilt = {
        p.final_url: p for p in archived_pages((e for f in warc_files([archive]) for e in read_archive(f)), SITE)
    }
    assert {u: p.body for u, p in handed_over.items()} == {u: p.body for u, p in rebuilt.items() if p.kind == "page"}

    (path,) = warc_files([archive])
    check = subprocess.run([WARCIO, "check", "-v", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    index = subprocess.run([WARCIO, "index", "-f", "warc-type,http:status", str(path)], capture_output=True, text=True)
    assert index.returncode == 0 and index.stdout.count('"warc-type": "response"') == len(got)


@pytest.mark.slow
def test_a_crawl_killed_with_sigkill_leaves_a_readable_archive(replica: Any, tmp_path: Path) -> None:
    registry = yaml.safe_load(REPLICA_REGISTRY.read_text("utf-8"))
    registry["sites"][0]["download_delay"] = 0.25  # slow enough to be killed halfway
    slow = tmp_path / "sites.yaml"
    slow.write_text(yaml.safe_dump(registry, allow_unicode=True), "utf-8")
    cmd = crawl_command(replica, tmp_path)
    cmd[cmd.index("--registry") + 1] = str(slow)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, cwd=str(ROOT), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while sum(1 for p in replica.request_counts if "/t20" in p) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    served = sum(replica.request_counts.values())
    got = responses(tmp_path / "archive")
    assert 5 <= len(got) <= served  # what was completed before the kill
    assert len(got) < 20  # killed halfway: the whole crawl answers ~20 requests
    for resp in got:
        if resp.role == "article" and resp.status == 200:
            assert resp.body == served_file(resp.url).read_bytes()
    (path,) = warc_files([tmp_path / "archive"])
    check = subprocess.run([WARCIO, "check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
