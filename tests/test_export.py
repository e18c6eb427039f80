"""Export on both backends: every format read back by pandas / duckdb / polars gives the stored rows
(count, ids, texts, China-time dates with their offset), filters by site and China day, and the nightly
per-run file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from corpus_sample import Sample, article, build_sample
from sqlalchemy import Engine, select, update

from dangjian.cli import main
from dangjian.corpus import corpus_filter
from steps.chinatime import CHINA_TZ as CHINA
from storage import writes
from storage.db import session_scope
from storage.export import FORMATS, ExportFormat, duplicates_path, export, export_run
from storage.models import Article, Duplicate

CHINA_PUBLISHED = {1: "2024-05-01T09:30:00+08:00", 2: "2024-05-01T01:00:00+08:00", 3: None}


@pytest.fixture
def sample(engine: Engine) -> Sample:
    return build_sample(engine)


def stored(engine: Engine) -> list[Article]:
    with session_scope(engine) as s:
        return list(s.scalars(select(Article).order_by(Article.id)))


def read_text_format(path: Path, fmt: ExportFormat) -> list[dict[str, str | None]]:
    """JSON lines and CSV through pandas, every column kept as written (no type guessing)."""
    import pandas as pd

    if fmt == "jsonl":
        frame = pd.read_json(path, lines=True, dtype=False)
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame = frame.astype(object).where(frame.notna(), None)
    return [{k: (None if v in ("", None) else str(v)) for k, v in row.items()} for row in frame.to_dict("records")]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_text_formats_round_trip(engine: Engine, sample: Sample, tmp_path: Path, fmt: ExportFormat) -> None:
    out = tmp_path / f"corpus.{fmt}"
    done = export(engine, fmt, out, corpus_filter(), with_duplicates=True)
    assert (done.rows, done.duplicates, done.duplicates_path) == (3, 3, duplicates_path(out))
    rows = read_text_format(out, fmt)
    articles = stored(engine)
    assert [int(r["id"] or 0) for r in rows] == [a.id for a in articles]
    for row, art in zip(rows, articles, strict=True):
        assert (row["text"], row["text_normalized"], row["title"]) == (art.text, art.text_normalized, art.title)
        assert row["published_at"] == CHINA_PUBLISHED[art.id]
        assert datetime.fromisoformat(row["fetched_at"] or "") == art.fetched_at
        assert (row["fetched_at"] or "").endswith("+08:00")
    dups = read_text_format(done.duplicates_path, fmt)  # type: ignore[arg-type]
    targets = [r["duplicate_of_article_id"] for r in dups]
    assert [int(float(t)) if t else None for t in targets] == [sample.simplified_id] * 2 + [None]
    assert dups[0]["duplicate_of_url"] == "http://127.0.0.1/alpha/1.html"
    assert dups[2]["duplicate_of_seed"] == "001_seed.txt"


def test_parquet_round_trips_with_types_in_pandas_duckdb_and_polars(
    engine: Engine, sample: Sample, tmp_path: Path
) -> None:
    import duckdb
    import pandas as pd
    import polars as pl

    out = tmp_path / "corpus.parquet"
    export(engine, "parquet", out, corpus_filter(), with_duplicates=True)
    articles = stored(engine)

    frame = pd.read_parquet(out)
    assert str(frame["published_at"].dtype) == "datetime64[us, Asia/Shanghai]"
    assert str(frame["id"].dtype) == "int64"
    assert frame["id"].tolist() == [a.id for a in articles]
    assert frame["text"].tolist() == [a.text for a in articles]
    published = [None if pd.isna(v) else v.isoformat() for v in frame["published_at"]]
    assert published == [CHINA_PUBLISHED[a.id] for a in articles]

    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    described = dict(con.execute(f"DESCRIBE SELECT * FROM read_parquet('{out}')").fetchall()[i][:2] for i in range(3))
    assert described == {"id": "BIGINT", "site": "VARCHAR", "url": "VARCHAR"}
    kinds = {name: kind for name, kind, *_ in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{out}')").fetchall()}
    assert kinds["published_at"] == "TIMESTAMP WITH TIME ZONE" and kinds["first_run_id"] == "BIGINT"
    rows = con.execute(f"SELECT id, published_at, text_normalized FROM read_parquet('{out}') ORDER BY id").fetchall()
    assert [r[0] for r in rows] == [a.id for a in articles]
    assert [r[1] for r in rows] == [a.published_at for a in articles]  # the same instants
    assert [r[2] for r in rows] == [a.text_normalized for a in articles]

    polars_frame = pl.read_parquet(out)
    assert polars_frame.schema["published_at"] == pl.Datetime("us", "Asia/Shanghai")
    dups = pl.read_parquet(duplicates_path(out))
    assert dups.schema["similarity"] == pl.Float64 and dups.height == 3


def test_csv_byte_order_mark_is_optional(engine: Engine, sample: Sample, tmp_path: Path) -> None:
    plain, excel = tmp_path / "plain.csv", tmp_path / "excel.csv"
    export(engine, "csv", plain, corpus_filter())
    export(engine, "csv", excel, corpus_filter(), bom=True)
    assert plain.read_bytes().startswith(b"id,site,")
    assert excel.read_bytes().startswith(b"\xef\xbb\xbfid,site,")


def test_filters_by_site_and_china_day(engine: Engine, sample: Sample, tmp_path: Path) -> None:
    def exported(**filters: object) -> list[int]:
        out = tmp_path / "f.jsonl"
        export(engine, "jsonl", out, corpus_filter(**filters), with_duplicates=True)  # type: ignore[arg-type]
        return [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]

    assert exported(sites=["alpha"]) == [sample.simplified_id, sample.undated_id]
    assert exported(since="2024-05-01", until="2024-05-01") == [sample.simplified_id, sample.traditional_id]
    assert exported(until="2024-04-30") == []  # 2024-04-30 17:00 UTC is already May 1st in China
    # Duplicates follow their article: none of beta's article; the seed duplicate only without a date bound.
    dups = duplicates_path(tmp_path / "f.jsonl")
    exported(sites=["beta"])
    assert dups.read_text(encoding="utf-8") == ""
    exported(sites=["alpha"])
    assert len(dups.read_text(encoding="utf-8").splitlines()) == 3


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_command(db_url: str, tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    from storage.db import make_engine

    engine = make_engine(db_url)
    try:
        build_sample(engine)
    finally:
        engine.dispose()
    out = tmp_path / "sub" / f"corpus.{fmt}"
    args = ["--database-url", db_url, "export", "--format", fmt, "--out", str(out), "--site", "beta"]
    assert main([*args, "--with-duplicates"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"1 article(s) → {out}",
        f"0 duplicate(s) → {duplicates_path(out)}",
    ]
    assert main([*args, "--since", "2024-06-01", "--until", "2024-05-01"]) == 2
    assert capsys.readouterr().err == "error: --since 2024-06-01 is after --until 2024-05-01\n"


def test_export_run_writes_the_articles_of_one_run(engine: Engine, sample: Sample, tmp_path: Path) -> None:
    url = engine.url.render_as_string(hide_password=False)
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert export_run(url, tmp_path, datetime.now(UTC) - timedelta(minutes=5)).name.startswith("articles-")
    with session_scope(engine) as s:  # an article stored by a later run
        text_ = "新的一天,新的党建工作会议在县里召开,大家都来了."
        new_id, _ = writes.add_article(s, article(7, "alpha", "新的一天", text_, None), None)
        s.execute(update(Article).where(Article.id == new_id).values(fetched_at=later))
    import pandas as pd

    path = export_run(url, tmp_path / "nightly", later)
    assert path.name == f"articles-{later.astimezone(CHINA).strftime('%Y%m%d-%H%M%S')}.parquet"
    assert pd.read_parquet(path)["title"].tolist() == ["新的一天"]
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no .part left behind
    # By flow run: exactly what the sample's flow run stored, whatever the clock says.
    by_run = export_run(url, tmp_path / "by-run", later, flow_run_id="flow-1")
    assert sorted(pd.read_parquet(by_run)["id"].tolist()) == [
        sample.simplified_id,
        sample.traditional_id,
        sample.undated_id,
    ]
    with session_scope(engine) as s:
        assert s.scalar(select(Duplicate.id).limit(1)) is not None  # untouched
