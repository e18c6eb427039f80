"""The containment index: winnowed fingerprints (steps/dedup.winnow) of every reference document, in the
database so that every worker finds the same candidates.

Why a second index beside the LSH bands: MinHash LSH proposes pairs by whole-text Jaccard, and an excerpt
of a fifth of an article (or an article embedded in a compilation) has a Jaccard near 0.2 with it, so it
never became a candidate. A shared winnowed fingerprint is guaranteed for any shared run of
WINNOW_K + WINNOW_WINDOW - 1 tokens, whatever share of either text that run is.

Lookups stay flat as the corpus grows because no posting list does: a fingerprint is indexed for at most
COMMON documents (its frequency is counted beyond that), and a fingerprint above COMMON is left out of the
query. Writes happen under the decision lock (or in a single-writer migration), so the read-then-write of
the frequencies needs no upsert and no backend-specific statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Connection, Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from storage.models import ContainmentFingerprint, FingerprintFrequency

# Documents a fingerprint may be indexed for. Above this it is a formulaic phrase, not a sign of copying
# (a copied passage is stored once: its copies become duplicates rows, not articles).
COMMON = 40
MIN_SHARED = 2  # fingerprints a candidate must share with the query (measured: bench/dedup_eval.py --options)
MAX_CANDIDATES = 20  # the best-sharing documents confirmed per lookup: bounds the exact comparisons
_CHUNK = 500  # hashes per IN list (well under every backend's parameter limit)

# Core tables, not the ORM classes: executemany updates and inserts without the ORM's bulk semantics.
_FP = cast(Table, ContainmentFingerprint.__table__)
_FREQ = cast(Table, FingerprintFrequency.__table__)
_FREQUENCIES = select(FingerprintFrequency.hash, FingerprintFrequency.documents).where(
    FingerprintFrequency.hash.in_(bindparam("hashes", expanding=True))
)
_BUMP = update(_FREQ).where(_FREQ.c.hash == bindparam("h")).values(documents=_FREQ.c.documents + bindparam("n"))
_NEW_FREQUENCY = insert(_FREQ)
_INSERT_POSTINGS = insert(_FP)
# Postings of the query's fingerprints that are not common: one round trip, at most COMMON rows per
# fingerprint (no fingerprint has more postings than that).
_RARE_POSTINGS = (
    select(_FP.c.hash, _FP.c.article_id, _FP.c.seed_id)
    .join(_FREQ, _FREQ.c.hash == _FP.c.hash)
    .where(_FP.c.hash.in_(bindparam("hashes", expanding=True)), _FREQ.c.documents <= COMMON)
)

Executor = Session | Connection


@dataclass(frozen=True)
class Indexed:
    """One document's fingerprints, to be indexed: exactly one of article_id and seed_id is set."""

    hashes: Sequence[int]
    article_id: int | None = None
    seed_id: int | None = None


def _chunks(values: Sequence[int]) -> Iterable[list[int]]:
    for i in range(0, len(values), _CHUNK):
        yield list(values[i : i + _CHUNK])


def frequencies(db: Executor, hashes: Iterable[int]) -> dict[int, int]:
    """Stored document frequency of each of ``hashes`` that is known."""
    wanted = sorted(set(hashes))
    out: dict[int, int] = {}
    for chunk in _chunks(wanted):
        out.update((row.hash, row.documents) for row in db.execute(_FREQUENCIES, {"hashes": chunk}))
    return out


def index_documents(db: Executor, docs: Sequence[Indexed]) -> int:
    """Add the fingerprints of ``docs``: a posting row per fingerprint not yet COMMON, one more document
    counted for each. Returns the posting rows written. Many documents at once for a backfill."""
    known = frequencies(db, (h for d in docs for h in d.hashes))
    added: dict[int, int] = {}
    postings: list[dict[str, int | None]] = []
    for doc in docs:
        for h in set(doc.hashes):
            before = known.get(h, 0) + added.get(h, 0)
            if before < COMMON:
                postings.append({"hash": h, "article_id": doc.article_id, "seed_id": doc.seed_id})
            added[h] = added.get(h, 0) + 1
    new = [{"hash": h, "documents": n} for h, n in added.items() if h not in known]
    bumps = [{"h": h, "n": n} for h, n in added.items() if h in known]
    if new:
        db.execute(_NEW_FREQUENCY, new)
    if bumps:
        db.execute(_BUMP, bumps)
    if postings:
        db.execute(_INSERT_POSTINGS, postings)
    return len(postings)


def unindex_article(db: Executor, article_id: int, hashes: Sequence[int]) -> None:
    """Remove an article's postings and count it out of its fingerprints' frequencies.

    ``hashes`` are the article's fingerprints (recomputed from its text by the caller): postings exist
    only for those that were not yet common, but every one of them was counted.
    """
    db.execute(delete(_FP).where(_FP.c.article_id == article_id))
    drop = [{"h": h, "n": -1} for h in set(hashes)]
    if drop:
        db.execute(_BUMP, drop)


def unindex_seed(db: Executor, seed_id: int, hashes: Sequence[int]) -> None:
    """The same for a seed document that changed or went away."""
    db.execute(delete(_FP).where(_FP.c.seed_id == seed_id))
    drop = [{"h": h, "n": -1} for h in set(hashes)]
    if drop:
        db.execute(_BUMP, drop)


@dataclass(frozen=True)
class Candidate:
    article_id: int | None
    seed_id: int | None
    shared: int  # fingerprints shared with the query


def candidates(db: Executor, hashes: Sequence[int]) -> list[Candidate]:
    """Documents sharing at least MIN_SHARED of the query's fingerprints that are not common (all of them
    when the query has fewer), the most sharing first, at most MAX_CANDIDATES of them."""
    rare: set[int] = set()
    shared: dict[tuple[int | None, int | None], int] = {}
    for chunk in _chunks(sorted(set(hashes))):
        for row in db.execute(_RARE_POSTINGS, {"hashes": chunk}):
            rare.add(row.hash)
            key = (row.article_id, row.seed_id)
            shared[key] = shared.get(key, 0) + 1
    # A short excerpt may carry a single rare fingerprint: then that one is enough (confirmation decides).
    needed = min(MIN_SHARED, len(rare))
    ranked = sorted(
        (Candidate(a, s, n) for (a, s), n in shared.items() if n >= needed),
        key=lambda c: (-c.shared, c.seed_id is None, c.seed_id or 0, c.article_id or 0),
    )
    return ranked[:MAX_CANDIDATES]
