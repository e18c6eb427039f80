"""The original is the canonical copy: when an earlier original is met after its repost, the roles swap in
the deciding transaction (process.decide.record → storage.writes.promote_original), on SQLite and
PostgreSQL, also when two workers decide at once. Pages are built analyses (the pure steps run for real on
the seed text), decided by the pipeline's own record_batch."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from pages.raw import RawPage
from process import canonical
from process.analyze import Analysis, StageClock
from process.decide import record_batch
from sites.registry import SiteConfig
from steps import dedup
from steps.chinatime import CHINA_TZ
from steps.extract import Extracted
from steps.normalize import normalize_text
from storage import containment, references, runlog, writes
from storage.db import session_scope
from storage.models import Article, ContainmentFingerprint, Duplicate, FingerprintFrequency, LshBand

SEED = (Path(__file__).resolve().parent.parent / "seeds").glob("000_*.txt")
TEXT = next(SEED).read_text(encoding="utf-8")
SITE = SiteConfig(
    name="portal",
    title="某市直机关党建网",
    start_urls=("http://127.0.0.1/",),
    allowed_domains=("127.0.0.1",),
    article_url_patterns=(),
    list_url_patterns=(),
)


def page_analysis(path: str, title: str, day: str | None, text: str = TEXT) -> tuple[RawPage, Analysis]:
    """An analysed article page, as analyze_page returns it."""
    url = f"http://127.0.0.1/{path}"
    published = datetime.fromisoformat(day).replace(hour=9, tzinfo=CHINA_TZ) if day else None
    norm = normalize_text(text)
    fp = dedup.fingerprint(norm.text_normalized)
    art = Extracted(url, title, published, "市直机关工委", None, None, text)
    analysis = Analysis(url=url, key=url, article=art, text=text, normalized=norm, encoding="utf-8")
    analysis.fingerprint = fp
    return RawPage("page", SITE.name, url, url, 200), analysis


REPOST = ("djgz/202410/t20241021_2.html", "【转载】深化机关党建品牌创建", "2024-10-21")
ORIGINAL = ("djgz/202409/t20240902_1.html", "深化机关党建品牌创建", "2024-09-02")


def decide(engine: Engine, *pages: tuple[str, str, str | None]) -> list[str]:
    outcomes = record_batch(engine, [page_analysis(*p) for p in pages], SITE, None, StageClock())
    return [o.kind for o in outcomes]


def state(engine: Engine) -> tuple[list[tuple[str, str | None]], list[tuple[str, int | None]]]:
    with session_scope(engine) as s:
        articles = s.execute(select(Article.url, Article.title).order_by(Article.id)).all()
        dups = s.execute(select(Duplicate.url, Duplicate.duplicate_of_article_id).order_by(Duplicate.url)).all()
    return [tuple(a) for a in articles], [tuple(d) for d in dups]  # type: ignore[misc]


def test_rule_earliest_day_then_own_page_then_first_stored() -> None:
    early = canonical.CopyFacts(datetime(2024, 9, 2).date(), is_repost=True)
    late = canonical.CopyFacts(datetime(2024, 10, 21).date(), is_repost=False)
    assert canonical.outranks(early, late) and not canonical.outranks(late, early)
    same_day_repost = canonical.CopyFacts(late.published_on, is_repost=True)
    assert canonical.outranks(late, same_day_repost) and not canonical.outranks(same_day_repost, late)
    assert not canonical.outranks(late, late)  # a tie keeps the copy stored first
    undated = canonical.CopyFacts(None, is_repost=False)
    assert canonical.outranks(undated, same_day_repost) and not canonical.outranks(undated, late)
    assert canonical.says_repost("【转载】标题", None) and canonical.says_repost("标题", "转自人民网")
    assert not canonical.says_repost("关于禁止转载的说明会", "市直机关工委")


def test_original_met_after_its_repost_takes_its_place(engine: Engine) -> None:
    assert decide(engine, REPOST) == ["new"]
    with session_scope(engine) as s:
        article_id = s.scalar(select(Article.id))
        # a third copy, recorded while the repost was the article, must follow the swap
        row = writes.duplicate_row(
            url="http://mirror.invalid/x",
            canonical_url="http://mirror.invalid/x",
            site="m",
            title=None,
            reference=references.Reference(article_id, None, ""),
            similarity=0.9,
            layer="minhash",
            run_id=None,
        )
        writes.add_duplicate(s, row)
    assert decide(engine, ORIGINAL) == ["duplicate"]
    articles, dups = state(engine)
    assert articles == [(f"http://127.0.0.1/{ORIGINAL[0]}", ORIGINAL[1])]
    assert dups == [(f"http://127.0.0.1/{REPOST[0]}", article_id), ("http://mirror.invalid/x", article_id)]
    with session_scope(engine) as s:
        stored = s.execute(select(Article)).scalar_one()
        assert stored.published_at is not None and stored.published_at.astimezone(CHINA_TZ).day == 2
        # the indexes describe the original, and its fingerprints are counted once
        assert s.scalar(select(func.count()).select_from(LshBand).where(LshBand.article_id == article_id)) == 32
        winnowed = references.winnowed_of(stored.text_normalized)
        freq = dict(s.execute(select(FingerprintFrequency.hash, FingerprintFrequency.documents)).all())
        assert all(freq[h] == 1 for h in winnowed)
        assert s.scalar(select(func.count()).select_from(ContainmentFingerprint)) == len(winnowed)
    assert decide(engine, REPOST, ORIGINAL) == ["skipped", "skipped"]  # a rerun changes nothing


def test_repost_met_after_the_original_is_its_duplicate(engine: Engine) -> None:
    assert decide(engine, ORIGINAL, REPOST) == ["new", "duplicate"]
    articles, dups = state(engine)
    assert articles == [(f"http://127.0.0.1/{ORIGINAL[0]}", ORIGINAL[1])]
    assert [d[0] for d in dups] == [f"http://127.0.0.1/{REPOST[0]}"]


def test_an_earlier_excerpt_never_replaces_the_full_article(engine: Engine) -> None:
    excerpt = TEXT[: len(TEXT) // 4]
    assert decide(engine, REPOST) == ["new"]
    pages = [page_analysis("djgz/202401/t20240101_9.html", "节选", "2024-01-01", excerpt)]
    assert [o.kind for o in record_batch(engine, pages, SITE, None, StageClock())] == ["duplicate"]
    articles, _ = state(engine)
    assert articles == [(f"http://127.0.0.1/{REPOST[0]}", REPOST[1])]


@pytest.mark.parametrize("first", ["repost", "original"])
def test_two_workers_deciding_at_once_keep_the_original(engine: Engine, first: str) -> None:
    """Each worker holds one copy; whichever takes the decision turn first, the result is the same."""
    pages = {"repost": REPOST, "original": ORIGINAL}
    order = [first, "original" if first == "repost" else "repost"]
    outcomes: dict[str, list[str]] = {}
    started = threading.Barrier(2)

    def worker(name: str) -> None:
        started.wait()
        outcomes[name] = decide(engine, pages[name])

    threads = [threading.Thread(target=worker, args=(name,)) for name in order]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes["repost"] + outcomes["original"]) == ["duplicate", "new"]
    articles, dups = state(engine)
    assert articles == [(f"http://127.0.0.1/{ORIGINAL[0]}", ORIGINAL[1])]
    assert [d[0] for d in dups] == [f"http://127.0.0.1/{REPOST[0]}"]


def test_containment_index_skips_common_fingerprints(engine: Engine) -> None:
    """A fingerprint in more than COMMON documents gets no more postings and is left out of lookups."""
    with session_scope(engine) as s:
        for n in range(containment.COMMON + 3):
            s.add(Article(url=f"u{n}", canonical_url=f"u{n}", site="s", text="t", text_normalized="t",
                          flags="", content_hash=f"{n:064d}", fetched_at=runlog.utcnow()))  # fmt: skip
        s.flush()
        ids = s.scalars(select(Article.id).order_by(Article.id)).all()
        containment.index_documents(s, [containment.Indexed((7, 1000 + i, 2000 + i), article_id=i) for i in ids])
    with session_scope(engine) as s:
        assert s.scalar(select(FingerprintFrequency.documents).where(FingerprintFrequency.hash == 7)) == len(ids)
        postings = select(func.count()).select_from(ContainmentFingerprint).where(ContainmentFingerprint.hash == 7)
        assert s.scalar(postings) == containment.COMMON
        assert containment.candidates(s, [7]) == []  # only the common one: no candidate at all
        # two rare ones are needed when the query has them; the common one never counts
        assert containment.candidates(s, [7, 1000 + ids[0], 2000 + ids[1]]) == []
        found = containment.candidates(s, [7, 1000 + ids[0], 2000 + ids[0]])
        assert [(c.article_id, c.shared) for c in found] == [(ids[0], 2)]
        # a short query with a single rare fingerprint: that one is enough
        assert [c.article_id for c in containment.candidates(s, [7, 1000 + ids[1]])] == [ids[1]]
