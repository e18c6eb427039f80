"""``dangjian``: the project's command line.

Subcommands are thin: they parse arguments, call the same functions the
Prefect flow uses, and print. Errors a user can cause (bad dates, unknown
sites, a broken registry, an unreachable database) end with a one-line
message and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from dangjian import terminal

EXIT_USAGE = 2
EXIT_ALL_SITES_FAILED = 3
EXIT_PREFECT_UNAVAILABLE = 4
EXIT_RECORDS_LOST = 5  # import-warc, reprocess: unreadable WARC records were skipped (the rest is stored)


class PrefectUnavailable(RuntimeError):
    """Prefect's API could not be reached or started: nothing was crawled."""


def _prefect_unavailable(exc: RuntimeError) -> PrefectUnavailable | None:
    """Prefect raises a plain RuntimeError when its temporary API does not start; say what to do instead."""
    if "ephemeral Prefect API" not in str(exc):
        return None
    waited = os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "?")
    return PrefectUnavailable(
        f"Prefect's temporary API server did not start within {waited} s (is the machine busy?); "
        "try again, raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or start `make server` and "
        "set PREFECT_API_URL=http://127.0.0.1:4200/api"
    )


SUMMARY_COLUMNS = ("pages_fetched", "new", "duplicate", "failed", "skipped", "duration_s")


def _day(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {value!r}") from exc
    return value


MAX_PROBE_DELAY_S = 60.0


def _delay(value: str) -> float:
    """Seconds between the probe's requests: a finite number from 0 to 60 (``inf`` waited 150 s, then failed)."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds <= MAX_PROBE_DELAY_S:  # False for nan; inf and negatives are out of range
        raise argparse.ArgumentTypeError(f"expected seconds from 0 to {MAX_PROBE_DELAY_S:g}, got {value!r}")
    return seconds


def print_json(dumped: str) -> None:
    """JSON of crawled content on the terminal: control and bidi characters as \\uXXXX, the same data."""
    print(terminal.json_text(dumped))


def format_summary(results: dict[str, dict[str, Any]]) -> str:
    """A plain table: one row per site, then one error line per failed site."""
    header = ["site", "status", *SUMMARY_COLUMNS]
    rows = [[name, r.get("status", "")] + [str(r.get(c, "")) for c in SUMMARY_COLUMNS] for name, r in results.items()]
    totals = (
        ["TOTAL", ""] + [str(sum(int(r.get(c, 0) or 0) for r in results.values())) for c in SUMMARY_COLUMNS[:-1]] + [""]
    )
    table = [header, *rows, totals]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in table]
    for name, r in results.items():
        if r.get("status") == "failed":
            lines.append(f"error: {name}: {terminal.line(r.get('message') or 'failed')}")
        if r.get("left_for_later"):  # never completed, so in no table: the next run fetches them
            lines.append(f"{name}: left for later: {r['left_for_later']}")
    return "\n".join(lines)


def cmd_ingest(args: argparse.Namespace) -> int:
    from crawlers.registry import load_registry, parse_placeholders, select_sites
    from flows.ingest import ingest, run_results, validate_window
    from flows.temporary_api import start_temporary_api
    from storage.migrate import check_database

    # Fail fast on what the user can fix, before Prefect or any crawl starts: one line, no traceback.
    validate_window(args.since, args.until)
    select_sites(load_registry(args.registry, parse_placeholders(args.var)), args.site or None)
    check_database(args.database_url, require_head=False)  # the flow migrates; unreachable/corrupt stops here
    try:
        start_temporary_api()  # without a Prefect server: one that dies with this process, however it ends
        state = ingest(
            sites=args.site or None,
            since=args.since,
            until=args.until,
            incremental=args.incremental,
            registry_path=args.registry,
            registry_vars=parse_placeholders(args.var),
            database_url=args.database_url,
            seeds_dir=args.seeds,
            max_pages=args.max_pages,
            return_state=True,
        )
    except RuntimeError as exc:
        unavailable = _prefect_unavailable(exc)
        if unavailable is None:
            raise
        raise unavailable from exc
    results = run_results(state)
    if args.json:
        print_json(json.dumps(results, ensure_ascii=False, default=str, indent=1))
    else:
        print(terminal.text(format_summary(results)))
    if results and all(r.get("status") == "failed" for r in results.values()):
        return EXIT_ALL_SITES_FAILED
    return 0


def _read_input(path: str) -> bytes:
    data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    if not data.strip():
        raise ValueError(f"{'stdin' if path == '-' else path} is empty")
    return data


def cmd_extract(args: argparse.Namespace) -> int:
    """One page → the JSON the pipeline would store (same code as the flow's extract and normalize)."""
    from process.analyze import too_large, without_inline_data
    from steps.decode import decode_html
    from steps.extract import ExtractionError, extract_article
    from steps.normalize import normalize_text

    body = without_inline_data(_read_input(args.file))
    if reason := too_large(body):  # the pipeline's bound: a 50 MB page ran > 600 s here without it
        raise ExtractionError(reason)
    html = body.decode(args.encoding, errors="replace") if args.encoding else decode_html(body).text
    art = extract_article(html, args.url)
    norm = normalize_text(art.text)
    print_json(
        json.dumps(
            {
                "url": art.url,
                "title": art.title,
                "published_at": art.published_at.isoformat() if art.published_at else None,
                "source": art.source,
                "author": art.author,
                "editor": art.editor,
                "text": art.text,
                "text_normalized": norm.text_normalized,
                "script": norm.script,
                "language": norm.language,
                "flags": art.flags,
            },
            ensure_ascii=False,
            indent=None if args.compact else 1,
        )
    )
    return 0


def cmd_dedup_check(args: argparse.Namespace) -> int:
    """Judge text files against the reference corpus exactly as the pipeline would; one JSON line each."""
    import tempfile

    from process.decide import find_duplicate
    from process.seeds import prepare_reference_text, sync_seed_corpus
    from steps import dedup
    from steps.normalize import detect_script
    from storage.db import make_engine, session_scope
    from storage.migrate import check_database, upgrade

    with tempfile.TemporaryDirectory(prefix="dangjian-dedup-") as tmp:
        if args.corpus or args.seeds:
            # An explicit folder replaces seeds + database: index it into a throwaway database.
            url = f"sqlite:///{Path(tmp) / 'corpus.db'}"
            corpus = Path(args.corpus or args.seeds)
            if not corpus.is_dir():
                raise ValueError(f"--corpus {corpus} is not a folder")
            upgrade(url)
        else:
            # The database as the last ingest left it (its seeds included): a check never writes, so
            # it neither migrates nor re-indexes the seeds.
            url, corpus = args.database_url, None
            check_database(url)
        engine = make_engine(url)
        try:
            if corpus is not None:
                sync_seed_corpus(engine, corpus)
            for name in args.files:
                text = _read_input(name).decode("utf-8", errors="replace")
                normalized = prepare_reference_text(text)
                fp = dedup.fingerprint(normalized)
                with session_scope(engine) as session:
                    match = find_duplicate(session, fp, normalized, detect_script(normalized))
                print(
                    json.dumps(
                        {
                            "file": name,
                            "duplicate": match is not None,
                            "duplicate_of": match[0].label if match else None,
                            "similarity": round(match[1], 4) if match else None,
                            "layer": match[2] if match else None,
                            **({"matched": match.detail} if match and match.detail else {}),
                        },
                        ensure_ascii=False,
                    )
                )
        finally:
            engine.dispose()
    return 0


def cmd_sites(args: argparse.Namespace) -> int:
    from crawlers.registry import load_registry, parse_placeholders

    registry = load_registry(args.registry, parse_placeholders(args.var))
    if args.json:
        print_json(json.dumps([s.to_dict() for s in registry.values()], ensure_ascii=False, indent=1))
        return 0
    for site in registry.values():
        flag = "" if site.enabled else "  (disabled)"
        print(f"{site.name:<16} {terminal.line(site.title)}{flag}")  # probe --write puts a page's title there
        for url in site.start_urls:
            print(f"{'':<16} {terminal.line(url)}")
        for label, urls in (("sitemap", site.sitemap_urls), ("feed", site.feed_urls)):
            for url in urls:
                print(f"{'':<16} {label}: {terminal.line(url)}")
        extras = []
        if site.sitemaps_from_robots:
            extras.append("sitemaps from robots.txt")
        if site.max_bytes:
            extras.append(f"max_bytes {site.max_bytes}")
        if extras:
            print(f"{'':<16} {', '.join(extras)}")
    return 0


def cmd_probe(args: argparse.Namespace) -> int:
    from dangjian.probe import run

    return run(args)


def cmd_check(args: argparse.Namespace) -> int:
    from dangjian.check import run

    return run(args)


def _positive(value: str) -> int:
    from crawlers.registry import RegistryError, validate_max_pages

    try:
        return validate_max_pages(value)
    except RegistryError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def cmd_crawl(args: argparse.Namespace) -> int:
    """Crawl one site (the flow's crawl process, nothing stored) and print what it did."""
    import subprocess
    import tempfile

    from crawlers import stats as keys
    from crawlers.registry import load_registry, parse_placeholders, select_sites
    from crawlers.report import crawl_report, format_crawl_report
    from storage.atomic import check_target
    from storage.export import sqlite_files

    if args.since and args.until and args.since > args.until:
        raise ValueError(f"--since {args.since} is after --until {args.until}")
    variables = parse_placeholders(args.var)
    (site,) = select_sites(load_registry(args.registry, variables), [args.site])
    with tempfile.TemporaryDirectory(prefix="dangjian-crawl-") as tmp:
        out = Path(args.out) if args.out else Path(tmp) / f"{site.name}.jsonl"
        if args.out:  # the report is about this crawl only: start from an empty file, never unlink a device
            check_target(out, sqlite_files(args.database_url))  # or the database (as root: /dev/null)
            out.unlink(missing_ok=True)
        stats_path = Path(tmp) / "stats.json"
        log_path = Path(tmp) / "crawl.log"
        cmd = [sys.executable, "-m", "crawlers.run", "--site", site.name, "--out", str(out), "--stats", str(stats_path)]
        if args.registry:
            cmd += ["--registry", str(args.registry)]
        for key, value in variables.items():
            cmd += ["--var", f"{key}={value}"]
        for flag, value in (("--since", args.since), ("--until", args.until), ("--max-pages", args.max_pages)):
            if value:
                cmd += [flag, str(value)]
        if args.validators:
            cmd += ["--validators", str(args.validators)]
        with log_path.open("w", encoding="utf-8") as log:
            proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=False)
        if proc.returncode != 0 or not stats_path.exists():
            tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
            tail_text = terminal.line(" | ".join(tail))
            print(f"error: crawl of {site.name} exited with {proc.returncode}: {tail_text}", file=sys.stderr)
            return 1
        stats = json.loads(stats_path.read_text(encoding="utf-8"))
        report = crawl_report(stats, out)
    if args.json:
        print_json(json.dumps({"site": site.name, **report}, ensure_ascii=False, indent=1))
    else:
        print(terminal.text(format_crawl_report(site.name, report)))
    if not stats.get(keys.LIST_PAGES_OK):
        print(f"error: {site.name}: no list page could be fetched", file=sys.stderr)
        return EXIT_ALL_SITES_FAILED
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from storage.db import database_url
    from storage.migrate import current_revision, upgrade

    upgrade(args.database_url)
    print(f"database {database_url(args.database_url)} at revision {current_revision(args.database_url)}")
    return 0


def cmd_alerts(args: argparse.Namespace) -> int:
    """Create the alert notification block and automations on the Prefect server of PREFECT_API_URL."""
    api = os.environ.get("PREFECT_API_URL")
    if not api:
        raise ValueError(
            "alerts live on a Prefect server: start `make server` and set PREFECT_API_URL (or `make alerts`)"
        )
    import httpx
    from prefect.exceptions import ObjectNotFound

    from flows.alerts import masked, setup_alerts

    try:
        done = setup_alerts(args.webhook_url, allow_private=args.allow_private)
    except ObjectNotFound as exc:
        raise ValueError("the nightly deployment is not on this server: run `make deploy` first") from exc
    except httpx.TransportError as exc:  # connection refused, DNS, timeout: a sentence, not 87 lines
        raise PrefectUnavailable(f"no Prefect server answers at PREFECT_API_URL={api} ({exc})") from exc
    print(f"notification block dangjian-alerts ({done.block_id}) posts to {masked(args.webhook_url)}")
    print(f"automations: {', '.join(str(i) for i in done.automation_ids)} (nightly failed, site quiet)")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from dangjian.corpus import corpus_filter
    from storage.db import make_engine
    from storage.export import export

    corpus = corpus_filter(args.site, args.since, args.until)
    engine = make_engine(args.database_url, reader=True)
    try:
        done = export(
            engine,
            args.format,
            Path(args.out),
            corpus,
            with_duplicates=args.with_duplicates,
            bom=args.bom,
            raw_formulas=args.csv_raw_formulas,
        )
    finally:
        engine.dispose()
    print(f"{done.rows} article(s) → {done.path}")
    if done.duplicates_path:
        print(f"{done.duplicates} duplicate(s) → {done.duplicates_path}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from dangjian.corpus import corpus_filter
    from dangjian.search import format_result, result_json, run_search

    result = run_search(args.database_url, args.phrase, corpus_filter(args.site, args.since, args.until), args.limit)
    print(result_json(result) if args.json else format_result(result))
    return 0


def cmd_browse(args: argparse.Namespace) -> int:
    from dangjian.browse import serve

    return serve(args.database_url, args.host, args.port, immutable=args.immutable)


def cmd_reprocess(args: argparse.Namespace) -> int:
    """Archived responses through today's steps into the corpus (dangjian/reprocess.py)."""
    from crawlers.registry import parse_placeholders
    from dangjian.reprocess import format_reports, reports_json, reprocess_sites

    reports = reprocess_sites(
        args.database_url,
        args.registry,
        parse_placeholders(args.var),
        args.site or None,
        date.fromisoformat(args.since) if args.since else None,
        date.fromisoformat(args.until) if args.until else None,
        dry_run=args.dry_run,
        archive_dir=Path(args.archive_dir) if args.archive_dir else None,
    )
    print(terminal.json_text(reports_json(reports)) if args.json else terminal.text(format_reports(reports)))
    return EXIT_RECORDS_LOST if any(r.losses.total for r in reports) else 0


def cmd_import_warc(args: argparse.Namespace) -> int:
    """WARC files made elsewhere into the corpus (dangjian/importwarc.py)."""
    from crawlers.registry import parse_placeholders
    from dangjian.importwarc import format_import, import_warcs

    report = import_warcs(
        args.paths, args.database_url, args.registry, parse_placeholders(args.var), args.site or None, args.seeds
    )
    print(terminal.text(format_import(report)))
    return EXIT_RECORDS_LOST if report.records_lost else 0


def cmd_runs(args: argparse.Namespace) -> int:
    """The latest runs, a killed one shown as such (dangjian/runs.py); read-only."""
    from dangjian.runs import format_runs, latest_runs

    print(terminal.text(format_runs(latest_runs(args.database_url, args.limit, args.site))))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from dangjian.show import show

    print(terminal.text(show(args.key, args.database_url)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dangjian", description="Crawl and ingest party-building portals.")
    parser.add_argument(
        "--database-url", default=None, help="SQLAlchemy URL (default: $DATABASE_URL or sqlite:///data/dangjian.db)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def registry_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--registry", default=None, help="portal registry YAML (default: crawlers/sites.yaml)")
        p.add_argument(
            "--var",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="fill a {NAME} placeholder of the registry (e.g. base_url=http://127.0.0.1:8000)",
        )
        p.add_argument("--json", action="store_true", help="print JSON instead of a table")

    p = sub.add_parser("ingest", help="run the ingest flow once and print the per-site summary")
    p.add_argument("--site", action="append", default=[], metavar="NAME", help="site to crawl (repeatable)")
    p.add_argument("--since", type=_day, default=None, metavar="YYYY-MM-DD")
    p.add_argument("--until", type=_day, default=None, metavar="YYYY-MM-DD")
    p.add_argument("--max-pages", type=_positive, default=None, help="stop each site's crawl after N responses")
    p.add_argument(
        "--incremental",
        action="store_true",
        help="start each site from its last successful run (what the nightly deployment does)",
    )
    p.add_argument("--seeds", default=None, help="seed corpus folder (default: seeds/)")
    registry_args(p)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("crawl", help="crawl one site without storing anything and print what the crawl did")
    p.add_argument("--site", required=True, metavar="NAME")
    p.add_argument("--since", type=_day, default=None, metavar="YYYY-MM-DD")
    p.add_argument("--until", type=_day, default=None, metavar="YYYY-MM-DD")
    p.add_argument("--max-pages", type=_positive, default=None, help="stop after N responses")
    p.add_argument("--out", default=None, metavar="FILE", help="keep the raw pages (JSON lines) in FILE")
    p.add_argument("--validators", default=None, metavar="FILE", help="list-page ETag/Last-Modified state file")
    registry_args(p)
    p.set_defaults(func=cmd_crawl)

    p = sub.add_parser("sites", help="list the portal registry")
    registry_args(p)
    p.set_defaults(func=cmd_sites)

    p = sub.add_parser("extract", help="extract one saved page and print the article as JSON")
    p.add_argument("file", help="HTML file, or - for standard input")
    p.add_argument("--url", required=True, help="the page's URL (dates and relative links need it)")
    p.add_argument("--encoding", default=None, help="decode with this codec instead of detecting")
    p.add_argument("--compact", action="store_true", help="one line of JSON")
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser("dedup-check", help="check text files against the reference corpus")
    p.add_argument("files", nargs="+", metavar="FILE", help="UTF-8 text files (- for standard input)")
    p.add_argument("--corpus", default=None, help="use the .txt files of DIR as the only references")
    p.add_argument("--seeds", default=None, help="like --corpus (kept for compatibility)")
    p.set_defaults(func=cmd_dedup_check)

    p = sub.add_parser("alerts", help="notify a webhook when the nightly fails or a site goes quiet (Prefect)")
    p.add_argument("--webhook-url", required=True, help="URL that receives POSTed JSON {subject, body}")
    p.add_argument(
        "--allow-private",
        action="store_true",
        help="allow a webhook on a loopback or private address (never link-local/metadata)",
    )
    p.set_defaults(func=cmd_alerts)

    p = sub.add_parser("probe", help="read a column's list page and print a registry entry for it")
    p.add_argument("url", help="the column's list page")
    p.add_argument("--name", default=None, help="entry name (default: from the host and the column path)")
    p.add_argument(
        "--delay", type=_delay, default=2.0, help="seconds between requests, 0 to 60 (also the entry's delay)"
    )
    p.add_argument("--write", action="store_true", help="append the entry to the registry after validating it")
    p.add_argument(
        "--allow-private",
        action="store_true",
        help="allow a loopback or private address (127.0.0.1, 10.x, localhost …; never link-local/metadata)",
    )
    registry_args(p)
    p.set_defaults(func=cmd_probe)

    p = sub.add_parser("check", help="re-validate registry entries against their live portals")
    p.add_argument("--site", action="append", default=[], metavar="NAME", help="entry to check (repeatable)")
    registry_args(p)
    p.set_defaults(func=cmd_check)

    def corpus_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--site", action="append", default=[], metavar="NAME", help="only this site (repeatable)")
        p.add_argument("--since", type=_day, default=None, metavar="YYYY-MM-DD", help="published on or after (China)")
        p.add_argument("--until", type=_day, default=None, metavar="YYYY-MM-DD", help="published on or before (China)")

    p = sub.add_parser("export", help="write the stored articles to a JSON-lines, CSV or Parquet file")
    p.add_argument("--format", required=True, choices=["jsonl", "csv", "parquet"])
    p.add_argument("--out", required=True, metavar="PATH", help="file to write (replaced if it exists)")
    corpus_args(p)
    p.add_argument(
        "--with-duplicates", action="store_true", help="also write the duplicate records to PATH's NAME.duplicates.EXT"
    )
    p.add_argument("--bom", action="store_true", help="CSV: start with a UTF-8 byte-order mark (for Excel)")
    p.add_argument(
        "--csv-raw-formulas",
        action="store_true",
        help="CSV: keep cells starting with = + - @ TAB CR as they are (by default they get a leading ' so a "
        "spreadsheet shows them as text instead of running them as formulas)",
    )
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("search", help="find articles containing a phrase (either script)")
    p.add_argument("phrase")
    corpus_args(p)
    p.add_argument("--limit", type=_positive, default=20, help="at most N articles (default 20)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("browse", help="read-only web view of a SQLite corpus (Datasette)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_positive, default=8001)
    p.add_argument("--immutable", action="store_true", help="a copy nothing writes to: skip locking (Datasette -i)")
    p.set_defaults(func=cmd_browse)

    p = sub.add_parser("reprocess", help="run today's extraction and dedup over the WARC archive, update the corpus")
    p.add_argument("--site", action="append", default=[], metavar="NAME", help="site (repeatable; default: all)")
    p.add_argument("--since", type=_day, default=None, metavar="YYYY-MM-DD", help="archived on or after")
    p.add_argument("--until", type=_day, default=None, metavar="YYYY-MM-DD", help="archived on or before")
    p.add_argument("--dry-run", action="store_true", help="print what would change, write nothing")
    p.add_argument("--archive-dir", default=None, help="archive root (default: $DANGJIAN_ARCHIVE_DIR or data/archive)")
    registry_args(p)
    p.set_defaults(func=cmd_reprocess)

    p = sub.add_parser("import-warc", help="ingest WARC files made elsewhere (wget, Heritrix, Common Crawl)")
    p.add_argument("paths", nargs="+", metavar="FILE_OR_DIR", help="WARC files, or folders searched for them")
    p.add_argument("--site", action="append", default=[], metavar="NAME", help="only this site (repeatable)")
    p.add_argument("--seeds", default=None, type=Path, help="seed corpus folder (default: seeds/)")
    registry_args(p)
    p.set_defaults(func=cmd_import_warc)

    p = sub.add_parser("runs", help="list the latest runs (ingest, import-warc, reprocess) and their status")
    p.add_argument("--site", default=None, metavar="NAME", help="only this site's runs")
    p.add_argument("--limit", type=_positive, default=20, help="at most N runs (default 20)")
    p.set_defaults(func=cmd_runs)

    p = sub.add_parser("show", help="print an article and every copy folded into it (read-only)")
    p.add_argument("key", metavar="URL|ID", help="article id, article or duplicate URL, or seed file name")
    p.set_defaults(func=cmd_show)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    p = db_sub.add_parser("upgrade", help="apply Alembic migrations up to the latest schema")
    p.set_defaults(func=cmd_db_upgrade)
    return parser


def _user_errors() -> tuple[type[BaseException], ...]:
    from sqlalchemy.exc import SQLAlchemyError

    from crawlers.probe import ProbeError
    from crawlers.registry import RegistryError
    from steps.extract import ExtractionError
    from storage.db import DatabaseProblem

    # LookupError: an unknown codec (--encoding); SQLAlchemyError: any database failure not already
    # turned into a DatabaseProblem (its first line is the driver's message, never the traceback).
    return (
        RegistryError,
        ExtractionError,
        ProbeError,
        DatabaseProblem,
        SQLAlchemyError,
        LookupError,
        ValueError,
        OSError,
    )


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    logging.lastResort = terminal.TerminalLogHandler()  # warnings quoting crawled text (import-warc's) printed safe
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except PrefectUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PREFECT_UNAVAILABLE
    except _user_errors() as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"error: {terminal.line(message)}", file=sys.stderr)  # messages may quote a page or a URL
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
