"""Network failures that are expected outcomes stay one line in the crawl log.

Scrapy's RobotsTxtMiddleware logs a robots.txt that could not be fetched with ``exc_info=True``: every
offline or unreachable site left two 15-line tracebacks in its crawl log for what is a plain DNS failure
or a refused connection, which the page error record already states in one line. The filter keeps the
line and drops the traceback, for those network errors only; anything else keeps its traceback.
"""

from __future__ import annotations

import logging

from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, DownloadTimeoutError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.web._newclient import ResponseNeverReceived

EXPECTED = (
    CannotResolveHostError,
    DNSLookupError,
    DownloadConnectionRefusedError,
    ConnectionRefusedError,
    DownloadTimeoutError,
    TimeoutError,
    TCPTimedOutError,
    ResponseNeverReceived,
)
LOGGERS = ("scrapy.downloadermiddlewares.robotstxt",)


class _NetworkFailureOneLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, EXPECTED):
            record.exc_info, record.exc_text = None, None
        return True


_FILTER = _NetworkFailureOneLine()


def keep_network_failures_one_line() -> None:
    """Install the filter (idempotent) on the loggers that print tracebacks for them."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
