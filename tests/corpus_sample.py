"""A small stored corpus for the export, search and web-view tests: built through the repository, as the
pipeline stores articles, with one article in traditional script, one undated, and duplicates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from steps.normalize import normalize_text
from storage import references, runlog, writes
from storage.db import session_scope

SIMPLIFIED_TEXT = (
    "本报讯 近日，县委组织部召开党建工作推进会。会议要求，各基层党组织要坚持“三联促三动”工作方法，"
    "把党员联系群众的工作做细做实。\n会议强调，要以党建引领基层治理，推动各项任务落地见效。"
)
TRADITIONAL_TEXT = (
    "各級黨組織要堅持「四個聚焦」，聚焦主責主業，推動黨建工作高質量發展。\n"
    "會議指出，要把學習貫徹落實工作抓緊抓實，確保取得實效。"
)
UNDATED_TEXT = "党支部开展主题党日活动，党员同志们重温入党誓词，交流学习体会，进一步坚定理想信念。"


@dataclass(frozen=True)
class Sample:
    simplified_id: int  # site "alpha", published 2024-05-01 09:30 China time (01:30 UTC)
    traditional_id: int  # site "beta", published 2024-05-01 01:00 China time (2024-04-30 17:00 UTC)
    undated_id: int  # site "alpha", no publication date
    run_id: int


def article(n: int, site: str, title: str, text: str, published_at: datetime | None) -> writes.NewArticle:
    norm = normalize_text(text)
    return writes.NewArticle(
        url=f"http://127.0.0.1/{site}/{n}.html",
        canonical_url=f"http://127.0.0.1/{site}/{n}.html",
        site=site,
        title=title,
        published_at=published_at,
        source="测试来源",
        author=None,
        editor="编辑",
        text=text,
        text_normalized=norm.text_normalized,
        script=norm.script,
        flags="",
        content_hash=f"{n:064d}",
        encoding="utf-8",
        band_keys=(n, n + 1),
    )


def build_sample(engine: Engine) -> Sample:
    with session_scope(engine) as s:
        run = runlog.start_run(s, "flow-1", "alpha", None, None)
        simplified, _ = writes.add_article(
            s,
            article(
                1, "alpha", "县委组织部召开党建工作推进会", SIMPLIFIED_TEXT, datetime(2024, 5, 1, 1, 30, tzinfo=UTC)
            ),
            run.id,
        )
        traditional, _ = writes.add_article(
            s,
            article(2, "beta", "堅持四個聚焦 推動黨建工作", TRADITIONAL_TEXT, datetime(2024, 4, 30, 17, 0, tzinfo=UTC)),
            run.id,
        )
        undated, _ = writes.add_article(s, article(3, "alpha", "主题党日活动", UNDATED_TEXT, None), run.id)
        for n, site in ((1, "beta"), (2, "gamma")):
            writes.add_duplicate(
                s,
                writes.duplicate_row(
                    url=f"http://127.0.0.1/{site}/repost-{n}.html",
                    canonical_url=f"http://127.0.0.1/{site}/repost-{n}.html",
                    site=site,
                    title="转载：县委组织部召开党建工作推进会",
                    reference=references.Reference(simplified, None, ""),
                    similarity=0.93,
                    layer="minhash",
                    run_id=run.id,
                ),
            )
        writes.add_duplicate(
            s,
            writes.duplicate_row(
                url="http://127.0.0.1/alpha/seed-copy.html",
                canonical_url="http://127.0.0.1/alpha/seed-copy.html",
                site="alpha",
                title=None,
                reference=references.Reference(None, "001_seed.txt", ""),
                similarity=1.0,
                layer="exact",
                run_id=run.id,
            ),
        )
        return Sample(simplified, traditional, undated, run.id)
