"""Site furniture in the database: learned from a site's stored articles, loaded once per site run.

steps/furniture.py decides what furniture is; this module only reads the articles it learns from and
keeps the result in ``site_furniture``, replacing the site's rows on every learning pass so that lines
a site no longer shows are forgotten.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from steps.flags import Flag
from steps.furniture import MIN_PAGES, MIN_SHARE, learn, line_key
from storage.models import Article, SiteFurniture

RECENT_ARTICLES = 50  # sidebars and recommendation lists change: learn from what the site shows now


def load_site_furniture(session: Session, site: str) -> frozenset[str]:
    """The line keys to remove from this site's pages (empty until a learning pass found any)."""
    return frozenset(session.scalars(select(SiteFurniture.line_hash).where(SiteFurniture.site == site)))


REMOVED_FLAG: Flag = "site_furniture_removed"  # set by steps/extract.py on an article that lost furniture lines


def learn_site_furniture(session: Session, site: str, recent: int = RECENT_ARTICLES) -> int:
    """Learn the site's furniture from its latest stored articles and store it; how many lines.

    Stored texts no longer carry the lines that extraction removed, so a known line is not forgotten for
    lack of them: it is dropped only when enough recent articles that lost *no* furniture (and so show
    the site as it is now) mostly lack it too. Otherwise a line would be learned, removed, forgotten and
    leak again on alternate nights.
    """
    rows = session.execute(
        select(Article.text, Article.flags).where(Article.site == site).order_by(Article.id.desc()).limit(recent)
    ).all()
    texts = [text for text, _ in rows]
    learned = {line.key: line for line in learn(texts)}
    untouched = [text for text, flags in rows if REMOVED_FLAG not in (flags or "").split(",")]
    known = session.scalars(select(SiteFurniture).where(SiteFurniture.site == site)).all()
    kept = [row for row in known if row.line_hash not in learned and not _disproved(row.line_hash, untouched)]
    values = [
        {"site": site, "line_hash": k, "pages": line.pages, "learned_from": len(texts), "sample": line.sample}
        for k, line in learned.items()
    ] + [
        {"site": site, "line_hash": r.line_hash, "pages": r.pages, "learned_from": r.learned_from, "sample": r.sample}
        for r in kept
    ]
    now = datetime.now(UTC)
    session.execute(delete(SiteFurniture).where(SiteFurniture.site == site))
    if values:
        session.execute(insert(SiteFurniture), [v | {"learned_at": now} for v in values])
    return len(values)


def _disproved(key: str, untouched: list[str]) -> bool:
    """Enough articles that lost no furniture, and most of them without this line."""
    if len(untouched) < MIN_PAGES:
        return False
    carrying = sum(key in {line_key(line) for line in text.split("\n")} for text in untouched)
    return carrying / len(untouched) < MIN_SHARE
