"""``dangjian reprocess``: today's extraction, normalization and dedup over the archive, into the corpus.

The command line over process.reprocess (the Prefect deployment ``reprocess`` runs the same function,
flows/reprocess.py). Prints what changed per site; with ``--dry-run`` what would change.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path

from crawlers.archive import default_archive_dir
from crawlers.registry import load_registry, select_sites
from process.reprocess import CHANGE_KINDS, ReprocessReport, reprocess_site
from storage.db import make_engine
from storage.migrate import upgrade


def reprocess(
    database_url: str | None,
    registry_path: str | None,
    registry_vars: dict[str, str],
    sites: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    *,
    dry_run: bool = False,
    archive_dir: Path | None = None,
    label: str = "reprocess",
) -> list[ReprocessReport]:
    """Reprocess the named sites (default: every registry site with an archive); one report per site."""
    if since and until and since > until:
        raise ValueError(f"--since {since} is after --until {until}")
    root = archive_dir or default_archive_dir()
    registry = load_registry(registry_path, registry_vars)
    chosen = select_sites(registry, sites) if sites else [s for s in registry.values() if (root / s.name).is_dir()]
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        return [reprocess_site(engine, root, site, since, until, dry_run=dry_run, label=label) for site in chosen]
    finally:
        engine.dispose()


def format_reports(reports: list[ReprocessReport], changes: bool = True) -> str:
    """A table of counts per site, then each change (not the unchanged pages) on its own line."""
    header = ["site", *CHANGE_KINDS]
    rows = [[r.site, *(str(r.counts[k]) for k in CHANGE_KINDS)] for r in reports]
    table = [header, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in table]
    if not reports:
        lines.append("(no site has an archive)")
    for report in reports:
        if changes:
            lines += [f"{c.kind:<20} {c.url}  {c.detail}" for c in report.changes]
        if report.dry_run:
            lines.append(f"{report.site}: dry run, nothing written")
    return "\n".join(lines)


def reports_json(reports: list[ReprocessReport]) -> str:
    return json.dumps([asdict(r) for r in reports], ensure_ascii=False, indent=1)
