"""Phrase search on both backends: either script, short phrases, filters, and an index that follows the
articles through updates (reprocessing), deletes and the migration's backfill."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from corpus_sample import Sample, build_sample
from sqlalchemy import Engine, delete, text, update

from dangjian.cli import main
from dangjian.corpus import corpus_filter
from dangjian.search import fold_query
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import Article
from storage.search import MARK_END, MARK_START, SearchResult, search


def find(engine: Engine, phrase: str, **filters: object) -> SearchResult:
    with session_scope(engine) as s:
        return search(s, fold_query(phrase), corpus_filter(**filters))  # type: ignore[arg-type]


def ids(result: SearchResult) -> list[int]:
    return [hit.article_id for hit in result.hits]


@pytest.fixture
def sample(engine: Engine) -> Sample:
    return build_sample(engine)


def test_a_traditional_query_finds_a_simplified_text_and_the_reverse(engine: Engine, sample: Sample) -> None:
    found = find(engine, "三聯促三動")  # traditional query, simplified article
    assert ids(found) == [sample.simplified_id]
    assert found.method in ("fts5", "pg_trgm")
    hit = found.hits[0]
    assert f"{MARK_START}三联促三动{MARK_END}" in hit.passage
    assert hit.title == "县委组织部召开党建工作推进会"
    assert sorted(hit.duplicate_urls) == ["http://127.0.0.1/beta/repost-1.html", "http://127.0.0.1/gamma/repost-2.html"]

    found = find(engine, "四个聚焦")  # simplified query, traditional article
    assert ids(found) == [sample.traditional_id]
    assert f"{MARK_START}四个聚焦{MARK_END}" in found.hits[0].passage
    assert found.hits[0].duplicate_urls == ()


def test_phrases_not_in_any_text_find_nothing(engine: Engine, sample: Sample) -> None:
    assert ids(find(engine, "四个全面")) == []  # shares trigrams with nothing stored as a phrase
    assert ids(find(engine, "聚焦三联")) == []  # every character is in the corpus, not the phrase
    assert ids(find(engine, "%_%")) == []  # LIKE wildcards are literal characters


def test_one_and_two_character_phrases_are_answered(engine: Engine, sample: Sample) -> None:
    two = find(engine, "黨建")  # traditional, two characters: in the first two texts only
    assert sorted(ids(two)) == sorted([sample.simplified_id, sample.traditional_id])
    assert two.method == "scan"
    assert all(f"{MARK_START}党建{MARK_END}" in hit.passage for hit in two.hits)
    one = find(engine, "誓")
    assert ids(one) == [sample.undated_id]


def test_site_and_china_day_filters(engine: Engine, sample: Sample) -> None:
    assert ids(find(engine, "党", sites=["beta"])) == [sample.traditional_id]
    # 2024-04-30 17:00 UTC is 2024-05-01 in China: the China day decides.
    may_first = find(engine, "党建工作", since="2024-05-01", until="2024-05-01")
    assert sorted(ids(may_first)) == sorted([sample.simplified_id, sample.traditional_id])
    assert ids(find(engine, "党建工作", until="2024-04-30")) == []
    assert ids(find(engine, "誓词", since="2024-01-01")) == []  # undated articles fall outside any window


def test_the_index_follows_reprocessing_and_deletes(engine: Engine, sample: Sample) -> None:
    with session_scope(engine) as s:
        s.execute(
            update(Article)
            .where(Article.id == sample.undated_id)
            .values(text_normalized="党支部开展主题党日活动,学习两学一做常态化制度化.")
        )
    assert ids(find(engine, "两学一做")) == [sample.undated_id]
    assert ids(find(engine, "入党誓词")) == []
    with session_scope(engine) as s:
        s.execute(delete(Article).where(Article.id == sample.undated_id))
    assert ids(find(engine, "两学一做")) == []
    if engine.dialect.name == "sqlite":  # FTS5's own check of the index against the articles table
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)"))


def test_a_rolled_back_insert_leaves_no_trace_in_the_index(engine: Engine, sample: Sample) -> None:
    from corpus_sample import article

    from storage import writes

    with pytest.raises(RuntimeError), session_scope(engine) as s:
        text_ = "这是一篇关于不忘初心牢记使命的文章,后来回滚了事务."
        writes.add_article(s, article(9, "alpha", "回滚", text_, None), None)
        raise RuntimeError("the pipeline failed after storing")
    assert ids(find(engine, "不忘初心")) == []


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    from conftest import postgres_database

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        yield url
        return
    with postgres_database() as url:
        yield url


def test_the_migration_indexes_what_is_already_stored(fresh_url: str) -> None:
    """Articles stored, then the schema taken back below the search index (0006) and up again: the upgrade
    indexes what is there. (Stored at head: today's models write columns later migrations added.)"""
    from alembic import command

    from storage.migrate import alembic_config

    upgrade(fresh_url)
    engine = make_engine(fresh_url)
    try:
        build_sample(engine)
        engine.dispose()
        command.downgrade(alembic_config(fresh_url), "0005")
        upgrade(fresh_url)
        found = find(engine, "四個聚焦")
        assert len(found.hits) == 1 and found.hits[0].title == "堅持四個聚焦 推動黨建工作"
    finally:
        engine.dispose()


def test_search_command(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    engine = make_engine(db_url)
    try:
        build_sample(engine)
    finally:
        engine.dispose()
    assert main(["--database-url", db_url, "search", "四個聚焦", "--limit", "5"]) == 0
    out = capsys.readouterr().out
    assert "1 article(s) containing '四个聚焦'" in out and "堅持四個聚焦 推動黨建工作" in out
    assert "2024-05-01 01:00 +0800" in out
    assert main(["--database-url", db_url, "search", "  "]) == 2
    assert capsys.readouterr().err.startswith("error: nothing to search for")


def test_with_a_limit_the_header_counts_hits_found(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    engine = make_engine(db_url)
    try:
        build_sample(engine)
        with session_scope(engine) as s:
            everything = search(s, fold_query("党建"), None, 100)
    finally:
        engine.dispose()
    assert len(everything.hits) >= 2, "the sample needs two articles with the phrase"
    assert main(["--database-url", db_url, "search", "党建", "--limit", "1"]) == 0
    head = capsys.readouterr().out.splitlines()[0]
    assert head.startswith(f"{len(everything.hits)} article(s) containing '党建' (showing 1)"), head
    assert main(["--database-url", db_url, "search", "党建", "--limit", "100"]) == 0
    assert "showing" not in capsys.readouterr().out.splitlines()[0]


def test_a_closed_pipe_is_a_normal_end(tmp_path: Path) -> None:
    """`dangjian extract … | head -c 100`: no 'Broken pipe' error, exit 0, on a real pipe."""
    import subprocess
    import sys

    page = tmp_path / "page.html"
    paragraph = "<p>" + "坚持党建引领，推动高质量发展。" * 40 + "</p>"
    page.write_text(f"<html><head><title>党建</title></head><body><h1>党建</h1>{paragraph * 200}</body></html>")
    cmd = [sys.executable, "-m", "dangjian.cli", "extract", str(page), "--url", "http://127.0.0.1/a.html"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.read(100)  # then close our end, as head does
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    assert first.startswith(b"{") and "Broken pipe" not in err and "Traceback" not in err, err


def test_search_and_export_do_not_create_a_missing_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "typo.db"
    assert main(["--database-url", f"sqlite:///{missing}", "search", "四个聚焦"]) == 2
    assert main(["--database-url", f"sqlite:///{missing}", "export", "--format", "csv", "--out", "x.csv"]) == 2
    assert capsys.readouterr().err == f"error: no database at {missing}\n" * 2
    assert not missing.exists()
