"""Hostile WARC files (issue #24): one odd record costs that record only, never the rest of the file.

The files are written with warcio's writer, one record at a time (so each record's bytes are known),
then damaged by byte surgery: a gzip member broken, a Content-Length that lies, a response for a
``file:``/``ftp:`` URI, a file cut short, a header line that inflates to 256 MiB.
"""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pages.warc import ArchivedResponse, Unreadable, read_archive

BASE = "http://127.0.0.1:9/a/"


def record(url: str, body: bytes, gz: bool) -> bytes:
    """One response record, as its writer wrote it (a gzip member of its own when ``gz``)."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gz)
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
    writer.write_record(
        writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http)
    )
    return out.getvalue()


def body(i: int) -> bytes:
    return (f"<html><p>第{i}篇</p>" + "党建" * 300 * (i + 1) + "</html>").encode()


def rewrite(member: bytes, gz: bool, change: Callable[[bytes], bytes]) -> bytes:
    """The record's bytes changed as written (decompressed, changed, compressed again when gzipped)."""
    return gzip.compress(change(gzip.decompress(member))) if gz else change(member)


def lie_in_length(delta: int) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        head, sep, rest = data.partition(b"Content-Length: ")
        length, eol, tail = rest.partition(b"\r\n")
        return head + sep + str(int(length) + delta).encode() + eol + tail

    return change


def damage_gzip(member: bytes) -> bytes:
    middle = len(member) // 2
    return member[:middle] + bytes(b ^ 0x5A for b in member[middle : middle + 16]) + member[middle + 16 :]


def other_uri(scheme: str) -> Callable[[bytes], bytes]:
    return lambda data: data.replace(BASE.encode(), f"{scheme}//127.0.0.1/a/".encode(), 1)


BAD: dict[str, Callable[[bytes, bool], bytes]] = {
    "file: target URI": lambda m, gz: rewrite(m, gz, other_uri("file:")),
    "ftp: target URI": lambda m, gz: rewrite(m, gz, other_uri("ftp:")),
    "Content-Length too short": lambda m, gz: rewrite(m, gz, lie_in_length(-40)),
    "Content-Length too long": lambda m, gz: rewrite(m, gz, lie_in_length(+40)),
    "damaged gzip member": lambda m, gz: damage_gzip(m),
}
CASES = [(name, gz) for name in BAD for gz in (True, False) if gz or name != "damaged gzip member"]


def write(path: Path, members: list[bytes]) -> list[int]:
    """The file of these records; each one's offset."""
    offsets, at = [], 0
    for member in members:
        offsets.append(at)
        at += len(member)
    path.write_bytes(b"".join(members))
    return offsets


@pytest.mark.parametrize(("bad", "gz"), CASES, ids=[f"{n}-{'gz' if gz else 'plain'}" for n, gz in CASES])
def test_one_odd_record_is_skipped_counted_and_the_rest_read(
    bad: str, gz: bool, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    urls = [f"{BASE}t20240101_{i}.html" for i in range(6)]
    members = [record(url, body(i), gz) for i, url in enumerate(urls)]
    members[2] = BAD[bad](members[2], gz)
    path = tmp_path / ("x.warc.gz" if gz else "x.warc")
    offsets = write(path, members)

    events = list(read_archive(path))

    read = [(e.url, e.body) for e in events if isinstance(e, ArchivedResponse)]
    assert read == [(url, body(i)) for i, url in enumerate(urls) if i != 2]  # each once, in order, intact
    (skipped,) = [e for e in events if isinstance(e, Unreadable)]
    assert (skipped.path, skipped.offset, skipped.cut) == (str(path), offsets[2], False)
    assert capfd.readouterr().err == ""  # no warcio or zlib line per block (the caller prints one per file)


def test_an_upper_case_http_uri_is_an_http_response(tmp_path: Path) -> None:
    """A URI scheme is case-insensitive: ``HTTP://`` is read as the HTTP response it is, not lost."""
    members = [record(f"{BASE}t20240101_{i}.html", body(i), True) for i in range(3)]
    members[1] = rewrite(members[1], True, other_uri("HTTP:"))
    path = tmp_path / "upper.warc.gz"
    write(path, members)

    read = [e for e in read_archive(path) if isinstance(e, ArchivedResponse)]

    assert [r.url for r in read] == [f"{BASE}t20240101_0.html", "HTTP://127.0.0.1/a/t20240101_1.html",
                                     f"{BASE}t20240101_2.html"]  # fmt: skip
    assert (read[1].status, read[1].headers["content-type"], read[1].body) == (200, "text/html; charset=utf-8", body(1))


@pytest.mark.parametrize("gz", [True, False], ids=["gz", "plain"])
def test_a_file_cut_short_hands_on_its_last_complete_record_once(gz: bool, tmp_path: Path) -> None:
    urls = [f"{BASE}t20240101_{i}.html" for i in range(4)]
    members = [record(url, body(i), gz) for i, url in enumerate(urls)]
    data, last = b"".join(members), members[-1]
    path = tmp_path / ("cut.warc.gz" if gz else "cut.warc")
    path.write_bytes(data[: len(data) - len(last) // 2])  # cut in the middle of the last record

    events = list(read_archive(path))

    assert [e.url for e in events if isinstance(e, ArchivedResponse)] == urls[:3]
    (cut,) = [e for e in events if isinstance(e, Unreadable)]
    assert cut.cut and cut.offset == len(data) - len(last)


BOMB = r"""
import json, resource, sys, time
from pathlib import Path
from pages.warc import ArchivedResponse, Unreadable, read_archive
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.monotonic()
events = list(read_archive(Path(sys.argv[1])))
print(json.dumps({
    "seconds": time.monotonic() - start,
    "grown_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before,
    "urls": [e.url for e in events if isinstance(e, ArchivedResponse)],
    "unreadable": [e.offset for e in events if isinstance(e, Unreadable)],
}))
"""


def header_bomb(inflated: int) -> bytes:
    """A gzip member whose WARC header block holds one line of ``inflated`` bytes (compressed ~1000:1)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [comp.compress(b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: " + BASE.encode() + b"bomb\r\nX-Pad: ")]
    block = b"a" * (1 << 20)
    for _ in range(inflated >> 20):
        out.append(comp.compress(block))
    out.append(comp.compress(b"\r\nContent-Length: 0\r\n\r\n\r\n\r\n"))
    out.append(comp.flush())
    return b"".join(out)


def test_a_header_line_that_inflates_to_256_mib_costs_kilobytes_and_is_skipped(tmp_path: Path) -> None:
    first, after = record(f"{BASE}t20240101_0.html", body(0), True), record(f"{BASE}t20240101_1.html", body(1), True)
    bomb = header_bomb(256 << 20)
    path = tmp_path / "bomb.warc.gz"
    write(path, [first, bomb, after])

    done = subprocess.run([sys.executable, "-c", BOMB, str(path)], capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["urls"] == [f"{BASE}t20240101_0.html", f"{BASE}t20240101_1.html"]
    assert got["unreadable"] == [len(first)]
    # the line is never held: at most one 16 KiB block inflated (deflate: ~1000:1), whatever the bomb size
    assert got["grown_kib"] < 64 * 1024, got
    assert got["seconds"] < 20, got


# --- a crawl closed early leaves pages for later: the summary says how many (issue #24) -------------------


def test_a_crawl_closed_by_a_tiny_max_bytes_says_what_it_left_for_later(
    replica: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real crawl of the loopback replica with max_bytes far below one article: the articles it
    queued or cut never reach articles, duplicates or page_errors, so the report counts them instead."""
    import re

    from dangjian.cli import main

    root = Path(__file__).resolve().parent.parent
    registry = tmp_path / "sites.yaml"
    text = (root / "replica" / "sites.yaml").read_text("utf-8")
    registry.write_text(text.replace("    max_pages: 200\n", "    max_pages: 200\n    max_bytes: 3000\n", 1), "utf-8")
    argv = ["crawl", "--registry", str(registry), "--var", f"base_url={replica.base_url}", "--site", "replica-djgz"]

    assert main([*argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)

    assert report["finish_reason"] == "closespider_maxbytes"
    listed = set(re.findall(r'href="\./(\d{6}/t\d{8}_\d+\.html)"', (root / "replica/site/djgz/index.html").read_text()))
    assert listed, "the replica's first list page links articles"
    recorded = report["articles"] + len(report["errors"]) + report["attachments"]
    assert recorded < len(listed)  # the crawl closed before it fetched them all
    # every article linked from the page read is either recorded or left for later (so are list pages)
    assert report["left_for_later"] >= len(listed) - recorded > 0
    assert main(argv) == 0
    assert f"left for later: {report['left_for_later']}" in capsys.readouterr().out


def test_the_run_report_and_the_ingest_summary_say_what_was_left_for_later() -> None:
    from crawljob import stats as keys
    from dangjian.commands.ingest import format_summary
    from flows.report import run_markdown
    from process.run import SiteSummary

    stats = {"scheduler/enqueued": 9, "scheduler/dequeued": 4, keys.CUT_AFTER_MAX_BYTES: 2}
    summary = SiteSummary(site="demo", pages_fetched=3, left_for_later=keys.left_for_later(stats))
    assert summary.left_for_later == 7  # 5 still queued, 2 cut by the max_bytes stop
    assert "- **demo**: left for later: 7" in run_markdown("Nightly", {"demo": summary})
    assert "demo: left for later: 7" in format_summary({"demo": SiteSummary("demo", left_for_later=7)})
    assert "left for later" not in run_markdown("Nightly", {"demo": SiteSummary(site="demo")})


def test_a_warc_gzipped_whole_is_read_as_far_as_it_can_and_says_how_to_fix_it(tmp_path: Path) -> None:
    """``gzip file.warc`` (one stream, not a member per record): the first record, then one Unreadable
    that says what to run, instead of a warning and a silent end."""
    urls = [f"{BASE}t20240101_{i}.html" for i in range(3)]
    path = tmp_path / "whole.warc.gz"
    path.write_bytes(gzip.compress(b"".join(record(url, body(i), False) for i, url in enumerate(urls))))

    events = list(read_archive(path))

    assert [e.url for e in events if isinstance(e, ArchivedResponse)] == urls[:1]
    (lost,) = [e for e in events if isinstance(e, Unreadable)]
    assert lost.cut and "warcio recompress" in lost.reason


def test_a_target_uri_with_spaces_is_read_without_a_line_per_record(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    members = [record(f"{BASE}t20240101 {i}.html", body(i), True) for i in range(3)]
    path = tmp_path / "spaces.warc.gz"
    write(path, members)

    with caplog.at_level("DEBUG"):
        read = [e.url for e in read_archive(path) if isinstance(e, ArchivedResponse)]

    assert read == [f"{BASE}t20240101%20{i}.html" for i in range(3)]
    assert not [r.getMessage() for r in caplog.records if r.name.startswith("warcio")]
