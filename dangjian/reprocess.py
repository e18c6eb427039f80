"""``dangjian reprocess``: today's extraction, normalization and dedup over the archive, into the corpus.

The command line over process.reprocess.reprocess_sites (the Prefect deployment ``reprocess`` runs the
same function, flows/reprocess.py). Prints what changed per site; with ``--dry-run`` what would change.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from process.reprocess import ReprocessReport, format_reports, reprocess_sites

__all__ = ["format_reports", "reports_json", "reprocess_sites"]


def reports_json(reports: list[ReprocessReport]) -> str:
    return json.dumps([asdict(r) for r in reports], ensure_ascii=False, indent=1)
