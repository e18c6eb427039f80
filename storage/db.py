"""Engine and session: the only place that knows how to reach the database.

``DATABASE_URL`` picks the backend (default: a SQLite file under ``data/``);
everything else goes through SQLAlchemy constructs so the same code runs on
PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DATABASE_URL = "sqlite:///data/dangjian.db"
SUPPORTED_BACKENDS = ("sqlite", "postgresql")


class DatabaseProblem(Exception):
    """An expected database failure (bad URL, unreachable, corrupt, wrong schema): one line, no traceback."""


def shown_url(url: str | URL) -> str:
    """The URL for messages: the password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(str(url))


def parse_database_url(url: str | None = None) -> URL:
    """The URL, checked: parseable, a supported backend, its driver installed."""
    raw = database_url(url)
    try:
        resolved = make_url(raw)
    except ArgumentError as exc:
        raise DatabaseProblem(
            f"{raw!r} is not a database URL (expected e.g. sqlite:///data/dangjian.db or postgresql+psycopg://…)"
        ) from exc
    backend = resolved.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise DatabaseProblem(f"unsupported database {backend!r} in {shown_url(resolved)} (use sqlite or postgresql)")
    try:
        resolved.get_dialect().import_dbapi()
    except (ImportError, NoSuchModuleError) as exc:
        raise DatabaseProblem(f"the driver of {shown_url(resolved)} is not installed: {exc}") from exc
    return resolved


def database_url(url: str | None = None) -> str:
    """The URL to use: explicit argument, else ``DATABASE_URL``, else the SQLite default."""
    return url or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (the UI, queries) run while a flow writes; busy_timeout
    # makes concurrent site tasks wait for the write lock instead of failing.
    dbapi_connection.isolation_level = None  # the driver's own BEGIN is replaced by _sqlite_begin
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a killed process loses nothing
    # committed; only an OS crash or power cut may undo the last commits (which a rerun redoes).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # Take the write lock when the transaction starts. A deferred transaction that reads, then
    # writes after another connection (a site processed in parallel) has committed, fails at once
    # with SQLITE_BUSY instead of waiting; one that starts IMMEDIATE waits its turn (busy_timeout).
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_begin_read(connection: Any) -> None:
    # A reader's transaction: a consistent snapshot (WAL) that never takes the write lock, so a long
    # export or a search does not hold up a nightly run that is storing articles.
    connection.exec_driver_sql("BEGIN")


def make_engine(url: str | None = None, *, reader: bool = False) -> Engine:
    """Create an engine; for a SQLite file, create its folder first.

    ``reader``: for code that only reads (export, search): on SQLite its transactions do not take the
    write lock (see _sqlite_begin_read).
    """
    resolved = parse_database_url(url)
    if resolved.get_backend_name() == "sqlite":
        if resolved.database and resolved.database != ":memory:":
            if reader and not Path(resolved.database).is_file():  # reading must not create an empty database
                raise ValueError(f"no database at {resolved.database}")
            Path(resolved.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(resolved, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_read if reader else _sqlite_begin)
        return engine
    return create_engine(resolved, pool_pre_ping=True)


@lru_cache(maxsize=16)
def _shared(url: str, reader: bool) -> Engine:
    return make_engine(url, reader=reader)


def shared_engine(url: str | None = None, *, reader: bool = False) -> Engine:
    """The process's one engine for this database: its pool is reused by every task and site of a run.

    Why: one ingest over N sites built 4 + 2N engines (each with its own pool and, on PostgreSQL, its own
    connections). Never dispose it; it lives as long as the process.
    """
    return _shared(parse_database_url(url).render_as_string(hide_password=False), reader)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A transaction: committed when the block ends, rolled back if it raises."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session, session.begin():
        yield session
