"""`dangjian browse`: read-only web view of a SQLite corpus (Datasette)."""

from __future__ import annotations

import argparse

from dangjian.commands.common import positive_int


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("browse", help="read-only web view of a SQLite corpus (Datasette)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=positive_int, default=8001)
    p.add_argument("--immutable", action="store_true", help="a copy nothing writes to: skip locking (Datasette -i)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dangjian.browse import serve

    return serve(args.database_url, args.host, args.port, immutable=args.immutable)
