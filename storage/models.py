"""SQLAlchemy 2.0 models: the durable state of every run.

Everything a worker needs to decide "is this new?" lives here (canonical URLs,
content hashes, LSH band keys), never in process memory, so several workers
sharing one PostgreSQL database reach the same decisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so Alembic migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


BandRow = dict[str, int | None]  # one lsh_bands row as insert() takes it: band, key, article_id, seed_id
Layer = Literal["url", "exact", "minhash", "containment", "translation"]
"""Which dedup layer recorded a duplicate (``duplicates.layer``): the canonical URL, the content hash, MinHash
LSH over the whole text, winnowed containment of a part, or the translation layer (steps/xlang.py)."""


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    PostgreSQL keeps the instant and returns it in the session's zone; SQLite
    has no zone at all. Storing UTC and tagging what comes back as UTC makes
    both return the same value; callers convert (e.g. to Asia/Shanghai) to show it.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give it a zone before storing it")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CrawlRun(Base):
    """One site within one flow run: what was fetched and what became of it."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flow_run_id: Mapped[str] = mapped_column(String(64), index=True)
    site: Mapped[str] = mapped_column(String(100), index=True)
    # running|completed|failed|interrupted; reprocessed|imported for dangjian reprocess / import-warc
    status: Mapped[str] = mapped_column(String(20), default="running")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    since: Mapped[str | None] = mapped_column(String(10), nullable=True)
    until: Mapped[str | None] = mapped_column(String(10), nullable=True)
    pages_fetched: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    duplicate: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Who runs it and whether it is still alive: a run is only declared interrupted when its process
    # is gone (same host, pid dead) or its heartbeat is old, so a second worker never mistakes a
    # live run on another machine for a dead one.
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Article(Base):
    """A new article: stored once, whatever the number of runs or workers that saw it."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(String(1000), unique=True)
    site: Mapped[str] = mapped_column(String(100), index=True)
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    author: Mapped[str | None] = mapped_column(String(200), nullable=True)
    editor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    text_normalized: Mapped[str] = mapped_column(Text)
    script: Mapped[str | None] = mapped_column(String(10), nullable=True)
    flags: Mapped[str] = mapped_column(String(200), default="")  # comma-separated, e.g. "spam_removed"
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    encoding: Mapped[str | None] = mapped_column(String(30), nullable=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), nullable=True)
    # Which extraction code made ``text`` (process.version.extraction_version()); set by reprocess when it
    # replaces the text, empty for a text as first ingested. Earlier texts: ArticleVersion.
    extraction_version: Mapped[str | None] = mapped_column(String(40), nullable=True)

    first_run: Mapped[CrawlRun | None] = relationship()


class SeedDocument(Base):
    """A file of seeds/: part of the reference corpus that dedup compares against."""

    __tablename__ = "seed_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    file_sha256: Mapped[str] = mapped_column(String(64))
    text_normalized: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    indexed_at: Mapped[datetime] = mapped_column(UTCDateTime())


def reference_label(article_id: int | None, seed: str | None) -> str:
    """How every output names a reference: the seed file's name, or ``article:ID`` for a stored article."""
    return seed if seed else f"article:{article_id}"


class Duplicate(Base):
    """A page that was not stored because it repeats an article or a seed.

    Unique on the canonical URL: a rerun that meets the same repost again
    records nothing twice.
    """

    __tablename__ = "duplicates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(String(1000), unique=True)
    site: Mapped[str] = mapped_column(String(100), index=True)
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    duplicate_of_article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), nullable=True
    )
    duplicate_of_seed: Mapped[str | None] = mapped_column(String(255), nullable=True)
    similarity: Mapped[float] = mapped_column(Float)
    layer: Mapped[Layer] = mapped_column(String(20))
    # What matched, for the layers that explain themselves (translation: numbers, names, glosses).
    detail: Mapped[str | None] = mapped_column(String(500), nullable=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def duplicate_of(self) -> str:
        """Human-readable target: ``article:42`` or the seed file name."""
        return reference_label(self.duplicate_of_article_id, self.duplicate_of_seed)


class PageError(Base):
    """A page that could not be turned into an article, with the stage and reason.

    One row per (canonical URL, stage): a rerun that meets the same 404 bumps
    ``occurrences`` and ``last_run_id`` instead of adding a row.
    """

    __tablename__ = "page_errors"
    __table_args__ = (UniqueConstraint("canonical_url", "stage", name="uq_page_errors_url_stage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(String(1000))
    site: Mapped[str] = mapped_column(String(100), index=True)
    stage: Mapped[str] = mapped_column(String(20))  # fetch|decode|extract|normalize|dedup|persist
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    first_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), nullable=True)
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), nullable=True)
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LshBand(Base):
    """One LSH band key of one reference document (article or seed).

    Near-duplicate candidates are the documents sharing any (band, key) with
    the query; the composite index makes that lookup an index probe per band,
    flat in the corpus size and the same on SQLite and PostgreSQL.
    """

    __tablename__ = "lsh_bands"
    __table_args__ = (
        Index("ix_lsh_bands_band_key", "band", "key"),
        UniqueConstraint("article_id", "band", name="uq_lsh_bands_article_band"),
        UniqueConstraint("seed_id", "band", name="uq_lsh_bands_seed_band"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    band: Mapped[int] = mapped_column(Integer)
    key: Mapped[int] = mapped_column(BigInteger)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), nullable=True)
    seed_id: Mapped[int | None] = mapped_column(ForeignKey("seed_documents.id", ondelete="CASCADE"), nullable=True)

    @staticmethod
    def rows(band_keys: Sequence[int], *, article_id: int | None = None, seed_id: int | None = None) -> list[BandRow]:
        """The rows of one document's band keys (band i holds key i), for an executemany insert."""
        return [{"band": i, "key": k, "article_id": article_id, "seed_id": seed_id} for i, k in enumerate(band_keys)]


class ContainmentFingerprint(Base):
    """One winnowed k-gram fingerprint of one reference document (article or seed): the containment index.

    Candidates for a partial copy are the documents sharing at least a few fingerprints with the query,
    whatever share of either text the shared part is (the LSH bands only see whole-text Jaccard). A
    fingerprint that is already in FingerprintFrequency.COMMON documents gets no further rows, so no
    posting list grows with the corpus.
    """

    __tablename__ = "containment_fingerprints"
    __table_args__ = (
        Index("ix_containment_fingerprints_hash", "hash"),
        Index("ix_containment_fingerprints_article_id", "article_id"),
        Index("ix_containment_fingerprints_seed_id", "seed_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hash: Mapped[int] = mapped_column(BigInteger)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), nullable=True)
    seed_id: Mapped[int | None] = mapped_column(ForeignKey("seed_documents.id", ondelete="CASCADE"), nullable=True)


class XlangKey(Base):
    """One language-neutral key (a number, a date, a name's pinyin: steps/xlang.py) of one reference
    document, with the document's side (zh or en): the candidate index of the translation layer.

    A page is looked up only among the documents of the other side, so same-language dedup never reads it.
    """

    __tablename__ = "xlang_keys"
    __table_args__ = (
        Index("ix_xlang_keys_side_key", "side", "key"),
        Index("ix_xlang_keys_article_id", "article_id"),
        Index("ix_xlang_keys_seed_id", "seed_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    side: Mapped[str] = mapped_column(String(2))
    key: Mapped[str] = mapped_column(String(80))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), nullable=True)
    seed_id: Mapped[int | None] = mapped_column(ForeignKey("seed_documents.id", ondelete="CASCADE"), nullable=True)


class FingerprintFrequency(Base):
    """In how many stored documents a containment fingerprint occurs.

    A formulaic phrase (习近平新时代中国特色社会主义思想 …) is in thousands of same-topic articles; its
    fingerprint says nothing about copying and would make every lookup read a long posting list, so
    fingerprints above a document frequency are left out of candidate search (see storage/containment.py).
    """

    __tablename__ = "fingerprint_frequency"

    hash: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    documents: Mapped[int] = mapped_column(Integer, default=0)


class Attachment(Base):
    """A non-HTML response (PDF, image, office document) met while crawling: recorded, not extracted.

    Unique on the canonical URL, like articles: a rerun meets the same PDF without adding a row.
    """

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(String(1000), unique=True)
    site: Mapped[str] = mapped_column(String(100), index=True)
    content_type: Mapped[str | None] = mapped_column(String(200), nullable=True)
    size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # Content-Length, when sent
    referer: Mapped[str | None] = mapped_column(Text, nullable=True)  # the page that linked it
    first_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), nullable=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DecisionLock(Base):
    """A single row that every "is this new? then store it" transaction updates first.

    Why: unique constraints stop two workers storing the same URL or the same exact text, but not
    two near-duplicates (different text, same story) decided at the same instant, each unaware of
    the other. Updating this row first makes those short transactions take turns on every backend
    (a row lock on PostgreSQL, the write lock on SQLite), so the database, not a process, decides.
    """

    __tablename__ = "decision_lock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    decisions: Mapped[int] = mapped_column(BigInteger, default=0)


class ListValidator(Base):
    """A column list page's ETag / Last-Modified from the last nightly run, for a conditional GET.

    In the database rather than a file beside the worker: the next nightly run of the site may run
    on another machine.
    """

    __tablename__ = "list_validators"
    __table_args__ = (UniqueConstraint("site", "url", name="uq_list_validators_site_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(1000))
    etag: Mapped[str | None] = mapped_column(String(300), nullable=True)
    last_modified: Mapped[str | None] = mapped_column(String(100), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SiteFurniture(Base):
    """A line learned to recur across a site's recent articles (steps/furniture.py): removed at extraction.

    In the database, not in a worker's memory: what last night's run learned serves the first page of
    tonight's, on whichever machine it runs. ``line_hash`` is steps.furniture.line_key of the line;
    ``sample`` is the line itself (cut), for a person checking what is being removed.
    """

    __tablename__ = "site_furniture"
    __table_args__ = (UniqueConstraint("site", "line_hash", name="uq_site_furniture_site_line_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(100), index=True)
    line_hash: Mapped[str] = mapped_column(String(16))
    pages: Mapped[int] = mapped_column(Integer)  # articles carrying the line when it was learned
    learned_from: Mapped[int] = mapped_column(Integer)  # articles it was learned from
    sample: Mapped[str] = mapped_column(Text)
    learned_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ArticleVersion(Base):
    """A text an article had before ``dangjian reprocess`` replaced it (issue #16).

    Kept so a change of extraction rules can be reviewed (diff ``text`` with the article's) and undone.
    ``article_id`` is emptied, not cascaded, when the article itself is later judged a duplicate and
    removed: the history stays, findable by its canonical URL.
    """

    __tablename__ = "article_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), nullable=True, index=True
    )
    canonical_url: Mapped[str] = mapped_column(String(1000), index=True)
    extraction_version: Mapped[str | None] = mapped_column(String(40), nullable=True)  # of the text kept here
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    change: Mapped[str] = mapped_column(String(20))  # updated|now_duplicate
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime())
