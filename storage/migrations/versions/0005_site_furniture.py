"""site_furniture: lines learned to recur across a site's articles, removed at extraction (issue #15)

Revision ID: 0005_site_furniture
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_site_furniture"
down_revision: str | None = "0004_containment"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "site_furniture",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("line_hash", sa.String(length=16), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("learned_from", sa.Integer(), nullable=False),
        sa.Column("sample", sa.Text(), nullable=False),
        sa.Column("learned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_furniture")),
        sa.UniqueConstraint("site", "line_hash", name="uq_site_furniture_site_line_hash"),
    )
    op.create_index(op.f("ix_site_furniture_site"), "site_furniture", ["site"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_site_furniture_site"), table_name="site_furniture")
    op.drop_table("site_furniture")
