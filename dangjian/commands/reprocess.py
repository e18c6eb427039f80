"""`dangjian reprocess`: run today's extraction and dedup over the WARC archive, update the corpus."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from dangjian import terminal
from dangjian.commands.common import EXIT_RECORDS_LOST, day_arg, registry_args


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("reprocess", help="run today's extraction and dedup over the WARC archive, update the corpus")
    p.add_argument("--site", action="append", default=[], metavar="NAME", help="site (repeatable; default: all)")
    p.add_argument("--since", type=day_arg, default=None, metavar="YYYY-MM-DD", help="archived on or after")
    p.add_argument("--until", type=day_arg, default=None, metavar="YYYY-MM-DD", help="archived on or before")
    p.add_argument("--dry-run", action="store_true", help="print what would change, write nothing")
    p.add_argument("--archive-dir", default=None, help="archive root (default: $DANGJIAN_ARCHIVE_DIR or data/archive)")
    registry_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Archived responses through today's steps into the corpus (dangjian/reprocess.py)."""
    from dangjian.reprocess import format_reports, reports_json, reprocess_sites
    from sites.registry import parse_placeholders

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
