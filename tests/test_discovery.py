# ruff: noqa: E501  (HTML fixtures read best one list entry a line)
"""Discovery as plain functions, on responses built in the test (no server, no crawl): how probe finds a
column's article list, its dates, its URL pattern and its pagination, on the page shapes of real portals."""

from __future__ import annotations

import re
from datetime import date

import pytest
from scrapy.http import HtmlResponse

from crawlers import discovery as d
from sites.registry import DEFAULT_NEXT_PAGE_TEXTS, parse_site

HOST = "http://www.example.gov.cn"


def page(url: str, body: str, encoding: str = "utf-8") -> HtmlResponse:
    html = f"<html><head><title>列表</title></head><body>{body}</body></html>"
    return HtmlResponse(url, body=html.encode(encoding), encoding=encoding)


def analyse(response: HtmlResponse) -> tuple[d.LinkGroup, d.Pagination, list[str]]:
    links = d.page_links(response)
    best = d.article_groups(links, response.url)[0]
    pagination = d.find_pagination(response, links, set(best.urls), DEFAULT_NEXT_PAGE_TEXTS)
    return best, pagination, d.list_patterns(response.url, pagination.pages)


def matches(pattern: str, url: str) -> bool:
    return re.search(pattern, url) is not None


TRS = """
<div class="nav"><a href="/">首页</a><a href="/xwzx/">新闻资讯</a><a href="/djgz/">党建工作</a><a href="/zt/">专题</a></div>
<div class="list"><ul>
<li><a href="./202404/t20240430_6241012.html" title="t1">锡林郭勒盟气象局开展党支部书记抓党建述职评议</a><span>2024-04-30</span></li>
<li><a href="./202404/t20240425_6241001.html">锡林郭勒盟气象局扎实推进模范机关创建工作</a><span>2024-04-25</span></li>
<li><a href="./202403/t20240319_6240077.html">以“三会一课”为抓手提升支部组织力</a><span>2024-03-19</span></li>
<li><a href="http://127.0.0.2/xwzx/djgz/jczs/202403/t20240319_1.html">转载</a><span>2024-03-19</span></li>
</ul></div>
<div class="page"><a href="index_1.html">下一页</a> <a href="index_9.html">尾页</a>
<script>createPageHTML(10, 0, "index", "html");</script></div>
<div class="side"><h3>热点</h3><ul>
<li><a href="/xwzx/qxyw/202404/t20240401_1.html">另一栏目的文章一</a></li>
<li><a href="/xwzx/qxyw/202404/t20240402_2.html">另一栏目的文章二</a></li>
</ul></div>
<div class="footer"><a href="/gywm/">关于我们</a> <a href="/lxwm/">联系我们</a> <a href="/files/a.pdf">附件</a></div>
"""


def test_trs_column_article_group_pattern_and_create_page_html() -> None:
    best, pagination, lists = analyse(page(f"{HOST}/xwzx/djgz/jczs/", TRS))
    assert best.looks_like_articles and len(best.urls) == 3 and best.dated == 3
    pattern = d.article_pattern(best)
    assert pattern == r"^(?:https?://[^/?#]+)?/xwzx/djgz/jczs/\d{6}/t\d{8}_\d+\.html$"
    # next year's article matches; the sidebar's other column, a list page and a fragment do not
    assert matches(pattern, f"{HOST}/xwzx/djgz/jczs/202512/t20251201_9999999.html")
    assert matches(pattern, "/xwzx/djgz/jczs/202512/t20251201_9999999.html")  # path+query only, too
    assert not matches(pattern, f"{HOST}/xwzx/qxyw/202404/t20240401_1.html")
    assert not matches(pattern, f"{HOST}/xwzx/djgz/jczs/index_1.html")
    assert "createPageHTML" in pagination.kinds and "next-page link" in pagination.kinds
    assert f"{HOST}/xwzx/djgz/jczs/index_9.html" in pagination.pages
    assert f"{HOST}/" not in pagination.pages  # the nav's 首页 is the site's home, not the column's
    assert lists == [r"^(?:https?://[^/?#]+)?/xwzx/djgz/jczs/(?:index(?:_\d+)?\.html)?$"]
    assert matches(lists[0], f"{HOST}/xwzx/djgz/jczs/") and matches(lists[0], "/xwzx/djgz/jczs/index_12.html")
    assert not matches(lists[0], f"{HOST}/xwzx/qxyw/index_1.html")


def test_generated_patterns_load_in_the_registry_and_match_absolute_urls() -> None:
    best, _, lists = analyse(page(f"{HOST}/xwzx/djgz/jczs/", TRS))
    raw = {
        "name": "probed",
        "start_urls": [f"{HOST}/xwzx/djgz/jczs/"],
        "article_url_patterns": [d.article_pattern(best)],
    }
    site = parse_site({**raw, "list_url_patterns": lists})
    assert site.is_article_url(f"{HOST}/xwzx/djgz/jczs/202404/t20240430_6241012.html")
    assert site.is_list_url(f"{HOST}/xwzx/djgz/jczs/index_3.html")
    assert not site.is_article_url(f"{HOST}/xwzx/djgz/jczs/202404/t20240430_6241012.html.bak")


def test_people_cn_list_keeps_the_column_node_and_abstracts_dates() -> None:
    body = """
<div class="ej_list_box"><ul>
<li><a href='/n1/2024/1016/c457278-40340354.html'>某市气象局开展党支部书记抓党建述职评议</a><em>2024-10-16</em></li>
<li><a href='/n1/2024/1011/c457278-40339001.html'>某市气象局扎实推进模范机关创建工作</a><em>2024-10-11</em></li>
<li><a href='../../n1/2024/1008/c457278-40337000.html'>某市气象局以“三会一课”为抓手提升支部组织力</a><em>2024-10-08</em></li>
</ul></div>
<div class="page_n"><a href='index.html'>1</a><a href='index2.html'>2</a><a href='index3.html'>3</a><a href='index2.html'>下一页</a></div>
"""
    best, pagination, lists = analyse(page("http://www.qizhiwang.org.cn/GB/457278/index.html", body))
    pattern = d.article_pattern(best)
    assert pattern == r"^(?:https?://[^/?#]+)?/n1/\d{4}/\d{4}/c457278-\d+\.html$"
    assert matches(pattern, "http://www.qizhiwang.org.cn/n1/2025/0101/c457278-41000000.html")
    assert not matches(pattern, "http://www.qizhiwang.org.cn/n1/2025/0101/c422352-41000000.html")
    assert set(pagination.kinds) >= {"next-page link", "numbered links"}
    assert lists == [r"^(?:https?://[^/?#]+)?/GB/457278/index(?:\d+)?\.html$"]


def test_hex_ids_and_query_pagination() -> None:
    body = """
<ul class="doc_list">
<li><a href="/content/detail/690d3aaa6803fa11508b4567.html">市直机关工委党课评比决赛</a><span>2025-11-07</span></li>
<li><a href="/content/detail/69086238003bbb9a23b42dc5.html">市直某单位机关党委扎实推进模范机关创建</a><span>2025-11-03</span></li>
<li><a href="/content/detail/69001d74003bbbb101b8c45a.html">以“三会一课”为抓手提升支部组织力</a><span>2025-10-28</span></li>
</ul>
<div class="pagination"><a href="/content/column/6796771?pageIndex=2">下一页</a><a href="/content/column/6796771?pageIndex=9">尾页</a></div>
"""
    best, _, lists = analyse(page("http://www.xcs.gov.cn/content/column/6796771", body))
    assert d.article_pattern(best) == r"^(?:https?://[^/?#]+)?/content/detail/[0-9a-f]{24}\.html$"
    assert lists == [r"^(?:https?://[^/?#]+)?/content/column/6796771(?:\?pageIndex=\d+)?$"]
    assert matches(lists[0], "/content/column/6796771?pageIndex=12") and matches(lists[0], "/content/column/6796771")
    assert not matches(lists[0], "/content/column/6796772?pageIndex=2")


def test_a_list_written_only_in_a_script_array_is_found() -> None:
    body = """<div class="nav"><a href="/">首页</a><a href="/zxfb/">最新发布</a></div>
<script>var item=[{'title':'一','brief':'2024-09-02 10:25:31','link_add':'https://www.12371.cn/2024/09/02/ARTI1725243931213583.shtml'},
{'title':'二','link_add':'https://www.12371.cn/2024/08/30/ARTI1725004930214584.shtml'},
{'title':'三','link_add':'https://www.12371.cn/2024/08/28/ARTI1724809315215585.shtml'}];</script>"""
    best, _, _ = analyse(page("https://www.12371.cn/zxfb/", body))
    assert len(best.urls) == 3 and best.dated == 3
    assert d.article_pattern(best) == r"^(?:https?://[^/?#]+)?/\d{4}/\d{2}/\d{2}/ARTI\d+\.shtml$"


def test_a_big_undated_navigation_block_loses_to_a_small_dated_list() -> None:
    nav = "".join(f'<li><a href="/col/col{100 + i}/index.html">栏目{i}</a></li>' for i in range(15))
    items = "".join(
        f'<div class="item"><a href="/art/2024/5/{i}/art_{i}_7{i}.html">第{i}条党建工作新闻标题在这里</a>'
        f"<span>2024-05-0{i}</span></div>"
        for i in range(1, 5)
    )
    best, _, _ = analyse(page(f"{HOST}/col/col101/index.html", f"<ul>{nav}</ul><div>{items}</div>"))
    assert best.shape.startswith("/art/") and best.dated == 4  # dates beside the link, outside any <li>


def test_dedecms_numbered_pagination() -> None:
    body = """<ul class="e2">
<li><a href="/djpp/2022/0829/2800.html">【党建品牌】市气象局：红心气象 护航民生</a><span>2022-08-29</span></li>
<li><a href="/djpp/2022/0824/2817.html">市直某局机关党委召开党建工作领导小组会议</a><span>2022-08-24</span></li>
</ul><ul class="pagelist"><li><a href='list_12_1.html'>首页</a></li><li><a href='list_12_2.html'>2</a></li>
<li><a href='list_12_3.html'>3</a></li><li><a href='list_12_2.html'>下一页</a></li></ul>"""
    best, pagination, lists = analyse(page("http://www.zjjdj.gov.cn/djpp/", body))
    assert d.article_pattern(best) == r"^(?:https?://[^/?#]+)?/djpp/\d{4}/\d{4}/\d+\.html$"
    assert len(pagination.pages) == 3
    assert lists == [r"^(?:https?://[^/?#]+)?/djpp/(?:list_12_\d+\.html)?$"]


def test_a_page_without_a_list_is_said_to_have_none() -> None:
    trap = page(f"{HOST}/bad/index_5.html", '<div class="page"><a href="/bad/index_6.html">下一页</a></div>')
    groups = d.article_groups(d.page_links(trap), trap.url)
    assert not any(g.looks_like_articles for g in groups)
    assert "no group of at least 2 links" in d.why_no_list(groups)
    assert "no links" in d.why_no_list([])


@pytest.mark.parametrize(
    ("urls", "expected"),
    [
        # one month's articles only: the month stays abstract (next month's must match)
        (["/a/202404/t20240401_1.html", "/a/202404/t20240402_22.html"], r"/a/\d{6}/t\d{8}_\d+\.html"),
        # a constant number that is not a date is the column's id
        (["/n1/2024/1016/c9-1.html", "/n1/2024/1015/c9-2.html"], r"/n1/\d{4}/\d{4}/c9-\d+\.html"),
        (["/content.jsp?id=12&col=3", "/content.jsp?id=9&col=3"], r"/content\.jsp\?id=\d+&col=3"),
        # a year-like number glued to a word is part of a name (CMA's 2011xwzx folders)
        (
            ["/2011xwzx/2011xdjgz/202409/t20240902_1.html", "/2011xwzx/2011xdjgz/202408/t20240801_2.html"],
            r"/2011xwzx/2011xdjgz/\d{6}/t\d{8}_\d+\.html",
        ),
    ],
)
def test_shape_regex(urls: list[str], expected: str) -> None:
    assert d.shape_regex(urls) == expected
    assert len({d.shape_key(u) for u in urls}) == 1


def test_link_dates_from_url_or_entry() -> None:
    links = d.page_links(page(f"{HOST}/xwzx/djgz/jczs/", TRS))
    by_url = {link.url: link for link in links}
    assert by_url[f"{HOST}/xwzx/djgz/jczs/202404/t20240430_6241012.html"].day == date(2024, 4, 30)
    assert by_url[f"{HOST}/gywm/"].day is None


def test_feed_links() -> None:
    html = '<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml"></head><body></body></html>'
    assert d.feed_links(HtmlResponse(f"{HOST}/a/", body=html.encode())) == [f"{HOST}/rss.xml"]
