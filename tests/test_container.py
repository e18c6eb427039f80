"""trafilatura on the body container alone: the container's text in, what surrounds it out."""

from __future__ import annotations

from steps.extract import body_container, extract_article, parse_html
from steps.html import block_text, word_chars

PARAS = "".join(
    f"<p>第{i}部分：市直机关工委坚持把党的政治建设摆在首位，推动机关党建和业务工作深度融合，"
    f"在服务中心大局中发挥战斗堡垒作用和党员先锋模范作用。</p>"
    for i in range(1, 5)
)
SIDE = "<div class='side'><h3>图片新闻</h3><p>机关篮球赛在市体育馆圆满落幕，参赛队伍共有二十支。</p></div>"


def page(container: str) -> str:
    return (
        "<html><head><title>市直机关召开党建工作推进会_某市机关党建网</title></head><body>"
        f"<h1>市直机关召开党建工作推进会</h1><div class='info'>发布时间：2024-06-03</div>{container}{SIDE}"
        "</body></html>"
    )


def test_the_trs_container_is_read_alone() -> None:
    html = page(f"<div class='TRS_Editor'>{PARAS}</div>")
    assert body_container(parse_html(html), None) is not None
    art = extract_article(html, "http://jgdj.example.gov.cn/a/t20240603_1.html")
    assert "第4部分" in art.text and "机关篮球赛" not in art.text


def test_a_small_container_is_not_trusted() -> None:
    html = page("<div id='zoom'><p>附件下载</p></div><div class='main'>" + PARAS + "</div>")
    assert body_container(parse_html(html), None) is None  # too little text: the whole page goes to trafilatura
    assert "第1部分" in extract_article(html, "http://jgdj.example.gov.cn/a/t20240603_2.html").text


def test_the_registry_xpath_wins() -> None:
    html = page(f"<div class='detail-body'>{PARAS}</div>")
    node = body_container(parse_html(html), "//div[@class='detail-body']")
    assert node is not None and node.get("class") == "detail-body"


def test_a_generic_container_holding_a_small_share_of_the_page_is_not_trusted() -> None:
    """A teaser box named ``content`` (200+ letters) beside a long article: the article is extracted."""
    teaser = "<div class='content'><p>" + "本周要闻导读：机关党建工作动态一览，敬请关注后续报道。" * 9 + "</p></div>"
    article = "<div class='main'>" + PARAS * 8 + "</div>"
    html = page(teaser + article)
    tree = parse_html(html)
    assert body_container(tree, None) is not None  # by its size alone the teaser would pass
    chars = word_chars(block_text(tree))
    assert body_container(tree, None, chars) is None  # but it holds a tenth of the page at most
    text = extract_article(html, "http://jgdj.example.gov.cn/a/t20240603_3.html").text
    assert "第4部分" in text
    assert body_container(tree, "//div[@class='content']", chars) is not None  # the registry's is trusted


def test_an_article_in_another_script_is_an_article() -> None:
    """Letters of any script count toward the minimum text (a Russian page was once 'no main text')."""
    paragraph = "<p>Председатель комиссии рассказал о проверке исполнения решений и о планах на год.</p>"
    html = f"<html><head><title>Новости</title></head><body><h1>Новости</h1>{paragraph * 3}</body></html>"
    assert word_chars(paragraph) > 50
    assert "Председатель комиссии" in extract_article(html, "http://example.com/ru/news/1.html").text
