"""``dangjian import-warc``: ingest WARC files made elsewhere (wget --warc-file, Heritrix, Common Crawl).

Each response whose URL belongs to a registry site (its allowed hosts and article URL patterns) goes
through the live processing core (process.run.process_pages: extraction, normalization, dedup, the
same decisions and the same tables) and is attributed to that site, in a crawl_runs row of its own;
every other record is counted and skipped. A record that cannot be read is skipped too (the reading
resumes at the next record), counted as unreadable and named by file: the command then exits non-zero,
since records were lost. An article the corpus already holds is skipped as known,
so importing the same file twice stores nothing twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from pages.warc import (
    ArchivedItem,
    ArchivedResponse,
    Unreadable,
    foreign_page,
    read_archive,
    read_response_at,
    warc_files,
)
from pages.warcrecords import Losses
from process.run import SiteSummary, process_pages
from process.seeds import sync_seed_corpus
from sites.origin import Origin, RefusalKind, host_in_domains
from sites.registry import SiteConfig, load_registry, select_sites
from storage import runlog
from storage.db import make_engine, session_scope
from storage.liveness import heartbeat_while
from storage.migrate import upgrade

UNREADABLE = "unreadable record"
HTML_TYPES = ("text/html", "application/xhtml+xml")
DEFAULT_SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@dataclass
class ImportReport:
    files: int = 0
    responses: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # reason → responses not imported
    sites: dict[str, SiteSummary] = field(default_factory=dict)
    losses: Losses = field(default_factory=Losses)  # unreadable records, per file

    @property
    def records_lost(self) -> int:
        return self.losses.total


def site_of(url: str, sites: Iterable[SiteConfig]) -> SiteConfig | None:
    """The first site whose origin (the crawl's own check: scheme, host, port, no credentials, no
    backslash) and article URL patterns both accept ``url``: what the crawl would not fetch, an import
    does not attribute."""
    return next((s for s in sites if Origin.of_site(s).allows(url) and s.is_article_url(url)), None)


_REFUSED: dict[RefusalKind, str] = {
    "scheme": "another scheme",
    "authority": "credentials or a backslash in the host part",
    "address": "an address the site does not allow",
    "port": "another port",
}


def unattributed(url: str, sites: Iterable[SiteConfig]) -> str:
    """Why ``url`` went to no site: the origin check's refusal when the URL names a site's host (another
    port or scheme, credentials, a backslash), else "not an article URL of a registry site"."""
    for site in sites:
        refused = Origin.of_site(site).refusal(url)
        if refused and refused.kind != "host" and host_in_domains(refused.host, site.allowed_domains):
            return f"refused by the origin policy of {site.name}: {_REFUSED[refused.kind]}"
    return "not an article URL of a registry site"


def why_not(resp: ArchivedResponse) -> str | None:
    """Why a response is not an article page to import (None: it is one)."""
    if resp.status != 200:
        return f"status {resp.status}"
    if resp.truncated:
        return "truncated"
    content_type = resp.headers.get("content-type", "").lower()
    if content_type and not content_type.startswith(HTML_TYPES):
        return "not HTML"
    return None


def _matches(files: list[Path], sites: list[SiteConfig], report: ImportReport) -> dict[str, list[tuple[Path, int]]]:
    """Where each site's article responses are: (file, offset), so bodies are not all held in memory."""
    found: dict[str, list[tuple[Path, int]]] = {}
    for path in files:
        report.files += 1
        for event in read_archive(path):
            if isinstance(event, ArchivedItem):
                continue
            if isinstance(event, Unreadable):
                report.losses.add(event)
                report.skipped[UNREADABLE] += 1
                continue
            report.responses += 1
            site = site_of(event.url, sites)
            reason = unattributed(event.url, sites) if site is None else why_not(event)
            if reason or site is None:
                report.skipped[reason or "no site"] += 1
                continue
            found.setdefault(site.name, []).append((path, event.offset))
    return found


def import_warcs(
    paths: list[str],
    database_url: str | None,
    registry_path: str | None,
    registry_vars: dict[str, str],
    sites: list[str] | None = None,
    seeds_dir: Path | None = None,
) -> ImportReport:
    """Import the WARC files named (or found under the directories named) into the corpus."""
    files = warc_files(paths)  # FileNotFoundError for a missing path
    if not files:
        raise ValueError(f"no WARC file (*.warc, *.warc.gz) under {', '.join(paths)}")
    registry = load_registry(registry_path, registry_vars)
    chosen = select_sites(registry, sites) if sites else list(registry.values())
    for path in files:  # fail before storing anything when one of them is not a WARC
        next(iter(read_archive(path)), None)
    report = ImportReport()
    found = _matches(files, chosen, report)
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        sync_seed_corpus(engine, seeds_dir or DEFAULT_SEEDS)
        for name, refs in found.items():
            report.sites[name] = _import_site(engine, registry[name], refs)
    finally:
        engine.dispose()
    return report


def _import_site(engine: Engine, site: SiteConfig, refs: list[tuple[Path, int]]) -> SiteSummary:
    with session_scope(engine) as session:
        runlog.mark_stale_runs_interrupted(session, None)  # a killed import's or reprocess's run, say
        run_id = runlog.start_run(session, "import-warc", site.name, None, None).id
    pages = (foreign_page(read_response_at(path, offset), site.name) for path, offset in refs)
    with heartbeat_while(engine, [run_id]):
        summary = process_pages(engine, pages, site, run_id)
    with session_scope(engine) as session:
        # Not "completed": that status sets the nightly run's incremental window, and an import of an
        # old file says nothing about what the site published since its last crawl.
        status = "imported" if summary.status == "completed" else summary.status
        runlog.finish_run(session, run_id, status, summary.counts(), summary.message or None)
    return summary


def format_import(report: ImportReport) -> str:
    lines = [f"{report.files} file(s), {report.responses} response(s)"]
    for name, s in report.sites.items():
        lines.append(
            f"{name}: {s.pages_fetched} page(s): new {s.new}, duplicate {s.duplicate}, "
            f"failed {s.failed}, skipped {s.skipped}"
        )
    for reason, count in sorted(report.skipped.items()):
        lines.append(f"skipped: {count} ({reason})")
    lines += report.losses.lines()
    return "\n".join(lines)
