"""find_published_date: the info-line formats of these portals, URL evidence, and dates that must not win."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from steps.dates import CHINA, find_published_date, htmldate_date

TRS_URL = "http://www.jgdj.example.gov.cn/djgz/202409/t20240902_612345.html"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("时间:2022-08-29 17:46:10  来源:  作者:", "2022-08-29T17:46:10+08:00"),
        ("发布时间：2024年09月02日", "2024-09-02T00:00:00+08:00"),
        ("發布時間:2024年09月02日 來源:中國氣象報社", "2024-09-02T00:00:00+08:00"),
        ("2024-12-09 18:00 来源：福建机关党建网", "2024-12-09T18:00:00+08:00"),
        ("王婉\n2024年10月16日09:29\n文字縮放:", "2024-10-16T09:29:00+08:00"),
        ("日期：2024/09/02", "2024-09-02T00:00:00+08:00"),
        ("发布日期：2024.9.2  浏览次数：1024", "2024-09-02T00:00:00+08:00"),
        ("【发布时间：2024-09-02 08:05:09】", "2024-09-02T08:05:09+08:00"),
    ],
)
def test_info_line_formats(text: str, expected: str) -> None:
    found = find_published_date(text)
    assert found is not None and found.isoformat() == expected
    assert found.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (TRS_URL, "2024-09-02"),
        ("http://cpc.people.com.cn/n1/2024/1016/c64387-40340123.html", "2024-10-16"),
        ("https://www.12371.cn/2024/09/02/ARTI1725261234567890.shtml", "2024-09-02"),
    ],
)
def test_url_evidence_when_the_text_has_no_date(url: str, expected: str) -> None:
    found = find_published_date("市直机关召开党建引领业务提升现场推进会", url)
    assert found is not None and found.isoformat() == f"{expected}T00:00:00+08:00"


def test_labelled_date_on_the_urls_day_keeps_its_time() -> None:
    found = find_published_date("发布时间：2024-09-02 10:30 来源：市直机关工委", TRS_URL)
    assert found is not None and found.isoformat() == "2024-09-02T10:30:00+08:00"


def test_labelled_date_far_from_the_urls_day_loses_to_the_url() -> None:
    found = find_published_date("更新 时间：2024-11-20 08:00", TRS_URL)
    assert found is not None and found.isoformat() == "2024-09-02T00:00:00+08:00"


def test_labelled_date_beats_an_earlier_unlabelled_one() -> None:
    text = "今天是2024年11月23日 星期六\n市直机关召开推进会\n发布时间：2024-09-02 来源：市直机关工委"
    found = find_published_date(text)
    assert found is not None and found.date().isoformat() == "2024-09-02"


SIDEBAR_PAGE = """<html><head><title>市直机关召开党建引领业务提升现场推进会</title></head><body>
<div class="sidebar"><h3>热点文章</h3><ul>
<li><a href="/a.html">市委组织部召开年度工作会议</a><span>2023-01-05</span></li>
<li><a href="/b.html">全市党员冬训工作全面启动</a><span>2022-12-30</span></li></ul></div>
<div class="article"><h1>市直机关召开党建引领业务提升现场推进会</h1>
<div class="info"><span>发布时间：</span><span>2024-09-02 10:30</span> <span>来源：市直机关工委</span></div>
<p>会议指出，今年以来，市直机关各级党组织坚持围绕中心、建设队伍、服务群众。</p></div></body></html>"""


def test_a_sidebar_date_before_the_article_does_not_win() -> None:
    found = find_published_date(SIDEBAR_PAGE)
    assert found is not None and found.isoformat() == "2024-09-02T10:30:00+08:00"


def test_only_sidebar_dates_give_no_date_rather_than_a_wrong_one() -> None:
    page = SIDEBAR_PAGE.replace("<span>发布时间：</span><span>2024-09-02 10:30</span>", "")
    assert find_published_date(page) is None
    found = find_published_date(page, TRS_URL)  # the URL is evidence, the sidebar is not
    assert found is not None and found.date().isoformat() == "2024-09-02"


def test_unlabelled_date_counts_in_the_info_zone_only() -> None:
    zone = " 王婉 2024年10月16日 文字縮放"
    assert find_published_date(zone) is None  # a bare day anywhere in a page could be a sidebar entry
    found = find_published_date(zone, html="<html></html>")  # the caller says: this is the zone under the heading
    assert found is not None and found.date().isoformat() == "2024-10-16"


def test_impossible_and_future_dates_are_ignored() -> None:
    tomorrow_plus = (datetime.now(CHINA) + timedelta(days=10)).strftime("%Y-%m-%d")
    assert find_published_date(f"发布时间：{tomorrow_plus}") is None
    assert find_published_date("发布时间：2024-13-45") is None
    assert find_published_date("发布时间：1970-01-01") is None


def test_htmldate_is_the_last_resort_and_reads_meta_tags() -> None:
    page = '<html><head><meta name="PubDate" content="2024-09-02 10:30"></head><body><p>正文</p></body></html>'
    found = find_published_date(page)
    assert found is not None and found.date().isoformat() == "2024-09-02" and found.tzinfo is CHINA


def test_htmldate_never_returns_the_crawl_date() -> None:
    today = datetime.now(CHINA).strftime("%Y-%m-%d")
    page = f'<html><head><meta name="PubDate" content="{today}"></head><body><p>正文</p></body></html>'
    assert htmldate_date(page) is None
