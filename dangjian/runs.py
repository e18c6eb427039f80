"""``dangjian runs``: the latest runs of crawl_runs (ingest, import-warc, reprocess), read-only.

Why: a killed command leaves its run 'running' until the next ingest, import-warc or reprocess marks
it interrupted; this listing says so at once ("running, process gone") without writing anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from storage import runlog
from storage.db import make_engine, session_scope
from storage.migrate import check_database
from storage.models import CrawlRun


@dataclass(frozen=True)
class RunLine:
    id: int
    site: str
    label: str
    status: str  # as stored, or "running, process gone"
    started_at: datetime
    finished_at: datetime | None
    new: int
    duplicate: int
    failed: int
    message: str


def latest_runs(database_url: str | None, limit: int = 20, site: str | None = None) -> list[RunLine]:
    check_database(database_url)
    engine = make_engine(database_url, reader=True)
    now = runlog.utcnow()
    try:
        with session_scope(engine) as session:
            query = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
            if site:
                query = query.where(CrawlRun.site == site)
            lines = []
            for run in session.scalars(query):
                status = run.status
                last_sign = run.heartbeat_at or run.started_at
                if status == "running" and runlog.run_is_gone(run.host, run.pid, last_sign, now, runlog.STALE_AFTER):
                    status = "running, process gone"
                lines.append(RunLine(run.id, run.site, run.flow_run_id, status, run.started_at, run.finished_at,
                                     run.new, run.duplicate, run.failed, run.message or ""))  # fmt: skip
            return lines
    finally:
        engine.dispose()


def format_runs(lines: list[RunLine]) -> str:
    if not lines:
        return "(no run)"
    out = []
    for r in lines:
        finished = r.finished_at.strftime("%Y-%m-%d %H:%M:%S") if r.finished_at else "-"
        counts = f"new {r.new}, duplicate {r.duplicate}, failed {r.failed}"
        started = r.started_at.strftime("%Y-%m-%d %H:%M:%S")
        out.append(f"{r.id:>5}  {r.site:<16} {r.status:<22} {started} → {finished}  {r.label}  {counts}")
        if r.message:
            out.append(f"{'':>7}{r.message.splitlines()[0][:300]}")
    return "\n".join(out)
