"""What the subcommands share: exit codes, argument types and groups, and printing crawled content safely."""

from __future__ import annotations

import argparse
import math
import os
import sys
from datetime import date
from pathlib import Path

from dangjian import terminal

EXIT_USAGE = 2

EXIT_ALL_SITES_FAILED = 3

EXIT_PREFECT_UNAVAILABLE = 4

EXIT_RECORDS_LOST = 5  # import-warc, reprocess: unreadable WARC records were skipped (the rest is stored)


class PrefectUnavailable(RuntimeError):
    """Prefect's API could not be reached or started: nothing was crawled."""


def prefect_unavailable(exc: RuntimeError) -> PrefectUnavailable | None:
    """Prefect raises a plain RuntimeError when its temporary API does not start; say what to do instead."""
    if "ephemeral Prefect API" not in str(exc):
        return None
    waited = os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "?")
    return PrefectUnavailable(
        f"Prefect's temporary API server did not start within {waited} s (is the machine busy?); "
        "try again, raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or start `make server` and "
        "set PREFECT_API_URL=http://127.0.0.1:4200/api"
    )


def day_arg(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {value!r}") from exc
    return value


MAX_PROBE_DELAY_S = 60.0


def delay_arg(value: str) -> float:
    """Seconds between the probe's requests: a finite number from 0 to 60 (``inf`` waited 150 s, then failed)."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds <= MAX_PROBE_DELAY_S:  # False for nan; inf and negatives are out of range
        raise argparse.ArgumentTypeError(f"expected seconds from 0 to {MAX_PROBE_DELAY_S:g}, got {value!r}")
    return seconds


def positive_int(value: str) -> int:
    from sites.registry import RegistryError, validate_max_pages

    try:
        return validate_max_pages(value)
    except RegistryError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def print_json(dumped: str) -> None:
    """JSON of crawled content on the terminal: control and bidi characters as \\uXXXX, the same data."""
    print(terminal.json_text(dumped))


def read_input(path: str) -> bytes:
    data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    if not data.strip():
        raise ValueError(f"{'stdin' if path == '-' else path} is empty")
    return data


def group_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="SELECTOR",
        help="only sites of this group: anhui, level=city, 'anhui,county' (repeatable: all must hold)",
    )


def registry_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--registry", default=None, help="portal registry YAML (default: sites/sites.yaml)")
    p.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="fill a {NAME} placeholder of the registry (e.g. base_url=http://127.0.0.1:8000)",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def corpus_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--site", action="append", default=[], metavar="NAME", help="only this site (repeatable)")
    p.add_argument("--since", type=day_arg, default=None, metavar="YYYY-MM-DD", help="published on or after (China)")
    p.add_argument("--until", type=day_arg, default=None, metavar="YYYY-MM-DD", help="published on or before (China)")
