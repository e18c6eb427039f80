"""Reading raw-page files back, bodies included: the one place a ``body_ref`` is resolved.

A record written with the WARC archive on carries references (file, offset) to its bodies instead of
the bytes; the reader reads them from the archive (pages.warc) so that every consumer gets whole pages.
Kept apart from pages.raw, which pages.warc itself builds on, so that no two modules import each other.
"""

from __future__ import annotations

import binascii
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from pages.raw import RawPage
from pages.warc import read_response_at

log = logging.getLogger(__name__)


def with_bodies(page: RawPage) -> RawPage:
    """The page with its archived bodies read in (OSError if the archive file is gone)."""
    if not page.body_ref:
        return replace(page, body_ref=None, part_refs=[])
    refs = [page.body_ref, *page.part_refs]
    bodies = [read_response_at(Path(path), int(offset)).body for path, offset in refs]
    return replace(page, body=bodies[0], parts=bodies[1:], body_ref=None, part_refs=[])


def _parse(line: str, path: Path) -> RawPage | None:
    try:
        return with_bodies(RawPage.from_json(line))
    except (ValueError, TypeError, binascii.Error, OSError) as exc:  # a line cut by a killed crawl, then ended,
        # or a body whose archive file was deleted
        log.warning("%s: unreadable raw-page record skipped (%s)", path, exc)
        return None


def read_raw_pages(path: Path | str) -> Iterator[RawPage]:
    """Stream the records of a raw-page file; an incomplete last line (a killed crawl) is skipped."""
    p = Path(path)
    if not p.exists():
        return
    with p.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.endswith("\n"):
                break  # cut short mid-write: everything before it is intact
            if line.strip() and (page := _parse(line, p)) is not None:
                yield page


def follow_raw_pages(path: Path | str, finished: Callable[[], bool], poll_seconds: float = 0.2) -> Iterator[RawPage]:
    """Stream the records of a raw-page file while the crawl is still writing it (like ``tail -f``).

    Why: processing pages as they arrive overlaps extraction with fetching, so a run takes about as
    long as its crawl instead of crawl plus processing. ``finished()`` says the crawl has ended (also
    when it failed); then the rest of the file is read and the stream ends. A last line without its
    newline at that point was cut by a kill and is skipped, as read_raw_pages does.
    """
    p = Path(path)
    while not p.exists():
        if finished():
            if not p.exists():
                return
            break
        time.sleep(poll_seconds)
    with p.open(encoding="utf-8") as fh:
        partial, ended = "", False
        while True:
            line = fh.readline()
            if line:
                partial += line
                if partial.endswith("\n"):
                    if partial.strip() and (page := _parse(partial, p)) is not None:
                        yield page
                    partial = ""
                continue
            if ended:
                return  # the crawl had ended and everything it wrote has been read
            if finished():
                ended = True  # one more pass: what it wrote just before it ended
                continue
            time.sleep(poll_seconds)
