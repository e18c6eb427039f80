"""containment index: winnowed fingerprints of articles and seeds, with their document frequency

Revision ID: 0004_containment
Revises: 0003
Create Date: 2026-11-26

The backfill indexes what is already stored, in batches of BACKFILL_BATCH documents (the same
statements on SQLite and PostgreSQL), with the fingerprint function the pipeline uses.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_containment"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL_BATCH = 500


def upgrade() -> None:
    op.create_table(
        "containment_fingerprints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("seed_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_containment_fingerprints_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["seed_id"],
            ["seed_documents.id"],
            name=op.f("fk_containment_fingerprints_seed_id_seed_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_containment_fingerprints")),
    )
    op.create_index("ix_containment_fingerprints_hash", "containment_fingerprints", ["hash"])
    op.create_index("ix_containment_fingerprints_article_id", "containment_fingerprints", ["article_id"])
    op.create_index("ix_containment_fingerprints_seed_id", "containment_fingerprints", ["seed_id"])
    op.create_table(
        "fingerprint_frequency",
        sa.Column("hash", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("hash", name=op.f("pk_fingerprint_frequency")),
    )
    backfill(op.get_bind())


def backfill(conn: sa.Connection) -> int:
    """Index every stored seed and article; returns the documents indexed."""
    from steps import dedup
    from storage import containment

    def fingerprints(text: str) -> tuple[int, ...]:
        return dedup.winnow(dedup.tokens(text))

    seeds = sa.table("seed_documents", sa.column("id", sa.Integer), sa.column("text_normalized", sa.Text))
    rows = conn.execute(sa.select(seeds.c.id, seeds.c.text_normalized).order_by(seeds.c.id)).all()
    containment.index_documents(
        conn, [containment.Indexed(fingerprints(r.text_normalized), seed_id=r.id) for r in rows]
    )
    done = len(rows)
    articles = sa.table("articles", sa.column("id", sa.Integer), sa.column("text_normalized", sa.Text))
    last = 0
    while True:
        batch = conn.execute(
            sa.select(articles.c.id, articles.c.text_normalized)
            .where(articles.c.id > last)
            .order_by(articles.c.id)
            .limit(BACKFILL_BATCH)
        ).all()
        if not batch:
            return done
        docs = [containment.Indexed(fingerprints(r.text_normalized), article_id=r.id) for r in batch]
        containment.index_documents(conn, docs)
        done += len(batch)
        last = batch[-1].id


def downgrade() -> None:
    op.drop_table("fingerprint_frequency")
    op.drop_index("ix_containment_fingerprints_seed_id", table_name="containment_fingerprints")
    op.drop_index("ix_containment_fingerprints_article_id", table_name="containment_fingerprints")
    op.drop_index("ix_containment_fingerprints_hash", table_name="containment_fingerprints")
    op.drop_table("containment_fingerprints")
