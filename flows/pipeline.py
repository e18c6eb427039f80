"""The per-page pipeline, as plain functions: raw page → extract → normalize → dedup → store.

The Prefect flow in flows/ingest.py only schedules these; they import no
Prefect and no Scrapy, so tests call them directly. The pure steps
(analyze_page) run in worker processes; the decisions and writes (record) run
here, a batch of pages per transaction, each page in a savepoint: a crash loses
at most the batch in flight, and because every write is idempotent, rerunning
finishes the job without duplicating anything.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from crawlers.rawpages import RawPage, follow_raw_pages, read_raw_pages
from crawlers.registry import SiteConfig
from steps import dedup
from steps.clean import clean_text
from steps.decode import DecodeError, decode_html
from steps.extract import Extracted, ExtractionError, extract_article
from steps.normalize import Normalized, normalize_text
from steps.urls import canonical_url
from storage import repository as repo
from storage.db import session_scope
from storage.furniture import learn_site_furniture, load_site_furniture

log = logging.getLogger(__name__)

SEED_SUFFIXES = (".txt",)
# Bigger than any real article page (they weigh 30–300 KB); a page this large is a trap or a dump,
# and extracting it would hold a worker for minutes (a 20 MB page takes ~100 s), so it is refused.
MAX_EXTRACT_BYTES = 5 * 1024 * 1024
STAGES = ("decode", "extract", "normalize", "dedup", "persist")
# Pages decided and written per transaction (see record_batch), and how long a batch may wait to fill.
BATCH_PAGES = 25
BATCH_SECONDS = 2.0


# --- the reference corpus ---------------------------------------------------------------------------


def prepare_reference_text(raw_text: str) -> str:
    """A plain-text document as dedup sees it: cleaned (pinyin, spam, boilerplate) and normalized."""
    return normalize_text(clean_text(raw_text).text).text_normalized


def seed_inputs(seeds_dir: Path, known_digests: dict[str, str]) -> tuple[list[repo.SeedInput], set[str]]:
    """Fingerprints of the seed files that are new or changed since they were last indexed."""
    changed: list[repo.SeedInput] = []
    present: set[str] = set()
    for path in sorted(seeds_dir.iterdir()) if seeds_dir.is_dir() else []:
        if not path.is_file() or path.suffix not in SEED_SUFFIXES:
            continue
        present.add(path.name)
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if known_digests.get(path.name) == digest:
            continue
        text_normalized = prepare_reference_text(data.decode("utf-8", errors="replace"))
        fp = dedup.fingerprint(text_normalized)
        changed.append(repo.SeedInput(path.name, digest, text_normalized, fp.content_hash, fp.band_keys))
    return changed, present


def sync_seed_corpus(engine: Engine, seeds_dir: Path) -> tuple[int, int]:
    """Index new/changed seed files, drop deleted ones; (indexed, removed)."""
    with session_scope(engine) as session:
        # Several workers start flows at once on a fresh database: without taking turns, each would find
        # the seeds missing and insert them, and all but one would fail on the unique seed name.
        repo.take_decision_turn(session)
        changed, present = seed_inputs(seeds_dir, repo.seed_digests(session))
        return repo.sync_seeds(session, changed, present)


# --- one page ---------------------------------------------------------------------------------------


@dataclass
class Outcome:
    kind: str  # new | duplicate | failed | skipped | attachment
    url: str
    detail: str = ""
    flags: tuple[str, ...] = ()
    title: str | None = None
    published_at: datetime | None = None


class StageClock:
    """Wall seconds spent per pipeline stage, summed over pages (shown in the run report and bench/).

    Stages nest: time spent in an inner stage is not also counted in the enclosing one.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(STAGES, 0.0)
        self._inner: list[float] = []

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        self._inner.append(0.0)
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            nested = self._inner.pop()
            self.seconds[name] = self.seconds.get(name, 0.0) + elapsed - nested
            if self._inner:
                self._inner[-1] += elapsed


def _within(published: datetime | None, since: date | None, until: date | None) -> bool:
    if published is None:
        return True
    day = published.date()
    return not ((since and day < since) or (until and day > until))


def _fail(session: Session, page: RawPage, url: str, stage: str, reason: str, run_id: int | None) -> Outcome:
    repo.record_page_error(
        session,
        url=url,
        canonical_url=repo.storage_key(canonical_url(url)),
        site=page.site,
        stage=stage,
        reason=reason,
        status=page.status,
        run_id=run_id,
    )
    return Outcome("failed", url, f"{stage}: {reason}")


def _record_attachment(session: Session, page: RawPage, url: str, run_id: int | None) -> Outcome:
    size_header = page.headers.get("content-length", "")
    repo.add_attachment(
        session,
        url=url,
        canonical_url=repo.storage_key(canonical_url(url)),
        site=page.site,
        content_type=page.headers.get("content-type"),
        size=int(size_header) if size_header.isdigit() else None,
        referer=page.referer,
        run_id=run_id,
    )
    return Outcome("attachment", url, page.headers.get("content-type", ""))


# A pasted image inlined as a data: URI (TRS editors produce them, megabytes each) carries no text.
_INLINE_DATA = re.compile(rb"""(\s(?:src|href)\s*=\s*)(["'])data:[^"'>]{256,}\2""", re.IGNORECASE)


def without_inline_data(body: bytes) -> bytes:
    """The page without its inline data: URIs, which only make it heavy (the size limit is about text)."""
    if b"data:" not in body:
        return body
    return _INLINE_DATA.sub(rb"\1\2\2", body)


def _too_large(body: bytes) -> str | None:
    if len(body) <= MAX_EXTRACT_BYTES:
        return None
    return f"page of {len(body) / 2**20:.1f} MB is larger than the {MAX_EXTRACT_BYTES // 2**20} MB extraction limit"


def _continuation_texts(page: RawPage, site: SiteConfig) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """Texts of pages 2..n of a multi-page article; a part that cannot be read is reported, not fatal."""
    texts: list[str] = []
    flags: list[str] = []
    errors: list[tuple[str, str]] = []
    for i, body in enumerate(page.parts):
        part_url = page.part_urls[i] if i < len(page.part_urls) else f"{page.final_url or page.url}#part{i + 2}"
        body = without_inline_data(body)
        try:
            if reason := _too_large(body):
                raise ExtractionError(reason)
            decoded = decode_html(body, page.headers.get("content-type"))
            part = extract_article(decoded.text, part_url, body_xpath=site.body_xpath, title_xpath=site.title_xpath)
        except (DecodeError, ExtractionError) as exc:
            errors.append((part_url, f"part {i + 2} of the article: {exc}"))
            flags.append("parts_incomplete")
            continue
        texts.append(part.text)
        flags.extend(f for f in part.flags if f not in flags)
    return texts, flags, errors


@dataclass
class Analysis:
    """What the pure steps (decode → extract → normalize → fingerprint) made of one page.

    Computed without the database, so it can run in another process (see analyses()); the
    decision and the writes happen afterwards, in record().
    """

    url: str
    key: str  # the canonical URL as stored
    failure: tuple[str, str] | None = None  # (stage, reason)
    skipped: str | None = None
    article: Extracted | None = None
    text: str = ""
    flags: list[str] = field(default_factory=list)
    normalized: Normalized | None = None
    fingerprint: dedup.Fingerprint | None = None
    encoding: str | None = None
    part_errors: list[tuple[str, str]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def analyze_page(
    page: RawPage,
    site: SiteConfig,
    since: date | None = None,
    until: date | None = None,
    furniture: frozenset[str] = frozenset(),  # issue #15: the site's learned furniture lines
) -> Analysis:
    """Run the pure steps on one fetched article page. No I/O, no database."""
    clock = StageClock()
    url = page.final_url or page.url
    result = Analysis(url=url, key=repo.storage_key(canonical_url(url)))
    result.seconds = clock.seconds
    body = without_inline_data(page.body)
    if reason := _too_large(body):
        result.failure = ("extract", reason)
        return result
    with clock.stage("decode"):
        try:
            decoded = decode_html(body, page.headers.get("content-type"))
        except DecodeError as exc:
            result.failure = ("decode", str(exc))
            return result
    result.encoding = decoded.encoding
    with clock.stage("extract"):
        try:
            art = extract_article(
                decoded.text, url, body_xpath=site.body_xpath, title_xpath=site.title_xpath, furniture=furniture
            )
        except ExtractionError as exc:
            result.failure = ("extract", str(exc))
            return result
        result.article, result.text, result.flags = art, art.text, list(art.flags)
        if page.parts:
            more, part_flags, result.part_errors = _continuation_texts(page, site)
            result.text = "\n".join([art.text, *more])
            result.flags.extend(f for f in part_flags if f not in result.flags)
            result.flags.append(f"pages_{len(page.parts) + 1}")
    if not _within(art.published_at, since, until):
        result.skipped = "published outside since/until"
        return result
    with clock.stage("normalize"):
        result.normalized = normalize_text(result.text)
    with clock.stage("dedup"):
        fp = dedup.fingerprint(result.normalized.text_normalized)
    # The shingles (thousands of strings) are only needed to confirm an LSH candidate, which is rare:
    # find_duplicate rebuilds them then, rather than every page shipping them back from its worker.
    result.fingerprint = replace(fp, shingles=frozenset())
    return result


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
    if repo.is_known_url(session, key):
        return Outcome("skipped", url, "already known")
    with clock.stage("dedup"):
        match = find_duplicate(session, fp, norm.text_normalized)
    if match is not None:
        reference, score, layer = match
        repo.add_duplicate(
            session,
            url=url,
            canonical_url=key,
            site=site.name,
            title=art.title,
            reference=reference,
            similarity=score,
            layer=layer,
            run_id=run_id,
        )
        return Outcome(
            "duplicate", url, f"{layer} {score:.2f} of {reference.label}", tuple(flags), art.title, art.published_at
        )
    item = repo.NewArticle(
        url=url,
        canonical_url=key,
        site=site.name,
        title=art.title,
        published_at=art.published_at,
        source=art.source,
        author=art.author,
        editor=art.editor,
        text=analysis.text,
        text_normalized=norm.text_normalized,
        script=norm.script,
        flags=",".join(flags)[:200],
        content_hash=fp.content_hash,
        encoding=analysis.encoding,
        band_keys=fp.band_keys,
    )
    article_id, inserted = repo.add_article(session, item, run_id, checked=True)
    repo.clear_page_errors(session, key)
    if inserted:
        return Outcome("new", url, f"article:{article_id}", tuple(flags), art.title, art.published_at)
    # Another worker stored the same text (or URL) between our lookup and our insert.
    return Outcome("duplicate" if article_id else "skipped", url, f"exact 1.00 of article:{article_id}")


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
            repo.take_decision_turn(session)  # first statement: decisions take turns across workers
            return [_record_safely(session, page, analysis, site, run_id, clock) for page, analysis in batch]
    except SQLAlchemyError:
        if len(batch) == 1:
            raise
        log.exception("batch of %s pages failed; writing them one by one", len(batch))
        return [record_batch(engine, [item], site, run_id, clock)[0] for item in batch]


def _batches(
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


def find_duplicate(
    session: Session, fp: dedup.Fingerprint, text_normalized: str | None = None
) -> tuple[repo.Reference, float, str] | None:
    """Exact layer first, then LSH candidates confirmed by exact set similarity.

    A fingerprint may come without its shingles (see analyze_page): they are then rebuilt from
    ``text_normalized``, and only when there is a candidate to confirm.
    """
    exact = repo.find_by_content_hash(session, fp.content_hash)
    if exact is not None:
        return exact, 1.0, "exact"
    best: tuple[repo.Reference, float, str] | None = None
    mine: set[str] | None = None
    for ref in repo.lsh_candidates(session, fp.band_keys):
        if mine is None:
            mine = set(fp.shingles) if fp.shingles or text_normalized is None else dedup.shingles(text_normalized)
        sim = dedup.similarity(mine, dedup.shingles(ref.text_normalized))
        if dedup.is_near_duplicate(sim, len(mine)) and (best is None or sim.score > best[1]):
            best = (ref, sim.score, "minhash")
    return best


# --- one site ---------------------------------------------------------------------------------------


@dataclass
class SiteSummary:
    site: str
    status: str = "completed"  # completed | failed
    pages_fetched: int = 0
    new: int = 0
    duplicate: int = 0
    failed: int = 0
    skipped: int = 0
    attachments: int = 0
    spam_flagged: int = 0
    message: str = ""
    stage_seconds: dict[str, float] = field(default_factory=dict)  # decode/extract/normalize/dedup/persist
    errors: list[tuple[str, str]] = field(default_factory=list)  # (url, reason), first few
    new_articles: list[dict[str, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "pages_fetched": self.pages_fetched,
            "new": self.new,
            "duplicate": self.duplicate,
            "failed": self.failed,
            "skipped": self.skipped,
        }


MAX_ERRORS_KEPT = 20
MAX_NEW_LISTED = 200


# --- the pure steps in parallel ---------------------------------------------------------------------

# Worker processes for analyze_page: 0 (the default) means one per CPU, 1 analyses in this process.
ANALYSIS_PROCESSES = int(os.environ.get("DANGJIAN_ANALYSIS_PROCESSES", "0") or 0) or (os.cpu_count() or 1)
_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _analysis_pool(processes: int) -> ProcessPoolExecutor:
    """One pool per process, shared by the sites processed in parallel, started on first use.

    forkserver, not fork: the flow process runs Prefect's threads, and forking a threaded process can
    copy a lock some other thread holds. The server preloads the steps, so workers start warm.
    """
    global _pool
    with _pool_lock:
        if _pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["flows.pipeline"])
            _pool = ProcessPoolExecutor(max_workers=processes, mp_context=context)
        return _pool


def _reset_pool() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def analyses(
    pages: Iterable[RawPage],
    site: SiteConfig,
    since: date | None = None,
    until: date | None = None,
    processes: int = ANALYSIS_PROCESSES,
    furniture: frozenset[str] = frozenset(),
) -> Iterator[tuple[RawPage, Analysis | None]]:
    """Each page with its analysis, in order; with several processes, up to 4 pages per process ahead.

    The window keeps memory flat (pages stream in from the raw file and out to the database) while
    every CPU extracts. A page whose analysis crashed its worker gets a "pipeline" failure.
    """
    if processes <= 1:
        for page in pages:
            yield page, (_analyze_safely(page, site, since, until, furniture) if page.kind == "page" else None)
        return
    window: deque[tuple[RawPage, Future[Analysis] | None]] = deque()

    def finish(page: RawPage, future: Future[Analysis] | None) -> tuple[RawPage, Analysis | None]:
        if future is None:
            return page, None
        try:
            return page, future.result()
        except BrokenProcessPool as exc:  # a worker died (killed, out of memory): start a new pool
            _reset_pool()
            return page, _crashed(page, exc)
        except Exception as exc:
            return page, _crashed(page, exc)

    for page in pages:
        future = (
            _analysis_pool(processes).submit(analyze_page, page, site, since, until, furniture)
            if page.kind == "page"
            else None
        )
        window.append((page, future))
        if len(window) >= 4 * processes:
            yield finish(*window.popleft())
    while window:
        yield finish(*window.popleft())


def _crashed(page: RawPage, exc: BaseException) -> Analysis:
    url = page.final_url or page.url
    log.error("analysis of %s failed: %s: %s", url, type(exc).__name__, exc)
    key = repo.storage_key(canonical_url(url))
    return Analysis(url=url, key=key, failure=("pipeline", f"{type(exc).__name__}: {exc}"))


def _analyze_safely(
    page: RawPage, site: SiteConfig, since: date | None, until: date | None, furniture: frozenset[str] = frozenset()
) -> Analysis:
    try:
        return analyze_page(page, site, since, until, furniture)
    except Exception as exc:  # a bug on one page: recorded, and the run goes on
        log.exception("unexpected error on %s", page.url)
        return _crashed(page, exc)


def process_pages(
    engine: Engine,
    pages: Iterable[RawPage],
    site: SiteConfig,
    run_id: int | None,
    since: date | None = None,
    until: date | None = None,
    processes: int = ANALYSIS_PROCESSES,
) -> SiteSummary:
    """Run every raw page of one site through the pipeline; one bad page never stops the rest."""
    summary = SiteSummary(site=site.name)
    tally: Counter[str] = Counter()
    clock = StageClock()
    # --- issue #15 hook: the site's furniture, learned by earlier runs, is loaded once and applied by every
    # extraction of this run; after the run it is learned again from the site's latest stored articles.
    with session_scope(engine) as session:
        furniture = load_site_furniture(session, site.name)
    outcomes = (
        (page, outcome)
        for batch in _batches(analyses(pages, site, since, until, processes, furniture), BATCH_PAGES, BATCH_SECONDS)
        for page, outcome in zip((p for p, _ in batch), record_batch(engine, batch, site, run_id, clock), strict=True)
    )
    for page, outcome in outcomes:
        if page.kind == "page":
            summary.pages_fetched += 1
        tally[outcome.kind] += 1
        if outcome.kind == "failed" and len(summary.errors) < MAX_ERRORS_KEPT:
            summary.errors.append((outcome.url, outcome.detail))
        if "spam_removed" in outcome.flags:
            summary.spam_flagged += 1
        if outcome.kind == "new" and len(summary.new_articles) < MAX_NEW_LISTED:
            summary.new_articles.append(
                {
                    "title": outcome.title or "",
                    "site": site.name,
                    "url": outcome.url,
                    "published": outcome.published_at.date().isoformat() if outcome.published_at else "",
                }
            )
    summary.new, summary.duplicate = tally["new"], tally["duplicate"]
    summary.failed, summary.skipped = tally["failed"], tally["skipped"]
    summary.attachments = tally["attachment"]
    summary.stage_seconds = {name: round(clock.seconds[name], 3) for name in STAGES}
    relearn_furniture(engine, site.name)  # issue #15 hook: for the next run
    return summary


def relearn_furniture(engine: Engine, site: str) -> None:
    """Learn the site's furniture again from what is stored now; a failure here never fails the run."""
    try:
        with session_scope(engine) as session:
            repo.take_decision_turn(session)  # two workers finishing the same site relearn in turn
            learn_site_furniture(session, site)
    except Exception:  # the run's articles are stored; stale furniture only costs some leaked lines
        log.exception("relearning the furniture of %s failed", site)


def process_raw_file(
    engine: Engine,
    raw_path: Path,
    site: SiteConfig,
    run_id: int | None,
    since: date | None = None,
    until: date | None = None,
    crawl_finished: Callable[[], bool] | None = None,
) -> SiteSummary:
    """Process a raw-page file; with ``crawl_finished``, while the crawl is still writing it."""
    pages = read_raw_pages(raw_path) if crawl_finished is None else follow_raw_pages(raw_path, crawl_finished)
    return process_pages(engine, pages, site, run_id, since, until)
