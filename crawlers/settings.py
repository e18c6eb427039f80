"""Scrapy settings: politeness and robustness through Scrapy's own mechanisms."""

from __future__ import annotations

import os

BOT_NAME = "dangjian-ingest"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

# Identify ourselves; operators override with DANGJIAN_USER_AGENT (e.g. to add a contact address).
USER_AGENT = os.environ.get(
    "DANGJIAN_USER_AGENT", "dangjian-ingest/0.1 (+research crawler of public party-building news; polite)"
)
ROBOTSTXT_OBEY = True

# Politeness: at most two requests in flight per domain, AutoThrottle adapts the delay to the server.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Robustness: retry transient failures, bound time and size.
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
REDIRECT_MAX_TIMES = 5

ITEM_PIPELINES = {"crawlers.pipelines.RawPageFilePipeline": 100}
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = os.environ.get("DANGJIAN_SCRAPY_LOG_LEVEL", "INFO")
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
