"""`dangjian db`: database maintenance."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    p = db_sub.add_parser("upgrade", help="apply Alembic migrations up to the latest schema")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from storage.db import database_url
    from storage.migrate import current_revision, upgrade

    upgrade(args.database_url)
    print(f"database {database_url(args.database_url)} at revision {current_revision(args.database_url)}")
    return 0
