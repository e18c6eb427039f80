"""The ``reprocess`` flow: dangjian reprocess from the Prefect UI (deployment ``reprocess``, manual).

Prefect layer only: it calls process.reprocess.reprocess_sites (the same function as ``dangjian reprocess``)
and publishes what changed as the flow run's artifacts (a markdown report and a table of changes).
Unreadable archive records (skipped, the rest reprocessed) fail the flow run, with the files named:
the UI's analogue of the command's non-zero exit.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run
from prefect.states import Failed, State

from flows.outcomes import ExpectedFailure
from process.reprocess import ReprocessReport, format_reports, reprocess_sites


class RecordsLost(ExpectedFailure):
    """Unreadable archive records were skipped (the rest reprocessed): the data of the run's Failed state,
    carrying the per-site results (a Failed state's data must be an exception)."""

    def __init__(self, message: str, results: dict[str, dict[str, Any]]) -> None:
        super().__init__(message)
        self.results = results


def _label() -> str:
    return f"reprocess-{flow_run.get_id() or 'local'}"


def report_markdown(reports: list[ReprocessReport]) -> str:
    lines = ["# Reprocess", "", "```", format_reports(reports, changes=False), "```"]
    if reports:
        lines += ["", f"Extraction version: `{reports[0].extraction_version}`"]
    return "\n".join(lines)


def change_rows(reports: list[ReprocessReport]) -> list[dict[str, str]]:
    return [{"site": r.site, "change": c.kind, "url": c.url, "detail": c.detail} for r in reports for c in r.changes]


@flow(name="reprocess", log_prints=True)
def reprocess(
    sites: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    dry_run: bool = False,
    registry_path: str | None = None,
    registry_vars: dict[str, str] | None = None,
    database_url: str | None = None,
    archive_dir: str | None = None,
) -> dict[str, dict[str, Any]] | State[Any]:
    """Run today's extraction, normalization and dedup over the archived responses; nothing is fetched."""
    reports = reprocess_sites(
        database_url,
        registry_path,
        registry_vars or {},
        sites,
        since,
        until,
        dry_run=dry_run,
        archive_dir=Path(archive_dir) if archive_dir else None,
        label=_label(),
    )
    get_run_logger().info("%s", format_reports(reports, changes=False))
    create_markdown_artifact(
        markdown=report_markdown(reports), key="reprocess-report", description="What reprocess changed"
    )
    rows = change_rows(reports)
    create_table_artifact(
        table=rows or [{"site": "", "change": "", "url": "", "detail": ""}],
        key="reprocess-changes",
        description=f"{len(rows)} change(s)",
    )
    result = {r.site: {"counts": r.counts, "dry_run": r.dry_run, "unreadable": r.losses.total} for r in reports}
    lost = [line for r in reports for line in r.losses.lines()]
    if lost:
        message = "records lost: " + " | ".join(lost)
        return Failed(message=message, data=RecordsLost(message, result))
    return result
