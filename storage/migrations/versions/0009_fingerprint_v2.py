"""fingerprint scheme 2: the LSH band keys and containment fingerprints rebuilt from the stored texts

Revision ID: 0009_fingerprint_v2
Revises: 0008_xlang
Create Date: 2026-12-07

steps/dedup.py now hashes token windows as numbers (FINGERPRINT_SCHEME 2) instead of one SHA-1 or BLAKE2b
call per window string, so every stored band key and winnowed fingerprint changes: a new page would share
none with what is stored and every repost would be stored again. No table changes; the index rows of every
seed and article are computed again from their text_normalized (what they were made from), in batches.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_fingerprint_v2"
down_revision: str | None = "0008_xlang"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL_BATCH = 500


def upgrade() -> None:
    rebuild(op.get_bind())


def rebuild(conn: sa.Connection) -> int:
    """Drop every band key, fingerprint and frequency, then index every seed and article again; returns the
    documents indexed."""
    from steps import dedup
    from storage import containment
    from storage.models import LshBand

    bands = sa.table(
        "lsh_bands", sa.column("band", sa.Integer), sa.column("key", sa.BigInteger),
        sa.column("article_id", sa.Integer), sa.column("seed_id", sa.Integer),
    )  # fmt: skip
    for name in ("lsh_bands", "containment_fingerprints", "fingerprint_frequency"):
        conn.execute(sa.table(name).delete())

    def index(rows: Sequence[sa.Row[tuple[int, str]]], owner: str) -> None:
        fps = [(r.id, dedup.fingerprint(r.text_normalized)) for r in rows]
        band_rows = [row for doc, fp in fps for row in LshBand.rows(fp.band_keys, **{owner: doc})]
        if band_rows:
            conn.execute(sa.insert(bands), band_rows)
        containment.index_documents(conn, [containment.Indexed(fp.winnowed, **{owner: doc}) for doc, fp in fps])

    done = 0
    for table, owner in (("seed_documents", "seed_id"), ("articles", "article_id")):
        docs = sa.table(table, sa.column("id", sa.Integer), sa.column("text_normalized", sa.Text))
        last = 0
        page = sa.select(docs.c.id, docs.c.text_normalized).order_by(docs.c.id).limit(BACKFILL_BATCH)
        while batch := conn.execute(page.where(docs.c.id > last)).all():
            index(batch, owner)
            done += len(batch)
            last = batch[-1].id
    return done


def downgrade() -> None:
    """Nothing to undo in the schema. The index rows stay in scheme 2, which older code cannot match (it
    would store reposts again): downgrade on the way to an older schema, not to run older code on a corpus."""
