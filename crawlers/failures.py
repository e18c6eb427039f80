"""One-line, human reasons for failed requests: what a page error record says about a fetch."""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure

from crawlers.middlewares import OffsiteRefused


def failure_reason(failure: Failure) -> tuple[int | None, str]:
    """(HTTP status or None, one-line reason) for a failed request."""
    if isinstance(failure.value, HttpError):
        response = failure.value.response
        return response.status, f"HTTP {response.status}"
    if failure.check(DNSLookupError, CannotResolveHostError):
        url = getattr(failure, "request", None) and failure.request.url  # type: ignore[attr-defined]
        return None, f"DNS lookup failed: {urlsplit(url or '').hostname} could not be resolved"
    if failure.check(TimeoutError, TCPTimedOutError, DownloadTimeoutError):
        return None, "timed out"
    if failure.check(ConnectionRefusedError, DownloadConnectionRefusedError):
        return None, "connection refused"
    if failure.check(ResponseDataLossError):
        return None, "response cut short (data loss)"
    if failure.check(OffsiteRefused):
        return None, str(failure.value)
    if failure.check(DownloadCancelledError) or (
        failure.check(IgnoreRequest) and "DOWNLOAD_MAXSIZE" in failure.getErrorMessage()
    ):
        # DOWNLOAD_MAXSIZE hit: announced by Content-Length (cancelled) or while inflating a gzip body.
        return None, f"response larger than the download max size ({failure.getErrorMessage().splitlines()[0]})"
    message = failure.getErrorMessage().splitlines()[0] if failure.getErrorMessage() else ""
    name = failure.type.__name__ if failure.type else "error"
    return None, f"{name}: {message}".strip(": ")
