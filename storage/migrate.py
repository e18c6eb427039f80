"""Schema changes go through Alembic only; this wraps it for code and the CLI."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.exc import SQLAlchemyError

from storage.db import DatabaseProblem, database_url, parse_database_url, shown_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config bound to ``url`` that works from any working directory."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # '%' is configparser's interpolation character; passwords may contain it.
    cfg.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    return cfg


def _problem(url: str | None, exc: Exception) -> DatabaseProblem:
    """One line for what went wrong with the database at ``url`` (never the driver's traceback)."""
    where = shown_url(database_url(url))
    if isinstance(exc, CommandError) and "Can't locate revision" in str(exc):
        first = str(exc).strip().splitlines()[0]
        return DatabaseProblem(f"database {where} is at a revision this code does not know ({first}); newer code?")
    orig = getattr(exc, "orig", None)
    detail = (str(orig) if orig is not None else str(exc)).strip().splitlines()
    return DatabaseProblem(f"cannot use database {where}: {detail[0] if detail else type(exc).__name__}")


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (creating it if needed)."""
    parse_database_url(url)
    try:
        command.upgrade(alembic_config(url), revision)
    except (CommandError, SQLAlchemyError) as exc:
        raise _problem(url, exc) from exc


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def check_database(url: str | None = None, *, require_head: bool = True) -> None:
    """Read-only: the database is reachable, readable and at a schema this code knows.

    ``require_head`` (check commands, which never write and so never migrate): at the latest revision.
    Without it (before an ingest, which migrates): a new or older database is fine, but an unreachable,
    corrupt or unknown-revision one stops the run before Prefect starts.
    Raises DatabaseProblem with one line, e.g. "… has no schema yet: run `dangjian db upgrade`".
    """
    where = shown_url(database_url(url))
    resolved = parse_database_url(url)
    file = resolved.database if resolved.get_backend_name() == "sqlite" else None
    if file and file != ":memory:" and not Path(file).is_file():
        if not require_head:
            return  # the ingest creates it
        raise DatabaseProblem(f"no database at {where}: run `dangjian db upgrade` (or an ingest) first")
    if file and file != ":memory:" and require_head and Path(file).stat().st_size == 0:
        # Not even opened: connecting sets WAL mode, which writes the first page of an empty file.
        raise DatabaseProblem(f"database {where} is empty (0 bytes): run `dangjian db upgrade`")
    try:
        current = current_revision(url)
    except SQLAlchemyError as exc:
        raise _problem(url, exc) from exc
    head = head_revision()
    if current == head or (current is None and not require_head):
        return
    if current is None:
        raise DatabaseProblem(f"database {where} has no schema yet: run `dangjian db upgrade`")
    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if current not in known:
        raise DatabaseProblem(
            f"database {where} is at a revision this code does not know ({current}); migrated by a newer version?"
        )
    if require_head:
        raise DatabaseProblem(
            f"database {where} is at revision {current}, this code expects {head}: run `dangjian db upgrade`"
        )


def current_revision(url: str | None = None) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    from storage.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
