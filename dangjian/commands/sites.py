"""`dangjian sites`: list the portal registry."""

from __future__ import annotations

import argparse
import json

from dangjian import terminal
from dangjian.commands.common import group_arg, print_json, registry_args


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sites", help="list the portal registry")
    registry_args(p)
    group_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sites.registry import SiteGroup, in_groups, load_registry, parse_placeholders

    registry = load_registry(args.registry, parse_placeholders(args.var))
    shown = in_groups(registry.values(), args.group)
    if args.json:
        print_json(json.dumps([s.to_dict() for s in shown], ensure_ascii=False, indent=1))
        return 0
    for site in shown:
        flag = "" if site.enabled else "  (disabled)"
        group = f"  [{terminal.line(site.group.label())}]" if site.group != SiteGroup() else ""
        print(f"{site.name:<16} {terminal.line(site.title)}{group}{flag}")  # probe --write puts a page's title there
        for url in site.start_urls:
            print(f"{'':<16} {terminal.line(url)}")
        for label, urls in (("sitemap", site.sitemap_urls), ("feed", site.feed_urls)):
            for url in urls:
                print(f"{'':<16} {label}: {terminal.line(url)}")
        extras = []
        if site.sitemaps_from_robots:
            extras.append("sitemaps from robots.txt")
        if site.max_bytes:
            extras.append(f"max_bytes {site.max_bytes}")
        if extras:
            print(f"{'':<16} {', '.join(extras)}")
    return 0
