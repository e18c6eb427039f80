"""`dangjian check`: re-validate registry entries against their live portals."""

from __future__ import annotations

import argparse

from dangjian.commands.common import group_arg, registry_args


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("check", help="re-validate registry entries against their live portals")
    p.add_argument("--site", action="append", default=[], metavar="NAME", help="entry to check (repeatable)")
    group_arg(p)
    registry_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dangjian.check import run

    return run(args)
