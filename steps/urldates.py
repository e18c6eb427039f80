"""Dates that portals put in article URLs: evidence for since/until before fetching a page, and a date
signal of its own when the page prints none."""

from __future__ import annotations

import re
from datetime import date

_Y = r"(?P<y>(?:19|20)\d{2})"
_M, _D = r"(?P<m>[01]\d)", r"(?P<d>[0-3]\d)"
# Four-digit years first: a two-digit one (/YY/MMDD/) is the weakest evidence and is tried last.
_URL_DATES = (
    re.compile(rf"/t{_Y}{_M}{_D}_\d+"),  # TRS: /202409/t20240902_123456.html
    re.compile(rf"/{_Y}/{_M}{_D}/"),  # people.cn: /n1/2024/1016/c…
    re.compile(rf"/{_Y}/{_M}/{_D}/"),  # 12371: /2024/09/02/ARTI….shtml
    re.compile(rf"/{_Y}-{_M}/{_D}/"),  # xinhuanet, gmw: /2024-09/02/content_…
    re.compile(rf"/{_Y}-{_M}-{_D}/"),  # sina: /c/2024-05-20/doc-…
    re.compile(rf"/{_Y}/{_M}-{_D}/"),  # chinanews: /gn/2024/05-20/10219.shtml
    re.compile(rf"/{_Y}{_M}/{_D}/"),  # /202405/20/…
    re.compile(rf"/{_Y}{_M}{_D}/"),  # news.cn: /politics/20240520/…/c.html
    re.compile(rf"/(?P<yy>[0-3]\d)/{_M}{_D}/\d{{2}}/"),  # 163.com: /24/0520/10/J2K….html (YY/MMDD/HH/)
)


def date_from_url(url: str) -> date | None:
    """The publication day encoded in an article URL, if the portal encodes one."""
    for pattern in _URL_DATES:
        for m in pattern.finditer(url):
            year = int(m["y"]) if "y" in pattern.groupindex else 2000 + int(m["yy"])
            try:
                return date(year, int(m["m"]), int(m["d"]))
            except ValueError:
                continue
    return None
