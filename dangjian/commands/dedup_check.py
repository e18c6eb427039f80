"""`dangjian dedup-check`: check text files against the reference corpus."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from dangjian.commands.common import read_input


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("dedup-check", help="check text files against the reference corpus")
    p.add_argument("files", nargs="+", metavar="FILE", help="UTF-8 text files (- for standard input)")
    p.add_argument("--corpus", default=None, help="use the .txt files of DIR as the only references")
    p.add_argument("--seeds", default=None, help="like --corpus (kept for compatibility)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Judge text files against the reference corpus exactly as the pipeline would; one JSON line each."""
    import tempfile

    from process.decide import find_duplicate
    from process.seeds import prepare_reference_text, sync_seed_corpus
    from steps import dedup
    from steps.normalize import detect_script
    from storage.db import make_engine, session_scope
    from storage.migrate import check_database, upgrade

    with tempfile.TemporaryDirectory(prefix="dangjian-dedup-") as tmp:
        if args.corpus or args.seeds:
            # An explicit folder replaces seeds + database: index it into a throwaway database.
            url = f"sqlite:///{Path(tmp) / 'corpus.db'}"
            corpus = Path(args.corpus or args.seeds)
            if not corpus.is_dir():
                raise ValueError(f"--corpus {corpus} is not a folder")
            upgrade(url)
        else:
            # The database as the last ingest left it (its seeds included): a check never writes, so
            # it neither migrates nor re-indexes the seeds.
            url, corpus = args.database_url, None
            check_database(url)
        engine = make_engine(url)
        try:
            if corpus is not None:
                sync_seed_corpus(engine, corpus)
            for name in args.files:
                text = read_input(name).decode("utf-8", errors="replace")
                normalized = prepare_reference_text(text)
                fp = dedup.fingerprint(normalized)
                with session_scope(engine) as session:
                    match = find_duplicate(session, fp, normalized, detect_script(normalized))
                print(
                    json.dumps(
                        {
                            "file": name,
                            "duplicate": match is not None,
                            "duplicate_of": match[0].label if match else None,
                            "similarity": round(match[1], 4) if match else None,
                            "layer": match[2] if match else None,
                            **({"matched": match.detail} if match and match.detail else {}),
                        },
                        ensure_ascii=False,
                    )
                )
        finally:
            engine.dispose()
    return 0
