"""Dates in every common form of the header area, and htmldate over the whole page as the last resort.

The pages here are built in the test: each reproduces one form that a real portal uses (a labelled
``发布日期`` with seconds above the heading, a day split across widgets, Chinese numerals) or one trap
(a related-news list whose dates htmldate would otherwise pick).
"""

from __future__ import annotations

from datetime import date

from htmldate import find_date

from steps.clean import is_boilerplate
from steps.dates import WholePageDates, arabic_dates, header_date, split_date
from steps.extract import _drop_title_line, extract_article

BODY = "".join(
    f"<p>第{i}段：区委组织部组织全体党员干部开展主题党日活动，深入学习党的二十届三中全会精神，"
    f"结合本单位实际研究部署下一步工作任务，确保各项工作落到实处。</p>"
    for i in range(1, 5)
)


def page(header: str, *, tail: str = "", title: str = "区委组织部开展主题党日活动") -> str:
    return (
        f"<html><head><title>{title}_某某区人民政府</title></head><body>"
        f"<div class='nav'><a href='/'>首页</a> <a href='/a'>党建动态</a></div>"
        f"{header}<h1>{title}</h1><div class='article'>{BODY}</div>{tail}</body></html>"
    )


def test_chinese_numeral_dates_become_digits() -> None:
    assert arabic_dates("二〇二四年十一月五日") == "2024年11月5日"
    assert arabic_dates("二○一九年十二月三十一日印发") == "2019年12月31日印发"
    assert arabic_dates("十一月的会议") == "十一月的会议"  # no year: not a date


def test_split_widget_day_in_either_order() -> None:
    assert split_date("21 2024年02月").date() == date(2024, 2, 21)  # type: ignore[union-attr]
    assert split_date("2024年02月 21 来源：区委办").date() == date(2024, 2, 21)  # type: ignore[union-attr]
    assert split_date("共 21 页") is None
    assert split_date("31 2024年02月") is None  # no 31 February


def test_labelled_date_with_seconds_above_the_heading() -> None:
    html = page("<div class='meta'>发布日期：2019-09-23 14:34:05 浏览次数：87</div>")
    art = extract_article(html, "http://www.example.gov.cn/art/12345.html")
    assert art.published_at is not None
    assert (art.published_at.date(), art.published_at.hour) == (date(2019, 9, 23), 14)


def test_date_split_across_widgets_in_the_header() -> None:
    html = page("<div class='date'><div class='day'>21</div><div class='year'>2024年02月</div></div>")
    art = extract_article(html, "http://www.example.gov.cn/art/12345.html")
    assert art.published_at is not None and art.published_at.date() == date(2024, 2, 21)


def test_chinese_numeral_date_in_the_info_line() -> None:
    html = page("", title="关于开展主题党日活动的通知").replace(
        "<div class='article'>", "<div class='info'>发布时间：二〇二四年十一月五日</div><div class='article'>"
    )
    art = extract_article(html, "http://www.example.gov.cn/art/12345.html")
    assert art.published_at is not None and art.published_at.date() == date(2024, 11, 5)


def test_header_date_ignores_an_unlabelled_banner_day() -> None:
    assert header_date("今天是 2024年11月26日 星期二 首页 党建动态") is None


RELATED = (
    "<div class='related'><h3>相关新闻</h3><ul>"
    "<li><a href='/1'>全区党建工作会议召开</a><span>2024-03-01</span></li>"
    "<li><a href='/2'>区委理论学习中心组学习</a><span>2024-02-27</span></li>"
    "<li><a href='/3'>机关党委召开专题会议</a><span>2024-02-20</span></li></ul></div>"
)


def test_htmldate_last_resort_skips_dated_lists() -> None:
    html = page("", tail=RELATED)
    assert WholePageDates(html).document() is None  # the only dates on the page are other articles'
    dated = html.replace("<div class='article'>", "<div class='article'><p class='time'>2024-01-15</p>")
    found = WholePageDates(dated).document()
    assert found is not None and found.date() == date(2024, 1, 15)


def test_the_last_resort_reads_a_page_that_declares_gbk_as_the_text_it_is() -> None:
    """The decoded page still says ``<meta charset=gbk>``; read as GBK, its Chinese dates and labels were
    mojibake, so neither the dated list nor the article's printed day was seen."""
    related = RELATED.replace("2024-03-01", "2024年03月01日").replace("2024-02-27", "2024年02月27日")
    html = page("", tail=related.replace("2024-02-20", "2024年02月20日"))
    html = html.replace("<head>", "<head><meta charset='gbk'>")
    dated = html.replace("<div class='article'>", "<div class='article'><p class='time'>发布时间：2024-01-15</p>")
    found = WholePageDates(dated).document()
    assert found is not None and found.date() == date(2024, 1, 15)


def test_a_page_without_dated_lists_is_searched_by_htmldate_once() -> None:
    """The page as it is and the page with its dated lists removed are one input then: ``page`` reuses the
    search ``document`` made (its day is in a script, not printed, so ``document`` declines it)."""
    html = page("").replace("</head>", "<script>var pubtime = '2024-01-15 08:00:00';</script></head>")
    whole = WholePageDates(html)
    assert whole.document() is None
    assert whole._untouched is not None  # the search is remembered
    found = whole.page()
    assert found is not None and found.date() == date(2024, 1, 15)


def test_an_undated_article_gets_htmldate_s_own_answer_flagged_not_a_rule_s() -> None:
    """The project's own signals find no date (the related list's days are other articles'); htmldate's
    answer on the untouched page is what a user of the library would get, so it is taken and flagged."""
    html = page("", tail=RELATED)
    url = "http://www.example.gov.cn/art/12345.html"
    art = extract_article(html, url)
    library = find_date(html, original_date=True, url=url)
    assert library is not None  # the fixture is a case where the library answers and the rules do not
    assert art.published_at is not None and art.published_at.date().isoformat() == library
    assert "date_htmldate" in art.flags and "date_missing" not in art.flags


def test_a_date_the_rules_find_is_not_flagged_as_htmldate_s() -> None:
    dated = page("", tail=RELATED).replace(
        "<div class='article'>", "<div class='article'><p class='time'>2024-01-15</p>"
    )
    art = extract_article(dated, "http://www.example.gov.cn/art/12345.html")
    assert art.published_at is not None and art.published_at.date() == date(2024, 1, 15)
    assert "date_htmldate" not in art.flags


def test_labelled_header_date_beats_a_later_related_link_date_after_the_heading() -> None:
    # A county 信息公开 page: 生成日期 in the metadata box above the heading; between heading and body a
    # 关联稿件 link to a later 图文解读, with its own day.
    html = (
        "<html><head><title>万载县2022年国民经济和社会发展统计公报</title></head><body>"
        "<table><tr><td>索 引 号：</td><td>014742224A/2023-0043406</td></tr>"
        "<tr><td>生成日期：</td><td>2023-05-11</td></tr><tr><td>公开方式：</td><td>主动公开</td></tr></table>"
        "<h1>万载县2022年国民经济和社会发展统计公报</h1><div>访问量：1632</div>"
        "<ul><li>关联稿件：<a href='/t/1.html'>图文解读：《万载县2022年国民经济和社会发展统计公报》</a>"
        "<span>2023-07-12</span></li></ul>"
        f"<div class='article'>{BODY}</div></body></html>"
    )
    found = extract_article(html, "http://www.example.gov.cn/art/1.html").published_at
    assert found is not None and found.date() == date(2023, 5, 11)


def test_bare_byline_day_beats_a_later_today_banner() -> None:
    # The other way round: a labelled "today" banner later than the byline's bare day must not win.
    html = page("<div>日期：2024年11月26日 星期二</div>", title="区委组织部开展主题党日活动").replace(
        "<div class='article'>", "<div>王婉 2024年10月16日09:29</div><div class='article'>"
    )
    found = extract_article(html, "http://www.example.gov.cn/art/2.html").published_at
    assert found is not None and found.date() == date(2024, 10, 16)


def test_heading_printed_twice_is_no_body_start_and_its_info_line_dates_the_page() -> None:
    # A school's 党建 column (PowerEasy-style): <h2 class=title> and a "subtitle" <h3> repeating it, then
    # 文章来源：作者：发布时间：… ; left in the body, the repeated heading was taken for the body's start
    # and the info zone before it was empty.
    title = "献礼建党百年 凝聚奋斗力量 ——我校金笛老师荣获微型党课比赛一等奖"
    html = (
        f"<html><head><title>{title}--党建引领-某某中学</title></head><body><div class='printArea'>"
        f"<h2 class='title'>{title}</h2><h3 class='subTitle'><span>{title}</span></h3>"
        "<div class='property'><span>文章来源：</span> <span>作者：</span> <span>发布时间：2021年03月31日</span>"
        " <span>点击数：12 次</span></div>"
        f"<div class='conTxt'>{BODY}</div></div></body></html>"
    )
    art = extract_article(html, "http://www.example.edu.cn/Item/13033.aspx")
    assert art.published_at is not None and art.published_at.date() == date(2021, 3, 31)
    assert title.replace(" ", "") not in art.text.replace(" ", "")
    assert "文章来源" not in art.text


def test_every_copy_of_the_heading_at_the_body_head_goes() -> None:
    heading = "献礼建党百年 凝聚奋斗力量"
    body = f"{heading}\n献礼建党百年  凝聚奋斗力量\n为热烈庆祝中国共产党百年华诞……\n{heading}"
    assert _drop_title_line(body, "献礼建党百年 凝聚奋斗力量").split("\n") == [
        "为热烈庆祝中国共产党百年华诞……",
        "献礼建党百年 凝聚奋斗力量",  # further down it is a sentence of the article, quoted
    ]


def test_info_line_with_an_article_source_label_is_furniture() -> None:
    assert is_boilerplate("文章来源： 作者： 发布时间：2021年03月31日 点击数：", kept_lines=0)
    assert is_boilerplate("稿件来源：市委组织部 发布日期：2024-05-16", kept_lines=1)
