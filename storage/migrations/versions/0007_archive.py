"""archive and reprocess: articles.extraction_version and article_versions (issue #16)

Revision ID: 0007_archive
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_archive"
down_revision: str | None = "0005_site_furniture"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("extraction_version", sa.String(length=40), nullable=True))
    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("canonical_url", sa.String(length=1000), nullable=False),
        sa.Column("extraction_version", sa.String(length=40), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_versions_article_id_articles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_versions")),
    )
    op.create_index(op.f("ix_article_versions_article_id"), "article_versions", ["article_id"])
    op.create_index(op.f("ix_article_versions_canonical_url"), "article_versions", ["canonical_url"])


def downgrade() -> None:
    op.drop_index(op.f("ix_article_versions_canonical_url"), table_name="article_versions")
    op.drop_index(op.f("ix_article_versions_article_id"), table_name="article_versions")
    op.drop_table("article_versions")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("extraction_version")
