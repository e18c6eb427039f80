"""The deciding half of processing a page: what an analysed page is (new, duplicate, known, failed),
written inside the caller's transaction after it has taken its decision turn, so that several workers
sharing one database reach the same decisions."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple

from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from pages.raw import FailureStage, RawPage
from process import canonical
from process.analyze import Analysis, StageClock
from process.version import extraction_version
from sites.registry import SiteConfig
from steps import dedup, xlang
from steps.urls import canonical_url, storage_key
from storage import references, writes
from storage.db import session_scope
from storage.models import Layer

log = logging.getLogger(__name__)

OutcomeKind = Literal["new", "duplicate", "failed", "skipped", "attachment"]
# Pages decided and written per transaction (see record_batch), and how long a batch may wait to fill.
BATCH_PAGES = 25
BATCH_SECONDS = 2.0


@dataclass
class Outcome:
    kind: OutcomeKind
    url: str
    detail: str = ""
    flags: tuple[str, ...] = ()
    title: str | None = None
    published_at: datetime | None = None


def _fail(session: Session, page: RawPage, url: str, stage: FailureStage, reason: str, run_id: int | None) -> Outcome:
    writes.record_page_error(
        session,
        url=url,
        canonical_url=storage_key(canonical_url(url)),
        site=page.site,
        stage=stage,
        reason=reason,
        status=page.status,
        run_id=run_id,
    )
    return Outcome("failed", url, f"{stage}: {reason}")


def _record_attachment(session: Session, page: RawPage, url: str, run_id: int | None) -> Outcome:
    size_header = page.headers.get("content-length", "")
    writes.add_attachment(
        session,
        url=url,
        canonical_url=storage_key(canonical_url(url)),
        site=page.site,
        content_type=page.headers.get("content-type"),
        size=int(size_header) if size_header.isdigit() else None,
        referer=page.referer,
        run_id=run_id,
    )
    return Outcome("attachment", url, page.headers.get("content-type", ""))


def record(
    session: Session,
    page: RawPage,
    analysis: Analysis | None,
    site: SiteConfig,
    run_id: int | None,
    clock: StageClock | None = None,
) -> Outcome:
    """Decide what an analysed page is (new, duplicate, known, failed) and write it.

    Runs inside the caller's transaction, which has taken its decision turn (see record_batch).
    """
    clock = clock or StageClock()
    if page.kind == "error":
        return _fail(session, page, page.url, "fetch", page.reason or "request failed", run_id)
    if page.kind == "attachment":
        return _record_attachment(session, page, page.final_url or page.url, run_id)
    assert analysis is not None, "an article page needs its analysis"
    for name, seconds in analysis.seconds.items():
        clock.seconds[name] = clock.seconds.get(name, 0.0) + seconds
    url, key, art = analysis.url, analysis.key, analysis.article
    for part_url, reason in analysis.part_errors:
        _fail(session, page, part_url, "extract", reason, run_id)
    if analysis.failure is not None:
        return _fail(session, page, url, *analysis.failure, run_id)
    assert art is not None
    if analysis.skipped:
        return Outcome("skipped", url, analysis.skipped, title=art.title)
    norm, fp, flags = analysis.normalized, analysis.fingerprint, analysis.flags
    assert norm is not None and fp is not None
    # Known already (stored or judged by another worker, or met twice in this run)? The crawler skips the
    # URLs known when it started, so this is rare: checked here, in the deciding transaction.
    if references.is_known_url(session, key):
        return Outcome("skipped", url, "already known")
    with clock.stage("dedup"):
        match = find_duplicate(session, fp, norm.text_normalized, norm.script)
    item = new_article(analysis, site)
    if match is not None:
        reference, score, layer = match.reference, match.score, match.layer
        replaced = replace_if_original(session, item, match, run_id)
        if replaced is not None:
            # Counted as this run's duplicate: one more page of the cluster, one more duplicates row.
            writes.clear_page_errors(session, key)
            detail = f"original of article:{replaced.id}, replacing its copy {replaced.url}"
            return Outcome("duplicate", url, detail, tuple(flags), art.title, art.published_at)
        writes.add_duplicate(
            session,
            writes.duplicate_row(
                url=url,
                canonical_url=key,
                site=site.name,
                title=art.title,
                reference=reference,
                similarity=score,
                layer=layer,
                run_id=run_id,
                detail=match.detail or None,
            ),
        )
        return Outcome(
            "duplicate", url, f"{layer} {score:.2f} of {reference.label}", tuple(flags), art.title, art.published_at
        )
    article_id, inserted = writes.add_article(session, item, run_id, checked=True)
    writes.clear_page_errors(session, key)
    if inserted:
        return Outcome("new", url, f"article:{article_id}", tuple(flags), art.title, art.published_at)
    # Another worker stored the same text (or URL) between our lookup and our insert.
    return Outcome("duplicate" if article_id else "skipped", url, f"exact 1.00 of article:{article_id}")


def outranked_copy(session: Session, item: writes.NewArticle, match: Match) -> writes.StoredCopy | None:
    """The stored article that ``item``, confirmed as a copy of it, should replace as the canonical copy
    (process/canonical.py: the earlier original met after its repost, as in a newest-first backfill), or
    None. Only a copy that holds the whole stored text can replace it (an excerpt never does)."""
    if not match.covers or match.reference.article_id is None:
        return None
    stored = writes.stored_copy(session, match.reference.article_id)
    mine = canonical.facts(item.title, item.source, item.published_at)
    if not canonical.outranks(mine, canonical.facts(stored.title, stored.source, stored.published_at)):
        return None
    return stored


def replace_if_original(
    session: Session, item: writes.NewArticle, match: Match, run_id: int | None
) -> writes.StoredCopy | None:
    """If ``item`` outranks the stored article it copies (outranked_copy), put it in the article's place
    and record the stored copy as its duplicate; returns that replaced copy, else None.

    Runs in the deciding transaction, after take_decision_turn; reprocess applies the same rule.
    """
    stored = outranked_copy(session, item, match)
    if stored is not None:
        writes.promote_original(session, stored.id, item, match.score, match.layer, run_id)
    return stored


def new_article(analysis: Analysis, site: SiteConfig) -> writes.NewArticle:
    """The article row an analysed page would become (live ingestion and reprocess alike)."""
    art, norm, fp = analysis.article, analysis.normalized, analysis.fingerprint
    assert art is not None and norm is not None and fp is not None
    return writes.NewArticle(
        url=analysis.url,
        canonical_url=analysis.key,
        site=site.name,
        title=art.title,
        published_at=art.published_at,
        source=art.source,
        author=art.author,
        editor=art.editor,
        text=analysis.text,
        text_normalized=norm.text_normalized,
        script=norm.script,
        flags=",".join(analysis.flags)[:200],
        content_hash=fp.content_hash,
        encoding=analysis.encoding,
        band_keys=fp.band_keys,
        winnowed=fp.winnowed,
        extraction_version=extraction_version(),
    )


def _record_safely(
    session: Session,
    page: RawPage,
    analysis: Analysis | None,
    site: SiteConfig,
    run_id: int | None,
    clock: StageClock,
) -> Outcome:
    """record() in a savepoint: a bug or a constraint surprise on one page is recorded with its reason
    and undoes only that page's writes, not the rest of the batch."""
    try:
        with session.begin_nested():
            return record(session, page, analysis, site, run_id, clock)
    except SQLAlchemyError as exc:
        if not session.is_active or isinstance(exc, OperationalError | InterfaceError):
            raise  # the transaction itself is gone: record_batch retries page by page
        reason = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # a bug on one page: recorded, and the run goes on
        reason = f"{type(exc).__name__}: {exc}"
    log.error("unexpected error on %s: %s", page.url, reason)
    with session.begin_nested():
        return _fail(session, page, page.final_url or page.url, "pipeline", reason, run_id)


def record_batch(
    engine: Engine,
    batch: list[tuple[RawPage, Analysis | None]],
    site: SiteConfig,
    run_id: int | None,
    clock: StageClock,
) -> list[Outcome]:
    """Decide and write a batch of analysed pages in one transaction, each page in its own savepoint.

    One commit per batch instead of per page: the commit (SQLite writing the touched index pages,
    PostgreSQL a WAL flush) was the store step's largest single cost. The decision turn is taken once
    and held only while the batch is written, not while its pages were being analysed. A kill loses at
    most the batch in flight, whose pages the next run fetches again (none of them is known yet).
    """
    try:
        with clock.stage("persist"), session_scope(engine) as session:
            writes.take_decision_turn(session)  # first statement: decisions take turns across workers
            return [_record_safely(session, page, analysis, site, run_id, clock) for page, analysis in batch]
    except SQLAlchemyError:
        if len(batch) == 1:
            raise
        log.exception("batch of %s pages failed; writing them one by one", len(batch))
        return [record_batch(engine, [item], site, run_id, clock)[0] for item in batch]


def batches(
    items: Iterable[tuple[RawPage, Analysis | None]], size: int, seconds: float
) -> Iterator[list[tuple[RawPage, Analysis | None]]]:
    """Groups of up to ``size`` items; a group is also closed once ``seconds`` have passed since its first
    item (checked as items arrive), so that a slow crawl's pages are not held back for long."""
    batch: list[tuple[RawPage, Analysis | None]] = []
    started = 0.0
    for item in items:
        if not batch:
            started = time.monotonic()
        batch.append(item)
        if len(batch) >= size or time.monotonic() - started >= seconds:
            yield batch
            batch = []
    if batch:
        yield batch


class Match(NamedTuple):
    reference: references.Reference
    score: float
    layer: Layer
    covers: bool  # the new text holds (nearly) all of the reference: it could be the fuller original
    detail: str = ""  # what matched, for the layers that explain themselves (translation)


def find_duplicate(
    session: Session, fp: dedup.Fingerprint, text_normalized: str | None = None, script: str | None = None
) -> Match | None:
    """Exact layer first, then the candidates of both indexes, confirmed by exact set similarity; last,
    when nothing in the page's own language matched, the translation layer (find_translation).

    LSH bands propose texts that overlap as wholes (Jaccard); the containment index proposes texts of
    which one holds a part of the other (an excerpt, an article inside a compilation).
    """
    best = _same_language(session, fp)
    if best is None and text_normalized is not None and script is not None:
        return find_translation(session, text_normalized, script)
    return best


def find_translation(session: Session, text_normalized: str, script: str) -> Match | None:
    """The stored document of the other language (latin vs hans/hant) this text translates, or None.

    Candidates share rare numbers, dates and names (storage/xlang.py); each is confirmed by steps/xlang.score,
    whose explanation is kept as the match's detail. A translation never replaces the stored copy: the
    canonical copy stays the earliest (covers is False).
    """
    mine = xlang.features(text_normalized, script)
    other: xlang.Side = "zh" if mine.side == "en" else "en"
    best: Match | None = None
    for ref in references.xlang_candidates(session, other, mine.index_keys):
        found = xlang.score(mine, xlang.features(ref.text_normalized, "latin" if other == "en" else "hans"))
        if found.confirmed and (best is None or found.score > best.score):
            best = Match(ref, found.score, "translation", False, found.explain())
    return best


def _same_language(session: Session, fp: dedup.Fingerprint) -> Match | None:
    exact = references.find_by_content_hash(session, fp.content_hash)
    if exact is not None:
        return Match(exact, 1.0, "exact", True)
    best: Match | None = None
    seen: set[str] = set()
    layers: tuple[tuple[Layer, Iterable[references.Reference]], ...] = (
        ("minhash", references.lsh_candidates(session, fp.band_keys)),
        ("containment", references.containment_candidates(session, fp.winnowed)),
    )
    for layer, refs in layers:
        for ref in refs:
            if ref.label in seen:
                continue
            seen.add(ref.label)
            sim = dedup.similarity(fp.shingles, dedup.reference_shingles(ref.text_normalized))
            if dedup.is_near_duplicate(sim, len(fp.shingles)) and (best is None or sim.score > best.score):
                best = Match(ref, sim.score, layer, sim.covered >= dedup.CONTAINMENT_THRESHOLD)
    return best
