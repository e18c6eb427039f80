"""`dangjian ingest`: run the ingest flow once and print the per-site summary."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING

from dangjian import terminal
from dangjian.commands.common import (
    EXIT_ALL_SITES_FAILED,
    day_arg,
    group_arg,
    positive_int,
    prefect_unavailable,
    print_json,
    registry_args,
)

if TYPE_CHECKING:  # the command's --help must not import the processing core
    from process.run import SiteSummary

SUMMARY_COLUMNS = ("pages_fetched", "new", "duplicate", "failed", "skipped", "duration_s")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("ingest", help="run the ingest flow once and print the per-site summary")
    p.add_argument("--site", action="append", default=[], metavar="NAME", help="site to crawl (repeatable)")
    group_arg(p)
    p.add_argument("--since", type=day_arg, default=None, metavar="YYYY-MM-DD")
    p.add_argument("--until", type=day_arg, default=None, metavar="YYYY-MM-DD")
    p.add_argument("--max-pages", type=positive_int, default=None, help="stop each site's crawl after N responses")
    p.add_argument(
        "--incremental",
        action="store_true",
        help="start each site from its last successful run (what the nightly deployment does)",
    )
    p.add_argument("--seeds", default=None, help="seed corpus folder (default: seeds/)")
    registry_args(p)
    p.set_defaults(func=run)


def format_summary(results: Mapping[str, SiteSummary]) -> str:
    """A plain table: one row per site, then one error line per failed site."""
    header = ["site", "status", *SUMMARY_COLUMNS]
    rows = [[name, r.status] + [str(getattr(r, c)) for c in SUMMARY_COLUMNS] for name, r in results.items()]
    totals = ["TOTAL", ""] + [str(sum(int(getattr(r, c)) for r in results.values())) for c in SUMMARY_COLUMNS[:-1]]
    totals.append("")
    table = [header, *rows, totals]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in table]
    for name, r in results.items():
        if r.status == "failed":
            lines.append(f"error: {name}: {terminal.line(r.message or 'failed')}")
        if r.left_for_later:  # never completed, so in no table: the next run fetches them
            lines.append(f"{name}: left for later: {r.left_for_later}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from flows.ingest import ingest, run_results, validate_window
    from flows.temporary_api import start_temporary_api
    from sites.registry import load_registry, parse_placeholders, select_sites
    from storage.migrate import check_database

    # Fail fast on what the user can fix, before Prefect or any crawl starts: one line, no traceback.
    validate_window(args.since, args.until)
    select_sites(load_registry(args.registry, parse_placeholders(args.var)), args.site or None, args.group)
    check_database(args.database_url, require_head=False)  # the flow migrates; unreachable/corrupt stops here
    try:
        start_temporary_api()  # without a Prefect server: one that dies with this process, however it ends
        state = ingest(
            sites=args.site or None,
            groups=args.group or None,
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
        unavailable = prefect_unavailable(exc)
        if unavailable is None:
            raise
        raise unavailable from exc
    results = run_results(state)
    if args.json:
        plain = {name: asdict(summary) for name, summary in results.items()}
        print_json(json.dumps(plain, ensure_ascii=False, default=str, indent=1))
    else:
        print(terminal.text(format_summary(results)))
    if results and all(r.status == "failed" for r in results.values()):
        return EXIT_ALL_SITES_FAILED
    return 0
