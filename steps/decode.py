"""Bytes → text for Chinese portal pages, where declared charsets often lie.

Order of evidence, strongest first:

1. a byte-order mark;
2. bytes that decode strictly as UTF-8 and contain non-ASCII: GBK text practically never is valid
   UTF-8, so a page that says gb2312 but decodes as UTF-8 is UTF-8 (re-encoded mirrors and
   browser-saved pages keep the old ``<meta charset=gb2312>``; five of the bench pages do this);
3. the charset in the HTTP header, then the one in ``<meta>``, each only if the bytes decode with it
   strictly (a header that says utf-8 over GBK bytes is skipped, the ``<meta>`` gets its turn);
4. detection: strict GB18030 when the result reads as Chinese (nearly every non-UTF-8 Chinese page is
   GB-family), else charset-normalizer;
5. the least-bad candidate with ``errors="replace"``: garbage never raises.

GB2312 and GBK declarations decode as GB18030, their superset, so characters outside GB2312 (common in
names) do not become errors.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes
from w3lib.encoding import resolve_encoding

GB_FAMILY = frozenset({"gb2312", "gbk", "gb18030", "cp936", "gb_2312-80", "x-gbk", "euc-cn", "euc_cn", "csgb2312"})
BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
META_SCAN_BYTES = 8192  # <meta charset> sits in <head>; some heads carry kilobytes of inline script first
# Decoded GB18030 "reads as Chinese" when most non-ASCII characters are CJK ideographs or CJK punctuation;
# Latin-1 or Big5 bytes decoded as GB18030 give rarer code points.
_CHINESE_LIKE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef\u2014-\u201d\u00b7]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
MIN_CHINESE_SHARE = 0.9
# Our own patterns rather than w3lib's helpers, which already widen gb2312 to gb18030: ``declared`` should
# report what the server or page said.
HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
META_CHARSET = re.compile(
    rb"<meta\b[^>]*?\bcharset\s*=\s*[\"']?\s*([\w.:-]+)"  # <meta charset=…> and http-equiv content="…; charset=…"
    rb"|<\?xml\b[^>]*?\bencoding\s*=\s*[\"']([\w.:-]+)",
    re.IGNORECASE,
)


class DecodeError(ValueError):
    """The body cannot be turned into text at all (it is empty)."""


@dataclass(frozen=True)
class DecodedPage:
    text: str  # the page as str
    encoding: str  # python codec actually used, e.g. "utf-8", "gb18030"
    declared: str | None  # charset declared by HTTP header or <meta>, normalized name, or None
    method: str  # "bom" | "utf-8-valid" | "declared" | "detected"


def normalize_charset(name: str | None) -> str | None:
    """The canonical Python name of a declared charset (``GB2312`` → ``gb2312``), None if unknown."""
    if not name:
        return None
    lowered = name.strip().strip("\"'").lower()
    if not lowered:
        return None
    if lowered in GB_FAMILY:  # keep what was declared; w3lib would already widen gb2312 to gb18030
        return {
            "gb2312": "gb2312",
            "gb_2312-80": "gb2312",
            "euc-cn": "gb2312",
            "euc_cn": "gb2312",
            "csgb2312": "gb2312",
            "gb18030": "gb18030",
        }.get(lowered, "gbk")
    resolved = resolve_encoding(lowered) or lowered  # WHATWG labels: latin-1 means cp1252 on the web
    try:
        return codecs.lookup(resolved).name
    except LookupError:
        return None


def codec_for(charset: str | None) -> str | None:
    """The codec to decode a declared charset with: the GB family widens to gb18030."""
    if charset is None:
        return None
    return "gb18030" if charset in GB_FAMILY else charset


def header_charset(content_type: str | None) -> str | None:
    m = HEADER_CHARSET.search(content_type or "")
    return m.group(1) if m else None


def meta_charset(body: bytes) -> str | None:
    """The first charset declared in ``<meta>`` (or an XML declaration) near the top of the page."""
    m = META_CHARSET.search(body[:META_SCAN_BYTES])
    if not m:
        return None
    return (m.group(1) or m.group(2)).decode("ascii", errors="ignore")


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _reads_as_chinese(text: str) -> bool:
    non_ascii = _NON_ASCII.findall(text)
    if not non_ascii:
        return True
    return sum(1 for c in non_ascii if _CHINESE_LIKE.match(c)) / len(non_ascii) >= MIN_CHINESE_SHARE


def _ascii_compatible(codec: str) -> bool:
    try:
        return "a<".encode(codec) == b"a<"
    except (LookupError, UnicodeError):
        return False


def decode_html(body: bytes, content_type: str | None = None) -> DecodedPage:
    """Decode an HTML response body; ``content_type`` is the HTTP Content-Type header, if any."""
    if not body or not body.strip():
        raise DecodeError("empty body")
    header = normalize_charset(header_charset(content_type))
    meta = normalize_charset(meta_charset(body))
    declared = header or meta

    for bom, codec in BOMS:
        if body.startswith(bom):
            return DecodedPage(body.decode(codec, errors="replace"), codec, declared, "bom")

    if not body.isascii():
        text = _strict(body, "utf-8")
        if text is not None:
            return DecodedPage(text, "utf-8", declared, "utf-8-valid")

    for charset in dict.fromkeys(c for c in (header, meta) if c):  # header first, each once
        declared_codec = codec_for(charset)
        if declared_codec is None or (body.isascii() and not _ascii_compatible(declared_codec)):
            continue  # a page readable as ASCII cannot be UTF-16/32, whatever it says
        text = _strict(body, declared_codec)
        if text is not None:
            return DecodedPage(text, declared_codec, declared, "declared")

    if body.isascii():
        return DecodedPage(body.decode("ascii"), "utf-8", declared, "detected")

    text = _strict(body, "gb18030")
    if text is not None and _reads_as_chinese(text):
        return DecodedPage(text, "gb18030", declared, "detected")

    best = from_bytes(body).best()
    guessed = codec_for(normalize_charset(best.encoding)) if best else None
    if guessed:
        text = _strict(body, guessed)
        if text is not None:
            return DecodedPage(text, guessed, declared, "detected")

    # Nothing decodes cleanly (truncated or corrupted bytes): take the candidate with the fewest errors.
    candidates = [c for c in dict.fromkeys((codec_for(declared), guessed, "gb18030", "utf-8")) if c is not None]
    decoded = [(body.decode(c, errors="replace"), c) for c in candidates]
    fallback_text, fallback_codec = min(decoded, key=lambda tc: tc[0].count("\ufffd"))
    return DecodedPage(fallback_text, fallback_codec, declared, "detected")


# The pipeline's bound on a page: a 50 MB page ran > 600 s in extraction without it.
MAX_EXTRACT_BYTES = 5 * 1024 * 1024
_INLINE_DATA = re.compile(rb"""(\s(?:src|href)\s*=\s*)(["'])data:[^"'>]{256,}\2""", re.IGNORECASE)


def without_inline_data(body: bytes) -> bytes:
    """The page without its inline data: URIs, which only make it heavy (the size limit is about text)."""
    if b"data:" not in body:
        return body
    return _INLINE_DATA.sub(rb"\1\2\2", body)


def too_large(body: bytes) -> str | None:
    if len(body) <= MAX_EXTRACT_BYTES:
        return None
    return f"page of {len(body) / 2**20:.1f} MB is larger than the {MAX_EXTRACT_BYTES // 2**20} MB extraction limit"
