"""What one crawl did, from its stats file and its raw-page file: the report of ``dangjian crawl``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from crawlers.rawpages import read_raw_pages

# Stats the spider keeps (crawlers/spiders/portal.py). A list page that answered 304 Not Modified counts in
# both list_pages_ok and list_pages_unchanged: the flow's "did any list page work?" test reads list_pages_ok.
LIST_PAGES_OK = "dangjian/list_pages_ok"
LIST_PAGES_UNCHANGED = "dangjian/list_pages_unchanged"
LIST_PAGES_FAILED = "dangjian/failed/list"


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
            "ok": stats.get(LIST_PAGES_OK, 0),
            "unchanged": stats.get(LIST_PAGES_UNCHANGED, 0),
            "failed": stats.get(LIST_PAGES_FAILED, 0),
        },
        "articles": kinds["page"],
        "article_parts": parts,
        "attachments": kinds["attachment"],
        "skipped": {
            "already_known": stats.get("dangjian/articles_already_known", 0),
            "outside_window": stats.get("dangjian/articles_outside_window", 0),
            "forbidden_by_robots": stats.get("robotstxt/forbidden", 0),
        },
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
    return "\n".join(lines)
