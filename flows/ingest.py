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
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from alembic.util import CommandError
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import FlowRun, State
from prefect.futures import PrefectFuture
from prefect.runtime import deployment as current_deployment
from prefect.runtime import flow_run as current_flow_run
from prefect.states import Completed, Failed
from prefect.task_runners import ThreadPoolTaskRunner
from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from crawljob import stats as keys
from crawljob.request import CrawlRequest, CrawlResult, run_crawl
from flows.alerts import emit_site_quiet, quiet_runs_threshold
from flows.outcomes import (
    FINISH_TASK_PREFIX,
    AllSitesFailed,
    RunRejected,
    SiteFailed,
    keep_expected_outcomes_one_line,
)
from flows.report import NO_NEW_ARTICLES, duplicates_markdown, new_article_rows, run_markdown
from process.run import SiteSummary, process_raw_file
from process.seeds import sync_seed_corpus
from sites.registry import SiteConfig, load_registry, select_sites, validate_max_pages
from steps.chinatime import CHINA_TZ
from storage import references, runlog
from storage.clusters import RunDuplicate, duplicates_of_flow_run
from storage.db import DatabaseProblem, session_scope, shared_engine, shown_url
from storage.db import database_url as resolve_database_url
from storage.export import export_run
from storage.liveness import heartbeat_while
from storage.migrate import check_database, upgrade

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEEDS_DIR = PROJECT_ROOT / "seeds"
CRAWL_TIMEOUT_SECONDS = int(os.environ.get("DANGJIAN_CRAWL_TIMEOUT", "3600"))
MAX_PARALLEL_CRAWLS = int(os.environ.get("DANGJIAN_MAX_PARALLEL_CRAWLS", "4"))


keep_expected_outcomes_one_line()


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
    """Name runs after what they do: nightly-2026-11-23, backfill-2024-01-01..2024-06-30, and a one-off
    run after its deployment (or ``ingest``) and its China-time minute, so that `make run`, `make demo`
    and the replica-demo deployment on one day no longer share one name in the UI."""
    params = current_flow_run.parameters or {}
    today = portal_today().isoformat()
    if params.get("since") or params.get("until"):
        label = f"backfill-{params.get('since') or 'start'}..{params.get('until') or today}"
    elif params.get("incremental"):
        label = f"nightly-{today}"
    else:
        deployment = current_deployment.name
        kind = deployment if deployment and deployment not in ("backfill", "nightly") else "ingest"
        label = f"{kind}-{datetime.now(CHINA_TZ).strftime('%Y-%m-%d-%H%M')}"
    sites = params.get("sites") or []
    return f"{label}-{sites[0]}" if len(sites) == 1 else label


@dataclass
class SiteRun:
    """One site within this flow run: its window, its database row, its files, its two task runs."""

    site: SiteConfig
    run_id: int
    since: date | None
    until: date | None
    raw_path: Path  # written by the crawl, read by the processing while it grows
    known_file: Path
    validators_file: Path | None  # nightly runs only: conditional GET of the list pages


@dataclass
class StartedSite:
    """A site's run with its two task runs under way (kept apart from SiteRun, which is a task parameter:
    Prefect waits for futures it finds in parameters)."""

    run: SiteRun
    crawl: PrefectFuture[CrawlResult]
    process: PrefectFuture[SiteSummary]
    submitted: float


@task(name="crawl", retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE)
def crawl_site(run: SiteRun, max_pages: int | None) -> CrawlResult:
    """Crawl one site in a subprocess; returns the raw-page file it wrote and its Scrapy stats."""
    site = run.site
    # A retry appends to the file (the writer ends a line cut by a crash): the process task may already
    # have read the first attempt's pages, and the pages it fetches again are skipped as known.
    entry = run.raw_path.with_suffix(".site.json")  # the entry as validated here, not the registry again
    entry.write_text(json.dumps(site.to_dict(), ensure_ascii=False), encoding="utf-8")
    request = CrawlRequest(
        site=site.name,
        out=run.raw_path,
        stats=run.raw_path.with_suffix(".stats.json"),
        entry=entry,
        since=run.since,
        until=run.until,
        max_pages=max_pages,
        skip_urls=run.known_file,
        validators=run.validators_file,
    )
    result = run_crawl(request, run.raw_path.with_suffix(".crawl.log"), CRAWL_TIMEOUT_SECONDS)
    _log_crawl(site.name, result)
    return result


def _log_crawl(site: str, crawl: CrawlResult) -> None:
    stats = crawl.stats
    by_status = {k.rsplit("/", 1)[-1]: v for k, v in stats.items() if k.startswith("downloader/response_status_count/")}
    get_run_logger().info(
        "crawl %s: %s requests, responses by status %s, %s bytes, %s pages with a body, %s already known, %.1fs",
        site,
        stats.get("downloader/request_count", 0),
        by_status or "{}",
        stats.get("downloader/response_bytes", 0),
        stats.get(keys.raw_pages("page"), 0),
        stats.get(keys.ARTICLES_ALREADY_KNOWN, 0),
        crawl.seconds,
    )


@task(name="process", cache_policy=NO_CACHE)
def process_site(
    run: SiteRun, database_url: str | None, crawl_finished: Callable[[], bool] | None = None
) -> SiteSummary:
    """Extract, normalize, dedup and store every raw page of one site.

    With ``crawl_finished``, pages are processed as the crawl writes them (see follow_raw_pages).
    """
    logger = get_run_logger()
    engine = shared_engine(database_url)
    summary = process_raw_file(engine, run.raw_path, run.site, run.run_id, run.since, run.until, crawl_finished)
    logger.info(
        "process %s: %s fetched, %s new, %s duplicate, %s failed, %s skipped",
        run.site.name,
        summary.pages_fetched,
        summary.new,
        summary.duplicate,
        summary.failed,
        summary.skipped,
    )
    return summary


@task(name="finish", cache_policy=NO_CACHE)
def finish_site(run: SiteRun, summary: SiteSummary, crawled: bool, database_url: str | None) -> int | State:
    """Record the end of the site's run (and its list validators), and show its outcome in the run graph:
    this task run ends Failed when the site failed, without failing the sites that worked.

    Returns how many completed runs in a row brought nothing new (a site that may have changed).
    """
    engine = shared_engine(database_url)
    if crawled and run.validators_file is not None and run.validators_file.exists():
        with session_scope(engine) as session:
            validators = json.loads(run.validators_file.read_text(encoding="utf-8"))
            runlog.save_list_validators(session, run.site.name, validators)
    with session_scope(engine) as session:
        runlog.finish_run(session, run.run_id, summary.status, summary.counts(), summary.message or None)
        streak = runlog.runs_without_new(session, run.site.name)
    if summary.status == "failed":
        return Failed(message=f"{run.site.name}: {summary.message}", data=SiteFailed(summary.message))
    return streak


def _setter(event: threading.Event) -> Callable[[Any], None]:
    """A done-callback for a future that sets ``event``."""

    def set_event(_future: Any) -> None:
        event.set()

    return set_event


def _run_label() -> str:
    return str(current_flow_run.get_id() or f"local-{int(time.time())}")


FAN_OUT_POLL_SECONDS = 2.0


def _fan_out_and_report(chosen: list[SiteConfig]) -> State:
    """Fan the run out to one child flow run per site (same parameters), then report on the children."""
    parameters = {key: value for key, value in (current_flow_run.parameters or {}).items() if key != "sites"}
    results = _fan_out(chosen, parameters)
    _publish_artifacts(_run_label(), results, {})
    return _final_state(results)


def _fan_out(chosen: list[SiteConfig], parameters: dict[str, Any]) -> dict[str, SiteSummary]:
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
    states: dict[str, State] = {}
    with get_client(sync_client=True) as client:
        while len(states) < len(children):
            time.sleep(FAN_OUT_POLL_SECONDS)
            for site_name, child in children.items():
                if site_name not in states:
                    state = client.read_flow_run(child.id).state
                    if state is not None and state.is_final():
                        states[site_name] = state
    engine = shared_engine(parameters.get("database_url"))
    results: dict[str, SiteSummary] = {}
    with session_scope(engine) as session:
        for site_name, child in children.items():
            row = runlog.run_of_flow(session, str(child.id), site_name)
            if row is None:  # the child failed before it started the site (bad parameters, crash)
                results[site_name] = SiteSummary(site_name, "failed", message=states[site_name].message or "")
                continue
            summary = SiteSummary(site_name, "completed" if row.status == "completed" else "failed")
            summary.message, summary.worker, summary.flow_run = row.message or "", row.worker or "", child.name
            for key in ("pages_fetched", "new", "duplicate", "failed", "skipped"):
                setattr(summary, key, getattr(row, key))
            results[site_name] = summary
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
    groups: list[str] | None = None,
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
    export: str | None = None,
) -> State:
    """Crawl the given sites once and store what is new. The run ends Failed only when every site failed.

    Args:
        sites: Registry names of the sites to crawl (`dangjian sites` lists them). Empty: every enabled site.
        groups: Only sites of these groups, each a selector such as anhui, level=city or anhui,county.
        since: Backfill from this day on (China time), by publication date. Empty: no lower bound.
        until: Backfill up to this day (China time). Empty: up to today.
        incremental: Start each site from the day before its last successful run (what the nightly does).
        registry_path: Path of a registry YAML file. Empty: the project's sites/sites.yaml.
        registry_vars: Values for the registry's placeholders, e.g. base_url set to `http://127.0.0.1:8765`.
        database_url: SQLAlchemy URL of the corpus database. Empty: $DATABASE_URL, else sqlite:///data/dangjian.db.
        seeds_dir: Folder of seed .txt files every page is deduplicated against. Empty: the project's seeds/.
        max_pages: At most this many responses per site in this run (overrides the registry's max_pages).
        keep_raw: Keep the raw-page files of a successful run under data/runs/ (they are deleted otherwise).
        fan_out: Start one flow run per site, so that every worker of the pool takes a share.
        export: Folder to write this run's new articles to, as articles-YYYYMMDD-HHMMSS.parquet. Empty: none.
    """
    try:
        since_day, until_day = validate_window(since, until)
        chosen = select_sites(load_registry(registry_path, registry_vars or {}), sites, groups)
        if max_pages is not None:
            validate_max_pages(max_pages)
    except ValueError as exc:  # RegistryError is a ValueError too
        return _rejected(exc)
    if fan_out and current_deployment.name:
        return _fan_out_and_report(chosen)
    if fan_out:
        get_run_logger().info("fan_out needs a deployment (workers to fan out to); running every site here")
    try:
        engine = open_database(database_url, seeds_dir)
    except RunRejected as exc:
        return _rejected(exc)
    label, started_at = _run_label(), datetime.now(UTC)
    run_dir = data_dir() / "runs" / label
    run_dir.mkdir(parents=True, exist_ok=True)
    runs = [prepare_site(engine, site, label, run_dir, incremental, since_day, until_day) for site in chosen]
    started = [start_site(run, max_pages, database_url) for run in runs]
    with heartbeat_while(engine, [run.run_id for run in runs]):
        settled = {s.run.site.name: settle_site(s, database_url, keep_raw) for s in started}
    with session_scope(engine) as session:
        duplicates = duplicates_of_flow_run(session, label)
    results = {name: summary for name, (summary, _) in settled.items()}
    quiet = {name: streak for name, (_, streak) in settled.items() if streak >= quiet_runs_threshold()}
    exported = export_run(database_url, Path(export), started_at, flow_run_id=label) if export else None
    _publish_artifacts(label, results, quiet, exported, duplicates)
    return _final_state(results)


def open_database(database_url: str | None, seeds_dir: str | None) -> Engine:
    """Migrate the database to the current schema and index the seed corpus into it.

    An unreachable, corrupt or foreign database is an expected failure: RunRejected, one line.
    """
    try:
        check_database(database_url, require_head=False)  # reachable, not corrupt, not from the future
        upgrade(database_url)
        engine = shared_engine(database_url)
        indexed, removed = sync_seed_corpus(engine, Path(seeds_dir) if seeds_dir else DEFAULT_SEEDS_DIR)
    except DatabaseProblem as exc:
        raise RunRejected(str(exc)) from exc
    except (SQLAlchemyError, ArgumentError, CommandError, ImportError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc) else type(exc).__name__
        raise RunRejected(f"database {shown_url(resolve_database_url(database_url))} cannot be used: {reason}") from exc
    get_run_logger().info("seed corpus: %s file(s) (re)indexed, %s removed", indexed, removed)
    return engine


def prepare_site(
    engine: Engine,
    site: SiteConfig,
    label: str,
    run_dir: Path,
    incremental: bool,
    since: date | None,
    until: date | None,
) -> SiteRun:
    """Open the site's run row, choose its window, and write the files its crawl reads."""
    logger = get_run_logger()
    # Conditional GET of list pages on nightly runs only: a 304 says "nothing new since the last
    # nightly", which says nothing about the older pages a backfill window asks for.
    nightly = incremental and since is None and until is None
    with session_scope(engine) as session:
        interrupted = runlog.mark_stale_runs_interrupted(session, site.name)
        if interrupted:
            logger.warning("%s: %s earlier run(s) never finished; marked interrupted", site.name, interrupted)
        if incremental and since is None:
            last = runlog.last_successful_run_start(session, site.name)
            # one day of overlap: a page published late in the evening of the last run is not missed
            since = (last.astimezone(CHINA_TZ).date() - timedelta(days=1)) if last else None
        row = runlog.start_run(
            session, label, site.name, since.isoformat() if since else None, until.isoformat() if until else None
        )
        known_file = run_dir / f"{site.name}.known.txt"
        known_file.write_text(
            "".join(url + "\n" for url in references.known_canonical_urls(session, site.name)), "utf-8"
        )
        validators_file: Path | None = None
        if nightly:
            validators_file = run_dir / f"{site.name}.validators.json"
            validators_file.write_text(json.dumps(runlog.list_validators(session, site.name), ensure_ascii=False))
        return SiteRun(site, row.id, since, until, run_dir / f"{site.name}.jsonl", known_file, validators_file)


def start_site(run: SiteRun, max_pages: int | None, database_url: str | None) -> StartedSite:
    """Submit the site's crawl, and its processing, which follows the crawl's file as it grows."""
    name = run.site.name
    crawl = crawl_site.with_options(task_run_name=f"crawl-{name}").submit(run, max_pages)
    crawl_ended = threading.Event()
    crawl.add_done_callback(_setter(crawl_ended))
    process = process_site.with_options(task_run_name=f"process-{name}").submit(
        run, database_url, crawl_finished=crawl_ended.is_set
    )
    return StartedSite(run, crawl, process, time.monotonic())


def settle_site(started: StartedSite, database_url: str | None, keep_raw: bool) -> tuple[SiteSummary, int]:
    """Wait for the site's tasks, decide whether the site worked, and finish its run."""
    run, logger = started.run, get_run_logger()
    crawl_error: Exception | None = None
    stats: dict[str, Any] = {}
    try:
        stats = started.crawl.result().stats
    except Exception as exc:  # the crawl process died or timed out, even after its retry
        crawl_error = exc
    try:
        summary = started.process.result()  # what the crawl wrote before it failed is kept
    except Exception as exc:  # one site failing must not stop the others
        summary = SiteSummary(site=run.site.name, status="failed", message=f"processing failed: {exc}")
    summary.left_for_later = keys.left_for_later(stats)
    # Articles the crawl did not fetch because they are stored already: skipped too, as the crawl says.
    summary.skipped += int(stats.get(keys.ARTICLES_ALREADY_KNOWN, 0))
    if crawl_error is not None:
        summary.status, summary.message = "failed", str(crawl_error)
    elif not stats.get(keys.LIST_PAGES_OK):
        # Not one column page could be read: the site is down, gone, or unreachable from here.
        summary.status = "failed"
        summary.message = summary.errors[0][1] if summary.errors else "no list page could be fetched"
    if summary.status == "failed":  # one line per failed site: its page errors are in the run report
        logger.error("site %s failed: %s", run.site.name, summary.message)
    else:
        for url, reason in summary.errors[:5]:
            logger.warning("%s: %s (%s)", run.site.name, reason, url)
    if not keep_raw:
        run.raw_path.unlink(missing_ok=True)
    state = finish_site.with_options(task_run_name=f"{FINISH_TASK_PREFIX}{run.site.name}")(
        run, summary, crawl_error is None, database_url, return_state=True
    )
    streak = cast(int, state.result()) if state.is_completed() else 0
    if streak >= quiet_runs_threshold():
        logger.warning("%s: %s completed runs in a row without a new article", run.site.name, streak)
        emit_site_quiet(run.site.name, streak)
    summary.duration_s = round(time.monotonic() - started.submitted, 2)
    return summary, streak


def _rejected(exc: Exception) -> Any:
    """The run cannot start: Failed with the reason, logged as one line (no traceback: it is expected)."""
    get_run_logger().error("%s", exc)
    return Failed(message=str(exc), data=exc if isinstance(exc, RunRejected) else RunRejected(str(exc)))


def _final_state(results: dict[str, SiteSummary]) -> State:
    """Completed, or Failed when every site failed; the data is the per-site results (see run_results)."""
    data = {name: asdict(summary) for name, summary in results.items()}
    failed = [name for name, summary in results.items() if summary.status == "failed"]
    if results and len(failed) == len(results):
        message = f"every site failed: {', '.join(failed)}"
        return Failed(message=message, data=AllSitesFailed(message, data))
    message = f"{len(results) - len(failed)} site(s) completed"
    if failed:
        message += f"; failed: {', '.join(failed)} (see the run report artifact)"
    return Completed(message=message, data=data)


def run_results(state: State) -> dict[str, SiteSummary]:
    """The per-site results of a finished ingest run, also when it ended Failed because every site failed.

    The run's state carries them as plain data (what the UI and the API show); they come back typed.
    A run rejected before any site started (bad parameters, unusable database) raises its reason.
    """
    data = state.result(raise_on_failure=False)
    if isinstance(data, AllSitesFailed):
        data = data.results
    if isinstance(data, BaseException):
        raise data
    return {name: SiteSummary.from_dict(row) for name, row in cast("dict[str, dict[str, Any]]", data).items()}


def _publish_artifacts(
    label: str,
    results: dict[str, SiteSummary],
    quiet: dict[str, int],
    exported: Path | None = None,
    duplicates: Sequence[RunDuplicate] = (),
) -> None:
    """The run report (markdown) and the table of new articles, visible on the flow run in the UI."""
    markdown = run_markdown(f"Ingest run {label}", results, quiet)
    if duplicates:
        markdown += "\n" + duplicates_markdown(duplicates) + "\n"
    if exported is not None:
        markdown += f"\n## Export\n\nThis run's new articles: `{exported.resolve()}`\n"
    create_markdown_artifact(
        markdown=markdown,
        key="ingest-report",
        description="Per-site counts, top errors and quiet sites of this run",
    )
    rows = new_article_rows(results)
    if not rows:  # a table of one empty row read as a broken report
        create_markdown_artifact(markdown=NO_NEW_ARTICLES, key="new-articles", description="no new articles")
        return
    create_table_artifact(table=rows, key="new-articles", description=f"{len(rows)} new article(s), newest first")
