"""Careless and hostile input to the command line (issue #13): every expected failure is one
`error: …` line and a non-zero exit, never a traceback, and check commands never write."""

from __future__ import annotations

import hashlib
from functools import partial
from pathlib import Path

import pytest
from conftest import one_line_error

from dangjian.cli import main
from dangjian.commands.common import EXIT_USAGE
from storage.migrate import head_revision


@pytest.fixture
def corrupt_db(tmp_path: Path) -> str:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not a database " * 200)
    return f"sqlite:///{path}"


def _set_revision(url: str, revision: str) -> None:
    from sqlalchemy import text

    from storage.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :rev"), {"rev": revision})
    engine.dispose()


@pytest.fixture
def unknown_revision_db(db_url: str) -> str:
    """A database (both backends) stamped with a revision this code has never heard of."""
    _set_revision(db_url, "9999_from_the_future")
    return db_url


def _schema_digest(url: str) -> str:
    """What a check command could change: the revision and every table's row count."""
    from sqlalchemy import inspect, text

    from storage.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        tables = sorted(inspect(conn).get_table_names())
        counts = [(t, conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar()) for t in tables]
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    return hashlib.sha256(repr((revision, counts)).encode()).hexdigest()


def test_unknown_codec_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text("<html><body><p>党建</p></body></html>", encoding="utf-8")
    line = one_line_error(capsys, lambda: main(["extract", str(page), "--url", "http://x/", "--encoding", "nope-8"]))
    assert "unknown encoding: nope-8" in line


def test_extract_applies_the_pipeline_size_bound(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """50 MB of visible text ran > 600 s before; now refused at once like in the pipeline."""
    page = tmp_path / "big.html"
    page.write_bytes(b"<html><body>" + b"<p>" + "党建工作".encode() * 500_000 + b"</p>" * 4 + b"</body></html>")
    line = one_line_error(capsys, lambda: main(["extract", str(page), "--url", "http://x/"]))
    assert "extraction limit" in line


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("notaurl", "is not a database URL"),
        ("mysql://u:secret@127.0.0.1/x", "unsupported database 'mysql'"),
        ("postgresql+nosuchdriver://u@127.0.0.1/x", "driver"),
    ],
)
def test_bad_database_urls_are_one_line(capsys: pytest.CaptureFixture[str], url: str, words: str) -> None:
    for argv in (["db", "upgrade"], ["dedup-check", "-"]):
        line = one_line_error(capsys, partial(main, ["--database-url", url, *argv]))
        assert words in line and "secret" not in line


def test_unreachable_postgresql_is_one_line_before_prefect(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.test_cli import closed_port

    url = f"postgresql+psycopg://u:secret@127.0.0.1:{closed_port()}/x"
    for argv in (["db", "upgrade"], ["ingest", "--site", "12371cn"], ["dedup-check", "-"]):
        line = one_line_error(capsys, partial(main, ["--database-url", url, *argv]))
        assert "cannot use database" in line and "u:***@" in line


def test_corrupt_sqlite_file_is_one_line(capsys: pytest.CaptureFixture[str], corrupt_db: str) -> None:
    for argv in (["db", "upgrade"], ["ingest", "--site", "12371cn"], ["dedup-check", "-"]):
        line = one_line_error(capsys, partial(main, ["--database-url", corrupt_db, *argv]))
        assert "file is not a database" in line


def test_unknown_alembic_revision_is_one_line(capsys: pytest.CaptureFixture[str], unknown_revision_db: str) -> None:
    for argv in (["db", "upgrade"], ["ingest", "--site", "12371cn"], ["dedup-check", "-"]):
        line = one_line_error(capsys, partial(main, ["--database-url", unknown_revision_db, *argv]))
        assert "does not know" in line and "9999_from_the_future" in line


def test_check_command_never_writes_the_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db_url: str
) -> None:
    """dedup-check silently migrated the database it read (on both backends); now it refuses an old
    schema instead, and at the latest schema it reads without writing a row (seeds not re-indexed)."""
    _set_revision(db_url, "0002")  # an older revision: only the stamp matters to the check
    before = _schema_digest(db_url)
    text = tmp_path / "t.txt"
    text.write_text("党支部开展主题党日活动。" * 5, encoding="utf-8")
    line = one_line_error(capsys, lambda: main(["--database-url", db_url, "dedup-check", str(text)]))
    assert "run `dangjian db upgrade`" in line and "0002" in line
    assert _schema_digest(db_url) == before
    missing = tmp_path / "missing.db"
    line = one_line_error(capsys, lambda: main(["--database-url", f"sqlite:///{missing}", "dedup-check", str(text)]))
    assert "no database" in line and not missing.exists()
    # at head it runs, read-only: no seed indexed, no row written
    _set_revision(db_url, head_revision() or "")
    before = _schema_digest(db_url)
    assert main(["--database-url", db_url, "dedup-check", str(text)]) == 0
    assert '"duplicate": false' in capsys.readouterr().out
    assert _schema_digest(db_url) == before


@pytest.mark.parametrize("value", ["-5", "0", "x", "1.5", "99999999999"])
def test_max_pages_is_validated_everywhere(capsys: pytest.CaptureFixture[str], value: str) -> None:
    for argv in (["ingest", "--max-pages", value], ["crawl", "--site", "12371cn", "--max-pages", value]):
        line = one_line_error(capsys, partial(main, argv))
        assert "max pages must be an integer" in line
    from crawlers.run import main as crawl_main

    line = one_line_error(capsys, lambda: crawl_main(["--site", "x", "--out", "/dev/null", "--max-pages", value]))
    assert "max pages must be an integer" in line


def test_registry_errors_name_entry_and_field(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    registry = tmp_path / "sites.yaml"
    for extra, field in (
        ("download_delay: .inf", "download_delay"),
        ("download_delay: .nan", "download_delay"),
        ("article_url_patterns: ['/(a+)+$']", "article_url_patterns"),
        ("body_xpath: '//div[@id='", "body_xpath"),
    ):
        lines = ["sites:", "  - name: demo", "    start_urls: ['http://127.0.0.1:1/x/index.html']"]
        if not extra.startswith("article_url_patterns"):
            lines.append("    article_url_patterns: ['/t\\d+\\.html$']")
        lines.append(f"    {extra}")
        registry.write_text("\n".join(lines) + "\n", encoding="utf-8")
        line = one_line_error(capsys, lambda: main(["sites", "--registry", str(registry)]))
        assert f"site 'demo', field '{field}'" in line
    assert EXIT_USAGE == 2
