"""``dangjian probe URL``: what a column's list page holds, and a registry entry to crawl it.

Prints the findings as YAML comments, then the entry, so the whole output can be pasted into
sites/sites.yaml; ``--write`` appends the entry there itself, after validating it.
"""

from __future__ import annotations

import argparse
import sys

from dangjian.terminal import line, text
from probe.onboard import ProbeResult, append_entry, probe, yaml_comment
from sites.registry import parse_placeholders

EXIT_NO_LIST = 1


def summary(result: ProbeResult) -> list[str]:
    """The findings, one comment line each: what was found and how sure it is.

    Every line goes through yaml_comment: titles, links and sample lines come from the crawled page, and
    the output is meant to be pasted into sites.yaml (a raw U+2028 there ended the comment)."""
    f = result.findings
    lines = [f"probe of {f.url} ({f.requests} requests, {f.seconds:.1f} s)"]
    if f.groups:
        g = f.groups[0]
        lines.append(f"article list: {g.links} links shaped {g.shape}, {g.dated} dated")
    for other in f.groups[1:3]:
        lines.append(f"  next-best link group: {other.links} links shaped {other.shape}, {other.dated} dated")
    if f.offsite_article_links:
        lines.append(f"{f.offsite_article_links} article-shaped link(s) to other hosts: not crawled")
    pages = ", ".join(f.pagination_pages[:4]) + (" …" if len(f.pagination_pages) > 4 else "")
    lines.append(f"pagination: {', '.join(f.pagination_kinds) or 'none found'}{': ' + pages if pages else ''}")
    if f.page2_url:
        found = f.page2_reason or f"{f.page2_article_links} article links"
        lines.append(f"second list page {f.page2_url}: {found}")
    lines.append(f"sitemap: {', '.join(f.sitemaps) or 'none in robots.txt'}; feed: {', '.join(f.feeds) or 'none'}")
    lines.append("sample articles (the real extraction):")
    for i, a in enumerate(f.articles, 1):
        if a.reason:
            lines.append(f"  {i}. {a.url}: {a.reason}")
            continue
        lines.append(f"  {i}. {a.title or '(no title)'} | {a.published or '(no date)'} | {a.source or '(no source)'}")
        lines += [f"     {text_line}" for text_line in a.lines]
    return [yaml_comment(line) for line in lines]


def run(args: argparse.Namespace) -> int:
    result = probe(args.url, args.name, args.delay, allow_private=args.allow_private)
    if result.reason or not result.yaml:
        print(f"error: {line(result.reason or 'no article list found')}", file=sys.stderr)
        return EXIT_NO_LIST
    print("\n".join(summary(result)))
    print(text(result.yaml), end="")
    if args.write:
        name = append_entry(result.yaml, args.registry, parse_placeholders(args.var))
        print(f"# appended {line(repr(name))} to {args.registry or 'sites/sites.yaml'}", file=sys.stderr)
    return 0
