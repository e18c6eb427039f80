"""decode_html on real byte sequences: declared, undeclared, lying and BOM-marked encodings."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from steps.decode import DecodeError, decode_html

BENCH = Path(__file__).resolve().parent.parent.parent / "shared" / "extraction-bench"
SENTENCE = "市直机关党建工作扎实推进，党员干部踊跃参加“红心向党”志愿服务。镕堃"  # 镕 and 堃 are GBK, not GB2312
PAGE = "<html><head>{meta}<title>党建动态</title></head><body><p>" + SENTENCE + "</p></body></html>"


@pytest.mark.parametrize(
    ("body", "content_type", "encoding", "declared", "method"),
    [
        (PAGE.format(meta='<meta charset="utf-8">').encode("utf-8"), None, "utf-8", "utf-8", "utf-8-valid"),
        (
            PAGE.format(meta='<meta http-equiv="Content-Type" content="text/html; charset=gb2312">').encode("gbk"),
            None,
            "gb18030",
            "gb2312",
            "declared",
        ),
        (PAGE.format(meta="").encode("gbk"), None, "gb18030", None, "detected"),
        (
            PAGE.format(meta='<meta charset="gb2312">').encode("utf-8"),
            "text/html; charset=GBK",
            "utf-8",
            "gbk",
            "utf-8-valid",
        ),
        (PAGE.format(meta="").encode("gbk"), "text/html; charset=utf-8", "gb18030", "utf-8", "detected"),
        (
            PAGE.format(meta='<meta charset="gbk">').encode("gbk"),
            "text/html; charset=utf-8",
            "gb18030",
            "utf-8",
            "declared",
        ),
        (codecs.BOM_UTF8 + PAGE.format(meta="").encode("utf-8"), "text/html; charset=gbk", "utf-8-sig", "gbk", "bom"),
        (codecs.BOM_UTF16_LE + PAGE.format(meta="").encode("utf-16-le"), None, "utf-16", None, "bom"),
    ],
    ids=[
        "utf8-meta",
        "gbk-meta-gb2312",
        "gbk-undeclared",
        "header-gbk-body-utf8",
        "header-utf8-body-gbk",
        "header-utf8-meta-gbk-body-gbk",
        "utf8-bom-beats-header",
        "utf16-bom",
    ],
)
def test_decode_gets_the_chinese_right(
    body: bytes, content_type: str | None, encoding: str, declared: str | None, method: str
) -> None:
    page = decode_html(body, content_type)
    assert SENTENCE in page.text
    assert not page.text.startswith("\ufeff")
    assert (page.encoding, page.declared, page.method) == (encoding, declared, method)


def test_plain_ascii_follows_an_ascii_compatible_declaration() -> None:
    page = decode_html(b"<html><body>Party building</body></html>", "text/html; charset=utf-16")
    assert page.text == "<html><body>Party building</body></html>"  # a readable ASCII page is not UTF-16


def test_garbage_never_raises_and_only_an_empty_body_does() -> None:
    for body in (b"\x81\x20\xfe\xff\x00garbage\x80\x80", b"<p>\xe5\x85</p>", bytes(range(256))):
        page = decode_html(body, "text/html; charset=gb2312")
        assert isinstance(page.text, str) and page.text
    for empty in (b"", b"  \r\n\t"):
        with pytest.raises(DecodeError):
            decode_html(empty)


def test_truncated_gbk_keeps_the_readable_part() -> None:
    body = ("<p>" + SENTENCE + "</p>").encode("gbk")[:-6] + b"\xb5"  # cut inside a double-byte character
    page = decode_html(body, "text/html; charset=gb2312")
    assert "党员干部踊跃参加" in page.text and page.encoding == "gb18030"


@pytest.mark.skipif(not BENCH.is_dir(), reason="shared/extraction-bench is not beside the checkout")
def test_bench_pages_decode_as_their_real_encoding() -> None:
    """The 45 Chinese bench pages: 5 lie (gb2312 declared, UTF-8 bytes), 2 GBK pages declare nothing."""
    checked = 0
    for meta_path in sorted(BENCH.glob("*/*.json")):
        if meta_path.parent.name == "aeb":
            continue
        meta = json.loads(meta_path.read_text("utf-8"))
        page = decode_html(meta_path.with_suffix(".html").read_bytes())
        want_utf8 = meta["actual_encoding"] == "utf-8"
        assert page.encoding.startswith("utf-8") == want_utf8, meta_path.stem
        assert "\ufffd" not in page.text, meta_path.stem
        checked += 1
    assert checked == 45
