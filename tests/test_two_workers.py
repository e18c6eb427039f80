"""Two Prefect workers on one work pool, sharing one PostgreSQL database, for real.

A backfill with ``fan_out`` becomes one flow run per site; the two workers pick
them up in parallel. The three sites serve the same articles under different
URLs (mirrors, as reposting portals do), so the same article reaches both
workers at about the same time: it must be stored once, the database deciding.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from conftest import BIN, ROOT, postgres_database
from sqlalchemy import func, select

from replica.server import ReplicaServer
from storage.db import make_engine, session_scope
from storage.models import Article, CrawlRun, Duplicate, PageError

EXPECTED = json.loads((ROOT / "replica" / "expected.json").read_text("utf-8"))
SITES = ("mirror-a", "mirror-b", "mirror-c")
WORKER_CMD = (str(BIN / "prefect"), "worker", "start", "--pool", "dangjian-process")

pytestmark = pytest.mark.slow


@pytest.fixture
def two_workers(prefect_env: dict[str, str]) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Workers w1 and w2 on the pool, two flow runs at a time each (the fan-out parent takes a slot)."""
    home = Path(prefect_env["PREFECT_HOME"])
    procs: list[subprocess.Popen[bytes]] = []
    with ExitStack() as stack:
        for name in ("w1", "w2"):
            log = stack.enter_context((home / f"{name}.log").open("wb"))
            procs.append(
                subprocess.Popen(
                    [*WORKER_CMD, "--name", name, "--limit", "2"],
                    env={**prefect_env, "DANGJIAN_WORKER_NAME": name},
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        try:
            yield procs
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=30)


def mirror_registry(path: Path) -> Path:
    """Three registry entries, each the replica portal under its own {base_N} URL."""
    entries = [
        {
            "name": name,
            "title": f"mirror {i}",
            "start_urls": [f"{{base_{i}}}/djgz/index.html"],
            "allowed_domains": ["127.0.0.1"],
            "article_url_patterns": [r"/djgz/\d{6}/t\d{8}_\d+\.html$"],
            "list_url_patterns": [r"/djgz/index(?:_\d+)?\.html$"],
            "download_delay": 0,
        }
        for i, name in enumerate(SITES)
    ]
    path.write_text(json.dumps({"sites": entries}, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
    return path


def test_a_fanned_out_backfill_runs_on_both_workers_and_stores_each_article_once(
    prefect_env: dict[str, str], two_workers: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with ExitStack() as stack:
        servers = [stack.enter_context(ReplicaServer()) for _ in SITES]
        database_url = stack.enter_context(postgres_database())
        parameters: dict[str, Any] = {
            "since": "2022-01-01",
            "until": "2025-12-31",
            "registry_path": str(mirror_registry(tmp_path / "mirrors.yaml")),
            "registry_vars": {f"base_{i}": s.base_url for i, s in enumerate(servers)},
            "database_url": database_url,
            "fan_out": True,
        }
        with temporary_settings(updates={PREFECT_API_URL: prefect_env["PREFECT_API_URL"]}):
            parent = run_deployment("ingest/backfill", parameters=parameters, timeout=480, poll_interval=2)
        assert parent.state is not None and parent.state.is_completed(), parent.state

        engine = make_engine(database_url)
        try:
            with session_scope(engine) as s:
                runs = s.scalars(select(CrawlRun)).all()
                texts = s.scalars(select(Article.content_hash)).all()
                article_urls = set(s.scalars(select(Article.url)))
                duplicate_urls = set(s.scalars(select(Duplicate.url)))
                errors = s.scalar(select(func.count()).select_from(PageError))
        finally:
            engine.dispose()

    # one flow run per site, on both workers, at the same time
    assert sorted(r.site for r in runs) == sorted(SITES)
    assert {r.status for r in runs} == {"completed"}
    assert {r.worker for r in runs} == {"w1", "w2"}
    on_w1 = [r for r in runs if r.worker == "w1"]
    on_w2 = [r for r in runs if r.worker == "w2"]
    assert any(
        a.started_at < b.finished_at and b.started_at < a.finished_at  # type: ignore[operator]
        for a in on_w1
        for b in on_w2
    ), [(r.worker, r.started_at, r.finished_at) for r in runs]

    # every article of the portal stored exactly once; each mirror's copies recorded as duplicates
    assert len(texts) == len(set(texts)) == len(EXPECTED["articles"])
    for server in servers:
        for article in EXPECTED["articles"]:
            url = server.base_url + article["path"]
            assert (url in article_urls) != (url in duplicate_urls), url
    assert sum(r.new for r in runs) == len(EXPECTED["articles"])
    assert errors == 2 * len(SITES)  # each mirror's 404 and 500, one row per URL
