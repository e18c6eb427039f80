"""Bytes → text for Chinese portal pages, where declared charsets often lie.

Order of evidence: a BOM; bytes that are valid UTF-8 (GBK text practically
never is, so a page declared gb2312 whose bytes decode as UTF-8 is UTF-8 —
re-encoded mirrors do this); the charset declared in the HTTP header, then in
``<meta>``; statistical detection. GB2312 and GBK declarations decode as
GB18030, their superset, so rare characters do not become errors.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from charset_normalizer import from_bytes
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, resolve_encoding

_GB_FAMILY = {"gb2312", "gbk", "gb18030", "cp936", "gb_2312-80", "x-gbk", "euc-cn", "hz-gb-2312"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class DecodeError(ValueError):
    """The body cannot be turned into text at all (e.g. it is empty)."""


@dataclass(frozen=True)
class DecodedPage:
    text: str
    encoding: str  # python codec actually used
    declared: str | None  # charset declared by HTTP header or <meta>, normalized name
    method: str  # "bom" | "utf-8-valid" | "declared" | "detected"


def _codec(name: str | None) -> str | None:
    """A Python codec for a declared charset name, GB family widened to gb18030."""
    if not name:
        return None
    lowered = name.strip().lower()
    if lowered in _GB_FAMILY:
        return "gb18030"
    resolved = resolve_encoding(lowered)
    if resolved is None:
        return None
    try:
        return codecs.lookup(resolved).name
    except LookupError:
        return None


def declared_charset(body: bytes, content_type: str | None) -> str | None:
    """The charset the server or the page claims, header first."""
    return http_content_type_encoding(content_type or "") or html_body_declared_encoding(body[:4096])


def decode_html(body: bytes, content_type: str | None = None) -> DecodedPage:
    if not body or not body.strip():
        raise DecodeError("empty body")
    declared_raw = declared_charset(body, content_type)
    declared = _codec(declared_raw)
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return DecodedPage(body.decode(codec, errors="replace"), codec, declared, "bom")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return DecodedPage(text, "utf-8", declared, "utf-8-valid")
    if declared and declared != "utf-8":
        try:
            return DecodedPage(body.decode(declared), declared, declared, "declared")
        except (UnicodeDecodeError, LookupError):
            pass  # the declaration lies; detect instead
    # No usable declaration. Chinese pages that are not UTF-8 are nearly always GB-family.
    try:
        return DecodedPage(body.decode("gb18030"), "gb18030", declared, "detected")
    except UnicodeDecodeError:
        pass
    best = from_bytes(body).best()
    codec = _codec(best.encoding) if best else None
    codec = codec or declared or "utf-8"
    return DecodedPage(body.decode(codec, errors="replace"), codec, declared, "detected")
