"""Duplicate clusters as a user reads them: an article (or a seed file) and every copy folded into it.

Read-only queries returning typed records, for `dangjian show` and the run report's duplicates list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Article, CrawlRun, Duplicate, Layer, SeedDocument

TargetKind = Literal["article", "seed"]


@dataclass(frozen=True)
class FoldedCopy:
    """One page recorded as a duplicate of the cluster's canonical document."""

    url: str
    site: str
    title: str | None
    layer: Layer
    similarity: float
    recorded_at: datetime
    run_id: int | None
    detail: str | None = None  # what matched (the translation layer's numbers, names and glosses)


@dataclass(frozen=True)
class Canonical:
    """The document a cluster is folded into: a stored article, or a seed file of the reference corpus."""

    kind: TargetKind
    label: str  # "article:42" or the seed file name
    article_id: int | None
    url: str | None
    site: str | None
    title: str | None
    published_at: datetime | None
    source: str | None
    fetched_at: datetime | None


@dataclass(frozen=True)
class Cluster:
    canonical: Canonical
    copies: tuple[FoldedCopy, ...]


@dataclass(frozen=True)
class RunDuplicate:
    """A page a run recorded as a duplicate, with what it duplicates (for the run report)."""

    copy: FoldedCopy
    target: Canonical


def _article(row: Article) -> Canonical:
    return Canonical(
        "article", f"article:{row.id}", row.id, row.url, row.site, row.title, row.published_at, row.source,
        row.fetched_at,
    )  # fmt: skip


def _seed(row: SeedDocument) -> Canonical:
    return Canonical("seed", row.name, None, None, None, row.name, None, None, row.indexed_at)


def _copy(row: Duplicate) -> FoldedCopy:
    return FoldedCopy(
        row.url, row.site, row.title, row.layer, row.similarity, row.recorded_at, row.run_id, row.detail
    )  # fmt: skip


def _copies_of(session: Session, canonical: Canonical) -> tuple[FoldedCopy, ...]:
    if canonical.kind == "article":
        where = Duplicate.duplicate_of_article_id == canonical.article_id
    else:
        where = Duplicate.duplicate_of_seed == canonical.label
    rows = session.scalars(select(Duplicate).where(where).order_by(Duplicate.recorded_at, Duplicate.id))
    return tuple(_copy(r) for r in rows)


def _target_of(session: Session, dup: Duplicate) -> Canonical | None:
    if dup.duplicate_of_article_id is not None:
        art = session.get(Article, dup.duplicate_of_article_id)
        return _article(art) if art else None
    seed = session.scalar(select(SeedDocument).where(SeedDocument.name == dup.duplicate_of_seed))
    if seed is not None:
        return _seed(seed)
    # a seed file removed since: the cluster is still named by it
    return Canonical("seed", str(dup.duplicate_of_seed), None, None, None, None, None, None, None)


def _target_by_url(session: Session, urls: list[str]) -> Canonical | None:
    """The cluster target of an article or duplicate URL: the stored keys first (unique, indexed), the
    URL as fetched (not indexed) only when they miss."""
    if not urls:
        return None
    for column in ("canonical_url", "url"):
        art = session.scalar(select(Article).where(getattr(Article, column).in_(urls)).limit(1))
        if art is not None:
            return _article(art)
        dup = session.scalar(select(Duplicate).where(getattr(Duplicate, column).in_(urls)).limit(1))
        if dup is not None:
            return _target_of(session, dup)
    return None


def find_cluster(session: Session, key: str, canonical_key: str | None = None) -> Cluster | None:
    """The cluster that ``key`` belongs to: an article id, an article's or a copy's URL, or a seed file name.

    ``canonical_key`` is the URL as stored (steps.urls.storage_key); it and ``key`` are both looked up.
    """
    canonical: Canonical | None = None
    if key.isdigit():
        art = session.get(Article, int(key))
        canonical = _article(art) if art else None
    if canonical is None:
        canonical = _target_by_url(session, [k for k in dict.fromkeys((canonical_key, key)) if k and "://" in k])
    if canonical is None:
        seed = session.scalar(select(SeedDocument).where(SeedDocument.name == key))
        canonical = _seed(seed) if seed else None
    if canonical is None:
        return None
    return Cluster(canonical, _copies_of(session, canonical))


def duplicates_of_runs(session: Session, run_ids: Sequence[int]) -> list[RunDuplicate]:
    """The duplicates recorded by the given crawl runs, each with the document it duplicates."""
    if not run_ids:
        return []
    rows = session.scalars(
        select(Duplicate).where(Duplicate.run_id.in_(list(run_ids))).order_by(Duplicate.recorded_at, Duplicate.id)
    )
    out: list[RunDuplicate] = []
    for dup in rows:
        target = _target_of(session, dup)
        if target is not None:
            out.append(RunDuplicate(_copy(dup), target))
    return out


def duplicates_of_flow_run(session: Session, flow_run_id: str) -> list[RunDuplicate]:
    """The duplicates recorded by every site run of one flow run (what the ingest report lists)."""
    run_ids = session.scalars(select(CrawlRun.id).where(CrawlRun.flow_run_id == flow_run_id)).all()
    return duplicates_of_runs(session, run_ids)
