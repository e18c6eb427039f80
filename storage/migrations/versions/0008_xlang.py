"""translation layer: xlang_keys (language-neutral keys per reference document) and duplicates.detail

Revision ID: 0008_xlang
Revises: 0006_search
Create Date: 2026-12-07

The backfill indexes what is already stored with the feature function the pipeline uses (steps/xlang.py),
in batches; articles keep their detected script, seeds get it detected from their text.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_xlang"
down_revision: str | None = "0006_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL_BATCH = 500


def upgrade() -> None:
    op.create_table(
        "xlang_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=2), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("seed_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_xlang_keys_article_id_articles"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["seed_id"], ["seed_documents.id"], name=op.f("fk_xlang_keys_seed_id_seed_documents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xlang_keys")),
    )
    op.create_index("ix_xlang_keys_side_key", "xlang_keys", ["side", "key"])
    op.create_index("ix_xlang_keys_article_id", "xlang_keys", ["article_id"])
    op.create_index("ix_xlang_keys_seed_id", "xlang_keys", ["seed_id"])
    with op.batch_alter_table("duplicates") as batch:
        batch.add_column(sa.Column("detail", sa.String(length=500), nullable=True))
    backfill(op.get_bind())


def backfill(conn: sa.Connection) -> int:
    """Index every stored seed and article; returns the documents indexed."""
    from steps.normalize import detect_script
    from storage import xlang

    seeds = sa.table("seed_documents", sa.column("id", sa.Integer), sa.column("text_normalized", sa.Text))
    done = 0
    for r in conn.execute(sa.select(seeds.c.id, seeds.c.text_normalized).order_by(seeds.c.id)).all():
        xlang.index_document(conn, r.text_normalized, detect_script(r.text_normalized), seed_id=r.id)
        done += 1
    articles = sa.table(
        "articles", sa.column("id", sa.Integer), sa.column("text_normalized", sa.Text), sa.column("script", sa.String)
    )
    last = 0
    while True:
        batch = conn.execute(
            sa.select(articles.c.id, articles.c.text_normalized, articles.c.script)
            .where(articles.c.id > last)
            .order_by(articles.c.id)
            .limit(BACKFILL_BATCH)
        ).all()
        if not batch:
            return done
        for r in batch:
            xlang.index_document(conn, r.text_normalized, r.script, article_id=r.id)
        done += len(batch)
        last = batch[-1].id


def downgrade() -> None:
    with op.batch_alter_table("duplicates") as batch:
        batch.drop_column("detail")
    op.drop_index("ix_xlang_keys_seed_id", table_name="xlang_keys")
    op.drop_index("ix_xlang_keys_article_id", table_name="xlang_keys")
    op.drop_index("ix_xlang_keys_side_key", table_name="xlang_keys")
    op.drop_table("xlang_keys")
