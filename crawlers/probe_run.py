"""Probe or check columns in this process: ``python -m crawlers.probe_run --targets FILE --out FILE``.

probe/onboard.py starts this as a subprocess (the Twisted reactor cannot restart inside a process, and
`dangjian check` runs inside a long-lived Prefect worker). One ProbeSpider crawler per target, all in one
reactor; each writes its Findings, and the file holds them all, in the targets' order.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings

from crawlers import settings as default_settings
from crawlers.quietlogs import keep_network_failures_one_line
from crawlers.resolver import RULE_SETTING
from crawlers.spiders.probe import ProbeSpider
from probe.findings import Findings, read_targets, write_findings
from sites.origin import AddressRule

PAGE_BUDGET = 14  # responses per target: robots.txt, 2 list pages, feed, sitemap, 3 articles, retries
TIME_BUDGET_S = 45  # per target, whatever the portal does (CLOSESPIDER_TIMEOUT)
MAX_TIMEOUT_S = 15.0  # per request: a probe should not wait 30 s for one page
MAX_SIZE = 8 * 1024 * 1024  # a list page or an article larger than this is not one we want


def probe_settings(rule: AddressRule = "public") -> Settings:
    """The crawl's own settings (user agent, robots.txt, allowed hosts, size limits), with a small budget;
    ``rule``: the addresses host names may resolve to (crawlers/resolver.py, one resolver per process)."""
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    timeout = min(settings.getfloat("DOWNLOAD_TIMEOUT"), MAX_TIMEOUT_S)
    for key, value in {
        "ITEM_PIPELINES": {},
        "EXTENSIONS": {},
        "ARCHIVE_ENABLED": False,  # a probe stores nothing: its pages must not enter the production archive
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "CLOSESPIDER_PAGECOUNT": PAGE_BUDGET,
        "CLOSESPIDER_TIMEOUT": TIME_BUDGET_S,
        "DOWNLOAD_TIMEOUT": timeout,
        "RETRY_TIMES": 1,
        "DOWNLOAD_MAXSIZE": MAX_SIZE,
        "DOWNLOAD_WARNSIZE": MAX_SIZE,
        "LOG_LEVEL": os.environ.get("DANGJIAN_SCRAPY_LOG_LEVEL", "WARNING"),
        RULE_SETTING: rule,
    }.items():
        settings.set(key, value, priority="cmdline")
    return settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--targets", type=Path, required=True, help="JSON list of {url, mode, name, site, delay}")
    parser.add_argument("--out", type=Path, required=True, help="write the findings here (JSON)")
    args = parser.parse_args(argv)
    targets = read_targets(args.targets)
    rules = {t.rule for t in targets}
    process = CrawlerProcess(probe_settings("private" if rules == {"private"} else "public"))
    keep_network_failures_one_line()
    crawlers: list[Crawler] = []
    for i, target in enumerate(targets):
        # each target at its own pace (a registry entry's download_delay): a spider class per target
        delay = {"DOWNLOAD_DELAY": target.delay}
        spidercls = type(f"ProbeSpider{i}", (ProbeSpider,), {"custom_settings": delay})
        crawler = process.create_crawler(spidercls)
        crawlers.append(crawler)
        process.crawl(crawler, url=target.url, mode=target.mode, name=target.name, site=target.site,
                      addresses=target.rule)  # fmt: skip
    process.start()
    found = []
    for target, crawler in zip(targets, crawlers, strict=True):
        spider = crawler.spider
        if isinstance(spider, ProbeSpider):
            found.append(spider.findings)
        else:  # the crawler never started (e.g. a bad entry): still one record per target
            found.append(Findings(mode=target.mode, url=target.url, reason="probe did not start"))
    write_findings(args.out, found)
    return 0


if __name__ == "__main__":
    sys.exit(main())
