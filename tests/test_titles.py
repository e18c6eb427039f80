"""find_title: the complete heading among <h1>, og:title and <title>, without a subtitle, never a list link."""

from __future__ import annotations

from steps.extract import parse_html
from steps.titles import find_title

FULL = "市委组织部召开全市基层党建工作重点任务推进会议暨党建引领基层治理现场观摩会"


def title_of(html: str) -> str | None:
    tree = parse_html(html)
    titles = tree.xpath("//title")
    return find_title(tree, titles[0].text_content() if titles else None)


def test_heading_cut_with_ellipsis_is_completed_from_og_title() -> None:
    html = (
        f"<html><head><title>{FULL[:20]}..._某某市人民政府</title>"
        f"<meta property='og:title' content='{FULL}'></head>"
        f"<body><h1>{FULL[:20]}...</h1><p>正文</p></body></html>"
    )
    assert title_of(html) == FULL


def test_heading_cut_with_ellipsis_is_completed_from_page_title() -> None:
    html = f"<html><head><title>{FULL}_某某市人民政府</title></head><body><h1>{FULL[:18]}…</h1></body></html>"
    assert title_of(html) == FULL


def test_subtitle_inside_h1_stays_out() -> None:
    html = (
        "<html><head><title>坚持党建引领 激活基层治理_某某县人民政府</title></head><body>"
        "<h1>坚持党建引领 激活基层治理<br><span>——某某县推进网格化管理纪实</span></h1><p>正文</p></body></html>"
    )
    assert title_of(html) == "坚持党建引领 激活基层治理"


def test_title_class_heading_when_page_title_is_only_the_site() -> None:
    html = (
        "<html><head><title>某某党建网</title></head><body>"
        "<ul><li class='list_title'><a href='/1'>另一篇文章的标题链接不是本文标题</a></li></ul>"
        "<td class='bt_title'>县委理论学习中心组专题学习党的二十届三中全会精神</td><p>正文</p></body></html>"
    )
    assert title_of(html) == "县委理论学习中心组专题学习党的二十届三中全会精神"


def test_untouched_when_heading_and_title_agree() -> None:
    html = f"<html><head><title>{FULL} - 某某市人民政府</title></head><body><h1>{FULL}</h1></body></html>"
    assert title_of(html) == FULL


def title_with_text(html: str) -> str | None:
    """As extract_article calls it: with the body's text, the evidence about ``<title>``."""
    tree = parse_html(html)
    titles = tree.xpath("//title")
    body = tree.xpath("//body")[0].text_content()
    return find_title(tree, titles[0].text_content() if titles else None, body)


def test_bare_hyphen_suffix_is_cut_where_the_page_prints_the_head() -> None:
    # A VSB-style 纪检 column: <title>文章-栏目</title>, the heading in an unclassed table cell.
    html = (
        "<html><head><title>中华人民共和国监察法-纪检</title></head><body><table><tr><td>"
        "<span>中华人民共和国监察法</span></td></tr></table><p>《中华人民共和国监察法》是……</p></body></html>"
    )
    assert title_with_text(html) == "中华人民共和国监察法"
    # Without the page's text the bare hyphen stays ambiguous ("1-10月"), and the whole <title> is kept.
    assert title_of(html) == "中华人民共和国监察法-纪检"


def test_bare_hyphen_inside_a_printed_title_is_kept() -> None:
    html = (
        "<html><head><title>全市1-10月经济运行情况</title></head><body>"
        "<div>全市1-10月经济运行情况</div><p>全市1</p></body></html>"
    )
    assert title_with_text(html) == "全市1-10月经济运行情况"


def test_title_class_heading_when_page_title_is_never_printed() -> None:
    # <title> names the site and the column (科普中国-辟谣文章), which the page itself never prints.
    html = (
        "<html><head><title>科普中国-辟谣文章</title></head><body><div class='logo'>科普中国</div>"
        "<div class='rumor-title'>徒手抓子弹真的存在吗？</div><div class='rumor-info'>2024-05-01</div>"
        "<p>正文</p></body></html>"
    )
    assert title_with_text(html) == "徒手抓子弹真的存在吗？"
    assert title_of(html) == "科普中国-辟谣文章"  # without the evidence, as before


def test_heading_that_agrees_with_page_title_wins_over_a_different_og_title() -> None:
    # og:title is written for sharing; the reader sees the <h1>, which <title> repeats.
    html = (
        "<html><head><title>Taylor Swift is allowed to play her music at the AMAs after all - BBC News</title>"
        "<meta property='og:title' content=\"Taylor Swift's AMA row seems to be over\"></head><body>"
        "<h1>Taylor Swift is allowed to play her music at the AMAs after all</h1><p>Text.</p></body></html>"
    )
    assert title_of(html) == "Taylor Swift is allowed to play her music at the AMAs after all"


def test_heading_agrees_with_og_title_despite_curly_quotes() -> None:
    html = (
        "<html><head><title>Latest news</title>"
        "<meta property='og:title' content=\"'We had some issues,' exec says on Disney+ glitches\"></head><body>"
        "<h1>Other story in a sidebar teaser</h1>"
        "<h1>\u2018We had some issues,\u2019 exec says on Disney+ glitches</h1><p>Text.</p></body></html>"
    )
    assert title_of(html) == "\u2018We had some issues,\u2019 exec says on Disney+ glitches"


def test_cms_title_field_still_wins() -> None:
    html = (
        f"<html><head><title>栏目首页_某某党建网</title><meta name='ArticleTitle' content='{FULL}'></head>"
        "<body><h1>栏目首页</h1><p>正文</p></body></html>"
    )
    assert title_of(html) == FULL


def test_printed_h1_wins_over_a_social_og_title_when_neither_agrees_with_page_title() -> None:
    html = (
        "<html><head><title>The Real Deal</title>"
        "<meta property='og:title' content='WeWork employees to be laid off this week'></head><body>"
        "<h1>Major WeWork layoffs to begin today</h1><p>Text.</p></body></html>"
    )
    assert title_of(html) == "Major WeWork layoffs to begin today"


def test_site_first_page_title_does_not_hide_the_declared_article_title() -> None:
    # 信息公开 pages of a county government: <title>站点 | 文章标题</title>, ArticleTitle names the article.
    html = (
        "<html><head><title>万载县人民政府 | 万载县2015年国民经济和社会发展统计公报</title>"
        "<meta name='SiteName' content='万载县人民政府'>"
        "<meta name='ArticleTitle' content='万载县2015年国民经济和社会发展统计公报'></head><body>"
        "<div class='site-title'>万载县人民政府</div>"
        "<h1 class='article-title'>万载县2015年国民经济和社会发展统计公报</h1>"
        "<div>发布日期：2017-05-15 10:49:00</div><p>2015年，全县人民……</p></body></html>"
    )
    assert title_of(html) == "万载县2015年国民经济和社会发展统计公报"
