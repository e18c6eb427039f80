"""Clusters a user can read: `dangjian show` on a real database (SQLite and PostgreSQL) and the run
report's duplicates table, from rows written by the repository as the pipeline writes them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine

from dangjian.cli import main
from flows.report import duplicates_markdown
from steps.chinatime import CHINA_TZ
from storage import references, runlog, writes
from storage.clusters import duplicates_of_flow_run, find_cluster
from storage.db import session_scope
from storage.migrate import alembic_config

SEED_TEXT = "甲乙丙"


def populate(engine: Engine) -> int:
    """One article with two copies (one run), a seed with one copy; returns the article id."""
    with session_scope(engine) as s:
        run = runlog.start_run(s, "flow-1", "portal", None, None)
        item = writes.NewArticle(
            url="http://127.0.0.1/a/1.html", canonical_url="http://127.0.0.1/a/1.html", site="portal",
            title="深化机关党建品牌创建", published_at=datetime(2024, 9, 2, 23, 30, tzinfo=CHINA_TZ),
            source="市直机关工委", author=None, editor=None, text="正文", text_normalized="正文", script="hans",
            flags="", content_hash="1" * 64, encoding="utf-8", band_keys=(1, 2),
        )  # fmt: skip
        article_id, _ = writes.add_article(s, item, run.id)
        for n, layer in ((1, "exact"), (2, "containment")):
            url = f"http://127.0.0.1/mirror/{n}.html"
            writes.add_duplicate(
                s,
                writes.duplicate_row(
                    url=url,
                    canonical_url=url,
                    site="mirror",
                    title=f"【转载】副本{n}",
                    reference=references.Reference(article_id, None, ""),
                    similarity=1.0 if n == 1 else 0.83,
                    layer=layer,
                    run_id=run.id,
                ),
            )
        references.sync_seeds(
            s, [references.SeedInput("000_seed.txt", "sha", SEED_TEXT, "h", (5, 6))], {"000_seed.txt"}
        )
        url = "http://127.0.0.1/b/9.html"
        writes.add_duplicate(
            s,
            writes.duplicate_row(
                url=url,
                canonical_url=url,
                site="portal",
                title="种子转载",
                reference=references.Reference(None, "000_seed.txt", ""),
                similarity=0.97,
                layer="minhash",
                run_id=None,
            ),
        )
    return article_id


def test_cluster_is_found_from_its_id_its_url_and_any_copy(engine: Engine) -> None:
    article_id = populate(engine)
    with session_scope(engine) as s:
        by_id = find_cluster(s, str(article_id))
        assert by_id is not None and [c.url for c in by_id.copies] == [
            "http://127.0.0.1/mirror/1.html",
            "http://127.0.0.1/mirror/2.html",
        ]
        assert find_cluster(s, "http://127.0.0.1/mirror/2.html") == by_id
        assert find_cluster(s, "http://127.0.0.1/a/1.html") == by_id
        seed = find_cluster(s, "http://127.0.0.1/b/9.html")
        assert seed is not None and seed.canonical.label == "000_seed.txt" and len(seed.copies) == 1
        assert find_cluster(s, "http://127.0.0.1/nowhere") is None
        report = duplicates_of_flow_run(s, "flow-1")
    assert [(d.copy.url, d.target.label) for d in report] == [
        ("http://127.0.0.1/mirror/1.html", f"article:{article_id}"),
        ("http://127.0.0.1/mirror/2.html", f"article:{article_id}"),
    ]
    table = duplicates_markdown(report)
    assert table.splitlines()[0] == "## Duplicates (2)"
    # crawled text is escaped in the report (issue #13): the URL's parentheses too
    target = f"article:{article_id} 深化机关党建品牌创建 \\(http://127.0.0.1/a/1.html\\)"
    assert f"| {target} | containment | 0.83 |" in table
    assert duplicates_markdown([]) == ""


def test_show_prints_the_cluster_in_china_time(db_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    article_id = populate(engine)
    assert main(["--database-url", db_url, "show", "http://127.0.0.1/mirror/1.html"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"article:{article_id}  深化机关党建品牌创建\n")
    assert "published  2024-09-02 (China time)" in out  # 23:30 in Beijing is 15:30 UTC: still the 2nd
    assert "source     市直机关工委" in out and "folded into it: 2 copies" in out
    assert "layer containment  similarity 0.83" in out
    assert main(["--database-url", db_url, "show", "000_seed.txt"]) == 0
    assert "seed file 000_seed.txt" in capsys.readouterr().out


def test_show_of_an_unknown_key_or_an_old_schema_is_one_line_exit_2(
    db_url: str, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    populate(engine)
    assert main(["--database-url", db_url, "show", "999999"]) == 2
    assert capsys.readouterr().err == "error: no article, duplicate or seed file known as 999999\n"
    missing = f"sqlite:///{tmp_path / 'none.db'}"
    assert main(["--database-url", missing, "show", "1"]) == 2
    assert "run `dangjian db upgrade`" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()  # read-only: nothing created
    engine.dispose()
    command.downgrade(alembic_config(db_url), "0003")
    assert main(["--database-url", db_url, "show", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: database at schema revision 0003, this version needs ") and err.count("\n") == 1
