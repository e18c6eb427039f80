"""`dangjian show`: print an article and every copy folded into it (read-only)."""

from __future__ import annotations

import argparse

from dangjian import terminal


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("show", help="print an article and every copy folded into it (read-only)")
    p.add_argument("key", metavar="URL|ID", help="article id, article or duplicate URL, or seed file name")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dangjian.show import show

    print(terminal.text(show(args.key, args.database_url)))
    return 0
