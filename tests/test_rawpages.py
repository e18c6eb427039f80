from __future__ import annotations

from pathlib import Path

from crawlers.rawpages import RawPage, RawPageWriter, read_raw_pages


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
