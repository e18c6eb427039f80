"""Site furniture in the database: learned from a site's stored articles, loaded once per site run.

steps/furniture.py decides what furniture is; this module only reads the articles it learns from and
keeps the result in ``site_furniture``, replacing the site's rows on every learning pass so that lines
a site no longer shows are forgotten.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from steps.furniture import learn
from storage.models import Article, SiteFurniture

RECENT_ARTICLES = 50  # sidebars and recommendation lists change: learn from what the site shows now


def load_site_furniture(session: Session, site: str) -> frozenset[str]:
    """The line keys to remove from this site's pages (empty until a learning pass found any)."""
    return frozenset(session.scalars(select(SiteFurniture.line_hash).where(SiteFurniture.site == site)))


def learn_site_furniture(session: Session, site: str, recent: int = RECENT_ARTICLES) -> int:
    """Learn the site's furniture from its latest stored articles and store it; how many lines."""
    texts = list(
        session.scalars(select(Article.text).where(Article.site == site).order_by(Article.id.desc()).limit(recent))
    )
    lines = learn(texts)
    now = datetime.now(UTC)
    session.execute(delete(SiteFurniture).where(SiteFurniture.site == site))
    if lines:
        session.execute(
            insert(SiteFurniture),
            [
                {
                    "site": site,
                    "line_hash": line.key,
                    "pages": line.pages,
                    "learned_from": len(texts),
                    "sample": line.sample,
                    "learned_at": now,
                }
                for line in lines
            ],
        )
    return len(lines)
