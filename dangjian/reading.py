"""The web view's reading pages: an article as something to read, and a site's articles of one month.

Datasette shows rows; a researcher reading the corpus wants the article: its title, China-time date, site,
来源/作者/编辑, the text in paragraphs, the original URL, the pages that repeat it (similarity, layer) and
the texts it had before a re-extraction. Two routes of the project's Datasette plugin, rendered with
Datasette's own templates (templates/read*.html extend its base page), so there is no second web server:

- ``/<db>/read/<id>``: one article;
- ``/<db>/read/<site>/<YYYY-MM>``: the titles of a site's month (``undated`` for articles without a date).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

CHINA = "'+8 hours'"  # stored instants are UTC; China has had no daylight saving since 1991

_ARTICLE = f"""
SELECT id, site, title, url, datetime(published_at, {CHINA}) AS published, source, author, editor, text, flags,
       datetime(fetched_at, {CHINA}) AS fetched
FROM articles WHERE id = :id
"""
_COPIES = f"""
SELECT url, site, title, similarity, layer, datetime(recorded_at, {CHINA}) AS recorded
FROM duplicates WHERE duplicate_of_article_id = :id ORDER BY similarity DESC, id
"""
_VERSIONS = f"""
SELECT title, change, extraction_version, datetime(replaced_at, {CHINA}) AS replaced, length(text) AS chars
FROM article_versions WHERE article_id = :id ORDER BY replaced_at DESC, id DESC
"""
_MONTH = f"""
SELECT id, title, datetime(published_at, {CHINA}) AS published, source
FROM articles
WHERE site = :site AND coalesce(strftime('%Y-%m', published_at, {CHINA}), 'undated') = :month
ORDER BY published_at DESC, id DESC LIMIT 2000
"""


@dataclass(frozen=True)
class ReadingPage:
    template: str
    context: dict[str, Any]


def paragraphs(text: str) -> list[str]:
    """The stored text's paragraphs (joined by newlines when it was extracted), without empty ones."""
    return [p.strip() for p in text.split("\n") if p.strip()]


async def article_page(db: Any, article_id: int) -> ReadingPage | None:
    rows = (await db.execute(_ARTICLE, {"id": article_id})).rows
    if not rows:
        return None
    article = dict(rows[0])
    article["paragraphs"] = paragraphs(article.pop("text") or "")
    article["flags"] = [f for f in (article["flags"] or "").split(",") if f]
    month = (article["published"] or "")[:7] or "undated"
    context = {
        "article": article,
        "copies": [dict(r) for r in (await db.execute(_COPIES, {"id": article_id})).rows],
        "versions": [dict(r) for r in (await db.execute(_VERSIONS, {"id": article_id})).rows],
        "month_path": f"read/{quote(article['site'], safe='')}/{month}",
        "month": month,
    }
    return ReadingPage("read.html", context)


async def month_page(db: Any, site: str, month: str) -> ReadingPage:
    rows = (await db.execute(_MONTH, {"site": site, "month": month})).rows
    return ReadingPage("read_month.html", {"site": site, "month": month, "articles": [dict(r) for r in rows]})
