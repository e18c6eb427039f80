"""`dangjian crawl`: crawl one site without storing anything and print what the crawl did."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dangjian import terminal
from dangjian.commands.common import EXIT_ALL_SITES_FAILED, day_arg, positive_int, print_json, registry_args


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("crawl", help="crawl one site without storing anything and print what the crawl did")
    p.add_argument("--site", required=True, metavar="NAME")
    p.add_argument("--since", type=day_arg, default=None, metavar="YYYY-MM-DD")
    p.add_argument("--until", type=day_arg, default=None, metavar="YYYY-MM-DD")
    p.add_argument("--max-pages", type=positive_int, default=None, help="stop after N responses")
    p.add_argument(
        "--out",
        default=None,
        metavar="FILE",
        help="keep the raw pages (JSON lines) in FILE, their WARC records in FILE.warc/",
    )
    p.add_argument("--validators", default=None, metavar="FILE", help="list-page ETag/Last-Modified state file")
    registry_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Crawl one site (the flow's crawl process, nothing stored) and print what it did."""
    import tempfile

    from crawljob import stats as keys
    from crawljob.report import crawl_report, format_crawl_report
    from crawljob.request import CrawlFailed, CrawlRequest, run_crawl
    from sites.registry import load_registry, parse_placeholders, select_sites
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
        request = CrawlRequest(
            site=site.name,
            out=out,
            stats=Path(tmp) / "stats.json",
            registry=args.registry,
            variables=variables,
            since=args.since,
            until=args.until,
            max_pages=args.max_pages,
            validators=args.validators,
            # Never the production archive (reprocess and import-warc read that): with --out the WARC files
            # the raw pages refer to lie beside it, else they go with the temporary folder.
            archive_dir=out.with_name(out.name + ".warc") if args.out else Path(tmp) / "archive",
        )
        try:
            stats = run_crawl(request, Path(tmp) / "crawl.log").stats
        except CrawlFailed as exc:
            print(f"error: {terminal.line(str(exc))}", file=sys.stderr)
            return 1
        report = crawl_report(stats, out)
    if args.json:
        print_json(json.dumps({"site": site.name, **report.to_dict()}, ensure_ascii=False, indent=1))
    else:
        print(terminal.text(format_crawl_report(site.name, report)))
    if not stats.get(keys.LIST_PAGES_OK):
        print(f"error: {site.name}: no list page could be fetched", file=sys.stderr)
        return EXIT_ALL_SITES_FAILED
    return 0
