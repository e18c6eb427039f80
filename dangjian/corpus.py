"""China-time days in, UTC instants out: how the CLI's --since/--until reach storage's CorpusFilter.

Readers think in the portals' calendar (China time); storage keeps UTC. The conversion happens here, once,
with steps.chinatime.CHINA_TZ, for export, search and the nightly export alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from steps.chinatime import CHINA_TZ
from storage.corpus import CorpusFilter


def china_midnight(day: date) -> datetime:
    """The instant a China-time day starts."""
    return datetime.combine(day, time(0), tzinfo=CHINA_TZ)


def in_china(moment: datetime | None) -> datetime | None:
    return moment.astimezone(CHINA_TZ) if moment is not None else None


def corpus_filter(sites: Sequence[str] = (), since: str | None = None, until: str | None = None) -> CorpusFilter:
    """Articles of ``sites`` published on China days ``since``..``until`` (YYYY-MM-DD, inclusive)."""
    first = date.fromisoformat(since) if since else None
    last = date.fromisoformat(until) if until else None
    if first and last and first > last:
        raise ValueError(f"--since {since} is after --until {until}")
    return CorpusFilter(
        sites=tuple(sites),
        published_from=china_midnight(first) if first else None,
        published_before=china_midnight(last + timedelta(days=1)) if last else None,
    )
