"""Phrase search over the normalized texts, answered by each database's own full-text index.

The index (migration 0006_search) is the database's: on SQLite an FTS5 trigram table kept in step with
``articles`` by triggers, on PostgreSQL a pg_trgm GIN index. Nothing here writes to it, so ingestion and
any reprocessing keep it right in their own transactions.

The caller folds the phrase exactly like the stored texts (steps.normalize.normalize_text: NFKC, OpenCC
t2s, half-width punctuation; dangjian/search.py does), so a traditional-script phrase finds simplified
texts and the reverse; storage itself knows nothing of scripts.

Trigram indexes need three characters. A phrase of one or two characters is answered correctly by a
scan of the texts (instr/strpos): slower, bounded by the corpus size, and said so in the README.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import TextClause, bindparam, select, text
from sqlalchemy.orm import Session

from storage.corpus import CorpusFilter
from storage.models import Duplicate, UTCDateTime

MIN_INDEXED_CHARS = 3  # a trigram index can only look up phrases of at least this many characters
# Marks around the phrase in a passage. Normalized texts never contain them (normalize_text folds 【】
# into []), so they cannot be confused with the text's own punctuation.
MARK_START, MARK_END, ELLIPSIS = "【", "】", "…"
CONTEXT_CHARS = 30  # characters of context shown on each side of the phrase

# Objects of the index that the ORM models do not describe (a virtual table and its shadow tables, a
# GIN index): Alembic's model/database comparison skips them (storage/migrations/env.py, tests).
SEARCH_INDEX_TABLE = "articles_fts"
POSTGRESQL_INDEX = "ix_articles_text_normalized_trgm"

Method = Literal["fts5", "pg_trgm", "scan"]


def is_search_index(name: str | None, type_: str) -> bool:
    """True for the objects of the full-text index (for Alembic's include_object)."""
    if name is None:
        return False
    return name.startswith(SEARCH_INDEX_TABLE) or (type_ == "index" and name == POSTGRESQL_INDEX)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    return not is_search_index(name, type_)


@dataclass(frozen=True)
class SearchHit:
    article_id: int
    site: str
    title: str | None
    url: str
    published_at: datetime | None  # aware, UTC as stored
    passage: str  # of the normalized text, the phrase between MARK_START and MARK_END
    score: float  # higher is better; comparable within one search only
    duplicate_urls: tuple[str, ...]  # pages not stored because they repeat this article


@dataclass(frozen=True)
class SearchResult:
    phrase: str  # as looked up (normalized)
    method: Method
    hits: tuple[SearchHit, ...]
    found: int = 0  # articles matching, however many the limit let through


def fts5_phrase(phrase: str) -> str:
    """An FTS5 query matching ``phrase`` as one string (FTS5 doubles a quote inside a quoted string)."""
    return '"' + phrase.replace('"', '""') + '"'


def like_pattern(phrase: str) -> str:
    """``%phrase%`` for LIKE ... ESCAPE '\\', with the phrase's own wildcards escaped."""
    escaped = phrase.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# SQLite, three characters or more: FTS5 finds the rows, ranks them (bm25) and cuts the passage (snippet).
# snippet's size is in tokens; a trigram tokenizer makes one token per character.
_FTS5 = """
SELECT a.id, a.site, a.title, a.url, a.published_at,
       snippet(articles_fts, 0, '{start}', '{end}', '{ellipsis}', {tokens}) AS passage,
       -bm25(articles_fts) AS score
FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
WHERE articles_fts MATCH :match {filters}
ORDER BY bm25(articles_fts), a.id
LIMIT :limit
"""

# PostgreSQL (pg_trgm answers the LIKE through the GIN index) and short phrases on SQLite (a scan):
# ranked by the number of occurrences, then the newest first.
_SCAN = """
SELECT a.id, a.site, a.title, a.url, a.published_at,
       substr(a.text_normalized, {greatest}({position}(a.text_normalized, {phrase}) - {context}, 1),
              length({phrase}) + 2 * {context}) AS passage,
       {position}(a.text_normalized, {phrase}) AS position,
       length(a.text_normalized) AS length,
       CAST(length(a.text_normalized) - length(replace(a.text_normalized, {phrase}, '')) AS FLOAT)
           / length({phrase}) AS score
FROM articles a
WHERE {match} {filters}
ORDER BY score DESC, a.published_at DESC, a.id
LIMIT :limit
"""


# How many match, counted only when the limit cut the list (otherwise the hits are all of them).
_FTS5_COUNT = (
    "SELECT count(*) FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
    "WHERE articles_fts MATCH :match {filters}"
)
_SCAN_COUNT = "SELECT count(*) FROM articles a WHERE {match} {filters}"


def _filters(corpus: CorpusFilter) -> tuple[str, dict[str, Any]]:
    sql, params = "", dict[str, Any]()
    if corpus.sites:
        sql += " AND a.site IN :sites"
        params["sites"] = list(corpus.sites)
    if corpus.published_from:
        sql += " AND a.published_at >= :since"
        params["since"] = corpus.published_from
    if corpus.published_before:
        sql += " AND a.published_at < :until"
        params["until"] = corpus.published_before
    return sql, params


def _statement(sql: str, params: dict[str, Any]) -> TextClause:
    stmt = text(sql)
    if "sites" in params:
        stmt = stmt.bindparams(bindparam("sites", expanding=True))
    for name in ("since", "until"):
        if name in params:
            stmt = stmt.bindparams(bindparam(name, type_=UTCDateTime()))
    return stmt.columns(published_at=UTCDateTime())  # type: ignore[return-value]


def plan(dialect: str, phrase: str) -> Method:
    """Which machinery answers ``phrase`` on ``dialect``.

    Below three characters neither index can help, and on PostgreSQL a LIKE would still walk the whole GIN
    index before reading the rows (bench/export.py: 4 s at 100k articles against 0.3 s for strpos).
    """
    if len(phrase) < MIN_INDEXED_CHARS:
        return "scan"
    return "pg_trgm" if dialect == "postgresql" else "fts5"


# The few functions whose names differ: (greatest, position, the phrase as a text expression).
_FUNCTIONS = {
    "sqlite": ("max", "instr", ":phrase"),
    # CAST: psycopg sends a str untyped, and length()/replace() of an unknown type are ambiguous
    "postgresql": ("greatest", "strpos", "CAST(:phrase AS TEXT)"),
}


def search(session: Session, folded: str, corpus: CorpusFilter | None = None, limit: int = 20) -> SearchResult:
    """Articles whose normalized text contains ``folded`` (a phrase already normalized), best first."""
    if not folded.strip():
        raise ValueError("nothing to search for")
    corpus = corpus or CorpusFilter()
    dialect = session.get_bind().dialect.name
    method = plan(dialect, folded)
    filters, params = _filters(corpus)
    params |= {"limit": limit, "phrase": folded}
    if method == "fts5":
        sql = _FTS5.format(start=MARK_START, end=MARK_END, ellipsis=ELLIPSIS, tokens=2 * CONTEXT_CHARS, filters=filters)
        params["match"] = fts5_phrase(folded)
    else:
        greatest, position, phrase = _FUNCTIONS[dialect]
        if method == "pg_trgm":
            match = "a.text_normalized LIKE :pattern ESCAPE '\\'"
            params["pattern"] = like_pattern(folded)
        else:
            match = f"{position}(a.text_normalized, {phrase}) > 0"
        sql = _SCAN.format(
            greatest=greatest, position=position, phrase=phrase, context=CONTEXT_CHARS, filters=filters, match=match
        )
    rows = session.execute(_statement(sql, params), params).all()
    found = len(rows)
    if found >= limit:
        count = (
            _FTS5_COUNT.format(filters=filters)
            if method == "fts5"
            else _SCAN_COUNT.format(match=match, filters=filters)
        )
        found = int(session.execute(_statement(count, params), params).scalar_one())
    duplicates = _duplicate_urls(session, [row.id for row in rows])
    hits = tuple(
        SearchHit(
            article_id=row.id,
            site=row.site,
            title=row.title,
            url=row.url,
            published_at=row.published_at,
            passage=row.passage if method == "fts5" else _marked(row.passage, folded, row.position, row.length),
            score=float(row.score),
            duplicate_urls=duplicates.get(row.id, ()),
        )
        for row in rows
    )
    return SearchResult(folded, method, hits, found)


def _marked(window: str, phrase: str, position: int, length: int) -> str:
    """Mark the phrase in a window cut around its first occurrence (1-based ``position``) of a text."""
    start = max(position - CONTEXT_CHARS, 1)
    marked = window.replace(phrase, f"{MARK_START}{phrase}{MARK_END}", 1) if phrase in window else window
    before = ELLIPSIS if start > 1 else ""
    after = ELLIPSIS if start - 1 + len(window) < length else ""
    return f"{before}{marked}{after}"


def _duplicate_urls(session: Session, article_ids: list[int]) -> dict[int, tuple[str, ...]]:
    if not article_ids:
        return {}
    out: dict[int, list[str]] = {}
    for article_id, url in session.execute(
        select(Duplicate.duplicate_of_article_id, Duplicate.url)
        .where(Duplicate.duplicate_of_article_id.in_(article_ids))
        .order_by(Duplicate.id)
    ):
        out.setdefault(article_id, []).append(url)
    return {k: tuple(v) for k, v in out.items()}
