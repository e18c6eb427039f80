"""Run reports as plain text: the markdown and table the flow publishes as Prefect artifacts.

Kept apart from the flow so they are tested directly and read the same in the
UI, in logs and in the CLI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from storage.clusters import RunDuplicate

REPORT_COLUMNS = (
    ("pages_fetched", "pages"),
    ("new", "new"),
    ("duplicate", "duplicate"),
    ("spam_flagged", "spam-flagged"),
    ("failed", "failed"),
    ("skipped", "skipped"),
    ("duration_s", "seconds"),
)


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def run_markdown(
    title: str, results: Mapping[str, Mapping[str, Any]], quiet_sites: Mapping[str, int] | None = None
) -> str:
    """A per-site table, the top errors with their URLs, and sites that have gone quiet."""
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
    if quiet_sites:
        lines += ["", "## Sites with nothing new for several runs in a row (has the site changed?)", ""]
        lines += [f"- **{_cell(s)}**: {n} runs without a new article" for s, n in sorted(quiet_sites.items())]
    return "\n".join(lines) + "\n"


def new_article_rows(results: Mapping[str, Mapping[str, Any]]) -> list[dict[str, str]]:
    """Rows of the 'new articles' table artifact: title, site, published date, URL."""
    return [row for r in results.values() for row in r.get("new_articles", [])]


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
