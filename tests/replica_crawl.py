"""Helpers for the archive tests: a real crawl of the replica in its own process, and a live ingest of
its raw-page file, as flows/ingest.py does (without Prefect, which these tests do not exercise)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawlers.registry import SiteConfig, load_registry
from process.run import SiteSummary, process_raw_file
from process.seeds import sync_seed_corpus
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
    archive = archive or tmp / "archive"
    return [
        sys.executable,
        "-m",
        "crawlers.run",
        "--registry",
        str(REPLICA_REGISTRY),
        "--var",
        f"base_url={server.base_url}",
        "--site",
        SITE,
        "--out",
        str(tmp / "runs" / run / f"{SITE}.jsonl"),
        "--archive-dir",
        str(archive),
        "--run",
        run,
    ]


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
