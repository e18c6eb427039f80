"""``dangjian``: the project's command line, assembled from one module per subcommand (dangjian/commands/).

Subcommands are thin: they parse arguments, call the same functions the Prefect flow uses, and print.
Errors a user can cause (bad dates, unknown sites, a broken registry, an unreachable database) end with a
one-line message and a non-zero exit code, never a traceback; a closed pipe (``| head``) is a normal end.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from dangjian import terminal
from dangjian.commands import (
    alerts,
    browse,
    check,
    crawl,
    db,
    dedup_check,
    export,
    extract,
    import_warc,
    ingest,
    probe,
    reprocess,
    runs,
    search,
    show,
    sites,
)
from dangjian.commands.common import EXIT_PREFECT_UNAVAILABLE, EXIT_USAGE, PrefectUnavailable

# In the order `dangjian --help` lists them.
COMMANDS = (
    ingest,
    crawl,
    sites,
    extract,
    dedup_check,
    alerts,
    probe,
    check,
    export,
    search,
    browse,
    reprocess,
    import_warc,
    runs,
    show,
    db,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dangjian", description="Crawl and ingest party-building portals.")
    parser.add_argument(
        "--database-url", default=None, help="SQLAlchemy URL (default: $DATABASE_URL or sqlite:///data/dangjian.db)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    return parser


def _user_errors() -> tuple[type[BaseException], ...]:
    from sqlalchemy.exc import SQLAlchemyError

    from probe.onboard import ProbeError
    from sites.registry import RegistryError
    from steps.extract import ExtractionError
    from storage.db import DatabaseProblem

    # LookupError: an unknown codec (--encoding); SQLAlchemyError: any database failure not already
    # turned into a DatabaseProblem (its first line is the driver's message, never the traceback).
    return (
        RegistryError,
        ExtractionError,
        ProbeError,
        DatabaseProblem,
        SQLAlchemyError,
        LookupError,
        ValueError,
        OSError,
    )


def _stdout_to_devnull() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush at exit does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is no file (a test's StringIO): nothing will flush to the pipe
        pass
    finally:
        os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    logging.lastResort = terminal.TerminalLogHandler()  # warnings quoting crawled text (import-warc's) printed safe
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except BrokenPipeError:  # `dangjian search … | head`: the reader has all it wanted, a normal end
        _stdout_to_devnull()
        return 0
    except PrefectUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PREFECT_UNAVAILABLE
    except _user_errors() as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"error: {terminal.line(message)}", file=sys.stderr)  # messages may quote a page or a URL
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
