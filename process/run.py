"""One site's pages through the core: analyses in a process pool, decisions in batches.

Fed by a crawl's raw-page file today (process_raw_file follows it while the crawl writes); any other
source of RawPage records (an archive) goes through process_pages the same way.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine

from crawljob import lifeline
from pages.raw import RawPage
from pages.stream import follow_raw_pages, read_raw_pages
from process.analyze import STAGES, Analysis, StageClock, analyze_page
from process.decide import BATCH_PAGES, BATCH_SECONDS, batches, record_batch
from sites.registry import SiteConfig
from steps.chinatime import CHINA_TZ
from steps.urls import canonical_url, storage_key
from storage import writes
from storage.db import session_scope
from storage.furniture import learn_site_furniture, load_site_furniture

log = logging.getLogger(__name__)

SiteStatus = Literal["completed", "failed"]


@dataclass
class NewArticleRow:
    """A row of the run's new-articles table: published is China time, as the portals show it."""

    title: str
    published: str  # "YYYY-MM-DD HH:MM", or "" when the page gave no date
    site: str
    url: str


@dataclass
class SiteSummary:
    site: str
    status: SiteStatus = "completed"
    pages_fetched: int = 0
    new: int = 0
    duplicate: int = 0
    failed: int = 0
    skipped: int = 0
    attachments: int = 0
    spam_flagged: int = 0
    left_for_later: int = 0  # requests the crawl never completed (crawljob.stats.left_for_later): no record
    message: str = ""
    duration_s: float = 0.0  # from submitting the crawl to the end of the processing
    worker: str = ""  # fan-out runs: the worker and flow run that took the site
    flow_run: str = ""
    stage_seconds: dict[str, float] = field(default_factory=dict)  # decode/extract/normalize/dedup/persist
    errors: list[tuple[str, str]] = field(default_factory=list)  # (url, reason), first few
    new_articles: list[NewArticleRow] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SiteSummary:
        """Back from the JSON-like form a flow run returns (``dataclasses.asdict`` of a summary)."""
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values["new_articles"] = [NewArticleRow(**row) for row in data.get("new_articles", [])]
        values["errors"] = [tuple(error) for error in data.get("errors", [])]
        return cls(**values)

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
    None of it outlives this process (crawljob/lifeline.py): the forkserver preloads the lifeline, which
    starts a watchdog on this pid there, and each worker asks for SIGKILL when the forkserver dies.
    """
    global _pool
    with _pool_lock:
        if _pool is None:
            os.environ[lifeline.POOL_PARENT_ENV] = str(os.getpid())
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["crawljob.lifeline", "process.analyze"])
            _pool = ProcessPoolExecutor(
                max_workers=processes, mp_context=context, initializer=lifeline.set_parent_death_signal
            )
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
    key = storage_key(canonical_url(url))
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
    # The site's furniture, learned from its stored articles by earlier runs, is applied by every extraction
    # of this run; after the run it is learned again, so tonight's first page benefits from last night.
    with session_scope(engine) as session:
        furniture = load_site_furniture(session, site.name)
    outcomes = (
        (page, outcome)
        for batch in batches(analyses(pages, site, since, until, processes, furniture), BATCH_PAGES, BATCH_SECONDS)
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
            published = outcome.published_at.astimezone(CHINA_TZ) if outcome.published_at else None
            summary.new_articles.append(
                NewArticleRow(
                    outcome.title or "",
                    published.strftime("%Y-%m-%d %H:%M") if published else "",
                    site.name,
                    outcome.url,
                )
            )
    summary.new, summary.duplicate = tally["new"], tally["duplicate"]
    summary.failed, summary.skipped = tally["failed"], tally["skipped"]
    summary.attachments = tally["attachment"]
    summary.stage_seconds = {name: round(clock.seconds[name], 3) for name in STAGES}
    relearn_furniture(engine, site.name)
    return summary


def relearn_furniture(engine: Engine, site: str) -> None:
    """Learn the site's furniture again from what is stored now; a failure here never fails the run."""
    try:
        with session_scope(engine) as session:
            writes.take_decision_turn(session)  # two workers finishing the same site relearn in turn
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
