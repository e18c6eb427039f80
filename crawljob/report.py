"""What one crawl did, from its stats file and its raw-page file: the report of ``dangjian crawl``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from crawljob import stats as keys
from pages.stream import read_raw_pages


@dataclass(frozen=True)
class ListPages:
    ok: int
    unchanged: int  # answered 304 Not Modified (counted in ok too)
    failed: int


@dataclass(frozen=True)
class Skipped:
    already_known: int
    outside_window: int
    forbidden_by_robots: int


@dataclass(frozen=True)
class CrawlError:
    url: str
    status: int | None
    reason: str | None


@dataclass(frozen=True)
class CrawlReport:
    """Counts of one crawl: requests, responses by status, bytes, list pages, articles, attachments, errors."""

    finish_reason: str | None
    requests: int
    responses_by_status: dict[str, int]
    bytes: int
    list_pages: ListPages
    articles: int
    article_parts: int
    attachments: int
    skipped: Skipped
    left_for_later: int
    errors: list[CrawlError] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (``dangjian crawl --json``)."""
        return asdict(self)


def crawl_report(stats: Mapping[str, Any], raw_path: Path | str) -> CrawlReport:
    kinds: Counter[str] = Counter()
    parts = 0
    errors: list[CrawlError] = []
    for page in read_raw_pages(raw_path):
        kinds[page.kind] += 1
        parts += len(page.parts)
        if page.kind == "error":
            errors.append(CrawlError(page.url, page.status, page.reason))
    by_status = {
        key.rsplit("/", 1)[-1]: value
        for key, value in sorted(stats.items())
        if key.startswith("downloader/response_status_count/")
    }
    return CrawlReport(
        finish_reason=stats.get("finish_reason"),
        requests=stats.get("downloader/request_count", 0),
        responses_by_status=by_status,
        bytes=stats.get("downloader/response_bytes", 0),
        list_pages=ListPages(
            ok=stats.get(keys.LIST_PAGES_OK, 0),
            unchanged=stats.get(keys.LIST_PAGES_UNCHANGED, 0),
            failed=stats.get(keys.LIST_PAGES_FAILED, 0),
        ),
        articles=kinds["page"],
        article_parts=parts,
        attachments=kinds["attachment"],
        skipped=Skipped(
            already_known=stats.get(keys.ARTICLES_ALREADY_KNOWN, 0),
            outside_window=stats.get(keys.ARTICLES_OUTSIDE_WINDOW, 0),
            forbidden_by_robots=stats.get("robotstxt/forbidden", 0),
        ),
        left_for_later=keys.left_for_later(stats),
        errors=errors,
    )


def format_crawl_report(site: str, report: CrawlReport) -> str:
    lists, skipped = report.list_pages, report.skipped
    lines = [
        f"site          {site}",
        f"finished      {report.finish_reason}",
        f"requests      {report.requests}",
        "responses     " + (", ".join(f"{k}: {v}" for k, v in report.responses_by_status.items()) or "none"),
        f"bytes         {report.bytes}",
        f"list pages    {lists.ok} ok ({lists.unchanged} unchanged, 304), {lists.failed} failed",
        f"articles      {report.articles} (+{report.article_parts} continuation pages)",
        f"attachments   {report.attachments}",
        f"skipped       {skipped.already_known} already known, {skipped.outside_window} outside the window, "
        f"{skipped.forbidden_by_robots} forbidden by robots.txt",
        f"errors        {len(report.errors)}",
    ]
    lines += [f"  {e.reason}  {e.url}" for e in report.errors]
    if report.left_for_later:
        lines.append(
            f"left for later: {report.left_for_later} (queued or cut when the crawl closed: no record, "
            "the next run fetches them)"
        )
    return "\n".join(lines)
