"""The run log: one crawl_runs row per site and run, its heartbeat, its list validators, and which
runs are gone (their process killed) so that a site is never locked by a dead run."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from steps.urls import MAX_KEY_LENGTH
from storage.models import (
    CrawlRun,
    ListValidator,
)

# A live run refreshes its heartbeat every HEARTBEAT_SECONDS (flows/ingest.py); one silent for
# STALE_AFTER is taken for dead even when its host cannot be checked (another machine).
HEARTBEAT_SECONDS = 30


STALE_AFTER = timedelta(minutes=10)


def utcnow() -> datetime:
    return datetime.now(UTC)


def worker_label() -> str:
    """The name runs are attributed to: ``DANGJIAN_WORKER_NAME`` if set (e.g. per Prefect worker), else the host."""
    return os.environ.get("DANGJIAN_WORKER_NAME") or socket.gethostname()


def start_run(session: Session, flow_run_id: str, site: str, since: str | None, until: str | None) -> CrawlRun:
    now = utcnow()
    run = CrawlRun(
        flow_run_id=flow_run_id,
        site=site,
        since=since,
        until=until,
        started_at=now,
        status="running",
        pages_fetched=0,
        new=0,
        duplicate=0,
        failed=0,
        skipped=0,
        worker=worker_label(),
        host=socket.gethostname(),
        pid=os.getpid(),
        heartbeat_at=now,
    )
    session.add(run)
    session.flush()
    return run


def list_validators(session: Session, site: str) -> dict[str, dict[str, str]]:
    """``{list URL: {"etag": …, "last_modified": …}}`` as the crawler's --validators file wants it."""
    out: dict[str, dict[str, str]] = {}
    for row in session.scalars(select(ListValidator).where(ListValidator.site == site)):
        kept = {k: v for k, v in (("etag", row.etag), ("last_modified", row.last_modified)) if v}
        if kept:
            out[row.url] = kept
    return out


def save_list_validators(session: Session, site: str, validators: dict[str, dict[str, str]]) -> None:
    """Replace the site's validators with what its latest crawl saw."""
    session.execute(delete(ListValidator).where(ListValidator.site == site))
    now = utcnow()
    session.add_all(
        ListValidator(
            site=site,
            url=url,
            etag=(v.get("etag") or None) and v["etag"][:300],
            last_modified=(v.get("last_modified") or None) and v["last_modified"][:100],
            updated_at=now,
        )
        for url, v in validators.items()
        if len(url) <= MAX_KEY_LENGTH
    )


def run_of_flow(session: Session, flow_run_id: str, site: str) -> CrawlRun | None:
    """The site's run started by the given flow run, if it got that far."""
    return session.scalars(
        select(CrawlRun).where(CrawlRun.flow_run_id == flow_run_id, CrawlRun.site == site).order_by(CrawlRun.id.desc())
    ).first()


def heartbeat(session: Session, run_ids: Iterable[int]) -> None:
    """Say that these runs are still alive."""
    ids = list(run_ids)
    if ids:
        session.execute(
            update(CrawlRun).where(CrawlRun.id.in_(ids), CrawlRun.status == "running").values(heartbeat_at=utcnow())
        )


def finish_run(session: Session, run_id: int, status: str, counts: dict[str, int], message: str | None) -> None:
    session.execute(
        update(CrawlRun)
        .where(CrawlRun.id == run_id)
        .values(status=status, finished_at=utcnow(), heartbeat_at=utcnow(), message=message, **counts)
    )


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


INTERRUPTED = "interrupted: its process is gone (killed, or its machine stopped) before it finished"


def run_is_gone(host: str | None, pid: int | None, last_sign: datetime, now: datetime, stale_after: timedelta) -> bool:
    """Whether a 'running' run's process is gone: on this host and its pid no longer exists, or silent
    (no heartbeat) for ``stale_after``. A run alive elsewhere (another machine, another flow here) is not."""
    same_host_dead = host == socket.gethostname() and pid is not None and not _process_alive(pid)
    return same_host_dead or host is None or now - last_sign > stale_after


def mark_stale_runs_interrupted(session: Session, site: str | None, stale_after: timedelta = STALE_AFTER) -> int:
    """Runs of ``site`` (None: of every site) still 'running' whose process is gone (run_is_gone): mark
    them interrupted, with a message saying so. Called before an ingest, an import-warc or a reprocess
    starts its own runs, so a killed command's run does not stay 'running' for ever."""
    now = utcnow()
    query = select(CrawlRun.id, CrawlRun.host, CrawlRun.pid, CrawlRun.heartbeat_at, CrawlRun.started_at).where(
        CrawlRun.status == "running"
    )
    if site is not None:
        query = query.where(CrawlRun.site == site)
    dead = [
        run.id
        for run in session.execute(query)
        if run_is_gone(run.host, run.pid, run.heartbeat_at or run.started_at, now, stale_after)
    ]
    if not dead:
        return 0
    session.execute(
        update(CrawlRun)
        .where(CrawlRun.id.in_(dead), CrawlRun.status == "running")
        .values(status="interrupted", finished_at=now, message=func.coalesce(CrawlRun.message, INTERRUPTED))
    )
    return len(dead)


def last_successful_run_start(session: Session, site: str) -> datetime | None:
    return session.scalar(
        select(func.max(CrawlRun.started_at)).where(CrawlRun.site == site, CrawlRun.status == "completed")
    )


def runs_without_new(session: Session, site: str, limit: int = 10) -> int:
    """How many of the site's latest completed runs in a row stored nothing new."""
    news = session.scalars(
        select(CrawlRun.new)
        .where(CrawlRun.site == site, CrawlRun.status == "completed")
        .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
        .limit(limit)
    ).all()
    count = 0
    for n in news:
        if n:
            break
        count += 1
    return count
