"""Reading WARC files back as RawPage records: our own archive (crawlers/archive.py) and foreign ones.

No Scrapy here: reprocess and import-warc feed these pages to the processing core (process.run),
exactly as the crawl's JSON-lines hand-off does. warcio reads the records; ``content_stream()``
undoes the Content-Encoding the server applied, so the bytes handed on are the ones the spider
saw (byte-identical, checked by tests/test_archive.py).

A file cut short (a crawl killed mid-write) yields every complete record and then stops with a
warning: the records before the cut are intact gzip members, and a record is complete when its
content reaches its Content-Length. Digests are not checked: writers disagree on how to compute
the payload digest of a chunked response, and a mismatch would stop an import halfway.
"""

from __future__ import annotations

import io
import json
import logging
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader

from crawlers.rawpages import RawPage

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


def decode_payload(raw: bytes, content_encoding: str | None) -> bytes | None:
    """A response payload with its Content-Encoding undone as warcio's ``content_stream()`` does it;
    None when warcio has no decoder for it."""
    encoding = (content_encoding or "").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in BufferedReader.get_supported_decompressors():
        return None
    try:
        return _bounded_read(BufferedReader(io.BytesIO(raw), decomp_type=encoding), MAX_BODY_BYTES)
    except (OSError, zlib.error, ValueError):
        return None


class NotAWarc(ValueError):
    """A file that is not a readable WARC (or ARC) file."""


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


class _CutShort(Exception):
    """The record ends before its Content-Length: the file was cut while this record was written."""


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
    """Read a record's content (None: larger than ``limit``); raise _CutShort when the file ended
    inside the record."""
    if record.rec_headers.get_header("Content-Length") is None:  # type: ignore[attr-defined]
        raise _CutShort("a record whose headers were cut (no Content-Length)")
    data = _bounded_read(stream, limit)
    raw = record.raw_stream  # type: ignore[attr-defined]
    while raw.read(1 << 16):  # what a content decoder left unread (a gzip trailer, or the rest of a bomb)
        pass
    if getattr(raw, "limit", 0) > 0:
        raise _CutShort(f"record of {record.rec_headers.get_header('WARC-Target-URI')} is incomplete")  # type: ignore[attr-defined]
    return data


def _fields(payload: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in payload.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            out[name.strip().lower()] = value.strip()
    return out


def _response(record: object, path: Path, records: ArchiveIterator) -> ArchivedResponse:
    rec_headers = record.rec_headers  # type: ignore[attr-defined]
    http = record.http_headers  # type: ignore[attr-defined]
    if http is None and (rec_headers.get_header("Content-Type") or "").startswith("application/http"):
        raise _CutShort("an HTTP response record without its status line and headers")
    status = None
    headers: dict[str, str] = {}
    if http is not None:
        code = http.get_statuscode()
        status = int(code) if code and code.isdigit() else None
        headers = {name.lower(): value for name, value in http.headers}
    try:
        body = _read_all(record, record.content_stream())  # type: ignore[attr-defined]
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
        offset=records.get_record_offset(),  # after the body: asking first would read past it
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


def read_archive(path: Path) -> Iterator[ArchivedResponse | ArchivedItem]:
    """Responses (with their metadata fields) and items of one WARC file, in file order.

    Raises NotAWarc when the file does not start with a WARC/ARC record; a cut later on ends the
    stream with a warning.
    """
    pending: ArchivedResponse | None = None
    seen_any = False
    with path.open("rb") as fh:
        records = ArchiveIterator(fh)
        try:
            for record in records:
                seen_any = True
                kind = record.rec_type
                if kind == "response":
                    if pending is not None:
                        yield pending
                    pending = _response(record, path, records)
                elif kind == "metadata":
                    payload = _read_all(record, record.content_stream()) or b""
                    content_type = record.rec_headers.get_header("Content-Type") or ""
                    if content_type.startswith(ITEM_CONTENT_TYPE):
                        if pending is not None:
                            yield pending
                            pending = None
                        if (item := _item(payload)) is not None:
                            yield item
                    elif pending is not None and pending.url == record.rec_headers.get_header("WARC-Target-URI"):
                        pending.fields = _fields(payload)
                        yield pending
                        pending = None
        # A file cut inside a record's headers fails deep in warcio with whatever error that part
        # raises (AttributeError, IndexError...): any failure after the first record is a cut.
        except Exception as exc:
            if not seen_any:
                raise NotAWarc(f"{path}: not a WARC file ({type(exc).__name__}: {exc})".strip()) from exc
            log.warning("%s: archive cut short after the last complete record (%s)", path, exc)
    if pending is not None:
        yield pending
    if not seen_any:
        raise NotAWarc(f"{path}: not a WARC file (no record)")


def read_response_at(path: Path, offset: int) -> ArchivedResponse:
    """The response record at ``offset`` (as read_archive reported it): a second look without a second pass."""
    with path.open("rb") as fh:
        fh.seek(offset)
        records = ArchiveIterator(fh)
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


def archived_pages(events: Iterable[ArchivedResponse | ArchivedItem], site: str) -> Iterator[RawPage]:
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
