"""Reads and idempotent writes: the database decides what is new.

Every write that could race with another worker or a rerun is guarded by a
unique constraint and a savepoint: the loser of a race sees an IntegrityError,
rolls back only its savepoint and reads the winner's row. No statement here
is backend-specific.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from sqlalchemy import Select, and_, bindparam, delete, func, insert, or_, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from steps import dedup
from steps.normalize import detect_script
from steps.urls import MAX_KEY_LENGTH
from steps.xlang import Side
from storage import containment, xlang
from storage.models import (
    Article,
    Attachment,
    Base,
    CrawlRun,
    DecisionLock,
    Duplicate,
    ListValidator,
    LshBand,
    PageError,
    SeedDocument,
    XlangKey,
)

# A live run refreshes its heartbeat every HEARTBEAT_SECONDS (flows/ingest.py); one silent for
# STALE_AFTER is taken for dead even when its host cannot be checked (another machine).
HEARTBEAT_SECONDS = 30
STALE_AFTER = timedelta(minutes=10)


def utcnow() -> datetime:
    return datetime.now(UTC)


# --- runs -------------------------------------------------------------------------------------------


def worker_label() -> str:
    """The name runs are attributed to: ``DANGJIAN_WORKER_NAME`` if set (e.g. per Prefect worker), else the host."""
    return os.environ.get("DANGJIAN_WORKER_NAME") or socket.gethostname()


def start_run(session: Session, flow_run_id: str, site: str, since: str | None, until: str | None) -> CrawlRun:
    now = utcnow()
    run = CrawlRun(
        flow_run_id=flow_run_id,
        site=site,
        since=since,
        until=until,
        started_at=now,
        status="running",
        pages_fetched=0,
        new=0,
        duplicate=0,
        failed=0,
        skipped=0,
        worker=worker_label(),
        host=socket.gethostname(),
        pid=os.getpid(),
        heartbeat_at=now,
    )
    session.add(run)
    session.flush()
    return run


def list_validators(session: Session, site: str) -> dict[str, dict[str, str]]:
    """``{list URL: {"etag": …, "last_modified": …}}`` as the crawler's --validators file wants it."""
    out: dict[str, dict[str, str]] = {}
    for row in session.scalars(select(ListValidator).where(ListValidator.site == site)):
        kept = {k: v for k, v in (("etag", row.etag), ("last_modified", row.last_modified)) if v}
        if kept:
            out[row.url] = kept
    return out


def save_list_validators(session: Session, site: str, validators: dict[str, dict[str, str]]) -> None:
    """Replace the site's validators with what its latest crawl saw."""
    session.execute(delete(ListValidator).where(ListValidator.site == site))
    now = utcnow()
    session.add_all(
        ListValidator(
            site=site,
            url=url,
            etag=(v.get("etag") or None) and v["etag"][:300],
            last_modified=(v.get("last_modified") or None) and v["last_modified"][:100],
            updated_at=now,
        )
        for url, v in validators.items()
        if len(url) <= MAX_KEY_LENGTH
    )


def run_of_flow(session: Session, flow_run_id: str, site: str) -> CrawlRun | None:
    """The site's run started by the given flow run, if it got that far."""
    return session.scalars(
        select(CrawlRun).where(CrawlRun.flow_run_id == flow_run_id, CrawlRun.site == site).order_by(CrawlRun.id.desc())
    ).first()


def heartbeat(session: Session, run_ids: Iterable[int]) -> None:
    """Say that these runs are still alive."""
    ids = list(run_ids)
    if ids:
        session.execute(
            update(CrawlRun).where(CrawlRun.id.in_(ids), CrawlRun.status == "running").values(heartbeat_at=utcnow())
        )


def finish_run(session: Session, run_id: int, status: str, counts: dict[str, int], message: str | None) -> None:
    session.execute(
        update(CrawlRun)
        .where(CrawlRun.id == run_id)
        .values(status=status, finished_at=utcnow(), heartbeat_at=utcnow(), message=message, **counts)
    )


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


INTERRUPTED = "interrupted: its process is gone (killed, or its machine stopped) before it finished"


def run_is_gone(host: str | None, pid: int | None, last_sign: datetime, now: datetime, stale_after: timedelta) -> bool:
    """Whether a 'running' run's process is gone: on this host and its pid no longer exists, or silent
    (no heartbeat) for ``stale_after``. A run alive elsewhere (another machine, another flow here) is not."""
    same_host_dead = host == socket.gethostname() and pid is not None and not _process_alive(pid)
    return same_host_dead or host is None or now - last_sign > stale_after


def mark_stale_runs_interrupted(session: Session, site: str | None, stale_after: timedelta = STALE_AFTER) -> int:
    """Runs of ``site`` (None: of every site) still 'running' whose process is gone (run_is_gone): mark
    them interrupted, with a message saying so. Called before an ingest, an import-warc or a reprocess
    starts its own runs, so a killed command's run does not stay 'running' for ever."""
    now = utcnow()
    query = select(CrawlRun.id, CrawlRun.host, CrawlRun.pid, CrawlRun.heartbeat_at, CrawlRun.started_at).where(
        CrawlRun.status == "running"
    )
    if site is not None:
        query = query.where(CrawlRun.site == site)
    dead = [
        run.id
        for run in session.execute(query)
        if run_is_gone(run.host, run.pid, run.heartbeat_at or run.started_at, now, stale_after)
    ]
    if not dead:
        return 0
    session.execute(
        update(CrawlRun)
        .where(CrawlRun.id.in_(dead), CrawlRun.status == "running")
        .values(status="interrupted", finished_at=now, message=func.coalesce(CrawlRun.message, INTERRUPTED))
    )
    return len(dead)


def last_successful_run_start(session: Session, site: str) -> datetime | None:
    return session.scalar(
        select(func.max(CrawlRun.started_at)).where(CrawlRun.site == site, CrawlRun.status == "completed")
    )


# --- what is already known --------------------------------------------------------------------------


def known_canonical_urls(session: Session, site: str) -> Iterator[str]:
    """Canonical URLs of ``site`` that never need fetching again (stored or judged duplicate)."""
    yield from session.scalars(select(Article.canonical_url).where(Article.site == site)).yield_per(1000)
    yield from session.scalars(select(Duplicate.canonical_url).where(Duplicate.site == site)).yield_per(1000)
    yield from session.scalars(select(Attachment.canonical_url).where(Attachment.site == site)).yield_per(1000)


# The statements every page runs, built once with bound parameters: building them anew per page
# (coercing every clause, computing its cache key) cost more than SQLite took to run them
# (bench/pipeline.py, profile of the store step).
_KNOWN_URL = union_all(
    *(select(m.id).where(m.canonical_url == bindparam("url")) for m in (Article, Duplicate, Attachment))
).limit(1)
_SEED_BY_HASH = select(SeedDocument.name, SeedDocument.text_normalized).where(
    SeedDocument.content_hash == bindparam("hash")
)
_ARTICLE_BY_HASH = select(Article.id, Article.text_normalized).where(Article.content_hash == bindparam("hash"))
_TAKE_TURN = update(DecisionLock).where(DecisionLock.id == 1).values(decisions=DecisionLock.decisions + 1)
_INSERT_ARTICLE = insert(Article).returning(Article.id)
_INSERT_BANDS = insert(LshBand)
_CLEAR_ERRORS = delete(PageError).where(PageError.canonical_url == bindparam("url"))


def is_known_url(session: Session, canonical_url: str) -> bool:
    """Stored, judged a duplicate, or recorded as an attachment: one query over the three tables."""
    return session.execute(_KNOWN_URL, {"url": canonical_url}).first() is not None


@dataclass(frozen=True)
class Reference:
    """A document of the reference corpus: a stored article or a seed file."""

    article_id: int | None
    seed_name: str | None
    text_normalized: str

    @property
    def label(self) -> str:
        return self.seed_name if self.seed_name else f"article:{self.article_id}"


def find_by_content_hash(session: Session, content_hash: str) -> Reference | None:
    """Exact-layer lookup; seeds first, so a repost of a seed is attributed to the seed."""
    seed = session.execute(_SEED_BY_HASH, {"hash": content_hash}).first()
    if seed:
        return Reference(None, seed.name, seed.text_normalized)
    art = session.execute(_ARTICLE_BY_HASH, {"hash": content_hash}).first()
    if art:
        return Reference(art.id, None, art.text_normalized)
    return None


@lru_cache(maxsize=8)
def _lsh_query(bands: int) -> Select[tuple[int | None, int | None]]:
    """The candidate query for ``bands`` band keys, built once: its keys are bound parameters.

    One equality per band, OR-ed: both SQLite and PostgreSQL answer it with index probes on (band, key).
    A row-value IN over the pairs reads the same but made SQLite scan the whole table (measured by
    bench/dedup_scale.py: 750 ms per lookup at 100k articles instead of a few ms). Building the 32
    clauses anew for every page cost more than running the query (bench/pipeline.py's profile).
    """
    match_any_band = or_(
        *(and_(LshBand.band == bindparam(f"b{i}"), LshBand.key == bindparam(f"k{i}")) for i in range(bands))
    )
    return select(LshBand.article_id, LshBand.seed_id).where(match_any_band).distinct()


def lsh_candidates(session: Session, band_keys: Sequence[int]) -> list[Reference]:
    """Documents sharing at least one LSH band key, seeds first then oldest articles first."""
    params: dict[str, int] = {}
    for band, key in enumerate(band_keys):
        params[f"b{band}"], params[f"k{band}"] = band, key
    hits = _lsh_query(len(band_keys))
    rows = session.execute(hits, params).all()
    seed_ids = sorted({r.seed_id for r in rows if r.seed_id is not None})
    return references(session, seed_ids, sorted({r.article_id for r in rows if r.article_id is not None}))


def containment_candidates(session: Session, winnowed: Sequence[int]) -> list[Reference]:
    """Documents sharing enough rare winnowed fingerprints with the query (see storage/containment.py):
    the candidates for an excerpt, a truncated repost or an article embedded in a longer text."""
    found = containment.candidates(session, winnowed)
    return references(session, [c.seed_id for c in found], [c.article_id for c in found])


def xlang_candidates(session: Session, side: Side, keys: Iterable[str]) -> list[Reference]:
    """Documents of language ``side`` sharing enough rare language-neutral keys with the query
    (storage/xlang.py): the candidates of the translation layer."""
    found = xlang.candidates(session, side, keys)
    return references(session, [c.seed_id for c in found], [c.article_id for c in found])


def references(session: Session, seed_ids: Iterable[int | None], article_ids: Iterable[int | None]) -> list[Reference]:
    """The seeds (by name) then the articles (oldest first) of the given ids, as References."""
    seeds = [i for i in seed_ids if i is not None]
    articles = [i for i in article_ids if i is not None]
    refs: list[Reference] = []
    if seeds:
        rows = session.execute(
            select(SeedDocument.name, SeedDocument.text_normalized)
            .where(SeedDocument.id.in_(seeds))
            .order_by(SeedDocument.name)
        )
        refs.extend(Reference(None, r.name, r.text_normalized) for r in rows)
    if articles:
        rows = session.execute(
            select(Article.id, Article.text_normalized).where(Article.id.in_(articles)).order_by(Article.id)
        )
        refs.extend(Reference(r.id, None, r.text_normalized) for r in rows)
    return refs


def winnowed_of(text_normalized: str) -> tuple[int, ...]:
    """A stored text's containment fingerprints, recomputed (they are not stored beside the text)."""
    return dedup.winnow(dedup.tokens(text_normalized))


# --- seeds ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedInput:
    name: str
    file_sha256: str
    text_normalized: str
    content_hash: str
    band_keys: tuple[int, ...]
    winnowed: tuple[int, ...] = ()


def seed_digests(session: Session) -> dict[str, str]:
    """name → sha256 of the seed files as last indexed."""
    return {name: sha for name, sha in session.execute(select(SeedDocument.name, SeedDocument.file_sha256))}


def sync_seeds(session: Session, seeds: Iterable[SeedInput], present: set[str]) -> tuple[int, int]:
    """Index new or changed seed files and drop the ones no longer present.

    Returns (indexed, removed). Unchanged files are left alone, so indexing
    happens once per file version.
    """
    for gone in session.execute(
        select(SeedDocument.id, SeedDocument.text_normalized).where(SeedDocument.name.not_in(present))
    ):
        containment.unindex_seed(session, gone.id, winnowed_of(gone.text_normalized))
    result = session.execute(delete(SeedDocument).where(SeedDocument.name.not_in(present)))
    removed = int(getattr(result, "rowcount", 0) or 0)
    indexed = 0
    for seed in seeds:
        existing = session.scalar(select(SeedDocument).where(SeedDocument.name == seed.name))
        if existing is not None:
            if existing.file_sha256 == seed.file_sha256:
                continue
            session.execute(delete(LshBand).where(LshBand.seed_id == existing.id))
            containment.unindex_seed(session, existing.id, winnowed_of(existing.text_normalized))
            xlang.unindex(session, seed_id=existing.id)
            existing.file_sha256 = seed.file_sha256
            existing.text_normalized = seed.text_normalized
            existing.content_hash = seed.content_hash
            existing.indexed_at = utcnow()
            doc = existing
        else:
            doc = SeedDocument(
                name=seed.name,
                file_sha256=seed.file_sha256,
                text_normalized=seed.text_normalized,
                content_hash=seed.content_hash,
                indexed_at=utcnow(),
            )
            session.add(doc)
        session.flush()
        session.add_all(LshBand(band=i, key=k, seed_id=doc.id) for i, k in enumerate(seed.band_keys))
        session.flush()
        containment.index_documents(session, [containment.Indexed(seed.winnowed, seed_id=doc.id)])
        xlang.index_document(session, seed.text_normalized, detect_script(seed.text_normalized), seed_id=doc.id)
        indexed += 1
    # Bands of removed seeds go with them (ON DELETE CASCADE is not enforced everywhere, so be explicit).
    session.execute(
        delete(LshBand).where(LshBand.seed_id.is_not(None), LshBand.seed_id.not_in(select(SeedDocument.id)))
    )
    session.execute(
        delete(XlangKey).where(XlangKey.seed_id.is_not(None), XlangKey.seed_id.not_in(select(SeedDocument.id)))
    )
    return indexed, removed


# --- writes -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewArticle:
    url: str
    canonical_url: str
    site: str
    title: str | None
    published_at: datetime | None
    source: str | None
    author: str | None
    editor: str | None
    text: str
    text_normalized: str
    script: str | None
    flags: str
    content_hash: str
    encoding: str | None
    band_keys: tuple[int, ...]
    winnowed: tuple[int, ...] = ()  # containment fingerprints (storage/containment.py)
    extraction_version: str | None = None  # which extraction code made ``text`` (process/version.py)


def insert_once(session: Session, *rows: Base) -> bool:
    """Insert ``rows`` in a savepoint; False (and nothing inserted) when a unique constraint says
    another run or worker got there first. The caller's transaction stays usable either way."""
    try:
        with session.begin_nested():
            for row in rows:
                session.add(row)
                session.flush()  # in order: later rows may need the ids of earlier ones
    except IntegrityError:
        return False
    return True


def take_decision_turn(session: Session) -> None:
    """Start a decide-and-store transaction by updating the one DecisionLock row (see its docstring).

    It must be the transaction's first statement: on SQLite a write first takes the database's write
    lock before anything is read, so no decision is made on a stale snapshot.
    """
    session.execute(_TAKE_TURN)


def add_attachment(
    session: Session,
    *,
    url: str,
    canonical_url: str,
    site: str,
    content_type: str | None,
    size: int | None,
    referer: str | None,
    run_id: int | None,
) -> bool:
    """Record a non-HTML resource once per canonical URL; False when it was already recorded."""
    if session.scalar(select(Attachment.id).where(Attachment.canonical_url == canonical_url)) is not None:
        return False
    return insert_once(
        session,
        Attachment(
            url=url,
            canonical_url=canonical_url,
            site=site,
            content_type=content_type[:200] if content_type else None,
            size=size,
            referer=referer,
            first_run_id=run_id,
            first_seen_at=utcnow(),
        ),
    )


def _same_article(item: NewArticle) -> Select[tuple[int]]:
    return select(Article.id).where(
        or_(Article.canonical_url == item.canonical_url, Article.content_hash == item.content_hash)
    )


def add_article(session: Session, item: NewArticle, run_id: int | None, *, checked: bool = False) -> tuple[int, bool]:
    """Insert the article and its LSH bands; (id, True) if inserted, (existing id, False) if it was already there.

    The unique constraints on canonical URL and content hash make this safe
    against reruns and against another worker inserting the same article.
    ``checked``: the caller has just looked for the URL and the hash in this
    transaction (the pipeline does, under the decision lock), so the lookup is
    not repeated; the constraints still guard the insert.
    """
    if not checked:
        existing = session.scalar(_same_article(item))
        if existing is not None:
            return existing, False
    values = {
        "url": item.url,
        "canonical_url": item.canonical_url,
        "site": item.site,
        "title": item.title,
        "published_at": item.published_at,
        "source": item.source,
        "author": item.author,
        "editor": item.editor,
        "text": item.text,
        "text_normalized": item.text_normalized,
        "script": item.script,
        "flags": item.flags,
        "content_hash": item.content_hash,
        "encoding": item.encoding,
        "extraction_version": item.extraction_version,
        "fetched_at": utcnow(),
        "first_run_id": run_id,
    }
    try:
        with session.begin_nested():
            # Core statements: one row and one executemany, without the ORM's unit of work per page.
            article_id = session.execute(_INSERT_ARTICLE, values).scalar_one()
            session.execute(
                _INSERT_BANDS, [{"band": i, "key": k, "article_id": article_id} for i, k in enumerate(item.band_keys)]
            )
            containment.index_documents(session, [containment.Indexed(item.winnowed, article_id=article_id)])
            xlang.index_document(session, item.text_normalized, item.script, article_id=article_id)
    except IntegrityError:
        winner = session.scalar(_same_article(item))
        if winner is None:
            raise
        return winner, False
    return article_id, True


def duplicate_row(
    *,
    url: str,
    canonical_url: str,
    site: str,
    title: str | None,
    reference: Reference,
    similarity: float,
    layer: str,
    run_id: int | None,
    detail: str | None = None,
) -> Duplicate:
    """The duplicates row recording that the page at ``url`` repeats ``reference``."""
    return Duplicate(
        url=url,
        canonical_url=canonical_url,
        site=site,
        title=title,
        duplicate_of_article_id=reference.article_id,
        duplicate_of_seed=reference.seed_name,
        similarity=round(similarity, 4),
        layer=layer,
        detail=detail[:500] if detail else None,
        run_id=run_id,
        recorded_at=utcnow(),
    )


def add_duplicate(session: Session, row: Duplicate) -> bool:
    """Record a duplicate (duplicate_row) once per canonical URL; False when it was already recorded."""
    if session.scalar(select(Duplicate.id).where(Duplicate.canonical_url == row.canonical_url)) is not None:
        return False
    return insert_once(session, row)


@dataclass(frozen=True)
class StoredCopy:
    """The facts of a stored article that decide whether a newly met copy outranks it."""

    id: int
    url: str
    title: str | None
    source: str | None
    published_at: datetime | None


def unindex_article(session: Session, article_id: int, text_normalized: str) -> None:
    """Take an article out of both near-duplicate indexes (LSH bands, containment fingerprints), as its
    stored ``text_normalized`` put it there. Call once per text: the fingerprints' frequencies are
    counted down."""
    session.execute(delete(LshBand).where(LshBand.article_id == article_id))
    containment.unindex_article(session, article_id, winnowed_of(text_normalized))
    xlang.unindex(session, article_id=article_id)


def index_article(session: Session, article_id: int, item: NewArticle) -> None:
    """Put an article's new text into both near-duplicate indexes (the counterpart of unindex_article)."""
    session.execute(
        _INSERT_BANDS, [{"band": i, "key": k, "article_id": article_id} for i, k in enumerate(item.band_keys)]
    )
    containment.index_documents(session, [containment.Indexed(item.winnowed, article_id=article_id)])
    xlang.index_document(session, item.text_normalized, item.script, article_id=article_id)


def stored_copy(session: Session, article_id: int) -> StoredCopy:
    row = session.execute(
        select(Article.id, Article.url, Article.title, Article.source, Article.published_at).where(
            Article.id == article_id
        )
    ).one()
    return StoredCopy(row.id, row.url, row.title, row.source, row.published_at)


def promote_original(
    session: Session, article_id: int, original: NewArticle, similarity: float, layer: str, run_id: int | None
) -> None:
    """Make ``original`` the canonical copy in place of stored article ``article_id``; the copy stored so
    far becomes a duplicate of it. Call inside the deciding transaction (after take_decision_turn).

    The article row keeps its id and takes the original's URL, text and dates: the id names the cluster,
    so every duplicate that pointed at the stored copy now points at the original without being touched,
    and nothing is deleted, so no ON DELETE CASCADE can take duplicates with it. Its LSH bands and
    containment fingerprints are replaced by the original's. Counts stay right: one article, and one more
    duplicates row (the former copy's URL), recorded for the run that met the original.
    """
    old = session.execute(select(Article).where(Article.id == article_id)).scalar_one()
    unindex_article(session, article_id, old.text_normalized)
    former = duplicate_row(
        url=old.url,
        canonical_url=old.canonical_url,
        site=old.site,
        title=old.title,
        reference=Reference(article_id, None, ""),
        similarity=similarity,
        layer=layer,
        run_id=run_id,
    )
    for name in ("url", "canonical_url", "site", "title", "published_at", "source", "author", "editor", "text",
                 "text_normalized", "script", "flags", "content_hash", "encoding", "extraction_version"):  # fmt: skip
        setattr(old, name, getattr(original, name))
    old.fetched_at, old.first_run_id = utcnow(), run_id
    session.flush()  # the article's new URL first: the duplicates row takes over its old one
    session.add(former)
    session.flush()
    index_article(session, article_id, original)


def record_page_error(
    session: Session,
    *,
    url: str,
    canonical_url: str,
    site: str,
    stage: str,
    reason: str,
    status: int | None,
    run_id: int | None,
) -> bool:
    """Record why a page failed; True when it is a new (url, stage), False when an old one recurred."""
    reason = reason[:2000]
    values = {"reason": reason, "status": status, "last_run_id": run_id, "last_seen_at": utcnow()}
    where = (PageError.canonical_url == canonical_url, PageError.stage == stage)
    new = PageError(
        url=url, canonical_url=canonical_url, site=site, stage=stage, first_run_id=run_id, occurrences=1, **values
    )
    if session.scalar(select(PageError.id).where(*where)) is None and insert_once(session, new):
        return True
    session.execute(update(PageError).where(*where).values(occurrences=PageError.occurrences + 1, **values))
    return False


def clear_page_errors(session: Session, canonical_url: str) -> None:
    """A page that now succeeds is no longer an open error."""
    session.execute(_CLEAR_ERRORS, {"url": canonical_url})


def runs_without_new(session: Session, site: str, limit: int = 10) -> int:
    """How many of the site's latest completed runs in a row stored nothing new."""
    news = session.scalars(
        select(CrawlRun.new)
        .where(CrawlRun.site == site, CrawlRun.status == "completed")
        .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
        .limit(limit)
    ).all()
    count = 0
    for n in news:
        if n:
            break
        count += 1
    return count
