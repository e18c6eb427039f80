"""``dangjian probe URL``: what a column's list page holds, and a registry entry to crawl it.

Prints the findings as YAML comments, then the entry, so the whole output can be pasted into
crawlers/sites.yaml; ``--write`` appends the entry there itself, after validating it.
"""

from __future__ import annotations

import argparse
import sys

from crawlers.probe import ProbeResult, append_entry, probe
from crawlers.registry import parse_placeholders
from dangjian.terminal import line, text

EXIT_NO_LIST = 1


def summary(result: ProbeResult) -> list[str]:
    """The findings, one comment line each: what was found and how sure it is (crawled text through
    terminal.line: a title or link of the page never reaches the terminal raw)."""
    f = result.findings
    lines = [f"# probe of {line(f.url)} ({f.requests} requests, {f.seconds:.1f} s)"]
    if f.groups:
        g = f.groups[0]
        lines.append(f"# article list: {g.links} links shaped {line(g.shape)}, {g.dated} dated")
    for other in f.groups[1:3]:
        lines.append(f"#   next-best link group: {other.links} links shaped {line(other.shape)}, {other.dated} dated")
    if f.offsite_article_links:
        lines.append(f"# {f.offsite_article_links} article-shaped link(s) to other hosts: not crawled")
    pages = ", ".join(line(p) for p in f.pagination_pages[:4]) + (" …" if len(f.pagination_pages) > 4 else "")
    kinds = ", ".join(line(k) for k in f.pagination_kinds) or "none found"
    lines.append(f"# pagination: {kinds}{': ' + pages if pages else ''}")
    if f.page2_url:
        found = line(f.page2_reason) if f.page2_reason else f"{f.page2_article_links} article links"
        lines.append(f"# second list page {line(f.page2_url)}: {found}")
    sitemaps = ", ".join(line(s) for s in f.sitemaps) or "none in robots.txt"
    lines.append(f"# sitemap: {sitemaps}; feed: {', '.join(line(u) for u in f.feeds) or 'none'}")
    lines.append("# sample articles (the real extraction):")
    for i, a in enumerate(f.articles, 1):
        if a.reason:
            lines.append(f"#   {i}. {line(a.url)}: {line(a.reason)}")
            continue
        fields = (a.title or "(no title)", a.published or "(no date)", a.source or "(no source)")
        lines.append(f"#   {i}. {' | '.join(line(v) for v in fields)}")
        lines += [f"#      {line(text_line)}" for text_line in a.lines]
    return lines


def run(args: argparse.Namespace) -> int:
    result = probe(args.url, args.name, args.delay)
    if result.reason or not result.yaml:
        print(f"error: {line(result.reason or 'no article list found')}", file=sys.stderr)
        return EXIT_NO_LIST
    print("\n".join(summary(result)))
    print(text(result.yaml), end="")
    if args.write:
        name = append_entry(result.yaml, args.registry, parse_placeholders(args.var))
        print(f"# appended {line(repr(name))} to {args.registry or 'crawlers/sites.yaml'}", file=sys.stderr)
    return 0
