"""Reading the records of one WARC file so that one bad record costs that record only.

Why: WARC files from Heritrix, wget or Common Crawl are gigabytes, and warcio's ArchiveIterator stops
at the first record it cannot parse (a damaged gzip member, a false Content-Length, a header line of a
gigabyte). Here a record that fails is reported as ``Unreadable`` and the reading resumes at the next
record start after it: the next gzip member whose data begins with a ``WARC/1.`` line (compressed
files), or the next ``\\r\\nWARC/1.x\\r\\n`` (uncompressed). The file is read in bounded chunks, never
whole, and header lines and blocks are bounded (a gzip bomb in a header costs 64 KiB, not gigabytes).

warcio's own diagnostics (decompression errors, "Record not followed by newline" warnings), which it
writes to stderr once per block, become exceptions: the caller prints one summary line per file.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import DecompressingBufferedReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeadersParserException

MAX_HEADER_LINE = 64 * 1024  # one WARC or HTTP header line (real ones are < 8 KiB)
MAX_HEADER_BLOCK = 256 * 1024  # the WARC plus HTTP header block of one record, and blank lines after it
SCAN_CHUNK = 1 << 20  # bytes read at a time when looking for the next record start
GZIP_MEMBER = b"\x1f\x8b\x08"
RECORD_START = (b"WARC/1.", b"filedesc://")  # a WARC record, or an ARC file's first record

T = TypeVar("T")


class _NoPerRecordNotes(logging.Filter):
    """warcio logs a warning for every record whose target URI holds a space (it writes %20 and goes
    on): one line per record of a crawled, untrusted string. Dropped: the record is read as fixed."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Replacing spaces in invalid WARC-Target-URI")


logging.getLogger("warcio.recordloader").addFilter(_NoPerRecordNotes())


class NotAWarc(ValueError):
    """A file that is not a readable WARC (or ARC) file."""


class BadRecord(Exception):
    """A record that cannot be read as what it claims to be: skipped, the reading resumes after it."""


class CutShort(BadRecord):
    """The record ends before its Content-Length (the file was cut while it was written, or it lies)."""


@dataclass(frozen=True)
class Unreadable:
    """A record skipped: where it started and why. ``cut``: nothing readable follows it (a file cut short)."""

    path: str
    offset: int
    reason: str
    cut: bool = False


@dataclass
class Losses:
    """The unreadable records of the files read, for one summary line per file (never one per record)."""

    by_file: dict[str, list[Unreadable]] = field(default_factory=dict)

    def add(self, event: Unreadable) -> None:
        self.by_file.setdefault(event.path, []).append(event)

    @property
    def total(self) -> int:
        return sum(len(events) for events in self.by_file.values())

    def lines(self) -> list[str]:
        out = []
        for path, events in self.by_file.items():
            first, cut = events[0], "; the file is cut short" if events[-1].cut else ""
            where = f"first at byte {first.offset}: {first.reason}"
            out.append(f"{path}: {len(events)} unreadable record(s) skipped ({where}){cut}")
        return out


def reason(exc: BaseException) -> str:
    """Why a record failed, in our own words: warcio's messages quote the record's bytes (binary data,
    terminal control sequences), which must not reach the summary line."""
    if isinstance(exc, BadRecord):
        return str(exc)
    if isinstance(exc, ArchiveLoadFailed):
        return "no WARC record header where a record should start (a Content-Length that lies, or damage)"
    if isinstance(exc, StatusAndHeadersParserException):
        return "an unreadable HTTP status line or header"
    return f"an unreadable record ({type(exc).__name__})"


class StrictDecoding:
    """For warcio's readers: data that stops decompressing after its first block raises ``damaged``
    instead of warcio writing the zlib error to stderr (once per block) and handing on what it had."""

    damaged: type[Exception] = BadRecord
    decompressor: Any
    decomp_type: str | None
    num_block_read: int

    def _decompress(self, data: bytes) -> bytes:
        if self.decompressor and data and self.num_block_read > 0:
            try:
                out: bytes = self.decompressor.decompress(data)
            except zlib.error as exc:
                raise self.damaged(f"damaged {self.decomp_type or 'gzip'} data ({exc})") from exc
            return out
        result: bytes = super()._decompress(data)  # type: ignore[misc]  # the first block: warcio's guess
        return result


class _BoundedReader(StrictDecoding, DecompressingBufferedReader):
    """warcio's reader with bounded header lines, and a damaged gzip member raised instead of printed."""

    budget: int | None = None  # bytes of header lines still allowed in the current header block

    def readline(self, length: int | None = None) -> bytes:
        cap = MAX_HEADER_LINE + 1 if length is None else min(length, MAX_HEADER_LINE + 1)
        if self.budget is not None:
            cap = min(cap, self.budget + 1)
        line: bytes = super().readline(cap)
        if len(line) > MAX_HEADER_LINE and not line.endswith(b"\n"):
            raise BadRecord(f"a header line longer than {MAX_HEADER_LINE} bytes")
        if self.budget is not None:
            self.budget -= len(line)
            if self.budget < 0:
                raise BadRecord(f"a header block longer than {MAX_HEADER_BLOCK} bytes")
        return line


class Records(ArchiveIterator):
    """ArchiveIterator on a _BoundedReader, header blocks bounded, a file that ends inside a record's
    headers told from one that ends between records (warcio takes both for the end), and no warning
    printed for a record followed by something else than blank lines: that is counted (``err_count``)
    and raised by _finish()."""

    def __init__(self, fileobj: IO[bytes]) -> None:
        super().__init__(fileobj)
        self.reader: _BoundedReader = _BoundedReader(self.fh)

    def _next_record(self, next_line: bytes | None) -> Any:
        self.reader.budget = MAX_HEADER_BLOCK
        try:
            return super()._next_record(next_line)
        except EOFError:  # warcio's "no more records", also when the file ends inside a record's headers
            if next_line or self.reader.budget < MAX_HEADER_BLOCK:
                raise CutShort("the file ends inside the record's headers") from None
            raise
        finally:
            self.reader.budget = None

    def _consume_blanklines(self) -> tuple[bytes | None, int]:
        empty_size = 0
        first = True
        self.reader.budget = MAX_HEADER_BLOCK
        try:
            while line := self.reader.readline():
                if line.rstrip() and (not first or line.startswith(b"WARC/")):
                    return line, empty_size  # the next record (right after this one: no blank line, but no lie)
                if line.rstrip():  # the record's Content-Length does not end it where a blank line follows
                    self.err_count += 1
                empty_size += len(line)
                first = False
            return None, empty_size
        finally:
            self.reader.budget = None


def _finish(record: Any, records: Records, errors_before: int) -> int:
    """Read the rest of the record; its offset. Raises CutShort or BadRecord when it did not end where
    its Content-Length says."""
    offset: int = records.get_record_offset()
    if getattr(record.raw_stream, "limit", 0) > 0:
        raise CutShort("the record ends before its Content-Length")
    if records.err_count != errors_before:
        raise BadRecord("the record's Content-Length does not end it (something else follows)")
    return offset


def _starts_record(fh: IO[bytes], offset: int, gz: bool) -> bool:
    fh.seek(offset)
    head = fh.read(4096)
    if gz:
        try:
            head = zlib.decompressobj(31).decompress(head, 16)
        except zlib.error:
            return False
    return head.startswith(RECORD_START)


def next_record_start(fh: IO[bytes], after: int, gz: bool) -> int | None:
    """The offset of the first record start after ``after`` (None: none), reading SCAN_CHUNK at a time."""
    marker = GZIP_MEMBER if gz else b"\r\nWARC/1."
    skip = 0 if gz else 2  # a plain record starts after the CRLF that ends the previous one
    pos, tail = after + 1, b""
    while True:
        fh.seek(pos)
        chunk = fh.read(SCAN_CHUNK)
        if not chunk:
            return None
        buf, base = tail + chunk, pos - len(tail)
        at = buf.find(marker)
        while at != -1:
            if _starts_record(fh, base + at + skip, gz):
                return base + at + skip
            at = buf.find(marker, at + 1)
        pos += len(chunk)
        tail = buf[-(len(marker) - 1) :]


NOT_PER_RECORD_GZIP = "the file is one gzip stream, not one gzip member per record: `warcio recompress` fixes it"


def _one_gzip_stream(exc: Exception) -> bool:
    """warcio's error for a WARC gzipped whole (``gzip file.warc``): its records after the first cannot be
    told apart without decompressing everything before them."""
    return isinstance(exc, ArchiveLoadFailed) and "non-chunked gzip" in str(exc)


def read_records(path: Path, handle: Callable[[Any, Records], T]) -> Iterator[T | Unreadable]:
    """``handle(record, iterator)`` of every record of the file, in file order, or an Unreadable for a
    record that failed (in warcio or in ``handle``), the reading resumed after it.

    Raises NotAWarc when the file does not start with a WARC or ARC record.
    """
    with path.open("rb") as fh:
        gz = fh.read(2) == GZIP_MEMBER[:2]
        start: int | None = 0
        seen = False
        while start is not None:
            fh.seek(start)
            records = Records(fh)
            it, begun, start = iter(records), start, None
            while True:
                at = records.offset
                try:
                    record = next(it, None)
                    if record is None:
                        break
                    errors = records.err_count
                    result = handle(record, records)
                    _finish(record, records, errors)
                except Exception as exc:
                    if not seen and not _starts_record(fh, 0, gz):
                        raise NotAWarc(f"{path}: not a WARC file ({reason(exc)})") from exc
                    seen = True
                    if _one_gzip_stream(exc):  # no member boundary to resume at (and no offset to trust)
                        yield Unreadable(str(path), 0, NOT_PER_RECORD_GZIP, cut=True)
                        break
                    at = max(at, begun)  # each resumption strictly after the last: the loop ends
                    start = next_record_start(fh, at, gz)
                    yield Unreadable(str(path), at, reason(exc), cut=start is None)
                    break
                seen = True
                yield result
        if not seen:
            raise NotAWarc(f"{path}: not a WARC file (no record)")
