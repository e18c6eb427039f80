"""What one crawl did, from its stats file and its raw-page file: the report of ``dangjian crawl``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from crawljob import stats as keys
from pages.stream import read_raw_pages


def crawl_report(stats: dict[str, Any], raw_path: Path | str) -> dict[str, Any]:
    """Counts of one crawl: requests, responses by status, bytes, list pages, articles, attachments, errors."""
    kinds: Counter[str] = Counter()
    parts = 0
    errors: list[dict[str, Any]] = []
    for page in read_raw_pages(raw_path):
        kinds[page.kind] += 1
        parts += len(page.parts)
        if page.kind == "error":
            errors.append({"url": page.url, "status": page.status, "reason": page.reason})
    by_status = {
        key.rsplit("/", 1)[-1]: value
        for key, value in sorted(stats.items())
        if key.startswith("downloader/response_status_count/")
    }
    return {
        "finish_reason": stats.get("finish_reason"),
        "requests": stats.get("downloader/request_count", 0),
        "responses_by_status": by_status,
        "bytes": stats.get("downloader/response_bytes", 0),
        "list_pages": {
            "ok": stats.get(keys.LIST_PAGES_OK, 0),
            "unchanged": stats.get(keys.LIST_PAGES_UNCHANGED, 0),
            "failed": stats.get(keys.LIST_PAGES_FAILED, 0),
        },
        "articles": kinds["page"],
        "article_parts": parts,
        "attachments": kinds["attachment"],
        "skipped": {
            "already_known": stats.get(keys.ARTICLES_ALREADY_KNOWN, 0),
            "outside_window": stats.get(keys.ARTICLES_OUTSIDE_WINDOW, 0),
            "forbidden_by_robots": stats.get("robotstxt/forbidden", 0),
        },
        "left_for_later": keys.left_for_later(stats),
        "errors": errors,
    }


def format_crawl_report(site: str, report: dict[str, Any]) -> str:
    lists = report["list_pages"]
    skipped = report["skipped"]
    lines = [
        f"site          {site}",
        f"finished      {report['finish_reason']}",
        f"requests      {report['requests']}",
        "responses     " + (", ".join(f"{k}: {v}" for k, v in report["responses_by_status"].items()) or "none"),
        f"bytes         {report['bytes']}",
        f"list pages    {lists['ok']} ok ({lists['unchanged']} unchanged, 304), {lists['failed']} failed",
        f"articles      {report['articles']} (+{report['article_parts']} continuation pages)",
        f"attachments   {report['attachments']}",
        f"skipped       {skipped['already_known']} already known, {skipped['outside_window']} outside the window, "
        f"{skipped['forbidden_by_robots']} forbidden by robots.txt",
        f"errors        {len(report['errors'])}",
    ]
    lines += [f"  {e['reason']}  {e['url']}" for e in report["errors"]]
    if report["left_for_later"]:
        lines.append(
            f"left for later: {report['left_for_later']} (queued or cut when the crawl closed: no record, "
            "the next run fetches them)"
        )
    return "\n".join(lines)
