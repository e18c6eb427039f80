"""Idempotent writes: the database decides what is new.

Every write that could race with another worker or a rerun is guarded by a unique constraint and a
savepoint: the loser of a race sees an IntegrityError, rolls back only its savepoint and reads the
winner's row. No statement here is backend-specific.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage import containment, xlang
from storage.models import (
    Article,
    Attachment,
    Base,
    DecisionLock,
    Duplicate,
    Layer,
    LshBand,
    PageError,
)
from storage.references import Reference, winnowed_of
from storage.runlog import utcnow

_TAKE_TURN = update(DecisionLock).where(DecisionLock.id == 1).values(decisions=DecisionLock.decisions + 1)


_INSERT_ARTICLE = insert(Article).returning(Article.id)


_INSERT_BANDS = insert(LshBand)


_CLEAR_ERRORS = delete(PageError).where(PageError.canonical_url == bindparam("url"))


@dataclass(frozen=True)
class NewArticle:
    url: str
    canonical_url: str
    site: str
    title: str | None
    published_at: datetime | None
    source: str | None
    author: str | None
    editor: str | None
    text: str
    text_normalized: str
    script: str | None
    flags: str
    content_hash: str
    encoding: str | None
    band_keys: tuple[int, ...]
    winnowed: tuple[int, ...] = ()  # containment fingerprints (storage/containment.py)
    extraction_version: str | None = None  # which extraction code made ``text`` (process/version.py)


def insert_once(session: Session, *rows: Base) -> bool:
    """Insert ``rows`` in a savepoint; False (and nothing inserted) when a unique constraint says
    another run or worker got there first. The caller's transaction stays usable either way."""
    try:
        with session.begin_nested():
            for row in rows:
                session.add(row)
                session.flush()  # in order: later rows may need the ids of earlier ones
    except IntegrityError:
        return False
    return True


def take_decision_turn(session: Session) -> None:
    """Start a decide-and-store transaction by updating the one DecisionLock row (see its docstring).

    It must be the transaction's first statement: on SQLite a write first takes the database's write
    lock before anything is read, so no decision is made on a stale snapshot.
    """
    session.execute(_TAKE_TURN)


def add_attachment(
    session: Session,
    *,
    url: str,
    canonical_url: str,
    site: str,
    content_type: str | None,
    size: int | None,
    referer: str | None,
    run_id: int | None,
) -> bool:
    """Record a non-HTML resource once per canonical URL; False when it was already recorded."""
    if session.scalar(select(Attachment.id).where(Attachment.canonical_url == canonical_url)) is not None:
        return False
    return insert_once(
        session,
        Attachment(
            url=url,
            canonical_url=canonical_url,
            site=site,
            content_type=content_type[:200] if content_type else None,
            size=size,
            referer=referer,
            first_run_id=run_id,
            first_seen_at=utcnow(),
        ),
    )


def _same_article(item: NewArticle) -> Select[tuple[int]]:
    return select(Article.id).where(
        or_(Article.canonical_url == item.canonical_url, Article.content_hash == item.content_hash)
    )


def add_article(session: Session, item: NewArticle, run_id: int | None, *, checked: bool = False) -> tuple[int, bool]:
    """Insert the article and its LSH bands; (id, True) if inserted, (existing id, False) if it was already there.

    The unique constraints on canonical URL and content hash make this safe
    against reruns and against another worker inserting the same article.
    ``checked``: the caller has just looked for the URL and the hash in this
    transaction (the pipeline does, under the decision lock), so the lookup is
    not repeated; the constraints still guard the insert.
    """
    if not checked:
        existing = session.scalar(_same_article(item))
        if existing is not None:
            return existing, False
    values = {
        "url": item.url,
        "canonical_url": item.canonical_url,
        "site": item.site,
        "title": item.title,
        "published_at": item.published_at,
        "source": item.source,
        "author": item.author,
        "editor": item.editor,
        "text": item.text,
        "text_normalized": item.text_normalized,
        "script": item.script,
        "flags": item.flags,
        "content_hash": item.content_hash,
        "encoding": item.encoding,
        "extraction_version": item.extraction_version,
        "fetched_at": utcnow(),
        "first_run_id": run_id,
    }
    try:
        with session.begin_nested():
            # Core statements: one row and one executemany, without the ORM's unit of work per page.
            article_id = session.execute(_INSERT_ARTICLE, values).scalar_one()
            index_article(session, article_id, item)
    except IntegrityError:
        winner = session.scalar(_same_article(item))
        if winner is None:
            raise
        return winner, False
    return article_id, True


def duplicate_row(
    *,
    url: str,
    canonical_url: str,
    site: str,
    title: str | None,
    reference: Reference,
    similarity: float,
    layer: Layer,
    run_id: int | None,
    detail: str | None = None,
) -> Duplicate:
    """The duplicates row recording that the page at ``url`` repeats ``reference``."""
    return Duplicate(
        url=url,
        canonical_url=canonical_url,
        site=site,
        title=title,
        duplicate_of_article_id=reference.article_id,
        duplicate_of_seed=reference.seed_name,
        similarity=round(similarity, 4),
        layer=layer,
        detail=detail[:500] if detail else None,
        run_id=run_id,
        recorded_at=utcnow(),
    )


def add_duplicate(session: Session, row: Duplicate) -> bool:
    """Record a duplicate (duplicate_row) once per canonical URL; False when it was already recorded."""
    if session.scalar(select(Duplicate.id).where(Duplicate.canonical_url == row.canonical_url)) is not None:
        return False
    return insert_once(session, row)


@dataclass(frozen=True)
class StoredCopy:
    """The facts of a stored article that decide whether a newly met copy outranks it."""

    id: int
    url: str
    title: str | None
    source: str | None
    published_at: datetime | None


def unindex_article(session: Session, article_id: int, text_normalized: str) -> None:
    """Take an article out of both near-duplicate indexes (LSH bands, containment fingerprints), as its
    stored ``text_normalized`` put it there. Call once per text: the fingerprints' frequencies are
    counted down."""
    session.execute(delete(LshBand).where(LshBand.article_id == article_id))
    containment.unindex_article(session, article_id, winnowed_of(text_normalized))
    xlang.unindex(session, article_id=article_id)


def index_article(session: Session, article_id: int, item: NewArticle) -> None:
    """Put an article's new text into both near-duplicate indexes (the counterpart of unindex_article)."""
    session.execute(_INSERT_BANDS, LshBand.rows(item.band_keys, article_id=article_id))
    containment.index_documents(session, [containment.Indexed(item.winnowed, article_id=article_id)])
    xlang.index_document(session, item.text_normalized, item.script, article_id=article_id)


def stored_copy(session: Session, article_id: int) -> StoredCopy:
    row = session.execute(
        select(Article.id, Article.url, Article.title, Article.source, Article.published_at).where(
            Article.id == article_id
        )
    ).one()
    return StoredCopy(row.id, row.url, row.title, row.source, row.published_at)


def promote_original(
    session: Session, article_id: int, original: NewArticle, similarity: float, layer: Layer, run_id: int | None
) -> None:
    """Make ``original`` the canonical copy in place of stored article ``article_id``; the copy stored so
    far becomes a duplicate of it. Call inside the deciding transaction (after take_decision_turn).

    The article row keeps its id and takes the original's URL, text and dates: the id names the cluster,
    so every duplicate that pointed at the stored copy now points at the original without being touched,
    and nothing is deleted, so no ON DELETE CASCADE can take duplicates with it. Its LSH bands and
    containment fingerprints are replaced by the original's. Counts stay right: one article, and one more
    duplicates row (the former copy's URL), recorded for the run that met the original.
    """
    old = session.execute(select(Article).where(Article.id == article_id)).scalar_one()
    unindex_article(session, article_id, old.text_normalized)
    former = duplicate_row(
        url=old.url,
        canonical_url=old.canonical_url,
        site=old.site,
        title=old.title,
        reference=Reference(article_id, None, ""),
        similarity=similarity,
        layer=layer,
        run_id=run_id,
    )
    for name in ("url", "canonical_url", "site", "title", "published_at", "source", "author", "editor", "text",
                 "text_normalized", "script", "flags", "content_hash", "encoding", "extraction_version"):  # fmt: skip
        setattr(old, name, getattr(original, name))
    old.fetched_at, old.first_run_id = utcnow(), run_id
    session.flush()  # the article's new URL first: the duplicates row takes over its old one
    session.add(former)
    session.flush()
    index_article(session, article_id, original)


def record_page_error(
    session: Session,
    *,
    url: str,
    canonical_url: str,
    site: str,
    stage: str,
    reason: str,
    status: int | None,
    run_id: int | None,
) -> bool:
    """Record why a page failed; True when it is a new (url, stage), False when an old one recurred."""
    reason = reason[:2000]
    values = {"reason": reason, "status": status, "last_run_id": run_id, "last_seen_at": utcnow()}
    where = (PageError.canonical_url == canonical_url, PageError.stage == stage)
    new = PageError(
        url=url, canonical_url=canonical_url, site=site, stage=stage, first_run_id=run_id, occurrences=1, **values
    )
    if session.scalar(select(PageError.id).where(*where)) is None and insert_once(session, new):
        return True
    session.execute(update(PageError).where(*where).values(occurrences=PageError.occurrences + 1, **values))
    return False


def clear_page_errors(session: Session, canonical_url: str) -> None:
    """A page that now succeeds is no longer an open error."""
    session.execute(_CLEAR_ERRORS, {"url": canonical_url})
