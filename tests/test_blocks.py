"""Generic block rules: headline lists and link-only lines by shape, never article paragraphs; breadcrumbs."""

from __future__ import annotations

from steps.blocks import count_tree, drop_link_blocks, is_headline_list
from steps.clean import clean_text, join_breadcrumbs
from steps.extract import parse_html

ARTICLE = (
    "<div class='article'><p>10月11日，市生态环境局机关党支部组织党员干部到城区段河道开展主题党日活动，"
    "<a href='/zt/1.html'>守护母亲河</a>专题同步上线。</p>"
    "<p>支部书记结合水污染防治法上了一堂微党课，勉励党员干部把生态环境保护责任扛在肩上。</p>"
    "<ul><li>附件：<a href='/files/a.pdf'>2024年度河湖长制工作要点汇总表</a></li>"
    "<li>附件：<a href='/files/b.docx'>入河排污口巡查记录表（样表）</a></li>"
    "<li>附件：<a href='/files/c.xls'>志愿服务登记表（可编辑版本）</a></li></ul></div>"
)
RELATED = (
    "<ul class='x'><li><a href='/1'>全市机关党建工作推进会召开</a> 10-08</li>"
    "<li><a href='/2'>市直机关工委开展专题调研活动</a> 10-07</li>"
    "<li><a href='/3'>机关党委召开理论学习中心组会议</a> 10-05</li></ul>"
    "<div><a href='/'>返回首页，查看更多</a></div>"
)


def test_headline_list_and_link_line_go_article_stays() -> None:
    tree = parse_html(f"<html><body>{ARTICLE}{RELATED}</body></html>")
    assert drop_link_blocks(tree).blocks == 2
    text = tree.text_content()
    assert "全市机关党建工作推进会召开" not in text and "返回首页" not in text
    assert "守护母亲河" in text and "微党课" in text
    assert "2024年度河湖长制工作要点汇总表" in text  # attachment links never make a headline list


def test_a_list_of_sentences_with_one_link_each_is_no_headline_list() -> None:
    tree = parse_html(
        "<html><body><ul>"
        + "".join(
            f"<li>第{i}项任务：按照<a href='/doc{i}'>实施方案</a>要求，各支部于10月底前完成自查并报送工作总结。</li>"
            for i in range(4)
        )
        + "</ul></body></html>"
    )
    assert not is_headline_list(tree.xpath("//ul")[0])
    assert drop_link_blocks(tree).blocks == 0


def test_breadcrumb_split_over_lines_is_joined_and_removed() -> None:
    lines = ["吉林省政府信息公开专栏", ">>", "吉林省人民政府", ">> 政府信息公开基础平台", "正文第一段。"]
    assert join_breadcrumbs(lines) == [
        "吉林省政府信息公开专栏 >> 吉林省人民政府 >> 政府信息公开基础平台",
        "正文第一段。",
    ]
    cleaned = clean_text("\n".join(lines))
    assert cleaned.text == "正文第一段。"


def test_a_removed_list_takes_its_label_but_not_a_sentence_before_it() -> None:
    labelled = f"<div class='box'><h3>热门排行</h3><b></b>{RELATED.split('<div>')[0]}</div>"
    tree = parse_html(f"<html><body>{ARTICLE}{labelled}</body></html>")
    assert drop_link_blocks(tree).blocks == 2  # the list and its label
    assert "热门排行" not in tree.text_content() and "微党课" in tree.text_content()
    sentence = "<p>会议要求，各支部认真学习以下文件。</p>"  # a sentence, however short, is no label
    tree = parse_html(f"<html><body>{ARTICLE}{sentence}{RELATED.split('<div>')[0]}</body></html>")
    assert drop_link_blocks(tree).blocks == 1 and "各支部认真学习以下文件" in tree.text_content()


def test_a_menu_goes_whatever_its_items_look_like() -> None:
    """Dividers, a group header and submenus break the headline-list shape; the links stay the whole text."""
    menu = (
        "<ul class='nav'><li><a href='/'>首页</a></li><li class='divider'></li><li><b>机构</b></li>"
        "<li><a href='/jg'>机关党委</a><ul><li><a href='/jg/1'>组织科</a></li>"
        "<li><a href='/jg/2'>宣传科</a></li></ul></li>"
        "<li><a href='/gk'>信息公开</a></li><li><a href='/hd'>互动交流</a></li><li><a href='/dt'>工作动态</a></li>"
        "<li><a href='/tz'>通知公告</a></li><li><a href='/dj'>党建园地</a></li><li><a href='/zt'>专题专栏</a></li>"
        "<li><a href='/xx'>理论学习</a></li><li><a href='/lz'>廉政建设</a></li></ul>"
    )
    tree = parse_html(f"<html><body>{menu}{ARTICLE}</body></html>")
    assert not is_headline_list(tree.xpath("//ul[@class='nav']")[0])
    assert drop_link_blocks(tree).blocks >= 1
    text = tree.text_content()
    assert "互动交流" not in text and "组织科" not in text
    assert "守护母亲河" in text and "2024年度河湖长制工作要点汇总表" in text  # a link in a sentence, attachments


def test_the_counts_of_one_pass_are_those_of_each_element_read_alone() -> None:
    tree = parse_html(f"<html><body>{ARTICLE}{RELATED}<p>尾注 <a href='/x'>链接</a> 文字</p></body></html>")
    counts = count_tree(tree)
    for el in tree.iter():
        links = [a for a in el.iter("a") if not a.get("href", "").endswith((".pdf", ".docx", ".xls"))]
        assert counts[el].chars == letters(el.text_content())
        assert counts[el].links == len(links)
        assert counts[el].link_chars == sum(letters(a.text_content()) for a in links)


def letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def test_dates_and_bullets_beside_a_link_are_no_text_outside_it() -> None:
    # Sohu's 相关新闻: "<li><span>09-03-06</span>·<a>short headline</a></li>"; counted as characters, the
    # date and bullet put each entry below the headline link density and the list stayed.
    items = "".join(
        f"<li><span>09-0{i}-06</span>·<a href='/n{i}.shtml'>布兰妮复出巡演疑假唱{i}</a></li>" for i in range(1, 6)
    )
    tree = parse_html(f"<html><body>{ARTICLE}<div class='list14'><ul>{items}</ul></div></body></html>")
    assert is_headline_list(tree.xpath("//div[@class='list14']/ul")[0])
    drop_link_blocks(tree)
    assert "布兰妮" not in tree.text_content() and "守护母亲河" in tree.text_content()


def test_headline_links_on_lines_of_their_own_go_even_without_list_markup() -> None:
    # 人民网, 2009: after the body, related articles as bold links separated by <br>.
    line = "<b><a href='http://politics.example.cn/GB/{i}.html'><font color='#0000ff'>{text}</font></a></b><br><br>"
    run = "".join(line.format(i=i, text=f"相关评论第{i}篇：计件反腐是指标思维下的政绩") for i in range(1, 5))
    tree = parse_html(f"<html><body><div id='p_content'>{ARTICLE}<br><br>{run}</div></body></html>")
    drop_link_blocks(tree)
    text = tree.text_content()
    assert "计件反腐" not in text and "守护母亲河" in text


def test_links_inside_sentences_are_no_run() -> None:
    links = "、".join(f"<a href='/d{i}.html'>关于进一步加强基层党组织建设的第{i}号通知</a>" for i in range(1, 5))
    html = f"<html><body><div id='c'><p>请各单位认真学习{links}等文件精神。</p>{ARTICLE}</div></body></html>"
    tree = parse_html(html)
    drop_link_blocks(tree)
    assert "第4号通知" in tree.text_content()


SPAM = ["日韩精选无码", "天堂在线观看中文字幕", "日韩va中文字幕无码电影", "国产爆乳无码视频在线", "人妻精品久久无码区"]


def test_injected_spam_links_are_left_for_clean_text_to_flag() -> None:
    # A hacked mirror's SEO block: the "spam_removed" flag clean_text sets is how it is noticed.
    inline = "| ".join(f"<a href='http://sp{i}.example.net/'>{t}</a>" for i, t in enumerate(SPAM))
    listed = "".join(f"<li><a href='http://sp{i}.example.net/'>{t}</a></li>" for i, t in enumerate(SPAM))
    for block in (f"<div class='links'>{inline}</div>", f"<ul class='links'>{listed}</ul>"):
        tree = parse_html(f"<html><body>{ARTICLE}{block}</body></html>")
        drop_link_blocks(tree)
        assert "日韩精选无码" in tree.text_content(), block
