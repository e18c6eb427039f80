"""`dangjian runs`: list the latest runs (ingest, import-warc, reprocess) and their status."""

from __future__ import annotations

import argparse

from dangjian import terminal
from dangjian.commands.common import positive_int


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("runs", help="list the latest runs (ingest, import-warc, reprocess) and their status")
    p.add_argument("--site", default=None, metavar="NAME", help="only this site's runs")
    p.add_argument("--limit", type=positive_int, default=20, help="at most N runs (default 20)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """The latest runs, a killed one shown as such (dangjian/runs.py); read-only."""
    from dangjian.runs import format_runs, latest_runs

    print(terminal.text(format_runs(latest_runs(args.database_url, args.limit, args.site))))
    return 0
