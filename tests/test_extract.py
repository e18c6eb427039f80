"""extract_article on portal-shaped fixtures, on the replica portal, on traps, and on the shared bench of real pages."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from steps.decode import decode_html
from steps.extract import ExtractionError, extract_article
from steps.html import repair_stray_closers
from steps.titles import strip_title_suffix

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pages"
REPLICA_EXPECTED = ROOT / "replica" / "expected.json"
BENCH = ROOT.parent / "shared" / "extraction-bench"
FURNITURE = ("扫一扫", "分享到", "打印本页", "关闭窗口", "当前位置", "责任编辑", "字号", "ICP备", "热点文章")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def fixture_pages() -> list[tuple[str, dict[str, Any]]]:
    return [(p.stem, json.loads(p.read_text("utf-8"))) for p in sorted(FIXTURES.glob("*.json"))]


def run_fixture(name: str, meta: dict[str, Any], **kwargs: Any) -> Any:
    raw = (FIXTURES / f"{name}.html").read_bytes()
    return extract_article(decode_html(raw, meta.get("content_type")).text, meta["url"], **kwargs)


def test_there_are_enough_fixtures() -> None:
    assert len(fixture_pages()) >= 8


@pytest.mark.parametrize(
    ("name", "meta"),
    [p for p in fixture_pages() if not p[1].get("error")],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_fixture_page(name: str, meta: dict[str, Any]) -> None:
    art = run_fixture(name, meta)
    assert art.title == meta["title"]
    assert (art.published_at.isoformat() if art.published_at else None) == meta["published"]
    assert (art.source, art.author, art.editor) == (meta["source"], meta["author"], meta["editor"])
    for passage in meta["must_contain"]:
        assert passage in art.text
    for furniture in meta["must_not_contain"]:
        assert furniture not in art.text
    assert set(meta["flags"]) <= set(art.flags)
    assert squash(art.text) == squash(meta["text"])  # nothing else came along, and nothing was lost
    assert not art.text.startswith(meta["title"])  # the heading is the title, not the first paragraph


@pytest.mark.parametrize(
    ("name", "meta"), [p for p in fixture_pages() if p[1].get("error")], ids=lambda v: v if isinstance(v, str) else ""
)
def test_fixture_page_is_rejected(name: str, meta: dict[str, Any]) -> None:
    with pytest.raises(ExtractionError, match=meta["error"]):
        run_fixture(name, meta)


def test_registry_body_xpath_rescues_a_page_trafilatura_cannot_read() -> None:
    # The template puts the article in a container whose class reads like a comment list, which trafilatura
    # discards (include_comments=False); the portal registry knows the container.
    paras = "".join(f"<p>市委组织部召开全市组织工作会议，部署下一阶段重点任务第{i}项。</p>" for i in range(6))
    html = (
        "<html><head><title>会议报道_某某党建网</title></head><body><div class='nav'>首页 | 党建要闻</div>"
        f"<div class='comment-list' id='wz'>{paras}</div></body></html>"
    )
    url = "http://x.example.gov.cn/a.html"
    with pytest.raises(ExtractionError, match="no main text"):
        extract_article(html, url)
    art = extract_article(html, url, body_xpath="//div[@id='wz']")
    assert art.text.split("\n")[-1] == "市委组织部召开全市组织工作会议，部署下一阶段重点任务第5项。"
    assert "党建要闻" not in art.text
    assert "fallback_xpath" in art.flags


def test_stray_closing_html_before_the_article_hides_nothing() -> None:
    rule = "各地区各部门要把基层党组织建设摆在突出位置，切实加强领导，认真抓好落实，确保各项措施落到实处。"
    html = (
        "<html><head><title>公报_中国政府网</title></head><body><div class='top'>首页 | 政策 | 公报</div></html>"
        "<div class='content'><h1>国务院关于加强基层党组织建设的通知</h1>"
        + "".join(f"<p>第{i}条 {rule}</p>" for i in range(1, 9))
        + "</div><div class='foot'>版权所有：中国政府网</div></body></html>"
    )
    art = extract_article(html, "http://www.gov.cn/gongbao/content/2007/content_1.htm")
    assert "第8条" in art.text and art.title == "国务院关于加强基层党组织建设的通知"
    assert "fallback_parse" in art.flags


def test_closing_tags_at_the_end_or_before_trailing_scripts_are_not_stray() -> None:
    page = "<html><body><p>正文</p></body></html>\n<script>var _hmt=[];</script>\n"
    assert repair_stray_closers(page) == (page, False)


@pytest.mark.parametrize(
    ("page_title", "title"),
    [
        ("市直机关召开推进会_市直机关党建网", "市直机关召开推进会"),
        ("女儿出嫁，郑板桥画了几笔兰花当嫁妆--文化--人民网", "女儿出嫁，郑板桥画了几笔兰花当嫁妆"),
        (
            "新华视界｜河北遵化：数字农机服务助力农业生产-新华网河北频道-新华网",
            "新华视界｜河北遵化：数字农机服务助力农业生产",
        ),
        ("居家养老有“医”靠 安宁疗护有温度 - 太原晚报", "居家养老有“医”靠 安宁疗护有温度"),
        ("1-10月德清县固定资产投资结构趋稳趋优", "1-10月德清县固定资产投资结构趋稳趋优"),
    ],
)
def test_title_suffix_is_stripped_but_not_the_title(page_title: str, title: str) -> None:
    assert strip_title_suffix(page_title) == title


def test_mostly_spam_page_is_rejected_with_a_reason() -> None:
    spam = "| ".join(
        ["日韩精选无码", "天堂在线观看中文字幕", "人妻精品久久无码区", "国产成人无码视频", "亚洲AV无码"] * 12
    )
    html = f"<html><body><h1>首页</h1><div><p>欢迎访问</p><p>{spam}</p></div></body></html>"
    with pytest.raises(ExtractionError, match="spam"):
        extract_article(html, "http://127.0.0.1/spam.html")


@pytest.mark.parametrize("html", ["", "   ", "<html><body><div>首页 | 登录</div></body></html>"])
def test_empty_or_textless_pages_are_rejected(html: str) -> None:
    with pytest.raises(ExtractionError, match=r"empty page|no main text"):
        extract_article(html, "http://127.0.0.1/x.html")


@pytest.mark.skipif(not REPLICA_EXPECTED.is_file(), reason="replica portal not present")
def test_replica_article_pages() -> None:
    expected = json.loads(REPLICA_EXPECTED.read_text("utf-8"))
    assert expected["articles"]
    for exp in expected["articles"]:
        raw = (ROOT / "replica" / "site" / exp["path"].lstrip("/")).read_bytes()
        content_type = "text/html; charset=GBK" if exp["encoding"] == "gbk" else "text/html; charset=utf-8"
        art = extract_article(decode_html(raw, content_type).text, "http://127.0.0.1:8000" + exp["path"])
        assert art.title == exp["title"], exp["path"]
        assert art.published_at is not None and art.published_at.date().isoformat() == exp["published"]
        assert art.source == exp["source"], exp["path"]
        assert art.editor, exp["path"]
        assert exp["key_sentence"] in art.text
        for word in FURNITURE:
            assert word not in art.text, (exp["path"], word)


@pytest.mark.skipif(not BENCH.is_dir(), reason="shared/extraction-bench is not beside the checkout")
def test_extraction_bench_of_real_pages_beats_plain_trafilatura() -> None:
    """Measured by bench/extraction.py: this project finds 163/164 must_contain passages and leaks 2 of 176
    must_not_contain strings; plain trafilatura.extract finds 158 and leaks 22 on the same 45 pages.
    The thresholds leave a margin of one passage and two leaks for library drift, no more."""
    found = total = leaks = pages = 0
    for meta_path in sorted(BENCH.glob("*/*.json")):
        if meta_path.parent.name == "aeb":
            continue
        meta = json.loads(meta_path.read_text("utf-8"))
        raw = meta_path.with_suffix(".html").read_bytes()
        try:
            out = squash(extract_article(decode_html(raw).text, meta.get("url") or "http://example.invalid/").text)
        except ExtractionError:
            out = ""
        pages += 1
        found += sum(squash(s) in out for s in meta["must_contain"])
        total += len(meta["must_contain"])
        leaks += sum(squash(s) in out for s in meta["must_not_contain"])
    assert (pages, total) == (45, 164)
    assert found >= 162
    assert leaks <= 4


def test_editor_line_after_the_body_and_before_a_long_sidebar_is_found() -> None:
    """TRS templates put (责任编辑：…) after the body's container, then share/print furniture and a sidebar
    of several link boxes: more than the last 3,000 characters of the page the tail search reads."""
    sentence = "机关党委组织党员开展主题党日活动，深入学习贯彻党的二十届三中全会精神，推动党建与业务深度融合。"
    paragraphs = "".join(f'<p style="text-indent: 2em;">{sentence * 3}</p>' for _ in range(10))
    boxes = "".join(
        f'<div class="side-box"><h3>{name}</h3><ul>'
        + "".join(
            f'<li><a href="../../llxx/202108/t20210803_{i}.html" title="市直机关工委第{i}党支部开展专题学习">'
            f"市直机关工委第{i}党支部开展专题学习研讨交流活动</a></li>"
            for i in range(20)
        )
        + "</ul></div>"
        for name in ("热点文章", "工委动态", "基层党建", "理论学习", "通知公告", "党员教育", "清廉机关", "专题专栏")
    )
    html = f"""<html><head><title>主题党日活动 - 市直机关党建网</title></head><body>
<div class="crumb">当前位置：首页 &gt; 工作动态</div>
<div class="main"><div class="article"><h1>主题党日活动</h1>
<div class="info">发布时间：2024-05-01 来源：机关党委</div>
<div class="TRS_Editor">{paragraphs}</div></div>
<div class="editor">(责任编辑：李明)</div>
<div class="share">分享到：<a href="#">微博</a><a href="#">微信</a></div>
<div class="tools">【<a href="javascript:window.print()">打印本页</a>】</div>
</div><div class="sidebar">{boxes}</div>
<div class="footer">版权所有 某市直机关工委 备案号：某ICP备12345678号</div></body></html>"""
    art = extract_article(html, "http://127.0.0.1/gzdt/202405/t20240501_1.html")
    assert art.editor == "李明"
    assert "责任编辑" not in art.text and "专题学习研讨" not in art.text
