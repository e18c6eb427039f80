"""The ``ingest`` Prefect flow: per site, crawl → process (extract, normalize, dedup, persist).

Thin on purpose: the work is in crawlers/ (run as a subprocess per site) and
the processing core in process/ (plain functions). This module adds what Prefect is for:
task runs per site and stage that read well in the UI, retries of transient
crawl failures, logs, and isolation so that one failing site never stops
the others.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import FlowRun
from prefect.runtime import deployment as current_deployment
from prefect.runtime import flow_run as current_flow_run
from prefect.states import Completed, Failed
from prefect.task_runners import ThreadPoolTaskRunner

from crawlers import stats as keys
from crawlers.registry import SiteConfig, load_registry, select_sites
from flows.report import new_article_rows, run_markdown
from process.run import SiteStatus, SiteSummary, process_raw_file
from process.seeds import sync_seed_corpus
from steps.chinatime import CHINA_TZ
from storage import repository as repo
from storage.db import make_engine, session_scope
from storage.migrate import upgrade

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEEDS_DIR = PROJECT_ROOT / "seeds"
CRAWL_TIMEOUT_SECONDS = int(os.environ.get("DANGJIAN_CRAWL_TIMEOUT", "3600"))
MAX_PARALLEL_CRAWLS = int(os.environ.get("DANGJIAN_MAX_PARALLEL_CRAWLS", "4"))
QUIET_RUNS_WARNING = 3  # this many completed runs in a row without anything new: the site may have changed


def data_dir() -> Path:
    return Path(os.environ.get("DANGJIAN_DATA_DIR", "data"))


def _parse_day(value: str | date | None, name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be a date YYYY-MM-DD, got {value!r}") from exc


def portal_today() -> date:
    return datetime.now(CHINA_TZ).date()


def validate_window(since: str | date | None, until: str | date | None) -> tuple[date | None, date | None]:
    """Parse and check a backfill window before anything is crawled."""
    since_day, until_day = _parse_day(since, "since"), _parse_day(until, "until")
    today = portal_today()
    for name, day in (("since", since_day), ("until", until_day)):
        if day and day > today:
            raise ValueError(f"{name} ({day}) is in the future (today is {today} in Asia/Shanghai)")
    if since_day and until_day and since_day > until_day:
        raise ValueError(f"since ({since_day}) is after until ({until_day})")
    return since_day, until_day


def flow_run_label() -> str:
    """Name runs after what they do: nightly-2026-11-23, backfill-2024-01-01..2024-06-30, ingest-…."""
    params = current_flow_run.parameters or {}
    today = portal_today().isoformat()
    if params.get("since") or params.get("until"):
        label = f"backfill-{params.get('since') or 'start'}..{params.get('until') or today}"
    elif params.get("incremental"):
        label = f"nightly-{today}"
    else:
        label = f"ingest-{today}"
    sites = params.get("sites") or []
    return f"{label}-{sites[0]}" if len(sites) == 1 else label


class CrawlFailed(RuntimeError):
    """The crawl process itself failed (not a page: pages that fail are recorded, not raised)."""


@task(name="crawl", retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE)
def crawl_site(
    site: SiteConfig,
    run_dir: Path,
    registry_path: str | None,
    registry_vars: dict[str, str],
    since: date | None,
    until: date | None,
    known_urls_file: Path,
    max_pages: int | None = None,
    validators_file: Path | None = None,
) -> dict[str, Any]:
    """Crawl one site in a subprocess; returns the path of its raw-page file and its Scrapy stats."""
    logger = get_run_logger()
    raw_path = run_dir / f"{site.name}.jsonl"
    stats_path = run_dir / f"{site.name}.stats.json"
    log_path = run_dir / f"{site.name}.crawl.log"
    # A retry appends to the file (the writer ends a line cut by a crash): the process task may already
    # have read the first attempt's pages, and the pages it fetches again are skipped as known.
    cmd = [
        sys.executable,
        "-m",
        "crawlers.run",
        "--site",
        site.name,
        "--out",
        str(raw_path),
        "--stats",
        str(stats_path),
        "--skip-urls",
        str(known_urls_file),
    ]
    if registry_path:
        cmd += ["--registry", registry_path]
    for key, value in registry_vars.items():
        cmd += ["--var", f"{key}={value}"]
    if since:
        cmd += ["--since", since.isoformat()]
    if until:
        cmd += ["--until", until.isoformat()]
    if max_pages:
        cmd += ["--max-pages", str(max_pages)]
    if validators_file:
        cmd += ["--validators", str(validators_file)]
    started = time.monotonic()
    with log_path.open("w", encoding="utf-8") as log_fh:
        try:
            proc = subprocess.run(
                cmd,
                stdout=log_fh,
                stderr=subprocess.STDOUT,
                timeout=CRAWL_TIMEOUT_SECONDS,
                cwd=str(PROJECT_ROOT),
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise CrawlFailed(f"crawl of {site.name} exceeded {CRAWL_TIMEOUT_SECONDS}s") from exc
    if proc.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        raise CrawlFailed(f"crawl of {site.name} exited with {proc.returncode}: {' | '.join(tail)}")
    stats = json.loads(stats_path.read_text(encoding="utf-8")) if stats_path.exists() else {}
    by_status = {k.rsplit("/", 1)[-1]: v for k, v in stats.items() if k.startswith("downloader/response_status_count/")}
    logger.info(
        "crawl %s: %s requests, responses by status %s, %s bytes, %s raw pages, %s already known, %.1fs",
        site.name,
        stats.get("downloader/request_count", 0),
        by_status or "{}",
        stats.get("downloader/response_bytes", 0),
        stats.get("item_scraped_count", 0),
        stats.get(keys.ARTICLES_ALREADY_KNOWN, 0),
        time.monotonic() - started,
    )
    return {"raw_path": str(raw_path), "stats": stats, "seconds": time.monotonic() - started}


@task(name="process", cache_policy=NO_CACHE)
def process_site(
    site: SiteConfig,
    raw_path: str,
    run_id: int,
    database_url: str | None,
    since: date | None,
    until: date | None,
    crawl_finished: Callable[[], bool] | None = None,
) -> SiteSummary:
    """Extract, normalize, dedup and store every raw page of one site.

    With ``crawl_finished``, pages are processed as the crawl writes them (see follow_raw_pages).
    """
    logger = get_run_logger()
    engine = make_engine(database_url)
    try:
        summary = process_raw_file(engine, Path(raw_path), site, run_id, since, until, crawl_finished)
    finally:
        engine.dispose()
    logger.info(
        "process %s: %s fetched, %s new, %s duplicate, %s failed, %s skipped",
        site.name,
        summary.pages_fetched,
        summary.new,
        summary.duplicate,
        summary.failed,
        summary.skipped,
    )
    for url, reason in summary.errors[:5]:
        logger.warning("%s: %s (%s)", site.name, reason, url)
    return summary


def _setter(event: threading.Event) -> Callable[[Any], None]:
    """A done-callback for a future that sets ``event``."""

    def set_event(_future: Any) -> None:
        event.set()

    return set_event


def _run_label() -> str:
    return str(current_flow_run.get_id() or f"local-{int(time.time())}")


@contextmanager
def _heartbeat(engine: Any, run_ids: list[int]) -> Iterator[None]:
    """Refresh the runs' heartbeat while the block runs, so that other workers see them alive."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(repo.HEARTBEAT_SECONDS):
            try:
                with session_scope(engine) as session:
                    repo.heartbeat(session, run_ids)
            except Exception as exc:  # a missed beat is not worth failing the run for
                get_run_logger().warning("heartbeat not recorded: %s", exc)

    thread = threading.Thread(target=beat, name="dangjian-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


FAN_OUT_POLL_SECONDS = 2.0


def _fan_out(chosen: list[SiteConfig], parameters: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One flow run per site of this deployment, picked up by whichever worker of the pool is free.

    The child runs share the database, which decides what is new; their per-site results are read
    back from CrawlRun (state in the database, not in this process).
    """
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    logger = get_run_logger()
    name = f"{current_flow_run.flow_name}/{current_deployment.name}"
    parent = _run_label()
    children: dict[str, FlowRun] = {}
    for site in chosen:
        children[site.name] = run_deployment(  # type: ignore[assignment]  # sync call: a FlowRun
            name,
            parameters={**parameters, "sites": [site.name], "fan_out": False},
            timeout=0,  # create it and go on: the workers run the children in parallel
            idempotency_key=f"{parent}:{site.name}",  # a retried parent does not start a site twice
        )
        logger.info("%s: flow run %s scheduled", site.name, children[site.name].name)
    states: dict[str, Any] = {}
    with get_client(sync_client=True) as client:
        while len(states) < len(children):
            time.sleep(FAN_OUT_POLL_SECONDS)
            for site_name, child in children.items():
                if site_name not in states:
                    state = client.read_flow_run(child.id).state
                    if state is not None and state.is_final():
                        states[site_name] = state
    engine = make_engine(parameters.get("database_url"))
    results: dict[str, dict[str, Any]] = {}
    try:
        with session_scope(engine) as session:
            for site_name, child in children.items():
                row = repo.run_of_flow(session, str(child.id), site_name)
                if row is None:  # the child failed before it started the site (bad parameters, crash)
                    results[site_name] = asdict(
                        SiteSummary(site=site_name, status="failed", message=states[site_name].message or "")
                    )
                    continue
                status: SiteStatus = "completed" if row.status == "completed" else "failed"
                results[site_name] = {
                    **asdict(SiteSummary(site=site_name, status=status, message=row.message or "")),
                    **{k: getattr(row, k) for k in ("pages_fetched", "new", "duplicate", "failed", "skipped")},
                    "worker": row.worker,
                    "flow_run": child.name,
                }
    finally:
        engine.dispose()
    return results


@flow(
    name="ingest",
    flow_run_name=flow_run_label,
    log_prints=True,
    # two threads per site: its crawl (a subprocess) and its processing run side by side
    task_runner=ThreadPoolTaskRunner(max_workers=2 * MAX_PARALLEL_CRAWLS),  # type: ignore[arg-type]
)
def ingest(
    sites: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    incremental: bool = False,
    registry_path: str | None = None,
    registry_vars: dict[str, str] | None = None,
    database_url: str | None = None,
    seeds_dir: str | None = None,
    max_pages: int | None = None,
    keep_raw: bool = False,
    fan_out: bool = False,
) -> dict[str, dict[str, Any]]:
    """Crawl the given sites (default: every enabled one) once and store what is new.

    ``since``/``until`` (YYYY-MM-DD) bound a backfill; ``incremental`` (the
    nightly deployment) starts each site from its last successful run. The
    result is a summary per site: pages fetched, new, duplicate, failed,
    skipped. The run ends Failed only when every site failed.

    ``fan_out`` (deployed runs only) starts one flow run per site instead, so that
    every worker of the pool takes a share; the workers need a free slot each
    besides the one this run occupies.
    """
    logger = get_run_logger()
    since_day, until_day = validate_window(since, until)
    registry_vars = registry_vars or {}
    chosen = select_sites(load_registry(registry_path, registry_vars), sites)
    if fan_out and current_deployment.name:
        fanned = _fan_out(
            chosen,
            {
                "since": since_day.isoformat() if since_day else None,
                "until": until_day.isoformat() if until_day else None,
                "incremental": incremental,
                "registry_path": registry_path,
                "registry_vars": registry_vars,
                "database_url": database_url,
                "seeds_dir": seeds_dir,
                "max_pages": max_pages,
                "keep_raw": keep_raw,
            },
        )
        _publish_artifacts(_run_label(), fanned, {})
        return _final_state(fanned)
    if fan_out:
        logger.info("fan_out needs a deployment (workers to fan out to); running every site here")

    upgrade(database_url)
    engine = make_engine(database_url)
    indexed, removed = sync_seed_corpus(engine, Path(seeds_dir) if seeds_dir else DEFAULT_SEEDS_DIR)
    logger.info("seed corpus: %s file(s) (re)indexed, %s removed", indexed, removed)

    label = _run_label()
    run_dir = data_dir() / "runs" / label
    run_dir.mkdir(parents=True, exist_ok=True)
    run_ids: dict[str, int] = {}
    windows: dict[str, tuple[date | None, date | None]] = {}
    crawls, processes, submitted = {}, {}, {}
    validators_files: dict[str, Path | None] = {}
    for site in chosen:
        with session_scope(engine) as session:
            interrupted = repo.mark_stale_runs_interrupted(session, site.name)
            if interrupted:
                logger.warning("%s: %s earlier run(s) never finished; marked interrupted", site.name, interrupted)
            site_since = since_day
            if incremental and site_since is None:
                last = repo.last_successful_run_start(session, site.name)
                # one day of overlap: a page published late in the evening of the last run is not missed
                site_since = (last.astimezone(CHINA_TZ).date() - timedelta(days=1)) if last else None
            windows[site.name] = (site_since, until_day)
            run_ids[site.name] = repo.start_run(
                session,
                label,
                site.name,
                site_since.isoformat() if site_since else None,
                until_day.isoformat() if until_day else None,
            ).id
            known_file = run_dir / f"{site.name}.known.txt"
            with known_file.open("w", encoding="utf-8") as fh:
                for url in repo.known_canonical_urls(session, site.name):
                    fh.write(url + "\n")
            # Conditional GET of list pages on nightly runs only: a 304 says "nothing new since the last
            # nightly", which says nothing about the older pages a backfill window asks for.
            validators_file: Path | None = None
            if incremental and since_day is None and until_day is None:
                validators_file = run_dir / f"{site.name}.validators.json"
                validators_file.write_text(
                    json.dumps(repo.list_validators(session, site.name), ensure_ascii=False), encoding="utf-8"
                )
            validators_files[site.name] = validators_file
        submitted[site.name] = time.monotonic()
        crawls[site.name] = crawl_site.with_options(task_run_name=f"crawl-{site.name}").submit(
            site,
            run_dir,
            registry_path,
            registry_vars,
            *windows[site.name],
            known_file,
            max_pages,
            validators_files[site.name],
        )
        # Processing follows the crawl's file as it grows: extraction overlaps fetching.
        crawl_ended = threading.Event()
        crawls[site.name].add_done_callback(_setter(crawl_ended))
        processes[site.name] = process_site.with_options(task_run_name=f"process-{site.name}").submit(
            site,
            str(run_dir / f"{site.name}.jsonl"),
            run_ids[site.name],
            database_url,
            *windows[site.name],
            crawl_finished=crawl_ended.is_set,
        )

    results: dict[str, dict[str, Any]] = {}
    quiet: dict[str, int] = {}
    with _heartbeat(engine, list(run_ids.values())):
        for site in chosen:
            crawl_error: Exception | None = None
            stats: dict[str, Any] = {}
            try:
                stats = crawls[site.name].result()["stats"]
            except Exception as exc:  # the crawl process died or timed out, even after its retry
                crawl_error = exc
            try:
                summary = processes[site.name].result()  # what the crawl wrote before it failed is kept
            except Exception as exc:  # one site failing must not stop the others
                summary = SiteSummary(site=site.name, status="failed", message=f"processing failed: {exc}")
            if crawl_error is not None:
                summary.status, summary.message = "failed", str(crawl_error)
            elif not stats.get(keys.LIST_PAGES_OK):
                # Not one column page could be read: the site is down, gone, or unreachable from here.
                summary.status = "failed"
                summary.message = summary.errors[0][1] if summary.errors else "no list page could be fetched"
            if summary.status == "failed":
                logger.error("site %s failed: %s", site.name, summary.message)
            if not keep_raw:
                (run_dir / f"{site.name}.jsonl").unlink(missing_ok=True)
            validators_file = validators_files[site.name]
            if crawl_error is None and validators_file is not None and validators_file.exists():
                with session_scope(engine) as session:
                    repo.save_list_validators(
                        session, site.name, json.loads(validators_file.read_text(encoding="utf-8"))
                    )
            with session_scope(engine) as session:
                repo.finish_run(session, run_ids[site.name], summary.status, summary.counts(), summary.message or None)
                streak = repo.runs_without_new(session, site.name)
            if streak >= QUIET_RUNS_WARNING:
                quiet[site.name] = streak
                logger.warning("%s: %s completed runs in a row without a new article", site.name, streak)
            result = asdict(summary)
            result["duration_s"] = round(time.monotonic() - submitted[site.name], 2)
            results[site.name] = result
    engine.dispose()

    _publish_artifacts(label, results, quiet)
    return _final_state(results)


def _final_state(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    failed = [name for name, r in results.items() if r["status"] == "failed"]
    if results and len(failed) == len(results):
        # A returned State becomes the run's final state; callers (CLI, tests) receive its data.
        return Failed(message=f"every site failed: {', '.join(failed)}", data=results)  # type: ignore[return-value]
    message = f"{len(results) - len(failed)} site(s) completed"
    if failed:
        message += f"; failed: {', '.join(failed)} (see the run report artifact)"
    return Completed(message=message, data=results)  # type: ignore[return-value]


def _publish_artifacts(label: str, results: dict[str, dict[str, Any]], quiet: dict[str, int]) -> None:
    """The run report (markdown) and the table of new articles, visible on the flow run in the UI."""
    create_markdown_artifact(
        markdown=run_markdown(f"Ingest run {label}", results, quiet),
        key="ingest-report",
        description="Per-site counts, top errors and quiet sites of this run",
    )
    rows = new_article_rows(results)
    create_table_artifact(
        table=rows or [{"title": "", "site": "", "published": "", "url": ""}],
        key="new-articles",
        description=f"{len(rows)} new article(s)",
    )
