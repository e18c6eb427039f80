"""`dangjian import-warc`: ingest WARC files made elsewhere (wget, Heritrix, Common Crawl)."""

from __future__ import annotations

import argparse
from pathlib import Path

from dangjian import terminal
from dangjian.commands.common import EXIT_RECORDS_LOST, registry_args


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("import-warc", help="ingest WARC files made elsewhere (wget, Heritrix, Common Crawl)")
    p.add_argument("paths", nargs="+", metavar="FILE_OR_DIR", help="WARC files, or folders searched for them")
    p.add_argument("--site", action="append", default=[], metavar="NAME", help="only this site (repeatable)")
    p.add_argument("--seeds", default=None, type=Path, help="seed corpus folder (default: seeds/)")
    registry_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """WARC files made elsewhere into the corpus (dangjian/importwarc.py)."""
    from dangjian.importwarc import format_import, import_warcs
    from sites.registry import parse_placeholders

    report = import_warcs(
        args.paths, args.database_url, args.registry, parse_placeholders(args.var), args.site or None, args.seeds
    )
    print(terminal.text(format_import(report)))
    return EXIT_RECORDS_LOST if report.records_lost else 0
