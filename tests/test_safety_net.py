"""The safety net: where one of the project's rules over-fires and takes the article, plain trafilatura's
text is taken instead (flag ``fallback_trafilatura``); a page the rules read well is never flagged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from steps.decode import decode_html
from steps.extract import extract_article, needs_safety_check

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pages"
URL = "http://dj.example.gov.cn/a/202406/t20240603_1.html"
NAV = "<div class='nav'>" + "".join(f"<a href='/c{i}/'>栏目{i}</a>" for i in range(8)) + "</div>"
SIDE = (
    "<div class='side'><h3>热点文章</h3><ul>"
    + "".join(f"<li><a href='/n/{i}.html'>市直机关召开第{i}次党建工作推进会议</a></li>" for i in range(6))
    + "</ul></div>"
)


def page(heading: str, article: str) -> str:
    return (
        f"<html><head><title>{heading}_某某党建网</title></head><body>{NAV}<h1>{heading}</h1>"
        f"<div class='info'>发布时间：2024-06-03</div>{article}{SIDE}</body></html>"
    )


def test_an_article_of_linked_points_is_not_lost_to_the_link_block_rule() -> None:
    """一图读懂: every key point of the article links to its section. To the link-block rule the points are a
    headline list, and it removed all of them ("no main text found"); plain trafilatura keeps them."""
    points = [f"要点{n}：坚持把党的政治建设摆在首位，推动全面从严治党向纵深发展第{n}条" for n in "一二三四五六"]
    links = "".join(f"<p><a href='/yd/{i}.html'>{t}</a></p>" for i, t in enumerate(points))
    art = extract_article(page("一图读懂全会精神", f"<div class='article'>{links}</div>"), URL)
    assert all(p in art.text for p in points)
    assert "fallback_trafilatura" in art.flags
    assert "市直机关召开第3次" not in art.text  # the neighbouring headlines stay out


def test_an_article_beside_a_summary_box_is_not_lost_to_the_container_rule() -> None:
    """A 内容提要 box with the generic class ``content`` holds enough letters to pass for the body container,
    and the article beside it was never read; plain trafilatura reads the article."""
    summary = (
        "<div class='content'><p>"
        + "内容提要：本文介绍市直机关党建工作推进会的主要精神和下一步工作安排。" * 7
        + "</p></div>"
    )
    paras = "".join(
        f"<p>第{i}部分：市直机关工委坚持把党的政治建设摆在首位，推动机关党建和业务工作深度融合，"
        f"在服务中心大局中发挥战斗堡垒作用和党员先锋模范作用，各级党组织认真落实主体责任。</p>"
        for i in range(1, 13)
    )
    art = extract_article(page("市直机关召开党建工作推进会", summary + f"<div class='wz'>{paras}</div>"), URL)
    assert "第1部分" in art.text and "第12部分" in art.text
    assert "fallback_trafilatura" in art.flags


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_a_page_the_rules_read_well_is_not_flagged(path: Path) -> None:
    meta = json.loads(path.read_text("utf-8"))
    if meta.get("error"):
        pytest.skip("a page that must be rejected")
    html = decode_html(path.with_suffix(".html").read_bytes(), meta.get("content_type")).text
    assert "fallback_trafilatura" not in extract_article(html, meta["url"]).flags


def test_plain_trafilatura_runs_only_on_evidence() -> None:
    """The check costs a second trafilatura run: a long body that the rules took little from needs none."""
    assert not needs_safety_check(own_chars=1500, page_chars=4000, handed_chars=2000)
    assert needs_safety_check(own_chars=0, page_chars=4000, handed_chars=4000)  # nothing found
    assert needs_safety_check(own_chars=300, page_chars=9000, handed_chars=400)  # the rules took 8,600 letters
    assert not needs_safety_check(own_chars=300, page_chars=1200, handed_chars=400)  # two thirds: a portal page


def test_an_article_whose_source_carries_a_few_replacement_characters_is_an_article() -> None:
    """A 澎湃号 page printed U+FFFD where emoji had been lost upstream (32 in 1,700 characters): over 2 % of
    the body, which read as a binary body served as text ("no main text found"). A binary body is garbled
    all over the page; this one only in its body."""
    paras = "".join(f"<p>南沙国际邮轮母港码头工程已进入最后的施工及验收准备阶段{i}\ufffd\ufffd</p>" for i in range(8))
    filler = "<div class='footer'>" + "广州市南沙区人民政府主办，版权所有，未经授权禁止转载。" * 20 + "</div>"
    html = page("广州南沙邮轮母港即将开通", f"<div class='article'>{paras}</div>{filler}")
    art = extract_article(html, URL)
    assert "验收准备阶段7" in art.text
