"""Translation-layer bench (issue #27): are translations found, same-topic articles in the other language not?

Run from the repository root::

    .venv/bin/python bench/xlang_eval.py [--sweep] [--sizes 1000,10000,100000] [--lookups 40]

The labelled set is ``bench/dedup_data/xlang/labels.json``: ``stored`` texts are stored as articles (through
``writes.add_article``, which writes the translation index) beside the seeds (seed 003 is English); every query
goes through the pipeline's own decision (``prepare_reference_text``, ``dedup.fingerprint``,
``process.decide.find_duplicate`` with the page's script). Queries are split into tuning and held-out halves
by pair, fixed in the labels file; precision and recall are printed per half, beside the figures of the
same-language layers (``bench/dedup_eval.py``, which this bench does not rerun).

``--sweep`` prints, on the tuning half only, the errors of a grid of the three thresholds of steps/xlang.py
(scores of every query against every stored document of the other language): how they were chosen.

The cost: a database grows to each of ``--sizes`` synthetic stored articles, each with ~12 language-neutral
keys drawn from skewed pools (numbers, dates, pinyin names; half Chinese, half English), then the queries'
translation lookups (find_translation: the page's features, the candidate query, the confirmation) are timed;
the features alone are reported apart.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import product
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, insert  # noqa: E402

from process.decide import find_duplicate, find_translation  # noqa: E402
from process.seeds import prepare_reference_text, sync_seed_corpus  # noqa: E402
from steps import dedup, xlang  # noqa: E402
from steps.normalize import detect_script  # noqa: E402
from storage import writes  # noqa: E402
from storage.db import make_engine, session_scope  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Article, XlangKey  # noqa: E402

DATA_DIR = ROOT / "bench" / "dedup_data" / "xlang"
SEEDS_DIR = ROOT / "seeds"
# The same-language layers on their own labelled set, as bench/README.md reports them.
SAME_LANGUAGE = (
    "same-language layers (bench/dedup_eval.py, bench/README.md): precision 1.000, recall 1.000 "
    "(218 of 218 copies, no false flag among 48 negatives)"
)


@dataclass(frozen=True)
class Query:
    file: str
    pair: str
    duplicate_of: str | None
    half: str
    text: str
    script: str


def load() -> tuple[list[tuple[str, str]], list[Query]]:
    labels = json.loads((DATA_DIR / "labels.json").read_text("utf-8"))
    stored = [(s["name"], prepare_reference_text((DATA_DIR / s["file"]).read_text("utf-8"))) for s in labels["stored"]]
    queries = []
    for q in labels["queries"]:
        text = prepare_reference_text((DATA_DIR / q["file"]).read_text("utf-8"))
        queries.append(Query(q["file"], q["pair"], q["duplicate_of"], q["half"], text, detect_script(text)))
    return stored, queries


def store(engine: Engine, name: str, text: str) -> int:
    fp = dedup.fingerprint(text)
    item = writes.NewArticle(
        url=f"https://xlang.invalid/{name}", canonical_url=f"xlang.invalid/{name}", site="xlang", title=name,
        published_at=None, source=None, author=None, editor=None, text=text, text_normalized=text,
        script=detect_script(text), flags="", content_hash=fp.content_hash, encoding="utf-8",
        band_keys=fp.band_keys, winnowed=fp.winnowed,
    )  # fmt: skip
    with session_scope(engine) as session:
        article_id, _ = writes.add_article(session, item, None)
    return article_id


def build(path: Path) -> tuple[Engine, dict[str, str], list[Query]]:
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    sync_seed_corpus(engine, SEEDS_DIR)
    stored, queries = load()
    names = {f"article:{store(engine, name, text)}": name for name, text in stored}
    return engine, names, queries


def evaluate(engine: Engine, names: dict[str, str], queries: Sequence[Query]) -> None:
    """Each query's decision, then precision and recall per half."""
    outcome: dict[str, list[tuple[bool, bool, bool]]] = {"tuning": [], "held-out": [], "fresh": [], "fresh2": []}
    for q in queries:
        with session_scope(engine) as session:
            match = find_duplicate(session, dedup.fingerprint(q.text), q.text, q.script)
        found = names.get(match.reference.label, match.reference.label) if match else None
        right = found == q.duplicate_of
        outcome[q.half].append((q.duplicate_of is not None, found is not None, right))
        layer = f"{match.layer} {match.score:.2f}" if match else "-"
        print(f"{q.half:9} {q.pair:13} expect {q.duplicate_of or '-':26} got {found or '-':26} {layer:16}"
              f" {'ok' if right else 'WRONG'}")  # fmt: skip
        if match and match.detail:
            print(f"{'':24}{match.detail}")
    print()
    for half, rows in outcome.items():
        tp = sum(1 for pos, got, right in rows if pos and got and right)
        fp = sum(1 for _pos, got, right in rows if got and not right)
        positives = sum(1 for pos, _, _ in rows if pos)
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / positives if positives else 1.0
        print(f"translation layer, {half:8}: precision {precision:.3f}  recall {recall:.3f}  "
              f"({positives} positives, {len(rows) - positives} negatives)")  # fmt: skip
    print(SAME_LANGUAGE)


def sweep(stored: list[tuple[str, str]], queries: Sequence[Query]) -> None:
    """Errors of a threshold grid on the tuning half (every query against every other-language document)."""
    refs = [(n, xlang.features(t, detect_script(t))) for n, t in stored]
    refs += [(p.name, xlang.features(t, detect_script(t))) for p in sorted(SEEDS_DIR.glob("*.txt"))
             for t in [prepare_reference_text(p.read_text("utf-8"))]]  # fmt: skip
    scored = []
    for q in (q for q in queries if q.half == "tuning"):
        mine = xlang.features(q.text, q.script)
        for name, feats in refs:
            if feats.side != mine.side:
                m = xlang.score(mine, feats)
                shared = sum(1 for k in mine.index_keys & feats.index_keys)
                scored.append((name == q.duplicate_of, shared, m.key_share, m.gloss_coverage))
    print("min_keys key_share gloss  false+  false-")
    for keys, share, gloss in product((2, 3, 4), (0.3, 0.4, 0.5, 0.6), (0.2, 0.3, 0.35, 0.4, 0.5)):
        fp = sum(1 for pos, k, s, g in scored if not pos and k >= keys and s >= share and g >= gloss)
        fn = sum(1 for pos, k, s, g in scored if pos and not (k >= keys and s >= share and g >= gloss))
        print(f"{keys:8} {share:9} {gloss:5} {fp:7} {fn:7}")


# --- cost ---------------------------------------------------------------------------------------------


def synthetic_keys(rng: random.Random) -> list[str]:
    """~12 keys of one synthetic article: skewed pools, so some keys are common and most are rare."""
    keys = {f"n:{int(rng.paretovariate(0.8) * 10)}" for _ in range(7)}
    keys |= {f"d:{rng.randint(2015, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" for _ in range(2)}
    keys |= {f"p:name{int(rng.paretovariate(0.6) * 3)}" for _ in range(3)}
    return sorted(keys)


def grow(engine: Engine, start: int, stop: int, rng: random.Random) -> None:
    now = datetime.now(UTC)
    for lo in range(start, stop, 5000):
        hi = min(stop, lo + 5000)
        arts = [{"id": 100_000 + i, "url": f"https://synthetic.invalid/{i}", "canonical_url": f"synthetic/{i}",
                 "site": "synthetic", "text": f"synthetic {i}", "text_normalized": f"synthetic {i}", "flags": "",
                 "content_hash": f"synthetic-{i}", "fetched_at": now} for i in range(lo, hi)]  # fmt: skip
        keys = [{"side": "zh" if i % 2 else "en", "key": k, "article_id": 100_000 + i}
                for i in range(lo, hi) for k in synthetic_keys(rng)]  # fmt: skip
        with engine.begin() as conn:
            conn.execute(insert(Article), arts)
            conn.execute(insert(XlangKey), keys)


def cost(engine: Engine, queries: Sequence[Query], sizes: Sequence[int], lookups: int) -> None:
    rng = random.Random(27)
    feats = [(q.text, q.script) for q in queries]
    xlang.features.cache_clear()  # features() remembers recent texts: each page is timed as met for the first time
    t0 = time.perf_counter()
    for text, script in feats:
        xlang.features(text, script)
    feature_ms = (time.perf_counter() - t0) * 1000 / len(feats)
    print(f"\nfeatures of a page: {feature_ms:.2f} ms (dictionary loaded)")
    print("stored     lookups  median ms  p95 ms")
    grown = 0
    for size in sizes:
        grow(engine, grown, size, rng)
        grown = size
        times = []
        for i in range(lookups):
            text, script = feats[i % len(feats)]
            xlang.features.cache_clear()  # cold: neither the page's features nor its candidates' remembered
            started = time.perf_counter()
            with session_scope(engine) as session:
                find_translation(session, text, script)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        print(f"{size:>7} {lookups:>9} {statistics.median(times):10.2f} {times[int(0.95 * (len(times) - 1))]:7.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--lookups", type=int, default=40)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="xlang-bench-") as tmp:
        engine, names, queries = build(Path(tmp) / "bench.db")
        try:
            if args.sweep:
                sweep(load()[0], queries)
                return 0
            evaluate(engine, names, queries)
            cost(engine, queries, [int(s) for s in args.sizes.split(",")], args.lookups)
        finally:
            engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
