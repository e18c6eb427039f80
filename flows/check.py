"""The ``registry-check`` Prefect flow: do the registry's entries still work on their live portals?

Thin on purpose: probe.onboard.check does the work (a probe crawl per entry, in a subprocess); this adds
the schedule (prefect.yaml, weekly), the log lines and a markdown artifact that lists what drifted per
site, so a portal redesign is noticed within a week instead of after weeks of empty nightly runs.
"""

from __future__ import annotations

import re
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from probe.onboard import CheckResult, check
from sites.registry import load_registry, select_sites

# Characters that mean something in markdown (links, emphasis, tables, HTML): crawled text is escaped.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")


def md(text: str) -> str:
    """Crawled text (titles, URLs, reasons) as literal markdown on one line."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def check_markdown(results: list[CheckResult]) -> str:
    """A table of every checked entry, then the drift of each entry that no longer works."""
    drifted = [r for r in results if not r.ok]
    lines = [
        "# Registry check",
        "",
        f"{len(results) - len(drifted)} of {len(results)} entries still work; {len(drifted)} drifted.",
        "",
        "| site | status | article links | list links | articles with title and date |",
        "|---|---|---:|---:|---:|",
    ]
    for r in results:
        f = r.findings
        good = sum(1 for a in f.articles if a.complete)
        lines.append(
            f"| {md(r.site)} | {'ok' if r.ok else '**drift**'} | {len(f.article_urls)} | "
            f"{f.entry_list_links if f.entry_list_links is not None else ''} | {good}/{len(f.articles)} |"
        )
    for r in drifted:
        lines += ["", f"## {md(r.site)}: {md(r.url)}", ""]
        lines += [f"- {md(p)}" for p in r.problems]
    return "\n".join(lines) + "\n"


@flow(name="registry-check", log_prints=True)
def registry_check(
    sites: list[str] | None = None,
    registry_path: str | None = None,
    registry_vars: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Check the given entries (default: every enabled one); the result maps each site to its drift."""
    logger = get_run_logger()
    selected = select_sites(load_registry(registry_path, registry_vars), sites or None)
    results = check(selected)
    for r in results:
        logger.info("%s: %s", r.site, "ok" if r.ok else "; ".join(r.problems))
    create_markdown_artifact(
        markdown=check_markdown(results),
        key="registry-check",
        description="Registry entries that no longer find articles, pagination or dates on their portals",
    )
    return {r.site: {"ok": r.ok, "url": r.url, "problems": r.problems} for r in results}
