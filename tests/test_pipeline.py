"""flows/pipeline.py against a real SQLite file: seeds, outcomes and recorded reasons, no crawl."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select

from crawlers.rawpages import RawPage
from crawlers.registry import load_registry
from flows.pipeline import process_pages, sync_seed_corpus
from storage.db import session_scope
from storage.models import Duplicate, PageError, SeedDocument

ROOT = Path(__file__).resolve().parent.parent
SITE = load_registry(ROOT / "replica" / "sites.yaml", {"base_url": "http://127.0.0.1:9"})["replica-djgz"]
EXPECTED = json.loads((ROOT / "replica" / "expected.json").read_text("utf-8"))


def raw(path: str, body: bytes | None = None, status: int = 200, kind: str = "page") -> RawPage:
    if body is None:
        body = (ROOT / "replica" / "site" / path.lstrip("/")).read_bytes()
    url = "http://127.0.0.1:9" + path
    return RawPage(
        kind=kind,
        site=SITE.name,
        url=url,
        final_url=url,
        status=status,
        body=body,
        headers={"content-type": "text/html"},
        reason="HTTP 404" if kind == "error" else None,
    )


def test_seed_folder_is_indexed_once_and_followed(engine: Engine, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(ROOT / "seeds", seeds)
    assert sync_seed_corpus(engine, seeds) == (5, 0)
    assert sync_seed_corpus(engine, seeds) == (0, 0)
    (seeds / "005_new.txt").write_text("新增的参考文章，" * 30, encoding="utf-8")
    (seeds / "001_73601183d58120b9.txt").unlink()
    assert sync_seed_corpus(engine, seeds) == (1, 1)
    with session_scope(engine) as s:
        names = s.scalars(select(SeedDocument.name)).all()
        assert "005_new.txt" in names and not any(n.startswith("001_") for n in names)
        # seed 002 is indexed without its spam block and in simplified script
        text = s.scalar(select(SeedDocument.text_normalized).where(SeedDocument.name.like("002_%")))
        assert text is not None and "无码" not in text and "气象部门" in text


def test_each_page_ends_stored_duplicate_skipped_or_failed_with_its_reason(engine: Engine) -> None:
    sync_seed_corpus(engine, ROOT / "seeds")
    article = EXPECTED["articles"][0]
    pages = [
        raw(article["path"]),
        raw(EXPECTED["reposts"][0]["path"]),  # seed 002 in traditional script
        raw(EXPECTED["missing_path"], b"", 404, kind="error"),
        raw("/djgz/202401/t20240101_1.html", body=b""),  # empty body: decode error
        raw("/djgz/202401/t20240102_2.html", body="<html><body>首页</body></html>".encode()),  # no text
        raw(article["path"]),  # the same page again in one run
    ]
    summary = process_pages(engine, pages, SITE, run_id=None)
    assert (summary.new, summary.duplicate, summary.failed, summary.skipped) == (1, 1, 3, 1)
    with session_scope(engine) as s:
        dup = s.scalars(select(Duplicate)).one()
        assert dup.duplicate_of == EXPECTED["reposts"][0]["seed"] and dup.similarity > 0.9
        stages = {e.url.rsplit("/", 1)[-1]: (e.stage, e.reason) for e in s.scalars(select(PageError))}
    assert stages["t20240311_404404.html"] == ("fetch", "HTTP 404")
    assert stages["t20240101_1.html"] == ("decode", "empty body")
    assert stages["t20240102_2.html"] == ("extract", "no main text found")


def test_pages_published_outside_the_window_are_skipped(engine: Engine) -> None:
    article = EXPECTED["articles"][0]
    day = date.fromisoformat(article["published"])
    summary = process_pages(engine, [raw(article["path"])], SITE, None, since=day.replace(year=day.year + 1))
    assert (summary.new, summary.skipped) == (0, 1)
    summary = process_pages(engine, [raw(article["path"])], SITE, None, since=day, until=day)
    assert summary.new == 1
