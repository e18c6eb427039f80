"""extract_article on replica pages, on crafted traps, and on the shared bench of 45 real pages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from steps.decode import decode_html
from steps.extract import ExtractionError, extract_article

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = json.loads((ROOT / "replica" / "expected.json").read_text("utf-8"))
BENCH = ROOT.parent / "shared" / "extraction-bench"
FURNITURE = ("扫一扫", "分享到", "打印本页", "关闭窗口", "当前位置", "责任编辑", "字号", "ICP备", "热点文章")


@pytest.mark.parametrize("exp", EXPECTED["articles"], ids=lambda e: e["path"].rsplit("/", 1)[-1])
def test_replica_article_pages(exp: dict[str, str]) -> None:
    raw = (ROOT / "replica" / "site" / exp["path"].lstrip("/")).read_bytes()
    content_type = "text/html; charset=GBK" if exp["encoding"] == "gbk" else "text/html; charset=utf-8"
    art = extract_article(decode_html(raw, content_type).text, "http://127.0.0.1:8000" + exp["path"])
    assert art.title == exp["title"]
    assert art.published_at is not None and art.published_at.date().isoformat() == exp["published"]
    assert art.source == exp["source"]
    assert art.editor
    assert exp["key_sentence"] in art.text
    for word in FURNITURE:
        assert word not in art.text, word


def test_stray_closing_html_before_the_article_hides_nothing() -> None:
    html = (
        "<html><head><title>公报_中国政府网</title></head><body><div class='top'>首页 | 政策 | 公报</div></html>"
        "<div class='content'><h1>国务院关于加强基层党组织建设的通知</h1>"
        + "".join(
            f"<p>第{i}条 各地区各部门要把基层党组织建设摆在突出位置，切实加强领导，认真抓好落实，确保各项措施落到实处。</p>"
            for i in range(1, 9)
        )
        + "</div><div class='foot'>版权所有：中国政府网</div></body></html>"
    )
    art = extract_article(html, "http://www.gov.cn/gongbao/content/2007/content_1.htm")
    assert "第8条" in art.text and art.title == "国务院关于加强基层党组织建设的通知"


def test_mostly_spam_page_is_rejected_with_a_reason() -> None:
    spam = "| ".join(
        ["日韩精选无码", "天堂在线观看中文字幕", "人妻精品久久无码区", "国产成人无码视频", "亚洲AV无码"] * 12
    )
    html = f"<html><body><h1>首页</h1><div><p>欢迎访问</p><p>{spam}</p></div></body></html>"
    with pytest.raises(ExtractionError, match="spam"):
        extract_article(html, "http://127.0.0.1/spam.html")


@pytest.mark.parametrize("html", ["", "   ", "<html><body><div>首页 | 登录</div></body></html>"])
def test_empty_or_textless_pages_are_rejected(html: str) -> None:
    with pytest.raises(ExtractionError):
        extract_article(html, "http://127.0.0.1/x.html")


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


@pytest.mark.skipif(not BENCH.is_dir(), reason="shared/extraction-bench is not beside the checkout")
def test_extraction_bench_of_real_pages_beats_plain_trafilatura() -> None:
    """Thresholds are this project's measured figures (163/164 found, 16 leaks) with a small margin;
    plain trafilatura.extract scores 158/164 and 22 leaks on the same 45 pages (bench/extraction.py)."""
    found = total = leaks = 0
    for meta_path in sorted(BENCH.glob("*/*.json")):
        if meta_path.parent.name == "aeb":
            continue
        meta = json.loads(meta_path.read_text("utf-8"))
        raw = meta_path.with_suffix(".html").read_bytes()
        try:
            art = extract_article(decode_html(raw).text, meta.get("url") or "http://example.org/")
            out = _squash((art.title or "") + art.text)
        except ExtractionError:
            out = ""
        found += sum(_squash(s) in out for s in meta["must_contain"])
        total += len(meta["must_contain"])
        leaks += sum(_squash(s) in out for s in meta["must_not_contain"])
    assert total == 164
    assert found >= 162
    assert leaks <= 18
