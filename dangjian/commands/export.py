"""`dangjian export`: write the stored articles to a JSON-lines, CSV or Parquet file."""

from __future__ import annotations

import argparse
from pathlib import Path

from dangjian.commands.common import corpus_args


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("export", help="write the stored articles to a JSON-lines, CSV or Parquet file")
    p.add_argument("--format", required=True, choices=["jsonl", "csv", "parquet"])
    p.add_argument("--out", required=True, metavar="PATH", help="file to write (replaced if it exists)")
    corpus_args(p)
    p.add_argument(
        "--with-duplicates", action="store_true", help="also write the duplicate records to PATH's NAME.duplicates.EXT"
    )
    p.add_argument("--bom", action="store_true", help="CSV: start with a UTF-8 byte-order mark (for Excel)")
    p.add_argument(
        "--csv-raw-formulas",
        action="store_true",
        help="CSV: keep cells starting with = + - @ TAB CR as they are (by default they get a leading ' so a "
        "spreadsheet shows them as text instead of running them as formulas)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dangjian.corpus import corpus_filter
    from storage.db import make_engine
    from storage.export import export

    corpus = corpus_filter(args.site, args.since, args.until)
    engine = make_engine(args.database_url, reader=True)
    try:
        done = export(
            engine,
            args.format,
            Path(args.out),
            corpus,
            with_duplicates=args.with_duplicates,
            bom=args.bom,
            raw_formulas=args.csv_raw_formulas,
        )
    finally:
        engine.dispose()
    print(f"{done.rows} article(s) → {done.path}")
    if done.duplicates_path:
        print(f"{done.duplicates} duplicate(s) → {done.duplicates_path}")
    return 0
