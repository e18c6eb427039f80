"""``dangjian``: the project's command line.

Subcommands are thin: they parse arguments, call the same functions the
Prefect flow uses, and print. Errors a user can cause (bad dates, unknown
sites, a broken registry, an unreachable database) end with a one-line
message and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

EXIT_USAGE = 2
EXIT_ALL_SITES_FAILED = 3

SUMMARY_COLUMNS = ("pages_fetched", "new", "duplicate", "failed", "skipped", "duration_s")


def _day(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {value!r}") from exc
    return value


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
            lines.append(f"error: {name}: {r.get('message') or 'failed'}")
    return "\n".join(lines)


def cmd_ingest(args: argparse.Namespace) -> int:
    from crawlers.registry import load_registry, parse_placeholders, select_sites
    from flows.ingest import ingest, validate_window

    # Fail fast on what the user can fix, before Prefect or any crawl starts.
    validate_window(args.since, args.until)
    select_sites(load_registry(args.registry, parse_placeholders(args.var)), args.site or None)
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
    results = state.result(raise_on_failure=False)
    if isinstance(results, BaseException):
        raise results
    if args.json:
        print(json.dumps(results, ensure_ascii=False, default=str, indent=1))
    else:
        print(format_summary(results))
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
    from steps.decode import decode_html
    from steps.extract import extract_article
    from steps.normalize import normalize_text

    body = _read_input(args.file)
    html = body.decode(args.encoding, errors="replace") if args.encoding else decode_html(body).text
    art = extract_article(html, args.url)
    norm = normalize_text(art.text)
    print(
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
    from storage.db import make_engine, session_scope
    from storage.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="dangjian-dedup-") as tmp:
        if args.corpus:
            # An explicit corpus replaces seeds + database: index it into a throwaway database.
            url = f"sqlite:///{Path(tmp) / 'corpus.db'}"
            corpus = Path(args.corpus)
            if not corpus.is_dir():
                raise ValueError(f"--corpus {corpus} is not a folder")
        else:
            url = args.database_url
            corpus = Path(args.seeds) if args.seeds else Path(__file__).resolve().parent.parent / "seeds"
        upgrade(url)
        engine = make_engine(url)
        try:
            sync_seed_corpus(engine, corpus)
            for name in args.files:
                text = _read_input(name).decode("utf-8", errors="replace")
                fp = dedup.fingerprint(prepare_reference_text(text))
                with session_scope(engine) as session:
                    match = find_duplicate(session, fp)
                print(
                    json.dumps(
                        {
                            "file": name,
                            "duplicate": match is not None,
                            "duplicate_of": match[0].label if match else None,
                            "similarity": round(match[1], 4) if match else None,
                            "layer": match[2] if match else None,
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
        print(json.dumps([s.to_dict() for s in registry.values()], ensure_ascii=False, indent=1))
        return 0
    for site in registry.values():
        flag = "" if site.enabled else "  (disabled)"
        print(f"{site.name:<16} {site.title}{flag}")
        for url in site.start_urls:
            print(f"{'':<16} {url}")
        for label, urls in (("sitemap", site.sitemap_urls), ("feed", site.feed_urls)):
            for url in urls:
                print(f"{'':<16} {label}: {url}")
        extras = []
        if site.sitemaps_from_robots:
            extras.append("sitemaps from robots.txt")
        if site.max_bytes:
            extras.append(f"max_bytes {site.max_bytes}")
        if extras:
            print(f"{'':<16} {', '.join(extras)}")
    return 0


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}")
    return number


def cmd_crawl(args: argparse.Namespace) -> int:
    """Crawl one site (the flow's crawl process, nothing stored) and print what it did."""
    import subprocess
    import tempfile

    from crawlers.registry import load_registry, parse_placeholders, select_sites
    from crawlers.report import LIST_PAGES_OK, crawl_report, format_crawl_report

    if args.since and args.until and args.since > args.until:
        raise ValueError(f"--since {args.since} is after --until {args.until}")
    variables = parse_placeholders(args.var)
    (site,) = select_sites(load_registry(args.registry, variables), [args.site])
    with tempfile.TemporaryDirectory(prefix="dangjian-crawl-") as tmp:
        out = Path(args.out) if args.out else Path(tmp) / f"{site.name}.jsonl"
        if args.out:
            out.unlink(missing_ok=True)  # the report is about this crawl only
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
            print(f"error: crawl of {site.name} exited with {proc.returncode}: {' | '.join(tail)}", file=sys.stderr)
            return 1
        stats = json.loads(stats_path.read_text(encoding="utf-8"))
        report = crawl_report(stats, out)
    if args.json:
        print(json.dumps({"site": site.name, **report}, ensure_ascii=False, indent=1))
    else:
        print(format_crawl_report(site.name, report))
    if not stats.get(LIST_PAGES_OK):
        print(f"error: {site.name}: no list page could be fetched", file=sys.stderr)
        return EXIT_ALL_SITES_FAILED
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from storage.db import database_url
    from storage.migrate import current_revision, upgrade

    upgrade(args.database_url)
    print(f"database {database_url(args.database_url)} at revision {current_revision(args.database_url)}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from dangjian.show import show

    print(show(args.key, args.database_url))
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
    p.add_argument("--max-pages", type=int, default=None, help="stop each site's crawl after N responses")
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
    p.add_argument("--seeds", default=None, help="seed folder to index with the database (default: seeds/)")
    p.set_defaults(func=cmd_dedup_check)

    p = sub.add_parser("show", help="print an article and every copy folded into it (read-only)")
    p.add_argument("key", metavar="URL|ID", help="article id, article or duplicate URL, or seed file name")
    p.set_defaults(func=cmd_show)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    p = db_sub.add_parser("upgrade", help="apply Alembic migrations up to the latest schema")
    p.set_defaults(func=cmd_db_upgrade)
    return parser


def _user_errors() -> tuple[type[BaseException], ...]:
    from sqlalchemy.exc import OperationalError

    from crawlers.registry import RegistryError
    from steps.extract import ExtractionError

    return (RegistryError, ExtractionError, OperationalError, ValueError, OSError)


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except _user_errors() as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
