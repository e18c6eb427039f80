"""What is already known, read: canonical URLs, the reference corpus (stored articles and seeds) and its
candidate lookups for each dedup layer. Statements every page runs are built once."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Select, and_, bindparam, delete, insert, or_, select, union_all
from sqlalchemy.orm import Session

from steps import dedup
from steps.normalize import detect_script
from steps.xlang import Side
from storage import containment, xlang
from storage.models import (
    Article,
    Attachment,
    Duplicate,
    LshBand,
    SeedDocument,
    XlangKey,
    reference_label,
)
from storage.runlog import utcnow


def known_canonical_urls(session: Session, site: str) -> Iterator[str]:
    """Canonical URLs of ``site`` that never need fetching again (stored or judged duplicate)."""
    yield from session.scalars(select(Article.canonical_url).where(Article.site == site)).yield_per(1000)
    yield from session.scalars(select(Duplicate.canonical_url).where(Duplicate.site == site)).yield_per(1000)
    yield from session.scalars(select(Attachment.canonical_url).where(Attachment.site == site)).yield_per(1000)


# The statements every page runs, built once with bound parameters: building them anew per page
# (coercing every clause, computing its cache key) cost more than SQLite took to run them
# (bench/pipeline.py, profile of the store step).
_KNOWN_URL = union_all(
    *(select(m.id).where(m.canonical_url == bindparam("url")) for m in (Article, Duplicate, Attachment))
).limit(1)


_SEED_BY_HASH = select(SeedDocument.name, SeedDocument.text_normalized).where(
    SeedDocument.content_hash == bindparam("hash")
)


_ARTICLE_BY_HASH = select(Article.id, Article.text_normalized).where(Article.content_hash == bindparam("hash"))


def is_known_url(session: Session, canonical_url: str) -> bool:
    """Stored, judged a duplicate, or recorded as an attachment: one query over the three tables."""
    return session.execute(_KNOWN_URL, {"url": canonical_url}).first() is not None


@dataclass(frozen=True)
class Reference:
    """A document of the reference corpus: a stored article or a seed file."""

    article_id: int | None
    seed_name: str | None
    text_normalized: str

    @property
    def label(self) -> str:
        return reference_label(self.article_id, self.seed_name)


def find_by_content_hash(session: Session, content_hash: str) -> Reference | None:
    """Exact-layer lookup; seeds first, so a repost of a seed is attributed to the seed."""
    seed = session.execute(_SEED_BY_HASH, {"hash": content_hash}).first()
    if seed:
        return Reference(None, seed.name, seed.text_normalized)
    art = session.execute(_ARTICLE_BY_HASH, {"hash": content_hash}).first()
    if art:
        return Reference(art.id, None, art.text_normalized)
    return None


@lru_cache(maxsize=8)
def _lsh_query(bands: int) -> Select[tuple[int | None, int | None]]:
    """The candidate query for ``bands`` band keys, built once: its keys are bound parameters.

    One equality per band, OR-ed: both SQLite and PostgreSQL answer it with index probes on (band, key).
    A row-value IN over the pairs reads the same but made SQLite scan the whole table (measured by
    bench/dedup_scale.py: 750 ms per lookup at 100k articles instead of a few ms). Building the 32
    clauses anew for every page cost more than running the query (bench/pipeline.py's profile).
    """
    match_any_band = or_(
        *(and_(LshBand.band == bindparam(f"b{i}"), LshBand.key == bindparam(f"k{i}")) for i in range(bands))
    )
    return select(LshBand.article_id, LshBand.seed_id).where(match_any_band).distinct()


def lsh_candidates(session: Session, band_keys: Sequence[int]) -> list[Reference]:
    """Documents sharing at least one LSH band key, seeds first then oldest articles first."""
    params: dict[str, int] = {}
    for band, key in enumerate(band_keys):
        params[f"b{band}"], params[f"k{band}"] = band, key
    hits = _lsh_query(len(band_keys))
    rows = session.execute(hits, params).all()
    seed_ids = sorted({r.seed_id for r in rows if r.seed_id is not None})
    return references_of(session, seed_ids, sorted({r.article_id for r in rows if r.article_id is not None}))


def containment_candidates(session: Session, winnowed: Sequence[int]) -> list[Reference]:
    """Documents sharing enough rare winnowed fingerprints with the query (see storage/containment.py):
    the candidates for an excerpt, a truncated repost or an article embedded in a longer text."""
    found = containment.candidates(session, winnowed)
    return references_of(session, [c.seed_id for c in found], [c.article_id for c in found])


def xlang_candidates(session: Session, side: Side, keys: Iterable[str]) -> list[Reference]:
    """Documents of language ``side`` sharing enough rare language-neutral keys with the query
    (storage/xlang.py): the candidates of the translation layer."""
    found = xlang.candidates(session, side, keys)
    return references_of(session, [c.seed_id for c in found], [c.article_id for c in found])


_SEEDS_BY_ID = (
    select(SeedDocument.name, SeedDocument.text_normalized)
    .where(SeedDocument.id.in_(bindparam("ids", expanding=True)))
    .order_by(SeedDocument.name)
)
_ARTICLES_BY_ID = (
    select(Article.id, Article.text_normalized)
    .where(Article.id.in_(bindparam("ids", expanding=True)))
    .order_by(Article.id)
)


def references_of(
    session: Session, seed_ids: Iterable[int | None], article_ids: Iterable[int | None]
) -> list[Reference]:
    """The seeds (by name) then the articles (oldest first) of the given ids, as References (two statements
    built once, like the other per-page ones: every candidate lookup ends here)."""
    seeds = [i for i in seed_ids if i is not None]
    articles = [i for i in article_ids if i is not None]
    refs: list[Reference] = []
    if seeds:
        refs.extend(Reference(None, r.name, r.text_normalized) for r in session.execute(_SEEDS_BY_ID, {"ids": seeds}))
    if articles:
        rows = session.execute(_ARTICLES_BY_ID, {"ids": articles})
        refs.extend(Reference(r.id, None, r.text_normalized) for r in rows)
    return refs


def winnowed_of(text_normalized: str) -> tuple[int, ...]:
    """A stored text's containment fingerprints, recomputed (they are not stored beside the text)."""
    return dedup.winnow(dedup.tokens(text_normalized))


@dataclass(frozen=True)
class SeedInput:
    name: str
    file_sha256: str
    text_normalized: str
    content_hash: str
    band_keys: tuple[int, ...]
    winnowed: tuple[int, ...] = ()


def seed_digests(session: Session) -> dict[str, str]:
    """name → sha256 of the seed files as last indexed."""
    return {name: sha for name, sha in session.execute(select(SeedDocument.name, SeedDocument.file_sha256))}


def sync_seeds(session: Session, seeds: Iterable[SeedInput], present: set[str]) -> tuple[int, int]:
    """Index new or changed seed files and drop the ones no longer present.

    Returns (indexed, removed). Unchanged files are left alone, so indexing
    happens once per file version.
    """
    for gone in session.execute(
        select(SeedDocument.id, SeedDocument.text_normalized).where(SeedDocument.name.not_in(present))
    ):
        containment.unindex_seed(session, gone.id, winnowed_of(gone.text_normalized))
    result = session.execute(delete(SeedDocument).where(SeedDocument.name.not_in(present)))
    removed = int(getattr(result, "rowcount", 0) or 0)
    indexed = 0
    for seed in seeds:
        existing = session.scalar(select(SeedDocument).where(SeedDocument.name == seed.name))
        if existing is not None:
            if existing.file_sha256 == seed.file_sha256:
                continue
            session.execute(delete(LshBand).where(LshBand.seed_id == existing.id))
            containment.unindex_seed(session, existing.id, winnowed_of(existing.text_normalized))
            xlang.unindex(session, seed_id=existing.id)
            existing.file_sha256 = seed.file_sha256
            existing.text_normalized = seed.text_normalized
            existing.content_hash = seed.content_hash
            existing.indexed_at = utcnow()
            doc = existing
        else:
            doc = SeedDocument(
                name=seed.name,
                file_sha256=seed.file_sha256,
                text_normalized=seed.text_normalized,
                content_hash=seed.content_hash,
                indexed_at=utcnow(),
            )
            session.add(doc)
        session.flush()
        session.execute(insert(LshBand), LshBand.rows(seed.band_keys, seed_id=doc.id))
        containment.index_documents(session, [containment.Indexed(seed.winnowed, seed_id=doc.id)])
        xlang.index_document(session, seed.text_normalized, detect_script(seed.text_normalized), seed_id=doc.id)
        indexed += 1
    # Bands of removed seeds go with them (ON DELETE CASCADE is not enforced everywhere, so be explicit).
    session.execute(
        delete(LshBand).where(LshBand.seed_id.is_not(None), LshBand.seed_id.not_in(select(SeedDocument.id)))
    )
    session.execute(
        delete(XlangKey).where(XlangKey.seed_id.is_not(None), XlangKey.seed_id.not_in(select(SeedDocument.id)))
    )
    return indexed, removed
