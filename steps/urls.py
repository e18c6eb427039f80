"""URL canonicalization: one spelling per page, so a page is fetched and stored once.

courlan already lowercases the host, drops default ports, sorts the query and
strips the common tracking parameters; what it leaves is specific to Chinese
portals: share-tracking parameters appended by WeChat/Weibo/CCTV-style "spm"
links, fragments, and the ``index.html`` spellings of a column's front page.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import courlan

# Added by share buttons and app webviews; they never change the page served.
TRACKING_PARAMS = frozenset(
    {
        "spm",
        "from",
        "isappinstalled",
        "share",
        "share_token",
        "sharesource",
        "wxfrom",
        "scene",
        "clicktime",
        "enterid",
        "timestamp",
        "source",
        "tt_from",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_term",
        "utm_content",
        "_t",
        "t",
    }
)
INDEX_PAGE = re.compile(r"/index\.(?:s?html?|jsp|php|aspx?)$", re.IGNORECASE)


def canonical_url(url: str) -> str:
    """The key under which a page is known: stable across spellings of the same URL."""
    normalized = courlan.normalize_url(url.strip())
    parts = urlsplit(normalized)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in TRACKING_PARAMS]
    path = INDEX_PAGE.sub("/", parts.path) or "/"
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(sorted(query)), ""))


MAX_KEY_LENGTH = 1000  # the canonical_url columns' length


def storage_key(canonical_url: str) -> str:
    """The canonical URL as stored: an overlong one (crawler traps, session junk) keeps its first
    part and a digest of the whole, so it is still unique and fits the column on every backend."""
    if len(canonical_url) <= MAX_KEY_LENGTH:
        return canonical_url
    digest = hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()
    return f"{canonical_url[: MAX_KEY_LENGTH - len(digest) - 8]}…sha256:{digest}"
