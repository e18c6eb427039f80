"""End to end on a replica portal that lists a 【转载】 repost above the original it copies
(replica/reposts.py): a real Scrapy crawl on 127.0.0.1, then the real processing core into SQLite and
PostgreSQL. The stored article must be the original, the repost its duplicate, in both processing orders."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from crawljob.request import CrawlRequest
from pages.raw import RawPage
from pages.stream import read_raw_pages
from process.run import process_pages
from replica.server import ReplicaServer
from sites.registry import load_registry
from steps.chinatime import CHINA_TZ
from storage import runlog
from storage.db import make_engine, session_scope
from storage.models import Article, CrawlRun, Duplicate

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "replica" / "reposts"
EXPECTED = json.loads((HERE / "expected.json").read_text(encoding="utf-8"))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[RawPage], str]:
    """One real crawl of the replica: its article pages and the base URL they were fetched from."""
    out = tmp_path_factory.mktemp("reposts") / "raw.jsonl"
    with ReplicaServer(root=HERE / "site", routes=None) as server:
        registry, variables = HERE / "sites.yaml", {"base_url": server.base_url}
        cmd = CrawlRequest("replica-reposts", out, registry=registry, variables=variables).argv()
        subprocess.run(cmd, check=True, cwd=ROOT, timeout=120, capture_output=True)
        base = server.base_url
    pages = [p for p in read_raw_pages(out) if p.kind == "page"]
    assert sorted(p.url.removeprefix(base) for p in pages) == sorted(EXPECTED["list_order"])
    return pages, base


def in_order(pages: list[RawPage], base: str, paths: list[str]) -> list[RawPage]:
    by_path = {p.url.removeprefix(base): p for p in pages}
    return [by_path[path] for path in paths]


@pytest.mark.parametrize("order", ["newest first (list order)", "oldest first"])
def test_the_original_is_stored_and_the_repost_is_its_duplicate(
    crawled: tuple[list[RawPage], str], db_url: str, order: str
) -> None:
    pages, base = crawled
    paths = EXPECTED["list_order"] if order.startswith("newest") else EXPECTED["list_order"][::-1]
    site = load_registry(HERE / "sites.yaml", {"base_url": base})["replica-reposts"]
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as s:
            run_id = runlog.start_run(s, "flow", site.name, None, None).id
        summary = process_pages(engine, in_order(pages, base, paths), site, run_id, processes=1)
        assert (summary.new, summary.duplicate) == (2, 1)  # three pages, two stories: counted once each
        with session_scope(engine) as s:
            articles = {a.url.removeprefix(base): a for a in s.scalars(select(Article))}
            dups = s.execute(select(Duplicate.url, Duplicate.duplicate_of_article_id, Duplicate.run_id)).all()
            run = s.get(CrawlRun, run_id)
            assert run is not None
        original = EXPECTED["original"]
        assert set(articles) == {original["path"], EXPECTED["other"]["path"]}
        stored = articles[original["path"]]
        assert stored.title == original["title"] and stored.source == "市税务局"
        assert stored.published_at is not None
        assert stored.published_at.astimezone(CHINA_TZ).date().isoformat() == original["published"]
        assert [(d.url.removeprefix(base), d.duplicate_of_article_id, d.run_id) for d in dups] == [
            (EXPECTED["repost"]["path"], stored.id, run_id)
        ]
    finally:
        engine.dispose()
