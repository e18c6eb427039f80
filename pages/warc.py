"""Reading WARC files back as RawPage records: our own archive (crawlers/archive.py) and foreign ones.

No Scrapy here: reprocess and import-warc feed these pages to the processing core (process.run),
exactly as the crawl's JSON-lines hand-off does. warcio reads the records; ``content_stream()``
undoes the Content-Encoding the server applied, so the bytes handed on are the ones the spider
saw (byte-identical, checked by tests/test_archive.py).

A record that cannot be read (a damaged gzip member, a Content-Length that lies, a response for a
``file:`` URI, a header bomb, the last record of a file cut short) comes out as an ``Unreadable``
event, and the reading resumes at the next record (pages/warcrecords.py): one bad record costs
that record, never the rest of the file; the caller says so in one line per file. Digests are not
checked: writers disagree on how to compute the payload digest of a chunked response, and a mismatch
would stop an import halfway.
"""

from __future__ import annotations

import io
import json
import logging
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any

from warcio.bufferedreaders import BufferedReader, ChunkedDataReader
from warcio.statusandheaders import StatusAndHeadersParser

from pages.raw import RawPage
from pages.warcrecords import BadRecord, CutShort, NotAWarc, Records, StrictDecoding, Unreadable, read_records

__all__ = ["NotAWarc", "Unreadable"]

log = logging.getLogger(__name__)

# Must match crawlers/archive.py (not imported: that module is the Scrapy side).
ITEM_CONTENT_TYPE = "application/vnd.dangjian.rawpage+json"
# The crawl's DOWNLOAD_MAXSIZE: a body that inflates past it is not read (left empty, as too large).
MAX_BODY_BYTES = 32 * 1024 * 1024
WARC_SUFFIXES = (".warc.gz", ".warc", ".warc.gz.open", ".warc.open")


def default_archive_dir() -> Path:
    """``DANGJIAN_ARCHIVE_DIR``, else ``$DANGJIAN_DATA_DIR/archive`` (data/archive by default)."""
    explicit = os.environ.get("DANGJIAN_ARCHIVE_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("DANGJIAN_DATA_DIR", "data")) / "archive"


class _StrictBuffered(StrictDecoding, BufferedReader):
    damaged = ValueError  # a body the server mis-encoded: left empty, the record itself is sound


class _StrictChunked(StrictDecoding, ChunkedDataReader):
    damaged = ValueError


def content_stream(record: Any) -> Any:
    """The record's payload with Transfer- and Content-Encoding undone, as warcio's ``content_stream()``
    does it, but a damaged encoding raises instead of printing."""
    http = record.http_headers
    if not http:
        return record.raw_stream
    encoding = (http.get_header("content-encoding") or "").strip().lower() or None
    if encoding not in BufferedReader.get_supported_decompressors():
        encoding = None
    if (http.get_header("transfer-encoding") or "").lower() == "chunked":
        return _StrictChunked(record.raw_stream, decomp_type=encoding)
    return _StrictBuffered(record.raw_stream, decomp_type=encoding) if encoding else record.raw_stream


def decode_payload(raw: bytes, content_encoding: str | None) -> bytes | None:
    """A response payload with its Content-Encoding undone as warcio's ``content_stream()`` does it;
    None when warcio has no decoder for it."""
    encoding = (content_encoding or "").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in BufferedReader.get_supported_decompressors():
        return None
    try:
        return _bounded_read(_StrictBuffered(io.BytesIO(raw), decomp_type=encoding), MAX_BODY_BYTES)
    except (OSError, zlib.error, ValueError):
        return None


@dataclass
class ArchivedResponse:
    """One response record, with the fields of the metadata record written beside it (ours only)."""

    url: str
    warc_date: str  # ISO 8601, UTC
    status: int | None
    headers: dict[str, str]  # lower-case names; the last value of a repeated header
    body: bytes  # payload with the Content-Encoding undone
    truncated: bool
    path: str
    offset: int
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def role(self) -> str:
        return self.fields.get("role", "")


@dataclass
class ArchivedItem:
    """The per-item metadata record of our archive: a RawPage without its bodies."""

    page: RawPage


def warc_files(paths: Iterable[Path | str]) -> list[Path]:
    """The WARC files named or found (recursively) under the given paths, oldest name first.

    Our file names start with the run label and its UTC time, so name order within a site directory
    is crawl order. Raises FileNotFoundError for a path that does not exist.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(WARC_SUFFIXES))
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or directory")
    return found


def _bounded_read(stream: object, limit: int) -> bytes | None:
    """At most ``limit`` bytes of a (decoding) stream; None when there is more: a gzip bomb, or a body
    the crawl's DOWNLOAD_MAXSIZE would have refused, is never inflated in memory."""
    chunks: list[bytes] = []
    total = 0
    while chunk := stream.read(1 << 16):  # type: ignore[attr-defined]
        total += len(chunk)
        if total > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _read_all(record: object, stream: object, limit: int = MAX_BODY_BYTES) -> bytes | None:
    """Read a record's content (None: larger than ``limit``); raise CutShort when the file ended
    inside the record."""
    if record.rec_headers.get_header("Content-Length") is None:  # type: ignore[attr-defined]
        raise CutShort("a record whose headers were cut (no Content-Length)")
    data = _bounded_read(stream, limit)
    raw = record.raw_stream  # type: ignore[attr-defined]
    while raw.read(1 << 16):  # what a content decoder left unread (a gzip trailer, or the rest of a bomb)
        pass
    if getattr(raw, "limit", 0) > 0:
        raise CutShort("the record ends before its Content-Length")
    return data


def _fields(payload: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in payload.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            out[name.strip().lower()] = value.strip()
    return out


_HTTP_PARSER = StatusAndHeadersParser([], verify=False)


def _http_headers(record: object) -> object:
    """The record's HTTP status and headers. warcio parses them only for a target URI that starts with
    a lower-case ``http:``/``https:``; a scheme is case-insensitive, so ``HTTP://`` is parsed here. A
    response of another scheme (``file:``, ``ftp:``) holding an HTTP message is no page: BadRecord."""
    http = record.http_headers  # type: ignore[attr-defined]
    rec_headers = record.rec_headers  # type: ignore[attr-defined]
    if http is not None or not (rec_headers.get_header("Content-Type") or "").startswith("application/http"):
        return http
    uri = rec_headers.get_header("WARC-Target-URI") or ""
    if uri.split(":", 1)[0].lower() not in ("http", "https"):
        raise BadRecord(f"an HTTP response for a {uri.split(':', 1)[0][:20]!r} URI")
    try:
        http = _HTTP_PARSER.parse(record.raw_stream)  # type: ignore[attr-defined]
    except EOFError as exc:
        raise CutShort("an HTTP response record without its status line and headers") from exc
    record.http_headers = http  # type: ignore[attr-defined]
    return http


def _response(record: object, path: Path, records: object) -> ArchivedResponse:
    rec_headers = record.rec_headers  # type: ignore[attr-defined]
    http = _http_headers(record)
    status = None
    headers: dict[str, str] = {}
    if http is not None:
        code = http.get_statuscode()  # type: ignore[attr-defined]
        status = int(code) if code and code.isdigit() else None
        headers = {name.lower(): value for name, value in http.headers}  # type: ignore[attr-defined]
    try:
        body = _read_all(record, content_stream(record))
    except (OSError, zlib.error, ValueError) as exc:  # a body the server mis-encoded
        log.warning(
            "%s: cannot decode the body of %s (%s): left empty", path, rec_headers.get_header("WARC-Target-URI"), exc
        )
        body = b""
    too_large = body is None  # left empty and marked truncated: never inflated in memory
    return ArchivedResponse(
        url=rec_headers.get_header("WARC-Target-URI") or "",
        warc_date=rec_headers.get_header("WARC-Date") or "",
        status=status,
        headers=headers,
        body=body or b"",
        truncated=bool(rec_headers.get_header("WARC-Truncated")) or too_large,
        path=str(path),
        offset=records.get_record_offset(),  # type: ignore[attr-defined]  # after the body: asking first reads past it
    )


_RAWPAGE_FIELDS = {f.name for f in fields(RawPage)}


def _item(payload: bytes) -> ArchivedItem | None:
    try:
        data = json.loads(payload)
        data = {k: v for k, v in data.items() if k in _RAWPAGE_FIELDS}
        data["body"], data["parts"], data["body_ref"], data["part_refs"] = b"", [], None, []
        return ArchivedItem(RawPage(**data))
    except (ValueError, TypeError) as exc:
        log.warning("unreadable item record skipped (%s)", exc)
        return None


@dataclass
class _Metadata:
    target_uri: str
    content_type: str
    payload: bytes


def _event(path: Path) -> Callable[[object, object], ArchivedResponse | _Metadata | None]:
    def handle(record: object, records: object) -> ArchivedResponse | _Metadata | None:
        kind = record.rec_type  # type: ignore[attr-defined]
        if kind == "response":
            return _response(record, path, records)
        if kind == "metadata":
            headers = record.rec_headers  # type: ignore[attr-defined]
            payload = _read_all(record, record.content_stream()) or b""  # type: ignore[attr-defined]
            return _Metadata(
                headers.get_header("WARC-Target-URI") or "", headers.get_header("Content-Type") or "", payload
            )
        return None  # warcinfo, request, revisit, resource: read past (pages/warcrecords checks they end right)

    return handle


def read_archive(path: Path) -> Iterator[ArchivedResponse | ArchivedItem | Unreadable]:
    """Responses (with their metadata fields), items and unreadable records of one WARC file, in file order.

    Raises NotAWarc when the file does not start with a WARC/ARC record. Each record is handed on
    once; the caller counts the Unreadable ones (pages.warcrecords.Losses) and says so once per file.
    """
    pending: ArchivedResponse | None = None
    for event in read_records(path, _event(path)):
        if isinstance(event, Unreadable):
            yield event
        elif isinstance(event, ArchivedResponse):
            if pending is not None:
                yield pending
            pending = event
        elif isinstance(event, _Metadata):
            if event.content_type.startswith(ITEM_CONTENT_TYPE):
                if pending is not None:
                    yield pending
                    pending = None
                if (item := _item(event.payload)) is not None:
                    yield item
            elif pending is not None and pending.url == event.target_uri:
                pending.fields = _fields(event.payload)
                yield pending
                pending = None
    if pending is not None:
        yield pending


def read_response_at(path: Path, offset: int) -> ArchivedResponse:
    """The response record at ``offset`` (as read_archive reported it): a second look without a second pass."""
    with path.open("rb") as fh:
        fh.seek(offset)
        records = Records(fh)
        record = next(iter(records))
        return _response(record, path, records)


def _page_from_response(resp: ArchivedResponse, site: str, parts: list[ArchivedResponse]) -> RawPage:
    return RawPage(
        kind="page",
        site=site,
        url=resp.fields.get("via-url") or resp.url,
        final_url=resp.url,
        status=resp.status,
        body=resp.body,
        headers=resp.headers,
        fetched_at=resp.warc_date,
        referer=resp.fields.get("referer"),
        list_date=resp.fields.get("list-date"),
        parts=[p.body for p in parts],
        part_urls=[p.url for p in parts],
    )


def _is_redirect(resp: ArchivedResponse) -> bool:
    return resp.status is not None and 300 <= resp.status < 400


def archived_pages(events: Iterable[ArchivedResponse | ArchivedItem | Unreadable], site: str) -> Iterator[RawPage]:
    """The RawPages a crawl of ours handed over, rebuilt from its archive: each item record with the
    body (and the continuation pages) of its response records.

    An article response whose item never came (the crawl was killed, or closed with the article's
    continuation pages still open) is still yielded at the end, with the parts that were archived.
    """
    articles: dict[str, ArchivedResponse] = {}
    parts: dict[str, ArchivedResponse] = {}
    for event in events:
        if isinstance(event, ArchivedResponse):
            if event.role == "article" and not _is_redirect(event):
                articles[event.url] = event
            elif event.role == "part" and not _is_redirect(event):
                parts[event.url] = event
            continue
        if isinstance(event, Unreadable):  # counted by the caller
            continue
        page = event.page
        resp = articles.pop(page.final_url, None)
        if page.kind == "page":
            if resp is None:
                log.warning("%s: archived item without its response record: skipped", page.final_url)
                continue
            page.body = resp.body
            found = [parts.pop(u) for u in page.part_urls if u in parts]
            page.parts, page.part_urls = [p.body for p in found], [p.url for p in found]
        yield page
    for resp in articles.values():
        if resp.truncated:  # an attachment, cut at its headers by the spider: nothing to extract
            yield replace(_page_from_response(resp, site, []), kind="attachment", body=b"")
            continue
        mine = [p for p in parts.values() if p.fields.get("part-of") == resp.url]
        yield _page_from_response(resp, site, mine)


def response_day(resp_or_page: ArchivedResponse | RawPage) -> date | None:
    """The UTC day a response was archived (WARC-Date) or a page fetched."""
    stamp = resp_or_page.warc_date if isinstance(resp_or_page, ArchivedResponse) else resp_or_page.fetched_at
    try:
        return date.fromisoformat(stamp[:10])
    except ValueError:
        return None


def foreign_page(resp: ArchivedResponse, site: str) -> RawPage:
    """A response of a WARC made elsewhere (wget, Heritrix, Common Crawl) as an article page."""
    return _page_from_response(resp, site, [])
