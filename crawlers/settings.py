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
# One crawl process crawls one site, so the global cap is kept small too: the downloader only takes what
# it may send soon, the rest waits in the scheduler, and a crawl closed early (max_pages, max_bytes)
# drops it there instead of downloading every request already handed to the downloader.
CONCURRENT_REQUESTS = 4
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Robustness: retry transient failures, bound time and size.
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# DANGJIAN_DOWNLOAD_TIMEOUT (seconds) lets an operator or a test (tests/test_hostile.py) shorten it.
DOWNLOAD_TIMEOUT = float(os.environ.get("DANGJIAN_DOWNLOAD_TIMEOUT", "30"))
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
# Refuse requests and redirects to hosts outside the site's allowed_domains before they are sent
# (also dont_filter ones, which Scrapy's OffsiteMiddleware at 50 lets through); ahead of
# RobotsTxtMiddleware (100), which would otherwise fetch the foreign host's robots.txt first.
# The raw archive (crawlers/archive.py) sits next to the downloader (950), so it writes every response
# as the server sent it: before decompression (590), redirects (600) and retries (550) are handled.
DOWNLOADER_MIDDLEWARES = {
    "crawlers.middlewares.AllowedHostsMiddleware": 40,
    "crawlers.archive.WarcArchiveMiddleware": 950,
}
# Archive settings: on unless DANGJIAN_ARCHIVE=off; ARCHIVE_DIR None means DANGJIAN_ARCHIVE_DIR, else
# $DANGJIAN_DATA_DIR/archive; files older than DANGJIAN_ARCHIVE_RETENTION_DAYS go when the site's next
# crawl starts (0: kept forever, which reprocess needs); a file is rotated past ARCHIVE_MAX_FILE_BYTES.
ARCHIVE_ENABLED = os.environ.get("DANGJIAN_ARCHIVE", "on").lower() not in ("off", "0", "false", "no")
ARCHIVE_DIR = None
ARCHIVE_RUN = None  # crawlers/run.py sets it (--run, default: the name of the run directory)
ARCHIVE_RETENTION_DAYS = float(os.environ.get("DANGJIAN_ARCHIVE_RETENTION_DAYS", "0") or 0)
ARCHIVE_MAX_FILE_BYTES = 1 << 30
# Only http and https are ever fetched: the handlers of every other scheme are off, so even a request
# that got past the policy above could not read a local file (file:), log in anywhere (ftp:), reach a
# bucket (s3:) or smuggle a body in its URL (data:).
DOWNLOAD_HANDLERS = {"file": None, "ftp": None, "s3": None, "data": None}
# DNS rebinding: a public host name that resolves to a loopback/private/link-local address is refused
# unless the registry entry says allow_private_addresses (crawlers/resolver.py).
TWISTED_DNS_RESOLVER = "crawlers.resolver.PublicAddressResolver"
# Scrapy 2.19's remote control runs Python sent to a localhost HTTP port and leaves token files behind
# when a crawl is killed: a crawl process is not a console.
REMOTE_CONTROL_ENABLED = False
# memusage/max is the process's peak RSS (ru_maxrss) but is only sampled every interval (default 60 s):
# sample every second so the stats of a short crawl show its real peak. Reading it costs one syscall.
MEMUSAGE_CHECK_INTERVAL_SECONDS = 1.0

# Scrapy re-reads and parses the source of every generator callback for every response to warn about
# `return value` in generators (its cache is keyed weakly by the bound method, which dies at once):
# ~4 ms per page, the largest single cost of the crawl process (bench/pipeline.py). Our callbacks are
# tested; the check is off.
WARN_ON_GENERATOR_RETURN_VALUE = False

ITEM_PIPELINES = {"crawlers.pipelines.RawPageFilePipeline": 100}
# Registry max_bytes: close the crawl once the site's downloaded bytes exceed it (crawlers/extensions.py).
EXTENSIONS = {"crawlers.extensions.MaxBytesClose": 100}
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = os.environ.get("DANGJIAN_SCRAPY_LOG_LEVEL", "INFO")
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
