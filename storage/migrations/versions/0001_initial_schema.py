"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """The first tables, one function per part: the runs and the seeds, the articles and their errors,
    the duplicates and the LSH index (Alembic's generated commands, unchanged, split to be read)."""
    _runs_and_seeds()
    _articles_and_errors()
    _duplicates_and_bands()


def _runs_and_seeds() -> None:
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flow_run_id", sa.String(length=64), nullable=False),
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("since", sa.String(length=10), nullable=True),
        sa.Column("until", sa.String(length=10), nullable=True),
        sa.Column("pages_fetched", sa.Integer(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("duplicate", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_runs")),
    )
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crawl_runs_flow_run_id"), ["flow_run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_crawl_runs_site"), ["site"], unique=False)

    op.create_table(
        "seed_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("text_normalized", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seed_documents")),
        sa.UniqueConstraint("name", name=op.f("uq_seed_documents_name")),
    )
    with op.batch_alter_table("seed_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seed_documents_content_hash"), ["content_hash"], unique=False)


def _articles_and_errors() -> None:
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("canonical_url", sa.String(length=1000), nullable=False),
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=True),
        sa.Column("editor", sa.String(length=200), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_normalized", sa.Text(), nullable=False),
        sa.Column("script", sa.String(length=10), nullable=True),
        sa.Column("flags", sa.String(length=200), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("encoding", sa.String(length=30), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["first_run_id"], ["crawl_runs.id"], name=op.f("fk_articles_first_run_id_crawl_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_articles")),
        sa.UniqueConstraint("canonical_url", name=op.f("uq_articles_canonical_url")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_articles_content_hash")),
    )
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_articles_published_at"), ["published_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_articles_site"), ["site"], unique=False)

    op.create_table(
        "page_errors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("canonical_url", sa.String(length=1000), nullable=False),
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("first_run_id", sa.Integer(), nullable=True),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_run_id"], ["crawl_runs.id"], name=op.f("fk_page_errors_first_run_id_crawl_runs")
        ),
        sa.ForeignKeyConstraint(["last_run_id"], ["crawl_runs.id"], name=op.f("fk_page_errors_last_run_id_crawl_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_errors")),
        sa.UniqueConstraint("canonical_url", "stage", name="uq_page_errors_url_stage"),
    )
    with op.batch_alter_table("page_errors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_page_errors_site"), ["site"], unique=False)


def _duplicates_and_bands() -> None:
    op.create_table(
        "duplicates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("canonical_url", sa.String(length=1000), nullable=False),
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("duplicate_of_article_id", sa.Integer(), nullable=True),
        sa.Column("duplicate_of_seed", sa.String(length=255), nullable=True),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("layer", sa.String(length=20), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["duplicate_of_article_id"],
            ["articles.id"],
            name=op.f("fk_duplicates_duplicate_of_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_runs.id"], name=op.f("fk_duplicates_run_id_crawl_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicates")),
        sa.UniqueConstraint("canonical_url", name=op.f("uq_duplicates_canonical_url")),
    )
    with op.batch_alter_table("duplicates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duplicates_site"), ["site"], unique=False)

    op.create_table(
        "lsh_bands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("band", sa.Integer(), nullable=False),
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("seed_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_lsh_bands_article_id_articles"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["seed_id"], ["seed_documents.id"], name=op.f("fk_lsh_bands_seed_id_seed_documents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lsh_bands")),
        sa.UniqueConstraint("article_id", "band", name="uq_lsh_bands_article_band"),
        sa.UniqueConstraint("seed_id", "band", name="uq_lsh_bands_seed_band"),
    )
    with op.batch_alter_table("lsh_bands", schema=None) as batch_op:
        batch_op.create_index("ix_lsh_bands_band_key", ["band", "key"], unique=False)


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("lsh_bands", schema=None) as batch_op:
        batch_op.drop_index("ix_lsh_bands_band_key")

    op.drop_table("lsh_bands")
    with op.batch_alter_table("duplicates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duplicates_site"))

    op.drop_table("duplicates")
    with op.batch_alter_table("page_errors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_page_errors_site"))

    op.drop_table("page_errors")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_articles_site"))
        batch_op.drop_index(batch_op.f("ix_articles_published_at"))

    op.drop_table("articles")
    with op.batch_alter_table("seed_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seed_documents_content_hash"))

    op.drop_table("seed_documents")
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crawl_runs_site"))
        batch_op.drop_index(batch_op.f("ix_crawl_runs_flow_run_id"))

    op.drop_table("crawl_runs")
    # ### end Alembic commands ###
