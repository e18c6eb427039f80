"""The processing core (process/) against a real SQLite file: seeds, outcomes and recorded reasons, no crawl."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, func, select

from pages.raw import RawPage
from process.run import process_pages
from process.seeds import sync_seed_corpus
from sites.registry import load_registry
from steps.decode import MAX_EXTRACT_BYTES
from storage.db import session_scope
from storage.models import Article, Attachment, Duplicate, PageError, SeedDocument

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


def test_a_multi_page_article_is_stored_once_with_the_text_of_every_page(engine: Engine) -> None:
    first, second = EXPECTED["articles"][:2]
    page = raw(first["path"])
    page.parts = [raw(second["path"]).body, b"<html><body></body></html>"]  # page 3 has no text
    page.part_urls = [page.url.replace(".html", "_1.html"), page.url.replace(".html", "_2.html")]
    summary = process_pages(engine, [page], SITE, run_id=None)
    assert summary.new == 1
    with session_scope(engine) as s:
        art = s.scalars(select(Article)).one()
        errors = s.scalars(select(PageError)).all()
    # a sentence of page 1 and one of page 2, in that order, in one article
    assert art.text.index(first["key_sentence"]) < art.text.index(second["key_sentence"])
    assert "pages_3" in art.flags and "parts_incomplete" in art.flags
    assert [(e.url, e.stage) for e in errors] == [(page.part_urls[1], "extract")]
    assert "part 3" in errors[0].reason


def test_attachments_are_recorded_once_and_never_extracted(engine: Engine) -> None:
    url = "http://127.0.0.1:9/djgz/202401/P020240101_1.pdf"
    pdf = RawPage(
        kind="attachment",
        site=SITE.name,
        url=url,
        final_url=url,
        status=200,
        headers={"content-type": "application/pdf", "content-length": "48213"},
        referer="http://127.0.0.1:9/djgz/202401/t20240101_1.html",
    )
    assert process_pages(engine, [pdf], SITE, None).attachments == 1
    process_pages(engine, [pdf], SITE, None)  # a rerun meets it again
    with session_scope(engine) as s:
        (row,) = s.scalars(select(Attachment)).all()
        assert s.scalar(select(func.count()).select_from(Article)) == 0
    assert (row.content_type, row.size, row.referer) == ("application/pdf", 48213, pdf.referer)


def test_an_oversized_page_is_refused_with_its_size_and_the_run_goes_on(engine: Engine) -> None:
    article = EXPECTED["articles"][0]
    huge = b"<html><body><p>" + "党建".encode() * (MAX_EXTRACT_BYTES // 6 + 10) + b"</p></body></html>"
    summary = process_pages(engine, [raw("/djgz/202401/t20240103_3.html", body=huge), raw(article["path"])], SITE, None)
    assert (summary.new, summary.failed) == (1, 1)
    assert "extraction limit" in summary.errors[0][1]


def test_an_overlong_url_is_stored_under_a_key_that_fits_and_stays_unique(engine: Engine) -> None:
    article = EXPECTED["articles"][0]
    base = "http://127.0.0.1:9/djgz/202401/t20240101_1.html?trap="
    one, two = raw(article["path"]), raw(EXPECTED["articles"][1]["path"])
    one.url = one.final_url = base + "a" * 1500
    two.url = two.final_url = base + "a" * 1499 + "b"
    assert process_pages(engine, [one, two], SITE, None).new == 2
    assert process_pages(engine, [one, two], SITE, None).skipped == 2  # found again by the same keys
    with session_scope(engine) as s:
        keys = s.scalars(select(Article.canonical_url)).all()
    assert len(set(keys)) == 2 and all(len(k) <= 1000 for k in keys)


def test_time_per_stage_is_reported(engine: Engine) -> None:
    summary = process_pages(engine, [raw(a["path"]) for a in EXPECTED["articles"][:3]], SITE, None)
    assert set(summary.stage_seconds) == {"decode", "extract", "normalize", "dedup", "persist"}
    assert summary.stage_seconds["extract"] > 0 and summary.stage_seconds["persist"] > 0


def test_a_pasted_image_does_not_count_against_the_size_limit(engine: Engine) -> None:
    article = EXPECTED["articles"][0]
    body = raw(article["path"]).body
    image = b'<p><img alt="x" src="data:image/png;base64,' + b"iVBORw0KGgo" * (MAX_EXTRACT_BYTES // 8) + b'"></p>'
    heavy = body.replace(b"</body>", image + b"</body>", 1)
    assert len(heavy) > MAX_EXTRACT_BYTES
    assert process_pages(engine, [raw(article["path"], body=heavy)], SITE, None).new == 1


def test_analysis_in_worker_processes_decides_exactly_as_in_one(tmp_path: Path) -> None:
    """The pool only moves the pure steps elsewhere: same outcomes, same stored rows, same order."""
    from storage.db import make_engine
    from storage.migrate import upgrade

    pages = [raw(a["path"]) for a in EXPECTED["articles"]] + [raw(r["path"]) for r in EXPECTED["reposts"]]
    pages.append(raw(EXPECTED["missing_path"], b"", 404, kind="error"))
    stored = []
    for processes in (1, 2):
        url = f"sqlite:///{tmp_path / f'p{processes}.db'}"
        upgrade(url)
        engine = make_engine(url)
        sync_seed_corpus(engine, ROOT / "seeds")
        summary = process_pages(engine, pages, SITE, None, processes=processes)
        with session_scope(engine) as s:
            rows = s.execute(select(Article.url, Article.content_hash).order_by(Article.id)).all()
            dups = s.execute(select(Duplicate.url, Duplicate.duplicate_of_seed).order_by(Duplicate.id)).all()
        engine.dispose()
        stored.append(
            (summary.new, summary.duplicate, summary.failed, [tuple(r) for r in rows], [tuple(d) for d in dups])
        )
    assert stored[0] == stored[1]
    assert stored[0][:3] == (len(EXPECTED["articles"]), len(EXPECTED["reposts"]), 1)


def test_a_lightly_edited_repost_is_a_minhash_duplicate_through_the_worker_pool(engine: Engine) -> None:
    """A copy confirmed through the worker pool: the analysis ships the fingerprint, shingles included."""
    article = EXPECTED["articles"][0]
    original = raw(article["path"])
    edited_body = original.body.replace(article["key_sentence"].encode(), "会议强调，要抓好各项任务落实。".encode(), 1)
    assert edited_body != original.body
    # Dated after the original (its URL date wins over the copied info line): a repost, not an earlier original.
    repost = raw("/djgz/202406/t20240609_9.html", body=edited_body)
    summary = process_pages(engine, [original, repost], SITE, None, processes=2)
    assert (summary.new, summary.duplicate) == (1, 1)
    with session_scope(engine) as s:
        dup = s.scalars(select(Duplicate)).one()
    assert dup.layer == "minhash" and 0.5 <= dup.similarity < 1.0 and dup.url.endswith("t20240609_9.html")


def test_a_page_the_database_rejects_does_not_take_its_batch_with_it(engine: Engine, db_url: str) -> None:
    """Pages are written in batches, each page in a savepoint: PostgreSQL refusing one value (a 来源 longer
    than its column) fails that page with the reason and keeps the others of the same transaction."""
    from process.analyze import StageClock, analyze_page
    from process.decide import record_batch

    pages = [raw(a["path"]) for a in EXPECTED["articles"][:3]]
    batch = [(page, analyze_page(page, SITE)) for page in pages]
    bad = batch[1][1]
    assert bad.article is not None
    bad.article = replace(bad.article, source="来源" * 150)  # 300 characters for a String(200) column
    outcomes = record_batch(engine, batch, SITE, None, StageClock())
    kinds = [o.kind for o in outcomes]
    with session_scope(engine) as s:
        stored = set(s.scalars(select(Article.url)))
        errors = s.execute(select(PageError.url, PageError.stage, PageError.reason)).all()
    assert {pages[0].url, pages[2].url} <= stored
    if db_url.startswith("postgresql"):
        assert kinds == ["new", "failed", "new"]
        assert [(u, st) for u, st, _ in errors] == [(pages[1].url, "pipeline")] and "DataError" in errors[0][2]
    else:  # SQLite does not enforce VARCHAR lengths
        assert kinds == ["new", "new", "new"] and not errors
