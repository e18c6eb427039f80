"""``make demo``: serve the replica portal on 127.0.0.1, run the real ingest flow against it, stop.

Shows the whole product on a machine with no internet: the crawl, the
duplicates it catches (reposts of seed articles), the errors it records
(a 404 and a 500) and the per-site summary.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import select

from dangjian.commands.ingest import format_summary
from replica.server import ReplicaServer
from storage.db import make_engine, session_scope
from storage.models import Article, Duplicate, PageError

REGISTRY = Path(__file__).resolve().parent / "sites.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default="sqlite:///data/demo.db")
    args = parser.parse_args(argv)

    from flows.ingest import ingest, run_results

    with ReplicaServer() as server:
        print(f"replica portal at {server.base_url}/djgz/index.html")
        state = ingest(
            registry_path=str(REGISTRY),
            registry_vars={"base_url": server.base_url},
            database_url=args.database_url,
            return_state=True,
        )
        summary = run_results(state)
        print(f"requests served: {sum(server.request_counts.values())}")

    print()
    print(format_summary(summary))
    engine = make_engine(args.database_url)
    with session_scope(engine) as session:
        print(f"\narticles stored in {args.database_url}: {len(session.scalars(select(Article.id)).all())} in total")
        for dup in session.scalars(select(Duplicate).order_by(Duplicate.id)):
            print(f"duplicate: {dup.url} -> {dup.duplicate_of} ({dup.layer}, similarity {dup.similarity:.2f})")
        for err in session.scalars(select(PageError).order_by(PageError.id)):
            print(f"error: {err.url} [{err.stage}] {err.reason}")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
