"""Helpers for the archive tests: a real crawl of the replica in its own process, and a live ingest of
its raw-page file, as flows/ingest.py does (without Prefect, which these tests do not exercise)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawljob.request import CrawlRequest
from process.run import SiteSummary, process_raw_file
from process.seeds import sync_seed_corpus
from sites.registry import SiteConfig, load_registry
from storage.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
REPLICA_REGISTRY = ROOT / "replica" / "sites.yaml"
SEEDS_DIR = ROOT / "seeds"
SITE = "replica-djgz"


@dataclass
class Crawl:
    raw_path: Path
    archive: Path
    proc: subprocess.Popen[bytes]


def crawl_command(server: Any, tmp: Path, run: str = "r1", archive: Path | None = None) -> list[str]:
    return CrawlRequest(
        site=SITE,
        out=tmp / "runs" / run / f"{SITE}.jsonl",
        registry=REPLICA_REGISTRY,
        variables={"base_url": server.base_url},
        archive_dir=archive or tmp / "archive",
        run_label=run,
    ).argv()


def crawl(server: Any, tmp: Path, run: str = "r1") -> tuple[Path, Path]:
    """Crawl the replica once; (raw-page file, archive root)."""
    subprocess.run(crawl_command(server, tmp, run), cwd=str(ROOT), check=True, capture_output=True, timeout=120)
    return tmp / "runs" / run / f"{SITE}.jsonl", tmp / "archive"


def site_config(server: Any) -> SiteConfig:
    return load_registry(REPLICA_REGISTRY, {"base_url": server.base_url})[SITE]


def ingest(db_url: str, raw_path: Path, site: SiteConfig) -> SiteSummary:
    """The live processing of a crawl's raw pages (seeds indexed first, as the flow does)."""
    engine = make_engine(db_url)
    try:
        sync_seed_corpus(engine, SEEDS_DIR)
        return process_raw_file(engine, raw_path, site, None)
    finally:
        engine.dispose()
