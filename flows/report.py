"""Run reports as plain text: the markdown and table the flow publishes as Prefect artifacts.

Kept apart from the flow so they are tested directly and read the same in the
UI, in logs and in the CLI.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from process.run import SiteSummary
from storage.clusters import RunDuplicate

# The new-articles table, in this order, newest first.
NEW_ARTICLE_COLUMNS = ("title", "published", "site", "url")

REPORT_COLUMNS = (
    ("pages_fetched", "pages"),
    ("new", "new"),
    ("duplicate", "duplicate"),
    ("spam_flagged", "spam-flagged"),
    ("failed", "failed"),
    ("skipped", "skipped"),
    ("duration_s", "seconds"),
)


# What can turn crawled text into markup: links and images ([ ] ( ) !), HTML (< >), table cells (|),
# code (`), emphasis (* and _ at a word's edge; an underscore inside a word, as in t20240311_1.html, is
# plain text in GFM and stays as it is, so URLs read and search as they are).
_MARKDOWN_SPECIAL = re.compile(r"[\\`*\[\]()<>!|~]|(?<!\w)_|_(?!\w)")


def escape_markdown(value: Any) -> str:
    """Crawled text made inert in markdown: one line, every markup character backslash-escaped.

    Why: titles, URLs and reasons come from the crawled site; ``[点我](http://evil/)`` or ``![](…)`` in a
    title became a live link or image in the run report and the new-articles table (issue #13).
    """
    text = " ".join(str(value).split())
    return _MARKDOWN_SPECIAL.sub(lambda m: "\\" + m.group(0), text)


def _cell(value: Any) -> str:
    return escape_markdown(value)


def run_markdown(title: str, summaries: Mapping[str, SiteSummary], quiet_sites: Mapping[str, int] | None = None) -> str:
    """A per-site table, the top errors with their URLs, and sites that have gone quiet."""
    results = {site: asdict(summary) for site, summary in summaries.items()}
    lines = [f"# {title}", "", "| site | status | " + " | ".join(h for _, h in REPORT_COLUMNS) + " |"]
    lines.append("|---|---|" + "---:|" * len(REPORT_COLUMNS))
    for site, r in results.items():
        cells = [_cell(r.get(key, "")) for key, _ in REPORT_COLUMNS]
        lines.append(f"| {_cell(site)} | {_cell(r.get('status', ''))} | " + " | ".join(cells) + " |")
    failed_sites = [s for s, r in results.items() if r.get("status") == "failed"]
    if failed_sites:
        lines += ["", "## Failed sites", ""]
        lines += [f"- **{_cell(s)}**: {_cell(results[s].get('message') or 'failed')}" for s in failed_sites]
    errors = [(site, url, reason) for site, r in results.items() for url, reason in r.get("errors", [])]
    if errors:
        lines += ["", "## Top errors", "", "| site | reason | URL |", "|---|---|---|"]
        lines += [f"| {_cell(s)} | {_cell(reason)} | {_cell(url)} |" for s, url, reason in errors[:20]]
    stages = [(site, r["stage_seconds"]) for site, r in results.items() if r.get("stage_seconds")]
    if stages:
        names = list(stages[0][1])
        lines += ["", "## Processing time per stage (seconds)", ""]
        lines += ["| site | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
        lines += [f"| {_cell(s)} | " + " | ".join(f"{t.get(n, 0):.2f}" for n in names) + " |" for s, t in stages]
    placed = [(site, r) for site, r in results.items() if r.get("flow_run")]
    if placed:
        lines += ["", "## Flow run and worker of each site", "", "| site | flow run | worker |", "|---|---|---|"]
        lines += [f"| {_cell(s)} | {_cell(r['flow_run'])} | {_cell(r.get('worker') or '')} |" for s, r in placed]
    left = [(site, r["left_for_later"]) for site, r in results.items() if r.get("left_for_later")]
    if left:
        lines += [
            "",
            "## Left for later",
            "",
            "Queued or cut when the crawl closed: no record yet; the next run fetches them.",
            "",
        ]
        lines += [f"- **{_cell(s)}**: left for later: {n}" for s, n in left]
    if quiet_sites:
        lines += ["", "## Sites with nothing new for several runs in a row (has the site changed?)", ""]
        lines += [f"- **{_cell(s)}**: {n} runs without a new article" for s, n in sorted(quiet_sites.items())]
    return "\n".join(lines) + "\n"


NO_NEW_ARTICLES = "No new articles in this run (the ingest-report artifact says what each site did)."


def new_article_rows(summaries: Mapping[str, SiteSummary]) -> list[dict[str, str]]:
    """Rows of the new-articles table artifact: title, published (China time), site, URL; newest first.
    Every cell is escaped: the table renders markdown, and titles and URLs come from crawled pages."""
    rows = [asdict(row) for summary in summaries.values() for row in summary.new_articles]
    rows.sort(key=lambda row: row["published"], reverse=True)
    return [{column: escape_markdown(row[column]) for column in NEW_ARTICLE_COLUMNS} for row in rows]


def duplicates_markdown(duplicates: Sequence[RunDuplicate], limit: int = 100) -> str:
    """The run's duplicates, each with what it duplicates (storage.clusters.duplicates_of_flow_run)."""
    if not duplicates:
        return ""
    lines = [f"## Duplicates ({len(duplicates)})", "", "| page | site | duplicate of | layer | similarity |"]
    lines.append("|---|---|---|---|---:|")
    for d in duplicates[:limit]:
        target = d.target.label + (f" {d.target.title}" if d.target.title and d.target.kind == "article" else "")
        if d.target.url:
            target += f" ({d.target.url})"
        page = d.copy.url + (f" {d.copy.title}" if d.copy.title else "")
        lines.append(
            f"| {_cell(page)} | {_cell(d.copy.site)} | {_cell(target)} | {_cell(d.copy.layer)} "
            f"| {d.copy.similarity:.2f} |"
        )
    if len(duplicates) > limit:
        lines.append(f"\n… and {len(duplicates) - limit} more (`dangjian show URL` prints a cluster)")
    return "\n".join(lines)
