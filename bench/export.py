"""Export and search bench: rows/s and peak memory of `dangjian export`, search latency, at 100k articles.

Run from the repository root::

    .venv/bin/python bench/export.py [--articles 100000] [--db data/bench-export.db] [--searches 30]
        [--postgres URL [--postgres-only]]

A SQLite database (migrated with Alembic, so the FTS5 index and its triggers are there) is filled with
``--articles`` synthetic articles (texts of bench/dedup_scale.py: real party-building vocabulary) in one
bulk insert; it is kept at ``--db`` and reused when it already holds that many. One article in 100 contains
四个聚焦 and one in 1,000 三联促三动; there is one duplicate per 20 articles.

Each export runs in its own process, so its peak RSS (ru_maxrss) is its own, beside a bare baseline: a plain
sqlite3 cursor writing every row to JSON lines. Search latency is the median and 95th percentile of
``storage.search.search`` in one open session (what `dangjian search` does after connecting), for a
4-character phrase (index), a 5-character rare one (index) and a 2-character one (scan), beside a bare
``instr`` scan of every text for the same 4 characters (no index).

``--postgres URL`` (an empty database) copies the same rows there at revision 0003, times the search
migration's backfill, then runs the same exports (the bare baseline: psycopg's server-side cursor) and
searches (bare: ``strpos``).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PHRASE_4, PHRASE_RARE, PHRASE_2 = "四个聚焦", "三联促三动", "聚焦"
SITES = ("12371cn", "qizhiwang", "dangjian_cn", "gov_local")


def build(db: Path, articles: int) -> None:
    """A migrated database holding ``articles`` synthetic articles (reused when it already does)."""
    from storage.migrate import upgrade

    if db.exists():
        with sqlite3.connect(db) as conn:
            if conn.execute("SELECT count(*) FROM articles").fetchone()[0] == articles:
                return
        db.unlink()
    upgrade(f"sqlite:///{db}")
    from dedup_scale import synthetic_text

    started, base = time.perf_counter(), datetime(2020, 1, 1, tzinfo=UTC)
    rng = random.Random(18)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")

    def rows() -> object:
        for n in range(1, articles + 1):
            text = synthetic_text(n)
            if n % 100 == 0:
                text = text.replace(",", f",{PHRASE_4},", 1)
            if n % 1000 == 0:
                text = text.replace(",", f",{PHRASE_RARE},", 1)
            published = base + timedelta(minutes=n * 25 + rng.randint(0, 20))
            yield (
                n,
                f"http://127.0.0.1/{n}.html",
                f"http://127.0.0.1/{n}.html",
                SITES[n % len(SITES)],
                f"标题{n} " + text[:20],
                published.strftime("%Y-%m-%d %H:%M:%S.%f"),
                text,
                text,
                "hans",
                "",
                f"{n:064d}",
                "utf-8",
                published.strftime("%Y-%m-%d %H:%M:%S.%f"),
            )

    with conn:
        conn.executemany(
            "INSERT INTO articles (id, url, canonical_url, site, title, published_at, text, text_normalized,"
            " script, flags, content_hash, encoding, fetched_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows(),  # type: ignore[arg-type]
        )
        conn.executemany(
            "INSERT INTO duplicates (url, canonical_url, site, duplicate_of_article_id, similarity, layer,"
            " recorded_at) VALUES (?,?,?,?,?,?,?)",
            (
                (f"http://127.0.0.1/r{n}", f"http://127.0.0.1/r{n}", "repost", n, 0.9, "minhash", "2024-01-01 00:00:00")
                for n in range(20, articles + 1, 20)
            ),
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    size = db.stat().st_size / 1e6
    print(f"built {articles} articles in {time.perf_counter() - started:.0f} s ({size:.0f} MB with the index)")


# --- PostgreSQL ------------------------------------------------------------------------------------


def copy_to_postgres(db: Path, url: str) -> None:
    """The same rows into PostgreSQL at revision 0003 (COPY), then the search migration: its backfill
    (building the pg_trgm index over what is stored) is timed."""
    import psycopg
    from sqlalchemy.engine import make_url

    from storage.migrate import upgrade

    upgrade(url, "0003")
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    started = time.perf_counter()
    source = sqlite3.connect(db)
    with psycopg.connect(dsn) as pg, pg.cursor() as cur:
        for table, columns in (
            ("articles", "id, url, canonical_url, site, title, published_at, text, text_normalized, script, flags,"
             " content_hash, encoding, fetched_at"),
            ("duplicates", "url, canonical_url, site, duplicate_of_article_id, similarity, layer, recorded_at"),
        ):  # fmt: skip
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in source.execute(f"SELECT {columns} FROM {table}"):
                    copy.write_row(row)
        cur.execute("SELECT setval('articles_id_seq', (SELECT max(id) FROM articles))")
    print(f"copied to PostgreSQL in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    upgrade(url)
    print(f"migration 0006_search (pg_trgm GIN index over the stored texts): {time.perf_counter() - started:.0f} s")


# --- one export per process -------------------------------------------------------------------------


def baseline(url: str, out: Path) -> int:
    """The bare floor: the driver's own cursor (server-side on PostgreSQL), every row as a JSON line."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        conn = sqlite3.connect(parsed.database or "")
        cursor = conn.execute("SELECT * FROM articles ORDER BY id")
    else:
        import psycopg

        conn = psycopg.connect(parsed.set(drivername="postgresql").render_as_string(hide_password=False))  # type: ignore[assignment]
        cursor = conn.cursor(name="bare")  # type: ignore[call-arg]
        cursor.execute("SELECT * FROM articles ORDER BY id")
    count = 0
    with out.open("w", encoding="utf-8") as f:
        names = None
        for row in cursor:
            names = names or [d[0] for d in cursor.description]
            f.write(json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False, default=str) + "\n")
            count += 1
    return count


def peak_rss_mb() -> float:
    """This process's high-water resident set (VmHWM). Not ru_maxrss: Linux carries that over from the
    parent across fork and exec, so a child of the bench would report the bench's own peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(kind: str, url: str, out: Path) -> None:
    """Child process: run one export (timed after the imports), print its figures as JSON."""
    if kind == "baseline":
        started = time.perf_counter()
        rows = baseline(url, out)
    else:
        from storage.corpus import CorpusFilter
        from storage.db import make_engine
        from storage.export import export

        engine = make_engine(url, reader=True)
        started = time.perf_counter()
        rows = export(engine, kind, out, CorpusFilter(), with_duplicates=True).rows  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    peak_mb = peak_rss_mb()
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak_mb, "bytes": out.stat().st_size}))


def exports(url: str) -> None:
    print(f"\n{'export':<24}{'rows':>9}{'s':>8}{'rows/s':>10}{'peak RSS MB':>13}{'file MB':>9}")
    with tempfile.TemporaryDirectory(prefix="dangjian-bench-") as tmp:
        for kind, ext in (("baseline", "jsonl"), ("jsonl", "jsonl"), ("csv", "csv"), ("parquet", "parquet")):
            out = Path(tmp) / f"{kind}.{ext}"
            done = subprocess.run(
                [sys.executable, __file__, "--one", kind, "--url", url, "--out", str(out)],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(done.stdout.strip().splitlines()[-1])
            label = "driver → JSONL (bare)" if kind == "baseline" else f"dangjian export {kind}"
            print(
                f"{label:<24}{r['rows']:>9}{r['seconds']:>8.1f}{r['rows'] / r['seconds']:>10.0f}"
                f"{r['peak_mb']:>13.0f}{r['bytes'] / 1e6:>9.0f}"
            )
            out.unlink()


# --- search -----------------------------------------------------------------------------------------


def timed(fn: object, times: int) -> tuple[float, float, object]:
    samples, result = [], None
    for _ in range(times):
        started = time.perf_counter()
        result = fn()  # type: ignore[operator]
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))], result


def searches(url: str, times: int) -> None:
    from sqlalchemy import text

    from storage.db import make_engine, session_scope
    from storage.search import search

    engine = make_engine(url, reader=True)
    print(f"\n{'search (limit 20)':<40}{'hits':>6}{'median ms':>11}{'p95 ms':>9}")
    position = "instr" if engine.dialect.name == "sqlite" else "strpos"
    with session_scope(engine) as session:
        for phrase in (PHRASE_4, PHRASE_RARE, PHRASE_2):
            med, p95, result = timed(lambda p=phrase: search(session, p, limit=20), times)  # type: ignore[misc]
            label = f"{phrase} ({result.method})"  # type: ignore[attr-defined]
            print(f"{label:<40}{len(result.hits):>6}{med:>11.1f}{p95:>9.1f}")  # type: ignore[attr-defined]
        for what, sql in (
            ("first 20", f"SELECT id FROM articles WHERE {position}(text_normalized, :p) > 0 LIMIT 20"),
            ("all", f"SELECT id FROM articles WHERE {position}(text_normalized, :p) > 0"),
        ):
            query = text(sql).bindparams(p=PHRASE_4)
            med, p95, rows = timed(lambda q=query: session.execute(q).all(), max(3, times // 5))  # type: ignore[misc]
            label = f"{PHRASE_4} (bare {position} scan, {what})"
            print(f"{label:<40}{len(rows):>6}{med:>11.1f}{p95:>9.1f}")  # type: ignore[arg-type]
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "bench-export.db")
    parser.add_argument("--searches", type=int, default=30)
    parser.add_argument(
        "--postgres", default=None, metavar="URL", help="also copy the rows into this (empty) database and bench there"
    )
    parser.add_argument("--postgres-only", action="store_true", help="with --postgres: skip the SQLite figures")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--url", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(args.one, args.url, args.out)
        return
    args.db.parent.mkdir(parents=True, exist_ok=True)
    build(args.db, args.articles)
    if not args.postgres_only:
        print("\n== SQLite")
        exports(f"sqlite:///{args.db}")
        searches(f"sqlite:///{args.db}", args.searches)
    if args.postgres:
        print("\n== PostgreSQL")
        copy_to_postgres(args.db, args.postgres)
        exports(args.postgres)
        searches(args.postgres, args.searches)


if __name__ == "__main__":
    main()
