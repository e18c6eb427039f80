from __future__ import annotations

from pathlib import Path

from pages.raw import RawPage, RawPageWriter
from pages.stream import follow_raw_pages, read_raw_pages


def test_round_trip_keeps_bytes_exactly(tmp_path: Path) -> None:
    body = "<html><meta charset=gbk>党建</html>".encode("gbk")
    writer = RawPageWriter(tmp_path / "r.jsonl")
    writer.write(
        RawPage(
            kind="page",
            site="s",
            url="http://127.0.0.1/a",
            final_url="http://127.0.0.1/b",
            status=200,
            body=body,
            headers={"content-type": "text/html; charset=GBK"},
        )
    )
    writer.write(
        RawPage(
            kind="error",
            site="s",
            url="http://127.0.0.1/c",
            final_url="http://127.0.0.1/c",
            status=404,
            reason="HTTP 404",
        )
    )
    writer.close()
    pages = list(read_raw_pages(tmp_path / "r.jsonl"))
    assert [p.kind for p in pages] == ["page", "error"]
    assert pages[0].body == body and pages[0].final_url.endswith("/b")
    assert pages[1].status == 404 and pages[1].body == b""


def test_a_line_cut_by_a_crash_is_skipped_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    writer = RawPageWriter(path)
    for i in range(3):
        writer.write(
            RawPage(kind="page", site="s", url=f"http://127.0.0.1/{i}", final_url="", status=200, body=b"x" * 100)
        )
    writer.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])  # the third record loses its end
    assert [p.url for p in read_raw_pages(path)] == ["http://127.0.0.1/0", "http://127.0.0.1/1"]


def test_missing_file_yields_nothing(tmp_path: Path) -> None:
    assert list(read_raw_pages(tmp_path / "absent.jsonl")) == []


def _page(n: int) -> RawPage:
    return RawPage(kind="page", site="s", url=f"http://127.0.0.1/{n}.html", final_url="", status=200, body=b"x" * n)


def test_follow_reads_records_while_they_are_written_and_stops_when_the_crawl_ends(tmp_path: Path) -> None:
    import threading
    import time

    path = tmp_path / "raw.jsonl"
    done = threading.Event()
    seen: list[tuple[int, float]] = []

    def crawl() -> None:
        writer = RawPageWriter(path)
        for n in range(5):
            writer.write(_page(n))
            time.sleep(0.1)
        with path.open("a", encoding="utf-8") as fh:  # killed in the middle of the last record
            fh.write(_page(99).to_json()[:40])
        writer.close()
        done.set()

    started = time.monotonic()
    thread = threading.Thread(target=crawl)
    thread.start()
    for page in follow_raw_pages(path, done.is_set, poll_seconds=0.02):
        seen.append((len(page.body), time.monotonic() - started))
    thread.join()
    assert [n for n, _ in seen] == [0, 1, 2, 3, 4]
    assert seen[0][1] < 0.3  # the first record was read long before the crawl ended (~0.5 s)


def test_a_crawl_appending_after_a_killed_one_keeps_every_whole_record(tmp_path: Path) -> None:
    path = tmp_path / "raw.jsonl"
    RawPageWriter(path).write(_page(1))
    with path.open("a", encoding="utf-8") as fh:
        fh.write(_page(2).to_json()[:30])  # the kill
    writer = RawPageWriter(path)  # the retry appends
    writer.write(_page(3))
    writer.close()
    assert [len(p.body) for p in read_raw_pages(path)] == [1, 3]
