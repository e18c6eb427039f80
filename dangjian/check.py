"""``dangjian check``: do the registry's entries still work on their live portals?

A redesign makes a crawl quietly find nothing; this says so in days instead of weeks: per entry, the
list page, the article links its patterns find, its pagination and a few extracted articles.
"""

from __future__ import annotations

import argparse
import json

from dangjian.terminal import json_text, line
from probe.onboard import CheckResult, check
from sites.registry import load_registry, parse_placeholders, select_sites

EXIT_DRIFT = 1


def report_lines(results: list[CheckResult]) -> list[str]:
    lines = []
    for r in results:
        f = r.findings
        if r.ok:
            titles = sum(1 for a in f.articles if a.complete)
            lines.append(
                f"ok     {line(r.site)}: {len(f.article_urls)} article links, {f.entry_list_links} list links, "
                f"{titles}/{len(f.articles)} articles with title and date"
            )
            continue
        lines.append(f"DRIFT  {line(r.site)}: {line(r.url)}")
        lines += [f"       - {line(p)}" for p in r.problems]  # problems quote what the portal served
    return lines


def run(args: argparse.Namespace) -> int:
    registry = load_registry(args.registry, parse_placeholders(args.var))
    results = check(select_sites(registry, args.site or None, args.group))
    if args.json:
        out = [{"site": r.site, "url": r.url, "ok": r.ok, "problems": r.problems} for r in results]
        print(json_text(json.dumps(out, ensure_ascii=False, indent=1)))
    else:
        print("\n".join(report_lines(results)))
    return 0 if all(r.ok for r in results) else EXIT_DRIFT
