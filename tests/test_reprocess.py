"""Reprocess (issue #16): today's rules over archived pages change exactly the affected stored pages, once."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from replica_crawl import crawl, ingest, site_config
from sqlalchemy import Engine, select, text

import steps.clean
from pages.raw import RawPage
from process.reprocess import reprocess_pages, reprocess_site
from process.run import process_pages
from process.seeds import sync_seed_corpus
from process.version import extraction_version
from sites.registry import load_registry
from storage import references, runlog
from storage.db import make_engine, session_scope
from storage.models import Article, ArticleVersion, CrawlRun, Duplicate

ROOT = Path(__file__).resolve().parent.parent
SITE = load_registry(ROOT / "replica" / "sites.yaml", {"base_url": "http://127.0.0.1:9"})["replica-djgz"]
EXPECTED = json.loads((ROOT / "replica" / "expected.json").read_text("utf-8"))
NOTE = "〔附〕"  # the prefix of the paragraphs that the changed rule below removes


def add_rule(monkeypatch: pytest.MonkeyPatch, pattern: str) -> None:
    """An extraction rule changed: one more boilerplate line pattern (steps/clean.py reads the tuple per call)."""
    monkeypatch.setattr(steps.clean, "BOILERPLATE_LINES", (*steps.clean.BOILERPLATE_LINES, re.compile(pattern)))


def page(path: str, body: bytes) -> RawPage:
    url = "http://127.0.0.1:9" + path
    return RawPage("page", SITE.name, url, url, 200, body, {"content-type": "text/html; charset=utf-8"})


def replica_html(index: int) -> str:
    return (ROOT / "replica" / "site" / EXPECTED["articles"][index]["path"].lstrip("/")).read_text("utf-8")


def with_notes(html: str, *others: str) -> bytes:
    """The article with the paragraphs of others appended, each marked NOTE: a different text (most
    of it new, so not a near-duplicate), until the rule that drops NOTE lines makes it the same again."""
    paragraphs = [p for other in others for p in re.findall(r'<p style="text-indent: 2em;">(.*?)</p>', other)]
    notes = "".join(f'<p style="text-indent: 2em;">{NOTE}{p}</p>\n' for p in paragraphs)
    end = '</div>\n</div>\n<div class="editor">'
    return html.replace(end, notes + end, 1).encode()


def first_paragraphs(html: str, share: float) -> str:
    """The article cut to its first ``share`` of paragraphs: holding only part of the article, with notes
    added it neither contains it (the containment index's rule) nor overlaps it as a whole."""
    paragraphs = re.findall(r'<p style="text-indent: 2em;">.*?</p>\n?', html)
    for dropped in paragraphs[max(1, int(len(paragraphs) * share)) :]:
        html = html.replace(dropped, "", 1)
    return html


def assert_indexes_follow_the_texts(engine: Engine) -> None:
    """Both near-duplicate indexes follow roles and texts: postings only of stored articles and only of
    their current text's fingerprints (a demoted or rewritten text leaves none behind), no count below 0."""
    with session_scope(engine) as s:
        postings = s.execute(text("select article_id, hash from containment_fingerprints where article_id > 0"))
        held: dict[int, set[int]] = {}
        for article_id, fingerprint in postings:
            held.setdefault(article_id, set()).add(fingerprint)
        texts = {a.id: a.text_normalized for a in s.scalars(select(Article))}
        assert set(held) <= set(texts)
        for article_id, fingerprints in held.items():
            assert fingerprints <= set(references.winnowed_of(texts[article_id])), article_id
        assert s.execute(text("select count(*) from fingerprint_frequency where documents < 0")).scalar() == 0


def test_a_page_changes_role_both_ways_and_its_duplicates_follow(engine: Engine) -> None:
    original = page("/djgz/202405/t20240516_581203.html", replica_html(0).encode())
    annotated_html = with_notes(first_paragraphs(replica_html(0), 0.6), replica_html(1), replica_html(2))
    annotated = page("/djgz/202405/t20240516_581299.html", annotated_html)
    copy = page("/djgz/202405/t20240516_581300.html", annotated_html)
    pages = [original, annotated, copy]
    live = process_pages(engine, pages, SITE, None, processes=1)
    assert (live.new, live.duplicate) == (2, 1)  # the copy repeats the annotated page
    with session_scope(engine) as s:
        annotated_id = s.scalar(select(Article.id).where(Article.url == annotated.url))
        original_id = s.scalar(select(Article.id).where(Article.url == original.url))
        assert s.scalar(select(Duplicate.duplicate_of_article_id).where(Duplicate.url == copy.url)) == annotated_id

    with pytest.MonkeyPatch.context() as mp:
        add_rule(mp, rf"^{NOTE}")
        report = reprocess_pages(engine, pages, SITE, None, processes=1)
    assert report.counts["newly_duplicate"] == 1 and report.counts["unchanged"] == 2, report.changes
    with session_scope(engine) as s:
        assert s.scalar(select(Article.id).where(Article.url == annotated.url)) is None
        dups = {d.url: d for d in s.scalars(select(Duplicate))}
        assert dups[annotated.url].duplicate_of_article_id == original_id
        assert dups[copy.url].duplicate_of_article_id == original_id  # followed the page it repeated
        kept = s.scalars(select(ArticleVersion)).one()
        assert kept.change == "now_duplicate" and kept.article_id is None and NOTE in kept.text

    report = reprocess_pages(engine, pages, SITE, None, processes=1)  # the rule is gone again
    assert report.counts["no_longer_duplicate"] == 1 and report.counts["updated"] == 1, report.changes
    with session_scope(engine) as s:
        back = s.scalars(select(Article).where(Article.url == annotated.url)).one()
        assert NOTE in back.text and back.extraction_version == extraction_version()
        assert s.scalar(select(Duplicate.duplicate_of_article_id).where(Duplicate.url == copy.url)) == back.id
        assert s.scalar(select(Duplicate.id).where(Duplicate.url == annotated.url)) is None
    assert_indexes_follow_the_texts(engine)


def as_repost(html: str) -> bytes:
    """The article as another page of the site reposts it: its source line says 转载自 (process/canonical.py)."""
    return html.replace("来源：市税务局", "来源：转载自市税务局", 1).encode()


def hidden_tail(html: str, share: float, *others: str) -> bytes:
    """The article with its paragraphs after the first ``share`` marked NOTE (the rule below drops them),
    and the paragraphs of ``others`` appended unmarked."""
    paragraphs = re.findall(r'<p style="text-indent: 2em;">(.*?)</p>', html)
    for paragraph in paragraphs[max(1, int(len(paragraphs) * share)) :]:
        html = html.replace(f">{paragraph}</p>", f">{NOTE}{paragraph}</p>", 1)
    extra = "".join(
        f'<p style="text-indent: 2em;">{p}</p>\n'
        for o in others
        for p in re.findall(r'<p style="text-indent: 2em;">(.*?)</p>', o)
    )
    end = '</div>\n</div>\n<div class="editor">'
    return html.replace(end, extra + end, 1).encode()


@pytest.mark.parametrize("role", ["article", "duplicate"])
def test_reprocess_applies_the_live_canonical_rule_when_the_original_now_matches_its_repost(
    engine: Engine, role: str
) -> None:
    """Under an old rule the original page's text lost its tail: stored as an article of its own (role
    article: other paragraphs made it unlike the repost) or as an excerpt of the repost (role duplicate).
    Reprocessed, it holds the whole repost, and as live ingestion would, the original takes the repost's
    place as the article; the repost becomes its duplicate, its text kept."""
    repost = page("/djgz/202405/t20240516_581400.html", as_repost(replica_html(0)))
    others = (replica_html(1), replica_html(2)) if role == "article" else ()
    original = page("/djgz/202405/t20240516_581401.html", hidden_tail(replica_html(0), 0.4, *others))
    pages = [repost, original]
    with pytest.MonkeyPatch.context() as mp:
        add_rule(mp, rf"^{NOTE}")
        live = process_pages(engine, pages, SITE, None, processes=1)
    assert (live.new, live.duplicate) == ((2, 0) if role == "article" else (1, 1))
    with session_scope(engine) as s:
        repost_id, repost_text = s.execute(select(Article.id, Article.text).where(Article.url == repost.url)).one()

    report = reprocess_pages(engine, pages, SITE, None, processes=1)
    kinds = sorted(c.kind for c in report.changes)
    assert kinds == (
        ["newly_duplicate", "updated"] if role == "article" else ["newly_duplicate", "no_longer_duplicate"]
    )
    with session_scope(engine) as s:
        (kept,) = s.scalars(select(Article)).all()
        assert kept.url == original.url and NOTE in kept.text
        if role == "duplicate":
            assert kept.id == repost_id  # promote_original: the id names the cluster
        demoted = s.scalars(select(Duplicate)).one()
        assert (demoted.url, demoted.duplicate_of_article_id) == (repost.url, kept.id)
        assert "转载" not in kept.source
        versions = {v.canonical_url.rsplit("_", 1)[-1]: v.text for v in s.scalars(select(ArticleVersion))}
        assert versions["581400.html"] == repost_text  # the repost's text, as it was
        assert set(versions) == ({"581400.html", "581401.html"} if role == "article" else {"581400.html"})
    again = reprocess_pages(engine, pages, SITE, None, processes=1)
    assert again.counts["unchanged"] == 2 and not again.changes, again.changes  # idempotent
    assert_indexes_follow_the_texts(engine)


@pytest.mark.slow
def test_reprocess_of_a_real_crawl_updates_exactly_the_affected_articles_once(
    replica: Any, db_url: str, tmp_path: Path
) -> None:
    raw_path, archive = crawl(replica, tmp_path)
    site = site_config(replica)
    live = ingest(db_url, raw_path, site)
    assert (live.new, live.duplicate) == (12, 2)
    replica.reset_counts()
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as s:
            before = {a.url: (a.id, a.text) for a in s.scalars(select(Article))}
        nothing = reprocess_site(engine, archive, site, processes=1)
        assert nothing.counts["unchanged"] == 14 and len(nothing.changes) == 0

        # The changed rule: a line about a 党支部 (party branch) is dropped; only some articles have one.
        rule = r"^.*各党支部.*$"
        affected = {url for url, (_, text) in before.items() if any(re.match(rule, line) for line in text.splitlines())}
        assert 0 < len(affected) < len(before)
        with pytest.MonkeyPatch.context() as mp:
            add_rule(mp, rule)
            dry = reprocess_site(engine, archive, site, processes=1, dry_run=True)
            assert {c.url for c in dry.changes if c.kind == "updated"} == affected
            with session_scope(engine) as s:
                assert {a.url: (a.id, a.text) for a in s.scalars(select(Article))} == before  # nothing written
            first = reprocess_site(engine, archive, site, processes=1)
            second = reprocess_site(engine, archive, site, processes=1)
        assert {c.url for c in first.changes} == affected
        assert all(c.kind == "updated" for c in first.changes)
        assert first.counts["unchanged"] == 14 - len(affected)
        assert second.counts["unchanged"] == 14 and not second.changes  # idempotent
        with session_scope(engine) as s:
            after = {a.url: a for a in s.scalars(select(Article))}
            versions = {v.canonical_url: v for v in s.scalars(select(ArticleVersion))}
        assert set(after) == set(before)
        for url, art in after.items():
            old_id, old_text = before[url]
            assert art.id == old_id  # updated in place
            if url in affected:
                assert art.text != old_text and art.extraction_version == extraction_version()
                assert not any(re.match(rule, line) for line in art.text.splitlines())
            else:
                assert art.text == old_text and art.extraction_version == extraction_version()  # stamped live
        assert len(versions) == len(affected)
        assert {v.text for v in versions.values()} == {before[u][1] for u in affected}  # previous text kept
        assert replica.request_counts == {}  # nothing fetched again
        assert_indexes_follow_the_texts(engine)
    finally:
        engine.dispose()


def test_reprocess_is_recorded_but_does_not_move_the_incremental_window(engine: Engine, tmp_path: Path) -> None:
    sync_seed_corpus(engine, ROOT / "seeds")
    with session_scope(engine) as s:
        crawl_run = runlog.start_run(s, "nightly", SITE.name, None, None).id
        runlog.finish_run(s, crawl_run, "completed", {}, None)
        window = runlog.last_successful_run_start(s, SITE.name)
    report = reprocess_site(engine, tmp_path / "no-archive", SITE, processes=1)
    assert sum(report.counts.values()) == 0
    with session_scope(engine) as s:
        assert runlog.last_successful_run_start(s, SITE.name) == window
        statuses = s.scalars(select(CrawlRun.status).order_by(CrawlRun.id)).all()
    assert statuses == ["completed", "reprocessed"]


@pytest.mark.slow
def test_the_reprocess_flow_publishes_what_changed(
    prefect_api: None, replica: Any, db_url: str, tmp_path: Path
) -> None:
    """Through the flow and its analysis process pool: one stored text made by an 'older rule' (a
    leftover line appended in the database) is the one change, and the artifacts say so."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.reprocess import reprocess

    raw_path, archive = crawl(replica, tmp_path)
    ingest(db_url, raw_path, site_config(replica))
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        stale = s.scalars(select(Article).order_by(Article.id).limit(1)).one()
        stale.text += "\n【打印本页】 旧规则留下的一行"
        stale_url = stale.url
    engine.dispose()
    result = reprocess(
        sites=["replica-djgz"],
        registry_path=str(ROOT / "replica" / "sites.yaml"),
        registry_vars={"base_url": replica.base_url},
        database_url=db_url,
        archive_dir=str(archive),
    )
    counts = result["replica-djgz"]["counts"]
    assert (counts["updated"], counts["unchanged"]) == (1, 13)

    async def artifacts() -> list[Any]:
        async with get_client() as client:
            keys = ArtifactFilter(key=ArtifactFilterKey(any_=["reprocess-report", "reprocess-changes"]))
            return await client.read_artifacts(artifact_filter=keys)

    found = asyncio.run(artifacts())
    # (the session's Prefect API also holds the artifacts of the other backend's run: pick ours by URL)
    assert any(a.key == "reprocess-report" and "replica-djgz" in str(a.data) for a in found)
    assert any(a.key == "reprocess-changes" and stale_url in str(a.data) for a in found)


# --- hostile archives and databases (issue #24) -------------------------------------------------------


def write_archive(root: Path, paths: list[str]) -> Path:
    """The site's archive as a crawl of these replica articles writes it (the archive middleware itself)."""
    from types import SimpleNamespace

    from scrapy import Request, Spider
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    from crawlers.archive import WarcArchiveMiddleware

    crawler = get_crawler(Spider, {"ARCHIVE_DIR": str(root), "ARCHIVE_RUN": "r1"})
    spider = Spider(name="t")
    spider.site = SimpleNamespace(name=SITE.name)  # type: ignore[attr-defined]
    mw = WarcArchiveMiddleware.from_crawler(crawler)
    mw.spider_opened(spider)
    for path in paths:
        body = (ROOT / "replica" / "site" / path.lstrip("/")).read_bytes()
        request = Request("http://127.0.0.1:9" + path, meta={"role": "article"})
        mw.process_response(request, HtmlResponse(request.url, body=body, request=request), spider)
        mw.item_scraped(page(path, body))
    mw.spider_closed(spider)
    (file,) = (root / SITE.name).iterdir()
    return file


def damage_response_of(file: Path, url: str) -> None:
    """Break the gzip member that holds ``url``'s response record (bytes flipped in its middle)."""
    import zlib

    data, at = file.read_bytes(), 0
    while at < len(data):
        inflate = zlib.decompressobj(31)
        head = inflate.decompress(data[at:])
        end = len(data) - len(inflate.unused_data)
        if b"WARC-Type: response" in head and f"WARC-Target-URI: {url}\r\n".encode() in head:
            middle = (at + end) // 2
            file.write_bytes(data[:middle] + bytes(b ^ 0x5A for b in data[middle : middle + 16]) + data[middle + 16 :])
            return
        at = end
    raise AssertionError(f"no response record of {url}")


def reprocess_args(db_url: str, archive: Path, *extra: str) -> list[str]:
    registry = ["--registry", str(ROOT / "replica" / "sites.yaml"), "--var", "base_url=http://127.0.0.1:9"]
    where = ["--site", SITE.name, "--archive-dir", str(archive)]
    return ["--database-url", db_url, "reprocess", *where, *registry, *extra]


def test_an_unreadable_archive_record_is_skipped_and_the_run_says_so(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dangjian.cli import main

    paths = [a["path"] for a in EXPECTED["articles"][:5]]
    file = write_archive(tmp_path / "archive", paths)
    damage_response_of(file, "http://127.0.0.1:9" + paths[1])

    assert main(reprocess_args(db_url, tmp_path / "archive")) == 5
    out, err = capsys.readouterr()
    assert f"{file}: 1 unreadable record(s) skipped" in out and err == ""
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as s:
            assert {a.url for a in s.scalars(select(Article))} == {"http://127.0.0.1:9" + p for p in paths} - {
                "http://127.0.0.1:9" + paths[1]
            }  # every page after the damaged record too
            (run,) = s.scalars(select(CrawlRun)).all()
            assert f"1 unreadable WARC record(s) skipped in {file}" in (run.message or "")
    finally:
        engine.dispose()


def test_a_dry_run_never_creates_fills_or_migrates_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dangjian.cli import main
    from storage.migrate import current_revision, upgrade

    archive = tmp_path / "archive"
    write_archive(archive, [EXPECTED["articles"][0]["path"]])
    missing, empty, behind = tmp_path / "missing.db", tmp_path / "empty.db", tmp_path / "behind.db"
    empty.touch()
    upgrade(f"sqlite:///{behind}", "0007_archive")
    before = behind.read_bytes()
    for db in (missing, empty, behind):
        assert main(reprocess_args(f"sqlite:///{db}", archive, "--dry-run")) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1 and "dangjian db upgrade" in err, err
    assert not missing.exists() and empty.stat().st_size == 0
    assert behind.read_bytes() == before and current_revision(f"sqlite:///{behind}") == "0007_archive"


@pytest.mark.slow
def test_the_reprocess_flow_fails_naming_the_file_when_archive_records_were_lost(
    prefect_api: None, tmp_path: Path
) -> None:
    """The Prefect deployment's analogue of the command's exit code: the flow run ends Failed, its message
    names the file, and every readable page was still reprocessed."""
    from flows.reprocess import RecordsLost, reprocess

    paths = [a["path"] for a in EXPECTED["articles"][:3]]
    file = write_archive(tmp_path / "archive", paths)
    damage_response_of(file, "http://127.0.0.1:9" + paths[0])
    db_url = f"sqlite:///{tmp_path / 'flow.db'}"
    state = reprocess(
        sites=[SITE.name],
        registry_path=str(ROOT / "replica" / "sites.yaml"),
        registry_vars={"base_url": "http://127.0.0.1:9"},
        database_url=db_url,
        archive_dir=str(tmp_path / "archive"),
        return_state=True,
    )
    assert state.is_failed() and f"{file}: 1 unreadable record(s) skipped" in (state.message or "")
    with pytest.raises(RecordsLost) as lost:
        state.result()
    assert lost.value.results[SITE.name]["counts"]["new"] == 2 and lost.value.results[SITE.name]["unreadable"] == 1
