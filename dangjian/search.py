"""`dangjian search`: the phrase is folded like the stored texts, then the database's index answers.

Folding (steps.normalize.normalize_text) is what lets a traditional-script query find a simplified text
and the reverse; storage/search.py then picks the index (FTS5 trigram, pg_trgm) or, for one or two
characters, a scan.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from dangjian.corpus import in_china
from dangjian.terminal import json_text, line
from steps.normalize import normalize_text
from storage.corpus import CorpusFilter
from storage.db import make_engine, session_scope
from storage.search import SearchHit, SearchResult, search


def fold_query(phrase: str) -> str:
    """The phrase as the texts are stored (normalize_text); a query is one line."""
    folded = normalize_text(phrase).text_normalized.replace("\n", " ").strip()
    if not folded:
        raise ValueError(f"nothing to search for in {phrase!r}")
    return folded


def run_search(database_url: str | None, phrase: str, corpus: CorpusFilter, limit: int) -> SearchResult:
    engine = make_engine(database_url, reader=True)
    try:
        with session_scope(engine) as session:
            return search(session, fold_query(phrase), corpus, limit)
    finally:
        engine.dispose()


def format_hit(rank: int, hit: SearchHit) -> str:
    """One hit as text; every crawled field through terminal.line (the passage's newlines become spaces)."""
    published = in_china(hit.published_at)
    when = published.strftime("%Y-%m-%d %H:%M %z") if published else "date unknown"
    lines = [
        f"{rank:>3}. {line(hit.title or '(no title)')}",
        f"     {line(hit.site)}  {when}  article:{hit.article_id}",
    ]
    lines.append(f"     {line(hit.url)}")
    passage = hit.passage.replace("\n", " ")
    lines.append(f"     {line(passage)}")
    if hit.duplicate_urls:
        urls = ", ".join(line(u) for u in hit.duplicate_urls[:3])
        lines.append(f"     + {len(hit.duplicate_urls)} duplicate(s): {urls}")
    return "\n".join(lines)


def format_result(result: SearchResult) -> str:
    shown = f" (showing {len(result.hits)})" if result.found > len(result.hits) else ""
    head = f"{result.found} article(s) containing {line(repr(result.phrase))}{shown} ({result.method})"
    return "\n".join([head, *(format_hit(i, hit) for i, hit in enumerate(result.hits, 1))])


def result_json(result: SearchResult) -> str:
    hits = []
    for hit in result.hits:
        row = asdict(hit)
        published = in_china(hit.published_at)
        row["published_at"] = published.isoformat() if published else None
        row["duplicate_urls"] = list(hit.duplicate_urls)
        hits.append(row)
    dumped = json.dumps(
        {"phrase": result.phrase, "method": result.method, "found": result.found, "hits": hits},
        ensure_ascii=False,
        indent=1,
    )
    return json_text(dumped)
