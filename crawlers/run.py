"""Crawl one site in this process: ``python -m crawlers.run --site NAME --out FILE``.

The flow starts this as a subprocess per site and per run, because Twisted's
reactor cannot be restarted inside a long-lived worker process. Its output is
the raw-page file plus a JSON stats file; its exit code is 0 when the crawl
ran (even if every request failed: those failures are in the raw-page file).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from datetime import date
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawlers import settings as default_settings
from crawlers.quietlogs import keep_network_failures_one_line
from crawlers.resolver import ALLOW_SETTING
from crawlers.spiders.portal import PortalSpider
from crawljob.lifeline import set_parent_death_signal
from sites.registry import RegistryError, SiteConfig, load_registry, parse_placeholders, parse_site, validate_max_pages
from storage.atomic import atomic_write


def crawl_settings(
    site: SiteConfig, out: Path, max_pages: int | None, run: str | None = None, archive_dir: Path | None = None
) -> Settings:
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    settings.set("RAW_PAGES_PATH", str(out), priority="cmdline")
    # The archive's run label: given, else the run directory the flow made (data/runs/<label>/<site>.jsonl).
    settings.set("ARCHIVE_RUN", run or out.resolve().parent.name, priority="cmdline")
    if archive_dir is not None:
        settings.set("ARCHIVE_DIR", str(archive_dir), priority="cmdline")
    settings.set("DOWNLOAD_DELAY", site.download_delay, priority="cmdline")
    settings.set("AUTOTHROTTLE_START_DELAY", site.download_delay, priority="cmdline")
    settings.set("CLOSESPIDER_PAGECOUNT", max_pages or site.max_pages, priority="cmdline")
    settings.set(ALLOW_SETTING, site.allow_private_addresses, priority="cmdline")  # crawlers/resolver.py
    return settings


def read_validators(path: Path) -> dict[str, dict[str, str]]:
    """The ``--validators`` file: ``{"<list page URL>": {"etag": "...", "last_modified": "..."}}``.

    Missing or unreadable means "no validators" (every list page is fetched in full), never an error.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    out: dict[str, dict[str, str]] = {}
    for url, entry in data.items():
        if isinstance(url, str) and isinstance(entry, dict):
            kept = {k: v for k, v in entry.items() if k in ("etag", "last_modified") and isinstance(v, str) and v}
            if kept:
                out[url] = kept
    return out


def write_validators(path: Path, validators: dict[str, dict[str, str]]) -> None:
    """Rewrite the ``--validators`` file atomically (a crash never leaves half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as part:
        part.write_text(json.dumps(validators, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")


def _max_pages(value: str) -> int:
    try:
        return validate_max_pages(value)
    except RegistryError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _site(args: argparse.Namespace) -> SiteConfig:
    """The site to crawl: its entry as the caller validated it (``--entry``: a 3,000-site registry is not
    parsed again by each of its crawls), or the one named in the registry file."""
    if args.entry is not None:
        try:
            return parse_site(json.loads(args.entry.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise RegistryError(f"cannot read the entry {args.entry}: {exc}") from exc
    registry = load_registry(args.registry, parse_placeholders(args.var))
    if args.site not in registry:
        raise RegistryError(f"unknown site {args.site!r}; known: {', '.join(sorted(registry))}")
    return registry[args.site]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--registry", type=Path, default=None)
    parser.add_argument("--var", action="append", default=[], help="registry placeholder NAME=VALUE")
    parser.add_argument("--site", required=True)
    parser.add_argument(
        "--entry", type=Path, default=None, help="the site's registry entry as JSON (instead of reading --registry)"
    )
    parser.add_argument("--out", type=Path, required=True, help="raw-page JSON-lines file to append to")
    parser.add_argument("--stats", type=Path, default=None, help="write the crawl's stats here as JSON")
    parser.add_argument("--since", type=date.fromisoformat, default=None)
    parser.add_argument("--until", type=date.fromisoformat, default=None)
    parser.add_argument("--skip-urls", type=Path, default=None, help="file of canonical URLs not to fetch")
    parser.add_argument("--max-pages", type=_max_pages, default=None)
    parser.add_argument(
        "--validators",
        type=Path,
        default=None,
        help="JSON of list-page URL -> {etag, last_modified}: read at start (conditional GET), rewritten at the end",
    )
    parser.add_argument("--run", default=None, help="run label in the WARC archive (default: --out's directory name)")
    parser.add_argument("--archive-dir", type=Path, default=None, help="WARC archive root (default: data/archive)")
    args = parser.parse_args(argv)
    # Never outlive the flow or CLI that started us (a killed parent left crawls sending requests).
    # SIGKILL: nobody is left to read a graceful ending, and the raw-page file tolerates a cut.
    set_parent_death_signal(signal.SIGKILL)

    try:
        site = _site(args)
    except RegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    skip: list[str] = []
    if args.skip_urls and args.skip_urls.exists():
        skip = [line.strip() for line in args.skip_urls.read_text(encoding="utf-8").splitlines() if line.strip()]

    settings = crawl_settings(site, args.out, args.max_pages, args.run, args.archive_dir)
    process = CrawlerProcess(settings)  # LOG_INSTALL_ROOT_HANDLER: on
    keep_network_failures_one_line()
    crawler = process.create_crawler(PortalSpider)
    validators = read_validators(args.validators) if args.validators else {}
    process.crawl(crawler, site=site, since=args.since, until=args.until, skip_urls=skip, validators=validators)
    process.start()
    if args.validators and isinstance(crawler.spider, PortalSpider):
        write_validators(args.validators, crawler.spider.final_validators())
    if args.stats:
        stats = crawler.stats.get_stats() if crawler.stats else {}
        args.stats.write_text(json.dumps(stats, default=str, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
