"""Reprocess: today's extraction, normalization and dedup over archived responses, applied to the corpus.

Why: the corpus otherwise keeps the text each page got when it was first crawled; a better rule would
only reach pages crawled afterwards. The archive (crawlers/archive.py) holds the responses as served,
so nothing is fetched again.

Per archived article page, after the same analysis as live ingestion (process.analyze, in the same
process pool), one of:

- ``unchanged``: same text, title and date as stored (running reprocess twice changes nothing);
- ``updated``: the stored article gets the new text in place (same id, new ``extraction_version``, the
  old text kept in article_versions), or a duplicate now repeats another document than before;
- ``newly_duplicate``: the new text repeats another document: the article becomes a duplicate of it
  (its own duplicates follow it), found by the live path's find_duplicate;
- ``no_longer_duplicate``: a page stored as a duplicate no longer repeats anything: it becomes an article;
- ``new``: a page the corpus did not hold (it failed before): decided by the live record();
- ``failed`` / ``skipped``: today's steps fail on it, or it is out of scope; the stored row is left alone.

Each batch is one transaction that takes the decision turn first, as live ingestion does, and each page
its own savepoint, so a role change (article ↔ duplicate) is all or nothing. ``dry_run`` takes every
decision and rolls every batch back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from pages.raw import RawPage
from pages.warc import (
    ArchivedItem,
    ArchivedResponse,
    NotAWarc,
    Unreadable,
    archived_pages,
    default_archive_dir,
    read_archive,
    response_day,
    warc_files,
)
from pages.warcrecords import Losses
from process.analyze import Analysis
from process.decide import (
    BATCH_PAGES,
    BATCH_SECONDS,
    batches,
    find_duplicate,
    new_article,
    outranked_copy,
    record,
)
from process.run import ANALYSIS_PROCESSES, analyses
from process.version import extraction_version
from sites.registry import SiteConfig, load_registry, select_sites
from steps.urls import canonical_url, storage_key
from storage import reprocess as store
from storage import runlog, writes
from storage.db import make_engine, session_scope
from storage.liveness import heartbeat_while
from storage.migrate import check_database, upgrade

log = logging.getLogger(__name__)

ChangeKind = Literal["updated", "new", "newly_duplicate", "no_longer_duplicate", "unchanged", "failed", "skipped"]
CHANGE_KINDS: tuple[ChangeKind, ...] = (
    "updated",
    "new",
    "newly_duplicate",
    "no_longer_duplicate",
    "unchanged",
    "failed",
    "skipped",
)
MAX_LISTED = 200  # changes listed by URL in a report; the counts are always complete
# A reprocess is recorded in crawl_runs for provenance, but not as "completed": that status is what the
# nightly run's incremental window (last_successful_run_start) and the quiet-site count read, and a
# reprocess fetched nothing.
RUN_STATUS = "reprocessed"


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    url: str
    detail: str = ""


@dataclass
class ReprocessReport:
    """What a reprocess did (or, with dry_run, would do) to one site's stored pages."""

    site: str
    dry_run: bool = False
    extraction_version: str = ""
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANGE_KINDS, 0))
    changes: list[Change] = field(default_factory=list)  # every kind but unchanged, first MAX_LISTED
    losses: Losses = field(default_factory=Losses)  # unreadable archive records, skipped, per file

    def add(self, change: Change) -> None:
        self.counts[change.kind] += 1
        if change.kind != "unchanged" and len(self.changes) < MAX_LISTED:
            self.changes.append(change)

    def summary(self) -> str:
        counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in self.counts.items())
        lost = f"; {self.losses.total} unreadable WARC record(s) skipped in {', '.join(self.losses.by_file)}"
        return (
            f"{self.site}: {counts}"
            + (lost if self.losses.total else "")
            + (" (dry run: nothing written)" if self.dry_run else "")
        )


def _changed_article(
    session: Session,
    stored: store.StoredArticle,
    analysis: Analysis,
    site: SiteConfig,
    run_id: int | None,
    version: str,
) -> list[Change]:
    item = new_article(analysis, site)
    url = analysis.url
    if (item.text, item.title, item.published_at) == (stored.text, stored.title, stored.published_at):
        return [Change("unchanged", url, f"article:{stored.id}")]
    text_changed = item.content_hash != stored.content_hash
    if text_changed:
        # out of both indexes, so that the article is not its own near-duplicate (or container)
        writes.unindex_article(session, stored.id, stored.text_normalized)
        assert analysis.fingerprint is not None
        match = find_duplicate(session, analysis.fingerprint, item.text_normalized)
        if match is not None and match.reference.article_id != stored.id:
            copy = outranked_copy(session, item, match)
            if copy is None:
                reference, score, layer = match.reference, match.score, match.layer
                store.demote_article(session, stored.id, item, reference, score, layer, run_id)
                detail = f"article:{stored.id} is now {layer} {match.score:.2f} of {reference.label}"
                return [Change("newly_duplicate", url, detail)]
            # The live canonical rule: this page is the original of the stored copy it now matches.
            store.update_article(session, stored.id, item, version, reindex=True)
            store.demote_copy(session, copy.id, stored.id, match.score, match.layer, run_id)
            return [
                Change("updated", url, f"article:{stored.id}, the original of article:{copy.id}"),
                Change("newly_duplicate", copy.url, f"article:{copy.id} is now a copy of article:{stored.id}"),
            ]
    store.update_article(session, stored.id, item, version, reindex=text_changed)
    return [Change("updated", url, f"article:{stored.id}")]


def _changed_duplicate(
    session: Session,
    stored: store.StoredDuplicate,
    analysis: Analysis,
    site: SiteConfig,
    run_id: int | None,
    version: str,
) -> list[Change]:
    assert analysis.fingerprint is not None and analysis.normalized is not None
    match = find_duplicate(session, analysis.fingerprint, analysis.normalized.text_normalized)
    if match is None:
        article_id = store.promote_duplicate(session, stored.id, new_article(analysis, site), version, run_id)
        detail = f"was a duplicate of {stored.label}, now article:{article_id}"
        return [Change("no_longer_duplicate", analysis.url, detail)]
    item = new_article(analysis, site)
    copy = outranked_copy(session, item, match)
    if copy is not None:  # the live canonical rule: this page is the original of the article it copies
        store.delete_duplicate(session, stored.id)
        store.keep_version(session, copy.id, "replaced_by_original")
        writes.promote_original(session, copy.id, item, match.score, match.layer, run_id)
        return [
            Change("no_longer_duplicate", analysis.url, f"the original of {copy.url}, now article:{copy.id}"),
            Change("newly_duplicate", copy.url, f"article:{copy.id}'s former copy, now a duplicate"),
        ]
    reference, score, layer = match.reference, match.score, match.layer
    if reference.label == stored.label:
        return [Change("unchanged", analysis.url, f"duplicate of {stored.label}")]
    store.retarget_duplicate(session, stored.id, reference, score, layer)
    detail = f"duplicate of {stored.label}, now {layer} {score:.2f} of {reference.label}"
    return [Change("updated", analysis.url, detail)]


def reprocess_page(
    session: Session, page: RawPage, analysis: Analysis | None, site: SiteConfig, run_id: int | None, version: str
) -> list[Change]:
    """Decide and write what today's analysis changes for one archived page (caller's transaction); a
    canonical swap changes two pages, so two changes."""
    url = page.final_url or page.url
    if page.kind != "page" or analysis is None:
        return [Change("skipped", url, f"{page.kind} record: nothing to extract")]
    if analysis.failure is not None:
        stage, reason = analysis.failure
        return [Change("failed", url, f"{stage}: {reason}")]
    if analysis.skipped:
        return [Change("skipped", url, analysis.skipped)]
    stored = store.stored_role(session, analysis.key)
    if stored is None:  # not in the corpus (it failed before): the live decision, as if crawled now
        outcome = record(session, page, analysis, site, run_id)
        kind: ChangeKind = {"new": "new", "duplicate": "newly_duplicate"}.get(outcome.kind, outcome.kind)  # type: ignore[assignment]
        return [Change(kind, url, outcome.detail)]
    if isinstance(stored, store.StoredArticle):
        return _changed_article(session, stored, analysis, site, run_id, version)
    return _changed_duplicate(session, stored, analysis, site, run_id, version)


def _reprocess_safely(
    session: Session, page: RawPage, analysis: Analysis | None, site: SiteConfig, run_id: int | None, version: str
) -> list[Change]:
    try:
        with session.begin_nested():
            return reprocess_page(session, page, analysis, site, run_id, version)
    except Exception as exc:  # a bug or a constraint surprise on one page: only its savepoint is undone
        log.exception("reprocess of %s failed", page.final_url or page.url)
        return [Change("failed", page.final_url or page.url, f"pipeline: {type(exc).__name__}: {exc}")]


def reprocess_batch(
    engine: Engine,
    batch: list[tuple[RawPage, Analysis | None]],
    site: SiteConfig,
    run_id: int | None,
    version: str,
    dry_run: bool = False,
) -> list[Change]:
    """One transaction per batch, decision turn first (as process.decide.record_batch); rolled back on dry_run."""
    session = sessionmaker(engine, expire_on_commit=False)()
    try:
        session.begin()
        writes.take_decision_turn(session)
        changes = [
            change
            for page, analysis in batch
            for change in _reprocess_safely(session, page, analysis, site, run_id, version)
        ]
        if dry_run:
            session.rollback()
        else:
            session.commit()
        return changes
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def reprocess_pages(
    engine: Engine,
    pages: Iterable[RawPage],
    site: SiteConfig,
    run_id: int | None,
    *,
    dry_run: bool = False,
    processes: int = ANALYSIS_PROCESSES,
    version: str | None = None,
) -> ReprocessReport:
    version = version or extraction_version()
    report = ReprocessReport(site=site.name, dry_run=dry_run, extraction_version=version)
    for batch in batches(analyses(pages, site, processes=processes), BATCH_PAGES, BATCH_SECONDS):
        for change in reprocess_batch(engine, batch, site, run_id, version, dry_run):
            report.add(change)
    return report


def _readable(path: Path, losses: Losses) -> Iterator[ArchivedResponse | ArchivedItem]:
    """A file's events, its unreadable records counted in ``losses``; a file that is no WARC is skipped."""
    try:
        for event in read_archive(path):
            if isinstance(event, Unreadable):
                losses.add(event)
            else:
                yield event
    except NotAWarc as exc:
        log.warning("%s: skipped (%s)", path, exc)


def archived_site_pages(
    archive_root: Path, site: str, since: date | None = None, until: date | None = None, losses: Losses | None = None
) -> Iterator[RawPage]:
    """The site's archived article pages, oldest crawl first, each canonical page once (its first fetch,
    the one live ingestion stored: later runs skip known URLs), fetched between since and until. The
    records that cannot be read are skipped and counted in ``losses``."""
    losses = losses if losses is not None else Losses()
    seen: set[str] = set()
    directory = archive_root / site
    files = warc_files([directory]) if directory.is_dir() else []
    for path in files:
        for page in archived_pages(_readable(path, losses), site):
            if page.kind != "page":
                continue
            day = response_day(page)
            if day is not None and ((since and day < since) or (until and day > until)):
                continue
            key = storage_key(canonical_url(page.final_url or page.url))
            if key in seen:
                continue
            seen.add(key)
            yield page


def reprocess_site(
    engine: Engine,
    archive_root: Path,
    site: SiteConfig,
    since: date | None = None,
    until: date | None = None,
    *,
    dry_run: bool = False,
    processes: int = ANALYSIS_PROCESSES,
    label: str = "reprocess",
) -> ReprocessReport:
    """Reprocess one site's archive; the run is recorded in crawl_runs (unless dry_run) for provenance."""
    run_id = None
    if not dry_run:
        with session_scope(engine) as session:
            runlog.mark_stale_runs_interrupted(session, None)  # a killed import's or reprocess's run, say
            run_id = runlog.start_run(
                session, label, site.name, since.isoformat() if since else None, until.isoformat() if until else None
            ).id
    losses = Losses()
    pages = archived_site_pages(archive_root, site.name, since, until, losses)
    try:
        with heartbeat_while(engine, [run_id] if run_id is not None else []):
            report = reprocess_pages(engine, pages, site, run_id, dry_run=dry_run, processes=processes)
        report.losses = losses
    except BaseException:
        if run_id is not None:
            with session_scope(engine) as session:
                runlog.finish_run(session, run_id, "failed", {}, "reprocess failed")
        raise
    if run_id is not None:
        counts = {
            "pages_fetched": 0,  # nothing was fetched
            "new": report.counts["new"],
            "duplicate": report.counts["newly_duplicate"],
            "failed": report.counts["failed"],
            "skipped": report.counts["skipped"],
        }
        with session_scope(engine) as session:
            runlog.finish_run(session, run_id, RUN_STATUS, counts, report.summary())
    return report


def reprocess_sites(
    database_url: str | None,
    registry_path: str | None,
    registry_vars: dict[str, str],
    sites: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    *,
    dry_run: bool = False,
    archive_dir: Path | None = None,
    label: str = "reprocess",
) -> list[ReprocessReport]:
    """Reprocess the named sites (default: every registry site with an archive); one report per site."""
    if since and until and since > until:
        raise ValueError(f"--since {since} is after --until {until}")
    root = archive_dir or default_archive_dir()
    registry = load_registry(registry_path, registry_vars)
    chosen = select_sites(registry, sites) if sites else [s for s in registry.values() if (root / s.name).is_dir()]
    # A dry run never writes: no database created, filled or migrated (one line: run `dangjian db upgrade`).
    check_database(database_url) if dry_run else upgrade(database_url)
    engine = make_engine(database_url)
    try:
        return [reprocess_site(engine, root, site, since, until, dry_run=dry_run, label=label) for site in chosen]
    finally:
        engine.dispose()


def format_reports(reports: list[ReprocessReport], changes: bool = True) -> str:
    """A table of counts per site, then each change (not the unchanged pages) on its own line."""
    header = ["site", *CHANGE_KINDS]
    rows = [[r.site, *(str(r.counts[k]) for k in CHANGE_KINDS)] for r in reports]
    table = [header, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in table]
    if not reports:
        lines.append("(no site has an archive)")
    for report in reports:
        if changes:
            lines += [f"{c.kind:<20} {c.url}  {c.detail}" for c in report.changes]
        lines += report.losses.lines()
        if report.dry_run:
            lines.append(f"{report.site}: dry run, nothing written")
    return "\n".join(lines)
