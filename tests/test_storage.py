"""Storage against a real SQLite file: schema from migrations, idempotent writes."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, select

from storage import references, runlog, writes
from storage.db import session_scope
from storage.models import Article, Base, Duplicate, LshBand, PageError, SeedDocument
from storage.search import include_object


def new_article(n: int, **over: object) -> writes.NewArticle:
    fields: dict[str, object] = dict(
        url=f"http://127.0.0.1/a/{n}.html",
        canonical_url=f"http://127.0.0.1/a/{n}.html",
        site="s",
        title=f"标题{n}",
        published_at=None,
        source=None,
        author=None,
        editor=None,
        text=f"正文{n}",
        text_normalized=f"正文{n}",
        script="hans",
        flags="",
        content_hash=f"{n:064d}",
        encoding="utf-8",
        band_keys=(n, n + 1, n + 2),
    )
    fields.update(over)
    return writes.NewArticle(**fields)  # type: ignore[arg-type]


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        # The full-text index (FTS5 table, pg_trgm index) lives outside the models: see storage/search.py.
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_article_inserted_once_by_url_or_by_content(engine: Engine) -> None:
    with session_scope(engine) as s:
        first_id, inserted = writes.add_article(s, new_article(1), None)
        assert inserted
    with session_scope(engine) as s:
        again_id, inserted = writes.add_article(s, new_article(1), None)
        assert (again_id, inserted) == (first_id, False)
        same_text_id, inserted = writes.add_article(
            s, new_article(2, content_hash=f"{1:064d}"), None
        )  # other URL, same text
        assert (same_text_id, inserted) == (first_id, False)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 1
        assert s.scalar(select(func.count()).select_from(LshBand)) == 3


def test_lsh_candidates_find_shared_band_keys_only(engine: Engine) -> None:
    with session_scope(engine) as s:
        a_id, _ = writes.add_article(s, new_article(10, band_keys=(100, 200, 300)), None)
        writes.add_article(s, new_article(11, band_keys=(101, 201, 301)), None)
    with session_scope(engine) as s:
        found = references.lsh_candidates(s, [999, 200, 999])
        assert [r.article_id for r in found] == [a_id]
        # the same key in another band is not a match: band index is part of the key
        assert references.lsh_candidates(s, [200, 999, 999]) == []


def test_duplicates_and_errors_are_recorded_once(engine: Engine) -> None:
    ref = references.Reference(None, "000_x.txt", "正文")
    for _ in range(2):
        with session_scope(engine) as s:
            writes.add_duplicate(
                s,
                writes.duplicate_row(
                    url="http://127.0.0.1/d",
                    canonical_url="http://127.0.0.1/d",
                    site="s",
                    title=None,
                    reference=ref,
                    similarity=0.9,
                    layer="minhash",
                    run_id=None,
                ),
            )
            writes.record_page_error(
                s,
                url="http://127.0.0.1/e",
                canonical_url="http://127.0.0.1/e",
                site="s",
                stage="fetch",
                reason="HTTP 404",
                status=404,
                run_id=None,
            )
    with session_scope(engine) as s:
        dup = s.scalars(select(Duplicate)).one()
        assert dup.duplicate_of == "000_x.txt"
        err = s.scalars(select(PageError)).one()
        assert (err.status, err.occurrences) == (404, 2)


def test_seed_sync_indexes_once_and_follows_the_folder(engine: Engine) -> None:
    a = references.SeedInput("a.txt", "sha-a", "甲", "h-a", (1, 2))
    b = references.SeedInput("b.txt", "sha-b", "乙", "h-b", (3, 4))
    with session_scope(engine) as s:
        assert references.sync_seeds(s, [a, b], {"a.txt", "b.txt"}) == (2, 0)
    with session_scope(engine) as s:
        assert references.sync_seeds(s, [a], {"a.txt", "b.txt"}) == (0, 0)  # unchanged: not re-indexed
        assert references.sync_seeds(s, [], {"a.txt"}) == (0, 1)  # b.txt deleted from seeds/
    with session_scope(engine) as s:
        assert s.scalars(select(SeedDocument.name)).all() == ["a.txt"]
        assert sorted(s.scalars(select(LshBand.key))) == [1, 2]
        assert references.find_by_content_hash(s, "h-a") == references.Reference(None, "a.txt", "甲")


def test_only_runs_whose_process_is_gone_are_marked_interrupted(engine: Engine) -> None:
    """A run is interrupted when its pid is dead on this host or its heartbeat is old, never when it is
    alive (here: this very process) or alive on another machine (fresh heartbeat)."""
    import subprocess
    import sys
    from datetime import timedelta

    from storage.models import CrawlRun

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    with session_scope(engine) as s:
        alive_here = runlog.start_run(s, "f1", "s", None, None).id
        dead_here = runlog.start_run(s, "f2", "s", None, None)
        dead_here.pid = int(dead.stdout)
        elsewhere = runlog.start_run(s, "f3", "s", None, None)
        elsewhere.host, elsewhere.pid = "another-machine", 1
        silent = runlog.start_run(s, "f4", "s", None, None)
        silent.host, silent.heartbeat_at = "another-machine", runlog.utcnow() - timedelta(hours=1)
        ids = {"dead_here": dead_here.id, "elsewhere": elsewhere.id, "silent": silent.id}
    with session_scope(engine) as s:
        assert runlog.mark_stale_runs_interrupted(s, "s") == 2
    with session_scope(engine) as s:
        status = dict(s.execute(select(CrawlRun.id, CrawlRun.status)).all())
    assert status[alive_here] == "running" and status[ids["elsewhere"]] == "running"
    assert status[ids["dead_here"]] == "interrupted" and status[ids["silent"]] == "interrupted"


def test_a_second_decision_waits_for_the_first_to_commit(engine: Engine) -> None:
    """Two transactions deciding "is this new?" at once take turns (row lock on PostgreSQL, write lock
    on SQLite): the second cannot look before the first has stored what it decided."""
    import threading
    import time

    order: list[str] = []
    first_has_turn = threading.Event()

    def second() -> None:
        first_has_turn.wait()
        with session_scope(engine) as s:
            writes.take_decision_turn(s)
            order.append("second decides")
            assert s.scalar(select(func.count()).select_from(Article)) == 1  # sees the first's article

    thread = threading.Thread(target=second)
    thread.start()
    with session_scope(engine) as s:
        writes.take_decision_turn(s)
        first_has_turn.set()
        time.sleep(0.5)  # the second transaction is now trying to take its turn
        writes.add_article(s, new_article(1), None)
        order.append("first commits")
    thread.join(timeout=30)
    assert order == ["first commits", "second decides"]


def test_migration_0004_backfills_the_containment_index(db_url: str) -> None:
    """Articles and seeds stored before the containment index existed are indexed by the migration,
    and a later excerpt of a stored article finds it."""
    from pathlib import Path

    from alembic import command
    from sqlalchemy import insert

    from process.decide import find_duplicate
    from steps import dedup
    from storage.db import make_engine
    from storage.migrate import alembic_config, upgrade
    from storage.models import ContainmentFingerprint

    seeds = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))
    texts = [p.read_text(encoding="utf-8") for p in seeds]
    command.downgrade(alembic_config(db_url), "0003")
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:  # rows as a 0003 database holds them: no containment tables yet
            conn.execute(insert(SeedDocument.__table__), [{
                "name": "s.txt", "file_sha256": "x", "text_normalized": texts[0],
                "content_hash": dedup.content_hash(texts[0]), "indexed_at": runlog.utcnow(),
            }])  # fmt: skip
            conn.execute(insert(Article.__table__), [{
                "url": f"u{i}", "canonical_url": f"u{i}", "site": "s", "text": t, "text_normalized": t, "flags": "",
                "content_hash": dedup.content_hash(t), "fetched_at": runlog.utcnow(),
            } for i, t in enumerate(texts[1:])])  # fmt: skip
        upgrade(db_url)
        with session_scope(engine) as s:
            indexed = s.execute(
                select(ContainmentFingerprint.article_id, ContainmentFingerprint.seed_id).distinct()
            ).all()
            assert len(indexed) == len(texts)
            for i, text in enumerate(texts):
                excerpt = text[len(text) // 3 : len(text) // 3 + len(text) // 5]
                match = find_duplicate(s, dedup.fingerprint(excerpt))
                assert match is not None and match.layer == "containment"
                assert match.reference.label == ("s.txt" if i == 0 else f"article:{i}")
    finally:
        engine.dispose()


def test_migration_0009_rebuilds_the_index_in_the_new_fingerprint_scheme(db_url: str) -> None:
    """Band keys and fingerprints written by the old scheme are replaced by the ones the pipeline computes
    now, for seeds and articles, so that a repost stored before the upgrade is still found after it."""
    from pathlib import Path

    from alembic import command
    from sqlalchemy import insert

    from process.decide import find_duplicate
    from steps import dedup
    from storage import containment
    from storage.db import make_engine
    from storage.migrate import alembic_config, upgrade
    from storage.models import ContainmentFingerprint

    texts = [p.read_text(encoding="utf-8") for p in sorted((Path(__file__).parent.parent / "seeds").glob("*.txt"))]
    command.downgrade(alembic_config(db_url), "0008_xlang")
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:  # a 0008 corpus: its index rows are not what today's fingerprint gives
            seed_id = conn.execute(insert(SeedDocument.__table__).returning(SeedDocument.id), [{
                "name": "s.txt", "file_sha256": "x", "text_normalized": texts[0],
                "content_hash": dedup.content_hash(texts[0]), "indexed_at": runlog.utcnow(),
            }]).scalar_one()  # fmt: skip
            ids = conn.execute(insert(Article.__table__).returning(Article.id), [{
                "url": f"u{i}", "canonical_url": f"u{i}", "site": "s", "text": t, "text_normalized": t, "flags": "",
                "content_hash": dedup.content_hash(t), "fetched_at": runlog.utcnow(),
            } for i, t in enumerate(texts[1:])]).scalars().all()  # fmt: skip
            stale = [{"band": b, "key": -1 - b, "article_id": a, "seed_id": None} for a in ids for b in range(32)]
            conn.execute(insert(LshBand.__table__), stale)
            containment.index_documents(conn, [containment.Indexed((7, 8, 9), article_id=a) for a in ids])
        upgrade(db_url)
        owners = [("seed", seed_id, texts[0])] + [("article", a, t) for a, t in zip(ids, texts[1:], strict=True)]
        with session_scope(engine) as s:
            for kind, doc, text in owners:
                owner = LshBand.seed_id if kind == "seed" else LshBand.article_id
                keys = s.execute(select(LshBand.band, LshBand.key).where(owner == doc).order_by(LshBand.band)).all()
                assert [k for _, k in keys] == list(dedup.fingerprint(text).band_keys), (kind, doc)
            assert s.scalar(select(func.count()).where(ContainmentFingerprint.hash.in_((7, 8, 9)))) == 0
            for kind, doc, text in owners:
                repost = text[len(text) // 10 :]  # a repost that leaves out the lead
                match = find_duplicate(s, dedup.fingerprint(repost))
                assert match is not None and match.layer in ("minhash", "containment"), (kind, doc)
                assert match.reference.label == ("s.txt" if kind == "seed" else f"article:{doc}")
    finally:
        engine.dispose()
