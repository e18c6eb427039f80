"""The corpus as researchers read it: typed article and duplicate records, streamed a batch at a time.

Export (storage/export.py) and search (storage/search.py) share the filter. Its bounds are instants;
the CLI turns China-time days into them (dangjian/corpus.py), since storage knows only UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session, aliased

from storage.models import Article, CrawlRun, Duplicate, Layer

# Rows fetched per round trip: large enough to amortise the round trip, small enough that a batch of
# long texts (a few KB each) stays a few MB (bench/export.py measures the peak).
BATCH_ROWS = 2000


@dataclass(frozen=True)
class CorpusFilter:
    """Which articles: any of ``sites`` (all when empty), published in [published_from, published_before).

    A bound on publication leaves out articles whose publication date is unknown.
    """

    sites: tuple[str, ...] = ()
    published_from: datetime | None = None
    published_before: datetime | None = None
    fetched_since: datetime | None = None  # stored at this instant or later
    flow_run_id: str | None = None  # stored by the site runs of this flow run (crawl_runs.flow_run_id)

    @property
    def bounds_time(self) -> bool:
        return bool(self.published_from or self.published_before or self.fetched_since or self.flow_run_id)

    def clauses(self) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.sites:
            out.append(Article.site.in_(self.sites))
        if self.published_from:
            out.append(Article.published_at >= self.published_from)
        if self.published_before:
            out.append(Article.published_at < self.published_before)
        if self.fetched_since:
            out.append(Article.fetched_at >= self.fetched_since)
        if self.flow_run_id:
            runs = select(CrawlRun.id).where(CrawlRun.flow_run_id == self.flow_run_id)
            out.append(Article.first_run_id.in_(runs))
        return out


@dataclass(frozen=True)
class ArticleRecord:
    """One exported article. Field order is the column order of every format (README: "Export")."""

    id: int
    site: str
    url: str
    canonical_url: str
    title: str | None
    published_at: datetime | None  # aware, UTC as stored; exports show it in China time
    source: str | None
    author: str | None
    editor: str | None
    script: str | None
    flags: str
    content_hash: str
    encoding: str | None
    fetched_at: datetime
    first_run_id: int | None
    text: str
    text_normalized: str


@dataclass(frozen=True)
class DuplicateRecord:
    """A page not stored because it repeats an article (``duplicate_of_article_id``) or a seed file."""

    id: int
    site: str
    url: str
    canonical_url: str
    title: str | None
    duplicate_of_article_id: int | None
    duplicate_of_url: str | None  # the article's URL, so a reader needs no join
    duplicate_of_seed: str | None
    similarity: float
    layer: Layer
    run_id: int | None
    recorded_at: datetime


# Read off the record, so the query and the record cannot disagree on the columns or their order.
ARTICLE_COLUMNS = tuple(getattr(Article, f.name) for f in fields(ArticleRecord))


def _stream(session: Session, stmt: Select[tuple[object, ...]]) -> Iterator[tuple[object, ...]]:
    # yield_per: a server-side cursor on PostgreSQL, fetchmany on SQLite; memory holds one batch.
    result = session.execute(stmt.execution_options(yield_per=BATCH_ROWS))
    for partition in result.partitions():
        yield from (tuple(row) for row in partition)


def iter_articles(session: Session, corpus: CorpusFilter) -> Iterator[ArticleRecord]:
    """Articles in id order (the order they were stored), one batch in memory at a time."""
    stmt = select(*ARTICLE_COLUMNS).where(*corpus.clauses()).order_by(Article.id)
    for row in _stream(session, stmt):
        yield ArticleRecord(*row)  # type: ignore[arg-type]


def iter_duplicates(session: Session, corpus: CorpusFilter) -> Iterator[DuplicateRecord]:
    """Duplicates of the selected articles, and (unless the filter bounds days or a run) of seed files.

    The filter applies to what is duplicated: a duplicate belongs with its article. Seed duplicates have
    no article; they follow the site filter alone, and only when no date or run bound is set.
    """
    target = aliased(Article)
    stmt = select(
        Duplicate.id,
        Duplicate.site,
        Duplicate.url,
        Duplicate.canonical_url,
        Duplicate.title,
        Duplicate.duplicate_of_article_id,
        target.url,
        Duplicate.duplicate_of_seed,
        Duplicate.similarity,
        Duplicate.layer,
        Duplicate.run_id,
        Duplicate.recorded_at,
    ).outerjoin(target, target.id == Duplicate.duplicate_of_article_id)
    of_article = Duplicate.duplicate_of_article_id.in_(select(Article.id).where(*corpus.clauses()))
    if corpus.bounds_time:
        stmt = stmt.where(of_article)
    elif corpus.sites:
        stmt = stmt.where(of_article | (Duplicate.duplicate_of_seed.is_not(None) & Duplicate.site.in_(corpus.sites)))
    for row in _stream(session, stmt.order_by(Duplicate.id)):
        yield DuplicateRecord(*row)  # type: ignore[arg-type]
