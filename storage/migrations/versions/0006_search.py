"""search: a full-text index over articles.text_normalized, maintained by the database itself

SQLite: an FTS5 external-content table with the trigram tokenizer (Chinese has no spaces to split words
on; trigrams index every substring of three characters), kept in step with ``articles`` by triggers, so
every insert, reprocessing update or delete changes the index in the same transaction.
PostgreSQL: a pg_trgm GIN index on the same column, which ``LIKE '%phrase%'`` uses. pg_trgm is a
"trusted" extension (PostgreSQL 13+) shipped in Debian's postgresql package: a database owner may create it.

Both are backfilled here: the FTS table by its 'rebuild' command, the GIN index by being created.

Revision ID: 0006_search
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006_search"
down_revision: str | None = "0007_archive"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here rather than imported: a migration must keep doing what it did when it was written.
SQLITE_UP = (
    "CREATE VIRTUAL TABLE articles_fts USING fts5("
    "text_normalized, content='articles', content_rowid='id', tokenize='trigram case_sensitive 1')",
    "CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, text_normalized) VALUES (new.id, new.text_normalized); END",
    "CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, text_normalized) VALUES ('delete', old.id, old.text_normalized); "
    "END",
    "CREATE TRIGGER articles_fts_update AFTER UPDATE OF text_normalized ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, text_normalized) VALUES ('delete', old.id, old.text_normalized); "
    "INSERT INTO articles_fts(rowid, text_normalized) VALUES (new.id, new.text_normalized); END",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS articles_fts_update",
    "DROP TRIGGER IF EXISTS articles_fts_delete",
    "DROP TRIGGER IF EXISTS articles_fts_insert",
    "DROP TABLE IF EXISTS articles_fts",
)
POSTGRESQL_UP = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_articles_text_normalized_trgm ON articles USING gin (text_normalized gin_trgm_ops)",
)
# The extension stays: other objects (or the DBA) may use it, and it holds no data.
POSTGRESQL_DOWN = ("DROP INDEX IF EXISTS ix_articles_text_normalized_trgm",)


def _run(statements: dict[str, Sequence[str]]) -> None:
    dialect = op.get_bind().dialect.name
    if dialect not in statements:
        raise NotImplementedError(f"no full-text index for {dialect}")
    for statement in statements[dialect]:
        op.execute(statement)


def upgrade() -> None:
    _run({"sqlite": SQLITE_UP, "postgresql": POSTGRESQL_UP})


def downgrade() -> None:
    _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRESQL_DOWN})
