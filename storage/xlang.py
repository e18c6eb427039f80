"""The translation layer's candidate index: the language-neutral keys (steps/xlang.py: numbers, dates,
pinyin names) of every reference document, with its side (zh or en).

Why an index and not a scan: a page is compared only with the documents of the other language that share
at least MIN_SHARED of its keys. A key met in more than COMMON documents of a side (a round number, the
city every local article names) is left out of the query, so no lookup reads a long posting list and the
cost stays flat as the corpus grows (bench/xlang_eval.py measures it at 1k/10k/100k stored).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Connection, Table, bindparam, delete, func, insert, select
from sqlalchemy.orm import Session

from steps import xlang
from storage.models import XlangKey

COMMON = 50  # documents of one side a key may be in and still propose candidates
MIN_SHARED = xlang.MIN_SHARED_KEYS  # keys a candidate must share: fewer can never confirm
MAX_CANDIDATES = 10  # the best-sharing documents scored per lookup

_KEYS = cast(Table, XlangKey.__table__)
_INSERT = insert(_KEYS)
_FREQUENCIES = (
    select(_KEYS.c.key, func.count())
    .where(_KEYS.c.side == bindparam("side"), _KEYS.c.key.in_(bindparam("keys", expanding=True)))
    .group_by(_KEYS.c.key)
)
_SHARING = (
    select(_KEYS.c.article_id, _KEYS.c.seed_id, func.count().label("shared"))
    .where(_KEYS.c.side == bindparam("side"), _KEYS.c.key.in_(bindparam("keys", expanding=True)))
    .group_by(_KEYS.c.article_id, _KEYS.c.seed_id)
    .having(func.count() >= MIN_SHARED)
    .order_by(func.count().desc(), _KEYS.c.seed_id, _KEYS.c.article_id)
    .limit(MAX_CANDIDATES)
)

Executor = Session | Connection


@dataclass(frozen=True)
class Candidate:
    article_id: int | None
    seed_id: int | None
    shared: int


def rows_for(
    text_normalized: str, script: str | None, *, article_id: int | None = None, seed_id: int | None = None
) -> list[dict[str, object]]:
    """The index rows of one document (its features computed here, from its stored text)."""
    feats = xlang.features(text_normalized, script)
    return [
        {"side": feats.side, "key": key[:80], "article_id": article_id, "seed_id": seed_id}
        for key in sorted(feats.index_keys)
    ]


def index_rows(db: Executor, rows: Iterable[dict[str, object]]) -> int:
    batch = list(rows)
    if batch:
        db.execute(_INSERT, batch)
    return len(batch)


def index_document(
    db: Executor, text_normalized: str, script: str | None, *, article_id: int | None = None, seed_id: int | None = None
) -> int:
    return index_rows(db, rows_for(text_normalized, script, article_id=article_id, seed_id=seed_id))


def unindex(db: Executor, *, article_id: int | None = None, seed_id: int | None = None) -> None:
    if article_id is not None:
        db.execute(delete(_KEYS).where(_KEYS.c.article_id == article_id))
    if seed_id is not None:
        db.execute(delete(_KEYS).where(_KEYS.c.seed_id == seed_id))


def candidates(db: Executor, side: xlang.Side, keys: Iterable[str]) -> list[Candidate]:
    """Documents of ``side`` sharing at least MIN_SHARED of ``keys`` that are not common on that side,
    the most sharing first, at most MAX_CANDIDATES of them."""
    wanted = sorted({k[:80] for k in keys})
    if len(wanted) < MIN_SHARED:
        return []
    rare = [k for k, n in db.execute(_FREQUENCIES, {"side": side, "keys": wanted}) if n <= COMMON]
    if len(rare) < MIN_SHARED:
        return []
    return [Candidate(r.article_id, r.seed_id, r.shared) for r in db.execute(_SHARING, {"side": side, "keys": rare})]
