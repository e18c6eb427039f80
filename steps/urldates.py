"""Dates that portals put in article URLs: evidence for since/until before fetching a page."""

from __future__ import annotations

import re
from datetime import date

_URL_DATES = (
    re.compile(r"/t(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})_\d+"),  # TRS: /202409/t20240902_123456.html
    re.compile(r"/(?P<y>(?:19|20)\d{2})/(?P<m>\d{2})(?P<d>\d{2})/c\d+-\d+"),  # people.cn: /n1/2024/1016/c…
    re.compile(r"/(?P<y>(?:19|20)\d{2})/(?P<m>\d{2})/(?P<d>\d{2})/"),  # 12371: /2024/09/02/ARTI….shtml
    re.compile(r"/(?P<y>(?:19|20)\d{2})-(?P<m>\d{2})/(?P<d>\d{2})/"),  # /2024-09/02/content_…
)


def date_from_url(url: str) -> date | None:
    """The publication day encoded in an article URL, if the portal encodes one."""
    for pattern in _URL_DATES:
        m = pattern.search(url)
        if m:
            try:
                return date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError:
                continue
    return None
