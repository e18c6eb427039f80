"""`dangjian probe`: read a column's list page and print a registry entry for it."""

from __future__ import annotations

import argparse

from dangjian.commands.common import delay_arg, registry_args


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("probe", help="read a column's list page and print a registry entry for it")
    p.add_argument("url", help="the column's list page")
    p.add_argument("--name", default=None, help="entry name (default: from the host and the column path)")
    p.add_argument(
        "--delay", type=delay_arg, default=2.0, help="seconds between requests, 0 to 60 (also the entry's delay)"
    )
    p.add_argument("--write", action="store_true", help="append the entry to the registry after validating it")
    p.add_argument(
        "--allow-private",
        action="store_true",
        help="allow a loopback or private address (127.0.0.1, 10.x, localhost …; never link-local/metadata)",
    )
    registry_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dangjian.probe import run

    return run(args)
