"""`dangjian search`: find articles containing a phrase (either script)."""

from __future__ import annotations

import argparse

from dangjian.commands.common import corpus_args, positive_int


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("search", help="find articles containing a phrase (either script)")
    p.add_argument("phrase")
    corpus_args(p)
    p.add_argument("--limit", type=positive_int, default=20, help="at most N articles (default 20)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dangjian.corpus import corpus_filter
    from dangjian.search import format_result, result_json, run_search

    result = run_search(args.database_url, args.phrase, corpus_filter(args.site, args.since, args.until), args.limit)
    print(result_json(result) if args.json else format_result(result))
    return 0
