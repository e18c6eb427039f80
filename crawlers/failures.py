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
from twisted.internet.error import (
    ConnectionDone,
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from crawlers.middlewares import OffsiteRefused
from crawlers.resolver import PrivateAddressRefused, refusal_reason

MAX_REASON_CHARS = 300


def _first_line(failure: Failure) -> str:
    """The first line of the failure's message, or "" (Scrapy cancels some downloads with no message)."""
    message = failure.getErrorMessage() or ""
    lines = message.strip().splitlines()
    return lines[0][:MAX_REASON_CHARS] if lines else ""


def failure_reason(failure: Failure) -> tuple[int | None, str]:
    """(HTTP status or None, one-line reason) for a failed request."""
    if isinstance(failure.value, HttpError):
        response = failure.value.response
        return response.status, f"HTTP {response.status}"
    if failure.check(PrivateAddressRefused):
        return None, str(failure.value)
    if failure.check(DNSLookupError, CannotResolveHostError):
        url = getattr(failure, "request", None) and failure.request.url  # type: ignore[attr-defined]
        host = urlsplit(url or "").hostname or ""
        return None, refusal_reason(host) or f"DNS lookup failed: {host} could not be resolved"
    if failure.check(TimeoutError, TCPTimedOutError, DownloadTimeoutError):
        return None, "timed out"
    if failure.check(ConnectionRefusedError, DownloadConnectionRefusedError):
        return None, "connection refused"
    if failure.check(ResponseNeverReceived, ResponseFailed):
        # Twisted wraps the real causes in a list of Failures; their repr is no reason for a human.
        inner = [f for f in getattr(failure.value, "reasons", []) if isinstance(f, Failure)]
        if inner and inner[0].check(ConnectionLost, ConnectionDone):
            return None, "connection closed by the server before a complete response"
        if inner:
            return None, failure_reason(inner[0])[1]
        return None, "no response received"
    if failure.check(ResponseDataLossError):
        return None, "response cut short (data loss)"
    if failure.check(OffsiteRefused):
        return None, str(failure.value)
    if failure.check(DownloadCancelledError) or (
        failure.check(IgnoreRequest) and "DOWNLOAD_MAXSIZE" in (failure.getErrorMessage() or "")
    ):
        # DOWNLOAD_MAXSIZE hit: announced by Content-Length, crossed while a chunked body streams in (then
        # Scrapy cancels with an empty message), or while inflating a gzip body.
        detail = _first_line(failure)
        if detail.startswith("Ignored response"):  # "Ignored response <200 http://…>: …": a repr, not a reason
            detail = ""
        return None, "response larger than the download max size" + (f" ({detail})" if detail else "")
    if failure.check(IgnoreRequest) and _first_line(failure):
        return None, _first_line(failure)  # Scrapy's own sentences: "max redirections reached", …
    return None, _sentence(failure)


def _sentence(failure: Failure) -> str:
    """Anything else, as a sentence: the message if there is one, else the error's name in words."""
    message = _first_line(failure)
    name = failure.type.__name__ if failure.type else "error"
    words = "".join(" " + c.lower() if c.isupper() else c for c in name).strip() or "error"
    if not message or message.startswith(("<", "[")):  # an empty message, or a repr (Twisted, lists)
        return f"download failed: {words}"
    return f"download failed: {words}: {message}"
