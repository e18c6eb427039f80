"""One site's crawl as a request and its result, on this side of the process boundary.

The crawl runs as ``python -m crawlers.run`` in a process of its own (the Twisted reactor does not restart
inside one). Everything that starts a crawl — the flow, ``dangjian crawl``, the tests and benches — builds
its command line here, so a new option of crawlers/run.py is spelled once; what comes back (the raw-page
file and Scrapy's stats) is a CrawlResult, not a dict to be read with ``.get``. No Scrapy here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENTRY_MODULE = "crawlers.run"


class CrawlFailed(RuntimeError):
    """The crawl process itself failed (not a page: pages that fail are recorded, not raised)."""


@dataclass(frozen=True)
class CrawlRequest:
    """What to crawl and where to write it; ``argv()`` is the one command line of crawlers/run.py."""

    site: str
    out: Path
    stats: Path | None = None
    registry: Path | str | None = None
    variables: Mapping[str, str] = field(default_factory=dict)
    entry: Path | None = None  # the site's validated entry as JSON: then registry and variables are not read
    since: date | None = None
    until: date | None = None
    max_pages: int | None = None
    skip_urls: Path | None = None
    validators: Path | None = None
    archive_dir: Path | None = None
    run_label: str | None = None

    def argv(self) -> list[str]:
        """Paths are made absolute: the process runs in the project's directory, not the caller's."""
        cmd = [sys.executable, "-m", ENTRY_MODULE, "--site", self.site, "--out", _absolute(self.out)]
        if self.entry is not None:
            cmd += ["--entry", _absolute(self.entry)]
        else:
            if self.registry:
                cmd += ["--registry", _absolute(self.registry)]
            for key, value in self.variables.items():
                cmd += ["--var", f"{key}={value}"]
        options: tuple[tuple[str, object], ...] = (
            ("--stats", self.stats),
            ("--since", self.since and self.since.isoformat()),
            ("--until", self.until and self.until.isoformat()),
            ("--max-pages", self.max_pages),
            ("--skip-urls", self.skip_urls),
            ("--validators", self.validators),
            ("--archive-dir", self.archive_dir),
            ("--run", self.run_label),
        )
        for option, given in options:
            if given:
                cmd += [option, _absolute(given) if isinstance(given, Path) else str(given)]
        return cmd


def _absolute(path: Path | str) -> str:
    return str(Path(path).absolute())


@dataclass
class CrawlResult:
    """The crawl's raw-page file, Scrapy's stats of it (our keys in crawljob.stats) and its wall time."""

    raw_path: Path
    stats: dict[str, Any]
    seconds: float


def _tail(log_path: Path, lines: int = 3) -> str:
    return " | ".join(log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-lines:])


def run_crawl(request: CrawlRequest, log_path: Path, timeout_s: float | None = None) -> CrawlResult:
    """Run the crawl process, its output in ``log_path``; CrawlFailed (one line) if it did not end well.

    Without ``stats`` the result's stats are empty; with it, a crawl that wrote none has failed.
    """
    started = time.monotonic()
    with log_path.open("w", encoding="utf-8") as log_fh:
        try:
            proc = subprocess.run(
                request.argv(), stdout=log_fh, stderr=subprocess.STDOUT, timeout=timeout_s, cwd=PROJECT_ROOT
            )
        except subprocess.TimeoutExpired as exc:
            raise CrawlFailed(f"crawl of {request.site} exceeded {timeout_s:.0f}s") from exc
    if proc.returncode != 0:
        raise CrawlFailed(f"crawl of {request.site} exited with {proc.returncode}: {_tail(log_path)}")
    stats: dict[str, Any] = {}
    if request.stats is not None:
        if not request.stats.exists():
            raise CrawlFailed(f"crawl of {request.site} wrote no stats: {_tail(log_path)}")
        stats = json.loads(request.stats.read_text(encoding="utf-8"))
    return CrawlResult(request.out, stats, time.monotonic() - started)
