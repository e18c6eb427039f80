"""Writes of ``dangjian reprocess``: a stored page changes its text or its role, in the caller's transaction.

Kept apart from storage/writes.py (the live path): these are the only statements that change an
article after it was stored. Each keeps the text it replaces in article_versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.models import Article, ArticleVersion, Duplicate, Layer, reference_label
from storage.references import Reference
from storage.runlog import utcnow
from storage.writes import NewArticle, add_article, duplicate_row, index_article, unindex_article

VersionChange = str  # "updated" | "now_duplicate"


@dataclass(frozen=True)
class StoredArticle:
    id: int
    title: str | None
    text: str
    content_hash: str
    published_at: datetime | None
    extraction_version: str | None
    text_normalized: str  # what its index rows were made from (writes.unindex_article)


@dataclass(frozen=True)
class StoredDuplicate:
    id: int
    article_id: int | None
    seed: str | None
    similarity: float

    @property
    def label(self) -> str:
        return reference_label(self.article_id, self.seed)


def stored_role(session: Session, canonical_url: str) -> StoredArticle | StoredDuplicate | None:
    """What the corpus holds for this canonical URL: an article, a duplicate, or nothing."""
    art = session.execute(
        select(
            Article.id,
            Article.title,
            Article.text,
            Article.content_hash,
            Article.published_at,
            Article.extraction_version,
            Article.text_normalized,
        ).where(Article.canonical_url == canonical_url)
    ).first()
    if art is not None:
        return StoredArticle(*art)
    dup = session.execute(
        select(
            Duplicate.id, Duplicate.duplicate_of_article_id, Duplicate.duplicate_of_seed, Duplicate.similarity
        ).where(Duplicate.canonical_url == canonical_url)
    ).first()
    return StoredDuplicate(*dup) if dup is not None else None


def keep_version(session: Session, article_id: int, change: VersionChange) -> None:
    """Copy the article's current text into article_versions before it is replaced."""
    old = session.execute(
        select(
            Article.canonical_url, Article.extraction_version, Article.title, Article.text, Article.content_hash
        ).where(Article.id == article_id)
    ).one()
    session.add(
        ArticleVersion(
            article_id=article_id,
            canonical_url=old.canonical_url,
            extraction_version=old.extraction_version,
            title=old.title,
            text=old.text,
            content_hash=old.content_hash,
            change=change,
            replaced_at=utcnow(),
        )
    )
    session.flush()


def update_article(session: Session, article_id: int, item: NewArticle, version: str, *, reindex: bool) -> None:
    """Replace the article's text in place (same id), keeping the old one. With ``reindex`` (its text
    changed, and the caller took it out of the indexes with unindex_article), the new text is indexed."""
    keep_version(session, article_id, "updated")
    session.execute(
        update(Article)
        .where(Article.id == article_id)
        .values(
            title=item.title,
            published_at=item.published_at,
            source=item.source,
            author=item.author,
            editor=item.editor,
            text=item.text,
            text_normalized=item.text_normalized,
            script=item.script,
            flags=item.flags,
            content_hash=item.content_hash,
            encoding=item.encoding,
            extraction_version=version,
        )
    )
    if reindex:
        index_article(session, article_id, item)


def demote_article(
    session: Session,
    article_id: int,
    item: NewArticle,
    reference: Reference,
    similarity: float,
    layer: Layer,
    run_id: int | None,
) -> None:
    """The article now repeats ``reference``: it becomes a duplicate of it, and so do the pages that were
    duplicates of it (the canonical document of a story is the one the corpus keeps). The caller has
    already taken it out of the indexes (unindex_article) to compare its new text."""
    keep_version(session, article_id, "now_duplicate")
    row = duplicate_row(url=item.url, canonical_url=item.canonical_url, site=item.site, title=item.title,
                        reference=reference, similarity=similarity, layer=layer, run_id=run_id)  # fmt: skip
    _become_duplicate(session, article_id, row)


def demote_copy(
    session: Session, article_id: int, original_id: int, similarity: float, layer: Layer, run_id: int | None
) -> None:
    """The stored article is a copy that a reprocessed article outranks as the original (the canonical
    rule of live ingestion, process/decide.outranked_copy): it becomes the original's duplicate, its text
    kept in article_versions, and its own duplicates follow it."""
    old = session.execute(
        select(Article.url, Article.canonical_url, Article.site, Article.title, Article.text_normalized).where(
            Article.id == article_id
        )
    ).one()
    unindex_article(session, article_id, old.text_normalized)
    keep_version(session, article_id, "now_duplicate")
    original = Reference(article_id=original_id, seed_name=None, text_normalized="")
    row = duplicate_row(url=old.url, canonical_url=old.canonical_url, site=old.site, title=old.title,
                        reference=original, similarity=similarity, layer=layer, run_id=run_id)  # fmt: skip
    _become_duplicate(session, article_id, row)


def _become_duplicate(session: Session, article_id: int, row: Duplicate) -> None:
    """Replace the article by its duplicates row; the duplicates that pointed at it point where it does."""
    session.execute(
        update(Duplicate)
        .where(Duplicate.duplicate_of_article_id == article_id)
        .values(duplicate_of_article_id=row.duplicate_of_article_id, duplicate_of_seed=row.duplicate_of_seed)
    )
    session.execute(delete(Article).where(Article.id == article_id))
    session.add(row)
    session.flush()


def delete_duplicate(session: Session, duplicate_id: int) -> None:
    """Before a stored duplicate takes its article's place (writes.promote_original): its URL moves
    to the article row."""
    session.execute(delete(Duplicate).where(Duplicate.id == duplicate_id))
    session.flush()


def retarget_duplicate(
    session: Session, duplicate_id: int, reference: Reference, similarity: float, layer: Layer
) -> None:
    session.execute(
        update(Duplicate)
        .where(Duplicate.id == duplicate_id)
        .values(
            duplicate_of_article_id=reference.article_id,
            duplicate_of_seed=reference.seed_name,
            similarity=round(similarity, 4),
            layer=layer,
        )
    )


def promote_duplicate(session: Session, duplicate_id: int, item: NewArticle, version: str, run_id: int | None) -> int:
    """A page judged a duplicate no longer is one: it becomes an article (a new id)."""
    session.execute(delete(Duplicate).where(Duplicate.id == duplicate_id))
    article_id, inserted = add_article(session, item, run_id)
    if not inserted:
        raise RuntimeError(f"{item.canonical_url}: its text is already stored as article:{article_id}")
    session.execute(update(Article).where(Article.id == article_id).values(extraction_version=version))
    return article_id
