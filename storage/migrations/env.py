"""Alembic environment: runs migrations against the URL given by storage.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from storage.db import make_engine
from storage.models import Base
from storage.search import include_object

config = context.config
target_metadata = Base.metadata
# Several workers may start a flow (and so an upgrade) at the same moment on one PostgreSQL database:
# a transaction-scoped advisory lock makes them take turns, and the later ones find the schema at head.
MIGRATION_LOCK_KEY = 0x64616E67  # "dang"


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        # Batch mode lets ALTERs work on SQLite too (it rebuilds the table).
        # include_object: the full-text index (migration 0006_search) is not described by the models.
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
