"""End to end: a real Scrapy crawl of the replica portal on 127.0.0.1, through the real Prefect
flow (Prefect's test API), into a real SQLite file; then a second run that must change nothing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from storage.db import make_engine, session_scope
from storage.models import Article, CrawlRun, Duplicate, ListValidator, LshBand, PageError

ROOT = Path(__file__).resolve().parent.parent
REPLICA_REGISTRY = ROOT / "replica" / "sites.yaml"
SEEDS_DIR = ROOT / "seeds"
CHINA = ZoneInfo("Asia/Shanghai")
EXPECTED = json.loads((ROOT / "replica" / "expected.json").read_text("utf-8"))

pytestmark = pytest.mark.slow


def run_ingest(
    server: Any, db_url: str, incremental: bool = False, export: Path | None = None
) -> dict[str, dict[str, Any]]:
    from flows.ingest import ingest

    return ingest(
        export=str(export) if export else None,
        incremental=incremental,
        registry_path=str(REPLICA_REGISTRY),
        registry_vars={"base_url": server.base_url},
        database_url=db_url,
        seeds_dir=str(SEEDS_DIR),
    )


def table_counts(db_url: str) -> dict[str, int]:
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        counts = {
            m.__tablename__: s.scalar(select(func.count()).select_from(m)) or 0
            for m in (Article, Duplicate, PageError, LshBand)
        }
    engine.dispose()
    return counts


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DANGJIAN_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_replica_end_to_end_then_rerun_changes_nothing(
    prefect_api: None, replica: Any, db_url: str, data_dir: Path
) -> None:
    first = run_ingest(replica, db_url, export=data_dir / "exports")["replica-djgz"]
    articles = EXPECTED["articles"]
    # the run's export parameter: one dated Parquet file with exactly this run's new articles
    import pyarrow.parquet as pq

    (exported,) = (data_dir / "exports").glob("articles-*.parquet")
    assert sorted(pq.read_table(exported).column("title").to_pylist()) == sorted(a["title"] for a in articles)
    assert first["status"] == "completed"
    assert first["new"] == len(articles) == 12
    assert first["duplicate"] == 2
    assert first["failed"] == 2

    engine = make_engine(db_url)
    with session_scope(engine) as s:
        stored = {a.url.replace(replica.base_url, ""): a for a in s.scalars(select(Article))}
        assert set(stored) == {a["path"] for a in articles}
        for exp in articles:
            art = stored[exp["path"]]
            assert art.title == exp["title"], exp["path"]
            assert isinstance(art.published_at, datetime)
            assert art.published_at.astimezone(CHINA).date().isoformat() == exp["published"], exp["path"]
            assert exp["key_sentence"] in art.text, exp["path"]
            if exp["encoding"] == "gbk":
                assert "\ufffd" not in art.text and "锟" not in art.text  # no mojibake
        dups = {d.url.replace(replica.base_url, ""): d for d in s.scalars(select(Duplicate))}
        assert {p: d.duplicate_of for p, d in dups.items()} == {r["path"]: r["seed"] for r in EXPECTED["reposts"]}
        errors = {e.url.replace(replica.base_url, ""): e for e in s.scalars(select(PageError))}
        assert errors[EXPECTED["missing_path"]].status == 404
        assert errors[EXPECTED["error_path"]].status == 500
        assert all(e.stage == "fetch" and e.reason for e in errors.values())
        run = s.scalars(select(CrawlRun)).one()
        assert (run.status, run.new, run.duplicate, run.failed) == ("completed", 12, 2, 2)
    engine.dispose()

    before = table_counts(db_url)
    fetched_articles_before = sum(replica.request_counts.get(a["path"], 0) for a in articles)
    second = run_ingest(replica, db_url, incremental=True)["replica-djgz"]  # what the nightly run does
    assert (second["new"], second["duplicate"]) == (0, 0)
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        first_run, second_run = s.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
        # the nightly window starts the day before the last successful run (China time)
        expected_since = first_run.started_at.astimezone(CHINA).date() - timedelta(days=1)
        assert second_run.since == expected_since.isoformat()
        assert second_run.status == "completed"
    engine.dispose()
    assert table_counts(db_url) == before  # nothing recorded twice, LSH table did not grow
    # stored articles and known duplicates are not fetched again
    assert sum(replica.request_counts.get(a["path"], 0) for a in articles) == fetched_articles_before

    # The nightly run saved the list pages' validators (in the database, for whichever worker runs next);
    # the next nightly asks with If-Modified-Since and the unchanged column answers 304: nothing is re-read.
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        saved = s.scalars(select(ListValidator.url).where(ListValidator.site == "replica-djgz")).all()
    engine.dispose()
    assert {u.replace(replica.base_url, "") for u in saved} >= {"/djgz/index.html"}
    replica.reset_counts()
    third = run_ingest(replica, db_url, incremental=True)["replica-djgz"]
    assert third["status"] == "completed" and (third["new"], third["failed"]) == (0, 0)
    newest = max((data_dir / "runs").glob("*/replica-djgz.stats.json"), key=lambda p: p.stat().st_mtime)
    stats = json.loads(newest.read_text(encoding="utf-8"))
    assert stats["dangjian/list_pages_unchanged"] == stats["dangjian/list_pages_ok"] >= 1
    assert stats["downloader/response_status_count/304"] == stats["dangjian/list_pages_ok"]
    assert not any(replica.request_counts.get(a["path"]) for a in articles)


def test_a_rerun_counts_known_articles_as_skipped_and_says_no_new_articles(
    prefect_api: None, replica: Any, db_url: str, data_dir: Path
) -> None:
    """A backfill over what is stored: the crawl skips every known article, the report says so (it said
    0), and the new-articles artifact says there are none (it was a table of one empty row)."""
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    from flows.report import NO_NEW_ARTICLES

    run_ingest(replica, db_url)
    again = run_ingest(replica, db_url)["replica-djgz"]
    assert again["new"] == 0
    known = len(EXPECTED["articles"]) + len(EXPECTED["reposts"])  # stored articles and recorded duplicates
    assert again["skipped"] >= known, again
    with get_client(sync_client=True) as client:
        latest = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["new-articles"])),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
        )
    assert latest and latest[0].type == "markdown" and latest[0].data == NO_NEW_ARTICLES, latest
