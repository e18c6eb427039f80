"""The pure half of processing a page: decode → extract → normalize → fingerprint.

No database, no Prefect, no Scrapy: analyze_page runs in worker processes (see process.run), and what
it returns is decided and written afterwards by process.decide.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

from pages.raw import FailureStage, RawPage
from sites.registry import SiteConfig
from steps import dedup
from steps.decode import DecodeError, decode_html, too_large, without_inline_data
from steps.extract import Extracted, ExtractionError, extract_article
from steps.flags import Flag, pages_flag
from steps.normalize import Normalized, normalize_text
from steps.urls import canonical_url, storage_key

# Bigger than any real article page (they weigh 30–300 KB); a page this large is a trap or a dump,
# and extracting it would hold a worker for minutes (a 20 MB page takes ~100 s), so it is refused.
STAGES = ("decode", "extract", "normalize", "dedup", "persist")


class StageClock:
    """Wall seconds spent per pipeline stage, summed over pages (shown in the run report and bench/).

    Stages nest: time spent in an inner stage is not also counted in the enclosing one.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(STAGES, 0.0)
        self._inner: list[float] = []

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        self._inner.append(0.0)
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            nested = self._inner.pop()
            self.seconds[name] = self.seconds.get(name, 0.0) + elapsed - nested
            if self._inner:
                self._inner[-1] += elapsed


def _within(published: datetime | None, since: date | None, until: date | None) -> bool:
    """Whether a page published on ``published`` belongs in the --since/--until window.

    A page with no date (every signal silent: steps/extract.py flags it ``date_missing``) is kept: a
    backfill that dropped it would lose it silently, while a kept one can be found and dated by its flag.
    """
    if published is None:
        return True
    day = published.date()
    return not ((since and day < since) or (until and day > until))


# A pasted image inlined as a data: URI (TRS editors produce them, megabytes each) carries no text.
def _continuation_texts(page: RawPage, site: SiteConfig) -> tuple[list[str], list[Flag], list[tuple[str, str]]]:
    """Texts of pages 2..n of a multi-page article; a part that cannot be read is reported, not fatal."""
    texts: list[str] = []
    flags: list[Flag] = []
    errors: list[tuple[str, str]] = []
    for i, body in enumerate(page.parts):
        part_url = page.part_urls[i] if i < len(page.part_urls) else f"{page.final_url or page.url}#part{i + 2}"
        body = without_inline_data(body)
        try:
            if reason := too_large(body):
                raise ExtractionError(reason)
            decoded = decode_html(body, page.headers.get("content-type"))
            part = extract_article(decoded.text, part_url, body_xpath=site.body_xpath, title_xpath=site.title_xpath)
        except (DecodeError, ExtractionError) as exc:
            errors.append((part_url, f"part {i + 2} of the article: {exc}"))
            flags.append("parts_incomplete")
            continue
        texts.append(part.text)
        flags.extend(f for f in part.flags if f not in flags)
    return texts, flags, errors


@dataclass
class Analysis:
    """What the pure steps (decode → extract → normalize → fingerprint) made of one page.

    Computed without the database, so it can run in another process (see analyses()); the
    decision and the writes happen afterwards, in record().
    """

    url: str
    key: str  # the canonical URL as stored
    failure: tuple[FailureStage, str] | None = None  # (stage, reason)
    skipped: str | None = None
    article: Extracted | None = None
    text: str = ""
    flags: list[str] = field(default_factory=list)
    normalized: Normalized | None = None
    fingerprint: dedup.Fingerprint | None = None
    encoding: str | None = None
    part_errors: list[tuple[str, str]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def analyze_page(
    page: RawPage,
    site: SiteConfig,
    since: date | None = None,
    until: date | None = None,
    furniture: frozenset[str] = frozenset(),
) -> Analysis:
    """Run the pure steps on one fetched article page. No I/O, no database.

    ``furniture``: the lines this site's earlier pages showed to be furniture (see process.run).
    """
    clock = StageClock()
    url = page.final_url or page.url
    result = Analysis(url=url, key=storage_key(canonical_url(url)))
    result.seconds = clock.seconds
    body = without_inline_data(page.body)
    if reason := too_large(body):
        result.failure = ("extract", reason)
        return result
    with clock.stage("decode"):
        try:
            decoded = decode_html(body, page.headers.get("content-type"))
        except DecodeError as exc:
            result.failure = ("decode", str(exc))
            return result
    result.encoding = decoded.encoding
    with clock.stage("extract"):
        try:
            art = extract_article(
                decoded.text, url, body_xpath=site.body_xpath, title_xpath=site.title_xpath, furniture=furniture
            )
        except ExtractionError as exc:
            result.failure = ("extract", str(exc))
            return result
        result.article, result.text, result.flags = art, art.text, list(art.flags)
        if page.parts:
            more, part_flags, result.part_errors = _continuation_texts(page, site)
            result.text = "\n".join([art.text, *more])
            result.flags.extend(f for f in part_flags if f not in result.flags)
            result.flags.append(pages_flag(len(page.parts) + 1))
    if not _within(art.published_at, since, until):
        result.skipped = "published outside since/until"
        return result
    with clock.stage("normalize"):
        result.normalized = normalize_text(result.text)
    with clock.stage("dedup"):
        result.fingerprint = dedup.fingerprint(result.normalized.text_normalized)
    return result
