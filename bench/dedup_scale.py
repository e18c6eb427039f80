"""Dedup scale bench: does a near-duplicate lookup stay flat as the stored corpus grows?

Run from the repository root::

    .venv/bin/python bench/dedup_scale.py [--full] [--lookups 200] [--workers 2] [--lookup-budget 45]

One database (a temporary SQLite file unless ``--database-url`` names another, migrated with Alembic,
seeds indexed) grows through 1k, 10k and 100k
stored articles (then 250k, 500k and 1M with ``--full``). At each size N lookups are timed as the pipeline does them
(``lsh_candidates`` on the stored band keys and ``containment_candidates`` on the winnowed fingerprints, then
every candidate confirmed by ``dedup.similarity`` / ``is_near_duplicate``), each in its own transaction like one
page. Half of the lookups are copies of a random stored article, which must be found: near-duplicates (one
character in 40 edited) and excerpts (30 % of its text from a random point) in turn; the other half are new
texts. ``cont ms`` is the containment index's share of a lookup; ``fp/art`` and ``KB/art`` are its rows and
the whole database's bytes per stored article. When
the lookups of one size take longer than ``--lookup-budget`` seconds, timing stops there and the table says
how many ran. The ``probe ms`` column times the same candidate query written as OR-ed equalities (not the
pipeline's code), to show what the query form costs.

Synthetic articles are built from phrases of the hand-written texts in ``bench/dedup_data/distinct``: each
clause joins the first half of one clause to the second half of another, so texts share the formulaic
vocabulary of real party-building news (and so LSH sees realistic background similarity) while nearly all of
them are distinct. Fingerprints are the real ``dedup.fingerprint``, computed in worker processes; rows go in
with SQLAlchemy Core ``insert()`` in batches, bypassing the ORM, because only the lookup is being measured.
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, and_, event, func, insert, or_, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from process.seeds import prepare_reference_text, sync_seed_corpus  # noqa: E402
from steps import dedup  # noqa: E402
from storage import containment, references  # noqa: E402
from storage.db import make_engine, session_scope  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Article, ContainmentFingerprint, LshBand  # noqa: E402

DISTINCT_DIR = ROOT / "bench" / "dedup_data" / "distinct"
SEEDS_DIR = ROOT / "seeds"
SIZES = (1_000, 10_000, 100_000)
FULL_SIZES = (*SIZES, 250_000, 500_000, 1_000_000)  # steps in between: figures at whatever scale a run reaches
SQLITE_CACHE_KIB = 1_048_576  # the bench's SQLite page cache (1 GiB): growing is random B-tree inserts
RANDOM_SEED = 7
BATCH = 5_000  # articles per insert transaction (and BATCH * BANDS band rows)
CLAUSES_PER_PARAGRAPH = (5, 8)
PARAGRAPHS = (3, 4)
EDIT_EVERY = 40  # characters per edited character in a near-duplicate query
EXCERPT_SHARE = 0.3  # share of a stored text that an excerpt query copies
LOOKUP_BUDGET_S = 45.0  # per size: stop timing lookups after this long (a linear scan would take hours at 1M)
_CLAUSE_SPLIT = re.compile(r"[,.;:!?\n]+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
EDIT_POOL = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种"


# --- synthetic texts --------------------------------------------------------------------------------


@cache
def halves() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """First and second halves of every clause of the hand-written distinct texts (normalized)."""
    first: list[str] = []
    second: list[str] = []
    for path in sorted(DISTINCT_DIR.glob("*.txt")):
        for clause in _CLAUSE_SPLIT.split(prepare_reference_text(path.read_text(encoding="utf-8"))):
            clause = clause.strip()
            if len(clause) >= 6:
                first.append(clause[: len(clause) // 2])
                second.append(clause[len(clause) // 2 :])
    return tuple(first), tuple(second)


def synthetic_text(doc: int) -> str:
    """Article ``doc`` of the synthetic corpus: the same text for the same number, in any process."""
    rng = random.Random(RANDOM_SEED * 1_000_003 + doc)
    first, second = halves()
    paras = []
    for _ in range(rng.randint(*PARAGRAPHS)):
        clauses = [rng.choice(first) + rng.choice(second) for _ in range(rng.randint(*CLAUSES_PER_PARAGRAPH))]
        paras.append(",".join(clauses) + ".")
    return "\n".join(paras)


def near_duplicate(text: str, rng: random.Random) -> str:
    """A repost with one character in every EDIT_EVERY changed: found only through LSH, never by the exact hash."""
    chars = list(text)
    positions = [m.start() for m in _CJK.finditer(text)]
    for pos in rng.sample(positions, max(1, len(text) // EDIT_EVERY)):
        chars[pos] = rng.choice([c for c in EDIT_POOL if c != chars[pos]])
    return "".join(chars)


@dataclass(frozen=True)
class Row:
    doc: int
    text: str
    content_hash: str
    band_keys: tuple[int, ...]
    winnowed: tuple[int, ...]


def fingerprint_range(start: int, stop: int) -> list[Row]:
    """Worker job: synthetic texts ``start..stop`` and their real fingerprints."""
    rows = []
    for doc in range(start, stop):
        text = synthetic_text(doc)
        fp = dedup.fingerprint(text)
        rows.append(Row(doc, text, fp.content_hash, fp.band_keys, fp.winnowed))
    return rows


def chunks(start: int, stop: int, size: int) -> Iterator[tuple[int, int]]:
    for lo in range(start, stop, size):
        yield lo, min(stop, lo + size)


# --- bulk insert ------------------------------------------------------------------------------------


def insert_rows(engine: Engine, rows: Sequence[Row], fetched_at: datetime, index: bool = True) -> int:
    """One transaction: the articles and their band rows; article ids are the doc numbers + 1.

    Two synthetic texts can collide on the content hash (same clauses drawn); the second is skipped, as
    the pipeline would store it only once.
    """
    seen: set[str] = set()
    articles: list[dict[str, object]] = []
    bands: list[dict[str, int]] = []
    for r in rows:
        if r.content_hash in seen:
            continue
        seen.add(r.content_hash)
        url = f"https://synthetic.invalid/{r.doc}"
        articles.append({
            "id": r.doc + 1, "url": url, "canonical_url": url, "site": "synthetic", "text": r.text,
            "text_normalized": r.text, "flags": "", "content_hash": r.content_hash, "fetched_at": fetched_at,
        })  # fmt: skip
        bands.extend({"band": i, "key": k, "article_id": r.doc + 1} for i, k in enumerate(r.band_keys))
    with engine.begin() as conn:
        existing = set(conn.scalars(select(Article.content_hash).where(Article.content_hash.in_(seen))))
        if existing:
            keep = {a["id"] for a in articles if a["content_hash"] not in existing}
            articles = [a for a in articles if a["id"] in keep]
            bands = [b for b in bands if b["article_id"] in keep]
        conn.execute(insert(Article), articles)
        conn.execute(insert(LshBand), bands)
        if not index:  # a database from before migration 0004 (see backfill)
            return len(articles)
        kept = {a["id"] for a in articles}
        containment.index_documents(
            conn, [containment.Indexed(r.winnowed, article_id=r.doc + 1) for r in rows if r.doc + 1 in kept]
        )
    return len(articles)


def grow(engine: Engine, start: int, stop: int, workers: int) -> tuple[int, float, float]:
    """Add docs ``start..stop``; (rows stored, seconds spent fingerprinting+inserting, seconds inserting)."""
    t0 = time.perf_counter()
    stored, insert_s = 0, 0.0
    fetched_at = datetime.now(UTC)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(fingerprint_range, lo, hi) for lo, hi in chunks(start, stop, BATCH)]
        for fut in futures:
            rows = fut.result()
            t1 = time.perf_counter()
            stored += insert_rows(engine, rows, fetched_at)
            insert_s += time.perf_counter() - t1
    return stored, time.perf_counter() - t0, insert_s


# --- lookups ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    ms: float
    candidates: int
    found: bool  # a candidate was confirmed as near-duplicate
    probe_ms: float  # the same candidate query written as OR-ed equalities (see or_probe_ids)
    containment_ms: float  # of ms: the containment index's candidate queries


def lookup(engine: Engine, fp: dedup.Fingerprint) -> Lookup:
    """The pipeline's near-duplicate layer for one page, in its own transaction, timed.

    The same steps as ``process.decide.find_duplicate`` after its exact-hash probe, spelled out so the
    candidate count can be reported.
    """
    t0 = time.perf_counter()
    with session_scope(engine) as session:
        refs = references.lsh_candidates(session, fp.band_keys)
        t_lsh = time.perf_counter()
        labels = {r.label for r in refs}
        extra = [r for r in references.containment_candidates(session, fp.winnowed) if r.label not in labels]
        containment_ms = (time.perf_counter() - t_lsh) * 1000
        new = fp.shingles
        found = any(
            dedup.is_near_duplicate(dedup.similarity(new, dedup.shingles(ref.text_normalized)), len(new))
            for ref in [*refs, *extra]
        )
    elapsed = (time.perf_counter() - t0) * 1000
    t1 = time.perf_counter()
    with session_scope(engine) as session:
        ids = or_probe_ids(session, fp.band_keys)
    probe_ms = (time.perf_counter() - t1) * 1000
    expected = {(r.article_id, r.seed_name) for r in refs}
    if len(ids) != len(expected):
        raise AssertionError(f"OR probe found {len(ids)} candidates, lsh_candidates {len(expected)}")
    return Lookup(elapsed, len(refs) + len(extra), found, probe_ms, containment_ms)


def or_probe_ids(session: Session, band_keys: Sequence[int]) -> set[tuple[int | None, int | None]]:
    """Not the pipeline's code: the candidate query with ``(band = ? AND key = ?) OR …`` instead of a row-value IN.

    Timed next to ``lsh_candidates`` because SQLite plans ``(band, key) IN (VALUES …)`` as a scan of
    lsh_bands, while this form is one probe of ix_lsh_bands_band_key per band; it returns the same rows.
    """
    cond = or_(*(and_(LshBand.band == band, LshBand.key == key) for band, key in enumerate(band_keys)))
    return {
        (r.article_id, r.seed_id)
        for r in session.execute(select(LshBand.article_id, LshBand.seed_id).where(cond).distinct())
    }


def excerpt(text: str, rng: random.Random) -> str:
    """EXCERPT_SHARE of the text's characters from a random point: a partial copy, found by containment only."""
    length = int(len(text) * EXCERPT_SHARE)
    start = rng.randrange(0, len(text) - length)
    return text[start : start + length]


def queries(size: int, n: int) -> tuple[list[dedup.Fingerprint], list[dedup.Fingerprint]]:
    """n/2 copies of random stored docs (near-duplicates and excerpts, alternating) and n/2 texts that are not
    stored; fingerprints precomputed."""
    rng = random.Random(RANDOM_SEED + size)
    dups = [
        dedup.fingerprint((near_duplicate if i % 2 else excerpt)(synthetic_text(rng.randrange(size)), rng))
        for i in range(n // 2)
    ]
    fresh = [dedup.fingerprint(synthetic_text(10**8 + size + i)) for i in range(n - n // 2)]
    return dups, fresh


def timed_lookups(
    engine: Engine, dups: Sequence[dedup.Fingerprint], fresh: Sequence[dedup.Fingerprint], budget_s: float
) -> tuple[list[Lookup], list[Lookup]]:
    """Alternate near-duplicate and new queries until all are done or the time budget is spent.

    Alternating keeps both kinds represented when the budget cuts a slow size short; the table shows
    how many lookups actually ran.
    """
    dup_res: list[Lookup] = []
    new_res: list[Lookup] = []
    deadline = time.perf_counter() + budget_s
    for i in range(max(len(dups), len(fresh))):
        if time.perf_counter() > deadline:
            break
        if i < len(dups):
            dup_res.append(lookup(engine, dups[i]))
        if i < len(fresh):
            new_res.append(lookup(engine, fresh[i]))
    return dup_res, new_res


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def peak_rss_mb() -> float:
    """This process's peak resident set (Linux reports KiB): the database client plus the lookups."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def count_rows(engine: Engine) -> tuple[int, int, int]:
    with session_scope(engine) as session:
        return (
            int(session.scalar(select(func.count()).select_from(Article)) or 0),
            int(session.scalar(select(func.count()).select_from(LshBand)) or 0),
            int(session.scalar(select(func.count()).select_from(ContainmentFingerprint)) or 0),
        )


def database_bytes(engine: Engine) -> int:
    """Size of the database on disk (SQLite file + WAL, or PostgreSQL's pg_database_size)."""
    if engine.dialect.name == "sqlite":
        path = Path(str(engine.url.database))
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one())


# --- command line -----------------------------------------------------------------------------------


def _large_cache(dbapi_connection: Any, _record: Any) -> None:
    """A bigger page cache than SQLite's 2 MB default, for the bench's bulk growth (lookups barely use it)."""
    dbapi_connection.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")


def run(sizes: Sequence[int], n_lookups: int, workers: int, budget_s: float, url: str | None) -> None:
    print(f"{'size':>9}{'stored':>9}{'bands':>10}{'fprints':>10}{'fp/art':>7}{'KB/art':>7}{'grow s':>8}"
          f"{'insert s':>9}{'mean ms':>9}{'p95 ms':>8}{'dup mean':>9}{'new mean':>9}{'cont ms':>8}"
          f"{'cand/lkp':>9}{'probe ms':>9}{'lookups':>8}{'found dup':>10}{'found new':>10}{'RSS MB':>8}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="dedup-scale-") as tmp:
        url = url or f"sqlite:///{Path(tmp) / 'scale.db'}"
        upgrade(url)
        engine = make_engine(url)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _large_cache)
        sync_seed_corpus(engine, SEEDS_DIR)
        try:
            done = 0
            for size in sizes:
                _, grow_s, insert_s = grow(engine, done, size, workers)
                done = size
                articles, bands, fprints = count_rows(engine)
                kb = database_bytes(engine) / 1024 / max(1, articles)
                dups, fresh = queries(size, n_lookups)
                for fp in fresh[:5]:  # warm the connection pool and statement cache, not timed
                    lookup(engine, fp)
                dup_res, new_res = timed_lookups(engine, dups, fresh, budget_s)
                every = dup_res + new_res
                ms = [r.ms for r in every]
                print(f"{size:>9}{articles:>9}{bands:>10}{fprints:>10}{fprints / max(1, articles):>7.1f}{kb:>7.2f}"
                      f"{grow_s:>8.1f}{insert_s:>9.1f}{statistics.mean(ms):>9.2f}"
                      f"{p95(ms):>8.2f}{statistics.mean(r.ms for r in dup_res):>9.2f}"
                      f"{statistics.mean(r.ms for r in new_res):>9.2f}"
                      f"{statistics.mean(r.containment_ms for r in every):>8.2f}"
                      f"{statistics.mean(r.candidates for r in every):>9.2f}"
                      f"{statistics.mean(r.probe_ms for r in every):>9.2f}"
                      f"{len(every):>8}{sum(r.found for r in dup_res):>6}/{len(dup_res):<3}"
                      f"{sum(r.found for r in new_res):>6}/{len(new_res):<3}"
                      f"{peak_rss_mb():>8.0f}", flush=True)  # fmt: skip
        finally:
            engine.dispose()


def backfill(n: int, workers: int) -> None:
    """Time migration 0004's backfill of the containment index over ``n`` articles stored at revision 0003."""
    with tempfile.TemporaryDirectory(prefix="dedup-backfill-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'backfill.db'}"
        upgrade(url, "0003")
        engine = make_engine(url)
        fetched_at = datetime.now(UTC)
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for fut in [pool.submit(fingerprint_range, lo, hi) for lo, hi in chunks(0, n, BATCH)]:
                insert_rows(engine, fut.result(), fetched_at, index=False)
        engine.dispose()
        started = time.perf_counter()
        upgrade(url)
        seconds = time.perf_counter() - started
        engine = make_engine(url)
        articles, _, fprints = count_rows(engine)
        engine.dispose()
    print(f"backfill of {articles} articles: {seconds:.1f}s ({articles / seconds:.0f} articles/s), {fprints} rows")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="also grow to 1M articles (long; several GB of disk)")
    parser.add_argument("--lookups", type=int, default=200, help="timed lookups per size (default 200)")
    parser.add_argument("--workers", type=int, default=2, help="fingerprinting processes (default 2)")
    parser.add_argument("--lookup-budget", type=float, default=LOOKUP_BUDGET_S, help="seconds of lookups per size")
    parser.add_argument("--database-url", help="an empty database to grow (e.g. PostgreSQL); default a temp SQLite")
    parser.add_argument("--max-size", type=int, help="stop after this size (e.g. 100000 on PostgreSQL)")
    parser.add_argument("--backfill", type=int, metavar="N", help="only time migration 0004's backfill of N articles")
    args = parser.parse_args(argv)
    if args.backfill:
        backfill(args.backfill, args.workers)
        return 0
    started = time.perf_counter()
    halves()  # fail early if the phrase source is missing
    sizes = [n for n in (FULL_SIZES if args.full else SIZES) if not args.max_size or n <= args.max_size]
    run(sizes, args.lookups, args.workers, args.lookup_budget, args.database_url)
    print(f"\ntotal {time.perf_counter() - started:.0f}s; lookups exclude fingerprinting the query "
          f"({dedup.SHINGLE_SIZE}-shingles, {dedup.NUM_PERM} permutations, {dedup.BANDS} bands)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
