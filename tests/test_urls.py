from __future__ import annotations

import pytest

from steps.urldates import date_from_url
from steps.urls import canonical_url


@pytest.mark.parametrize(
    "variant",
    [
        "http://127.0.0.1:8000/djgz/index.html",
        "http://127.0.0.1:8000/djgz/",
        "http://127.0.0.1:8000/djgz/index.html#top",
        "HTTP://127.0.0.1:8000/djgz/index.htm?utm_source=wechat",
    ],
)
def test_column_front_page_spellings_fold(variant: str) -> None:
    assert canonical_url(variant) == "http://127.0.0.1:8000/djgz/"


def test_tracking_parameters_drop_but_real_ones_stay() -> None:
    a = canonical_url("https://www.12371.cn/2024/09/02/ARTI1.shtml?spm=C73.x&from=timeline")
    assert a == "https://www.12371.cn/2024/09/02/ARTI1.shtml"
    b = canonical_url("http://x.gov.cn/content.jsp?id=7&isappinstalled=0&cat=2")
    assert b == "http://x.gov.cn/content.jsp?cat=2&id=7"
    assert canonical_url("http://x.gov.cn/content.jsp?id=7") != canonical_url("http://x.gov.cn/content.jsp?id=8")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://nm.cma.gov.cn/xwzx/djgz/jczs/202404/t20240430_6241012.html", "2024-04-30"),
        ("http://www.qizhiwang.org.cn/n1/2024/1016/c457278-40340354.html", "2024-10-16"),
        ("https://www.12371.cn/2024/09/02/ARTI1725250329213583.shtml", "2024-09-02"),
        ("https://news.sina.com.cn/c/2024-05-20/doc-inavmmfi1968342.shtml", "2024-05-20"),
        ("https://www.chinanews.com.cn/gn/2024/05-20/10219834.shtml", "2024-05-20"),
        ("http://www.news.cn/politics/20240520/5e1f2a/c.html", "2024-05-20"),
        ("https://news.163.com/24/0520/10/J2KQ1A2B000189FH.html", "2024-05-20"),
        ("http://www.gmw.cn/xueshu/2024-05/20/content_37334564.htm", "2024-05-20"),
        ("http://x.gov.cn/djgz/202405/20/a1.html", "2024-05-20"),
        ("http://x.gov.cn/djgz/index_2.html", None),
        ("http://x.gov.cn/a/12345678/b.html", None),  # eight digits that are no day
        ("http://x.gov.cn/a/24/1399/10/b.html", None),
        ("http://x.gov.cn/202413/t20241341_1.html", None),  # not a real day
    ],
)
def test_dates_in_portal_urls(url: str, expected: str | None) -> None:
    day = date_from_url(url)
    assert (day.isoformat() if day else None) == expected
