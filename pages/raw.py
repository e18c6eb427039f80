"""Raw pages: what the spider hands to the rest of the pipeline, streamed through a file.

The crawl runs in its own process (the Twisted reactor cannot restart inside
one), so its output crosses a process boundary: one JSON line per fetched page
or fetch failure, written and flushed as it arrives. The reader streams the
file back one record at a time, so a run never holds all pages in memory, and
a file cut short by a crash still yields every complete line before the cut. With the WARC archive
on, a page's bodies are not in the line but referenced in the archive (body_ref), and read from it.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

log = logging.getLogger(__name__)

PageKind = Literal["page", "error", "attachment"]
# Where on its way from the portal to the store a page failed (page_errors.stage): the fetch, a pure
# step of the processing, or the pipeline itself (an unexpected error, kept with the page, never raised).
FailureStage = Literal["fetch", "decode", "extract", "normalize", "dedup", "persist", "pipeline"]


@dataclass
class RawPage:
    # "page": an article response; "error": a request that failed (status or reason says why);
    # "attachment": a non-HTML response (PDF, image, office document…): recorded, never extracted,
    # so its body is left empty and headers carry content-type / content-length.
    kind: PageKind
    site: str
    url: str  # as requested
    final_url: str  # after redirects
    status: int | None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    declared_encoding: str | None = None  # from the Content-Type header, else <meta>
    detected_encoding: str | None = None  # what the crawler's own inference chose
    fetched_at: str = ""
    referer: str | None = None
    list_date: str | None = None  # YYYY-MM-DD from the list entry or the URL, when known
    reason: str | None = None  # for kind == "error"
    # A multi-page article (TRS t…_1.html, t…_2.html): the bodies of pages 2..n, in order, and
    # their URLs. The pipeline extracts each and appends its text to the first page's.
    parts: list[bytes] = field(default_factory=list)
    part_urls: list[str] = field(default_factory=list)
    # When the crawl's WARC archive (crawlers/archive.py) holds the bodies byte for byte: (file, offset) of
    # their response records instead of the bodies, so the bytes are stored once. pages.stream reads them back.
    body_ref: tuple[str, int] | None = None
    part_refs: list[tuple[str, int]] = field(default_factory=list)

    def to_json(self) -> str:
        data: dict[str, Any] = asdict(self)
        data["body"] = base64.b64encode(self.body).decode("ascii")
        data["parts"] = [base64.b64encode(part).decode("ascii") for part in self.parts]
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> RawPage:
        """The record as written: bodies held by the archive stay references (pages.stream reads them)."""
        data = json.loads(line)
        data["body"] = base64.b64decode(data.get("body") or "")
        data["parts"] = [base64.b64decode(part) for part in data.get("parts") or []]
        return cls(**data)


class RawPageWriter:
    """Appends records to a JSON-lines file, flushed per record."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        cut_short = False
        if self.path.exists() and self.path.stat().st_size:
            with self.path.open("rb") as existing:
                existing.seek(-1, 2)
                cut_short = existing.read(1) != b"\n"
        self._fh: IO[str] | None = self.path.open("a", encoding="utf-8")
        if cut_short:  # an earlier crawl was killed mid-line: end that line so ours stay whole
            self._fh.write("\n")
            self._fh.flush()
        self.count = 0

    def write(self, page: RawPage) -> None:
        assert self._fh is not None, "writer is closed"
        self._fh.write(page.to_json() + "\n")
        self._fh.flush()
        self.count += 1

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
