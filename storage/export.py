"""The corpus as JSON lines, CSV or Parquet, streamed in constant memory (`dangjian export`, the nightly export).

Rows come from storage/corpus.py one batch at a time and are written as they come (Parquet: one row
group per batch through pyarrow's ParquetWriter), so memory does not grow with the corpus
(bench/export.py measures it). Dates are shown in China time with their offset: ``2024-05-01T10:00:00+08:00``
in text formats, a ``timestamp[us, tz=Asia/Shanghai]`` column in Parquet (the instant, tagged with the zone).

Duplicates (``--with-duplicates``) go to a second file beside the first, ``NAME.duplicates.EXT``: a flat
table per kind of record is what pandas, duckdb and Excel read best, and seed duplicates have no article
to nest under.

CSV is what a spreadsheet opens, and a spreadsheet runs a cell that starts like a formula: crawled text
such as ``=HYPERLINK(…)`` or ``+1+cmd|…`` would. CSV cells starting with ``= + - @``, TAB or CR therefore
get a leading ``'`` (OWASP's advice; Excel shows the text and hides the quote) unless ``raw_formulas``.
JSON lines and Parquet stay exact.
"""

from __future__ import annotations

import csv
import json
import typing
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, fields
from datetime import datetime
from itertools import islice
from operator import attrgetter
from pathlib import Path
from types import UnionType
from typing import IO, Any, Literal

from sqlalchemy import URL, Engine, make_url

from steps.chinatime import CHINA_TZ
from storage.atomic import atomic_write
from storage.corpus import BATCH_ROWS, ArticleRecord, CorpusFilter, DuplicateRecord, iter_articles, iter_duplicates
from storage.db import database_url, make_engine, session_scope

ExportFormat = Literal["jsonl", "csv", "parquet"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS: tuple[ExportFormat, ...] = ("jsonl", "csv", "parquet")
Record = ArticleRecord | DuplicateRecord


@dataclass(frozen=True)
class WriteOptions:
    bom: bool = False  # CSV: a UTF-8 byte-order mark first, which is how Excel knows it is UTF-8
    raw_formulas: bool = False  # CSV: leave cells that start like a formula as they are


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    duplicates_path: Path | None = None
    duplicates: int = 0


def duplicates_path(path: Path) -> Path:
    """``corpus.parquet`` → ``corpus.duplicates.parquet``."""
    return path.with_name(f"{path.stem}.duplicates{path.suffix}")


def export(
    engine: Engine,
    fmt: ExportFormat,
    out: Path,
    corpus: CorpusFilter,
    *,
    with_duplicates: bool = False,
    bom: bool = False,
    raw_formulas: bool = False,
) -> ExportResult:
    """Write the selected articles (and their duplicates) to ``out``; one read transaction, one snapshot.

    Files are written under a ``.part`` name and renamed when complete (storage/atomic.py), so a reader
    (or a glob of the nightly files) never sees half an export; a target that is not a regular file, or
    is the database being read, is refused before anything is written.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    dup_out = duplicates_path(out) if with_duplicates else None
    protect = sqlite_files(engine.url)
    options = WriteOptions(bom=bom, raw_formulas=raw_formulas)
    with ExitStack() as files:  # both targets checked before the database is read or a byte written
        part = files.enter_context(atomic_write(out, protect))
        dup_part = files.enter_context(atomic_write(dup_out, protect)) if dup_out else None
        with session_scope(engine) as session:
            rows = write_records(iter_articles(session, corpus), ArticleRecord, part, fmt, options)
            dups = 0
            if dup_part:
                dups = write_records(iter_duplicates(session, corpus), DuplicateRecord, dup_part, fmt, options)
    return ExportResult(out, rows, dup_out, dups)


def sqlite_files(url: URL | str | None) -> list[Path]:
    """The SQLite file behind ``url`` (none for PostgreSQL or an in-memory database): what a file written
    by a command must never replace."""
    resolved = make_url(database_url(url)) if not isinstance(url, URL) else url
    if resolved.get_backend_name() != "sqlite" or resolved.database in (None, "", ":memory:"):
        return []
    return [Path(str(resolved.database))]


def export_run(
    database_url: str | None,
    out_dir: Path,
    run_started_at: datetime,
    fmt: ExportFormat = "parquet",
    flow_run_id: str | None = None,
) -> Path:
    """The nightly export: the articles one run stored, in a file named after the run's start (China time).

    With ``flow_run_id``, exactly the articles first stored by that flow run's site runs; without it, those
    stored since ``run_started_at`` (which also takes in a concurrent run's articles). Each article is
    stored once, so with ``flow_run_id`` the files of successive runs never overlap and together make the
    corpus since exports began (``duckdb: SELECT * FROM 'exports/articles-*.parquet'``).
    """
    stamp = run_started_at.astimezone(CHINA_TZ).strftime("%Y%m%d-%H%M%S")
    out = Path(out_dir) / f"articles-{stamp}.{fmt}"
    corpus = CorpusFilter(flow_run_id=flow_run_id) if flow_run_id else CorpusFilter(fetched_since=run_started_at)
    engine = make_engine(database_url, reader=True)
    try:
        export(engine, fmt, out, corpus)
    finally:
        engine.dispose()
    return out


# --- writers ----------------------------------------------------------------------------------------


def write_records(
    records: Iterable[Record], kind: type[Record], out: Path, fmt: ExportFormat, options: WriteOptions = WriteOptions()
) -> int:
    writers: dict[ExportFormat, Callable[[Iterable[Record], type[Record], Path, WriteOptions], int]] = {
        "jsonl": _write_jsonl,
        "csv": _write_csv,
        "parquet": _write_parquet,
    }
    return writers[fmt](records, kind, out, options)


def column_names(kind: type[Record]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(kind))


def _text_value(value: object) -> object:
    return value.astimezone(CHINA_TZ).isoformat() if isinstance(value, datetime) else value


def _text_rows(records: Iterable[Record], kind: type[Record]) -> Iterator[list[object]]:
    values = attrgetter(*column_names(kind))
    for record in records:
        yield [_text_value(v) for v in values(record)]


def _write_jsonl(records: Iterable[Record], kind: type[Record], out: Path, options: WriteOptions) -> int:
    names, count = column_names(kind), 0
    with out.open("w", encoding="utf-8", newline="\n") as f:
        for row in _text_rows(records, kind):
            f.write(json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False))
            f.write("\n")
            count += 1
    return count


def formula_guard(value: object) -> object:
    """A text cell a spreadsheet would run as a formula, with a leading ``'`` so it is shown as text."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def _write_csv(records: Iterable[Record], kind: type[Record], out: Path, options: WriteOptions) -> int:
    """RFC 4180 CSV, UTF-8 (with ``options.bom``, a byte-order mark first), formula-like cells guarded."""
    count = 0
    f: IO[str]
    with out.open("w", encoding="utf-8-sig" if options.bom else "utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(column_names(kind))
        for row in _text_rows(records, kind):
            cells = ["" if v is None else v for v in row]
            writer.writerow(cells if options.raw_formulas else [formula_guard(v) for v in cells])
            count += 1
    return count


def arrow_schema(kind: type[Record]) -> Any:
    """The Parquet schema, read off the record's type hints: one source for the columns and their types."""
    import pyarrow as pa

    base = {
        int: pa.int64(),
        str: pa.string(),
        float: pa.float64(),
        datetime: pa.timestamp("us", tz=str(CHINA_TZ)),
    }
    hints = typing.get_type_hints(kind)
    columns = []
    for name in column_names(kind):
        hint = hints[name]
        nullable = isinstance(hint, UnionType) and type(None) in hint.__args__
        python_type = next(a for a in hint.__args__ if a is not type(None)) if nullable else hint
        if typing.get_origin(python_type) is typing.Literal:  # a kind (DuplicateRecord.layer): its values' type
            python_type = type(typing.get_args(python_type)[0])
        columns.append(pa.field(name, base[python_type], nullable=nullable))
    return pa.schema(columns)


def _write_parquet(records: Iterable[Record], kind: type[Record], out: Path, options: WriteOptions) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema(kind)
    names = column_names(kind)
    values = attrgetter(*names)
    count = 0
    iterator = iter(records)
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        while batch := list(islice(iterator, BATCH_ROWS)):
            columns = zip(*(values(r) for r in batch), strict=True)
            arrays = [pa.array(column, type=field.type) for column, field in zip(columns, schema, strict=True)]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            count += len(batch)
    return count
