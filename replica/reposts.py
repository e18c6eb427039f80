"""A replica portal whose list shows a 【转载】 repost above the original it copies
(``python -m replica.reposts`` rebuilds replica/reposts/).

Portals list newest first, so a backfill meets the later repost before the earlier original: the case in
which the corpus used to keep the repost and record the original as its duplicate. One column (``djgz/``,
one list page) with three articles, in the main replica's TRS furniture (replica.build):

- the original, 2024-09-02, 来源 市税务局 (the text of the main replica's first article);
- an unrelated article, 2024-09-20;
- the repost, 2024-10-21, title 【转载】…, 来源 市直机关工委, the same text plus a 转自 line.

Writes replica/reposts/site/, sites.yaml and expected.json. Deterministic: no clock, no randomness.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from replica.articles import ARTICLES
from replica.build import COLUMN, COLUMN_NAME, TITLE_SUFFIX, Entry, article_crumbs, article_main, list_main, page
from replica.build import paragraphs as html_paragraphs

HERE = Path(__file__).resolve().parent / "reposts"
SITE = HERE / "site"
REGISTRY = HERE / "sites.yaml"
SITE_NAME = "replica-reposts"


@dataclass(frozen=True)
class Doc:
    entry: Entry
    when: str  # as the info line prints it
    source: str
    paras: list[str]


def docs() -> tuple[Doc, Doc, Doc]:
    """(original, other, repost)."""
    first, second = ARTICLES[0], ARTICLES[1]
    original = Doc(Entry("202409", "t20240902_700001", first["title"], "2024-09-02"), "2024-09-02 09:20",
                   first["source"], first["paras"])  # fmt: skip
    other = Doc(Entry("202409", "t20240920_700002", second["title"], "2024-09-20"), "2024-09-20 15:00",
                second["source"], second["paras"])  # fmt: skip
    repost = Doc(
        Entry("202410", "t20241021_700003", f"【转载】{first['title']}", "2024-10-21"),
        "2024-10-21 10:05",
        "市直机关工委",
        [*first["paras"], f"（转自{first['source']}网站）"],
    )
    return original, other, repost


def article_page(doc: Doc) -> str:
    info = f'<div class="info"><span>发布时间：{doc.when}</span>　<span>来源：{doc.source}</span></div>'
    main = article_main(doc.entry.title, "h1", info, "\n".join(html_paragraphs(doc.paras)), "周静")
    return page(doc.entry.title + TITLE_SUFFIX, article_crumbs(), main, "../../")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def build() -> dict[str, Any]:
    if SITE.exists():
        shutil.rmtree(SITE)
    original, other, repost = docs()
    for doc in (original, other, repost):
        write(SITE / COLUMN / doc.entry.month / f"{doc.entry.doc_id}.html", article_page(doc))
    newest_first = [repost.entry, other.entry, original.entry]
    crumbs = f'<a href="../index.html">首页</a> &gt; <a href="index.html">{COLUMN_NAME}</a>'
    listing = list_main(COLUMN_NAME, newest_first, 0, 1)
    write(SITE / COLUMN / "index.html", page(COLUMN_NAME + TITLE_SUFFIX, crumbs, listing, "../"))
    registry = f"""# The repost-before-original replica (replica/reposts.py); {{base_url}} is filled at run time.
sites:
  - name: {SITE_NAME}
    title: 转载在前、原文在后 (loopback replica)
    start_urls: ["{{base_url}}/{COLUMN}/index.html"]
    allowed_domains: ["127.0.0.1"]
    article_url_patterns: ['/{COLUMN}/\\d{{6}}/t\\d{{8}}_\\d+\\.html$']
    list_url_patterns: ['/{COLUMN}/index\\.html$']
    max_pages: 20
    download_delay: 0
"""
    write(REGISTRY, registry)
    expected = {
        "original": {"path": original.entry.path, "title": original.entry.title, "published": original.entry.day},
        "repost": {"path": repost.entry.path, "title": repost.entry.title, "published": repost.entry.day},
        "other": {"path": other.entry.path, "title": other.entry.title, "published": other.entry.day},
        "list_order": [e.path for e in newest_first],
    }
    write(HERE / "expected.json", json.dumps(expected, ensure_ascii=False, indent=1) + "\n")
    return expected


if __name__ == "__main__":
    build()
    print(f"wrote {SITE}, {REGISTRY.name}, expected.json")
