"""Extraction benchmark: extract_article beside plain trafilatura and newspaper3k, on tuning and held-out halves.

Run from the repository root::

    .venv/bin/python bench/extraction.py [--bench-dir ../shared/extraction-bench] [--fallbacks] [--pages] [--repeat 5]
    .venv/bin/python bench/extraction.py --extra-dir /work/pool [--only-extra] [--no-newspaper] --repeat 3

Pages come from three places, each page tagged with its *source*:

* ``shared:<dir>``: the 45 Chinese pages of the shared bench (``<bench>/{cwced,gne,magic-html,trafilatura}``;
  ``aeb/`` is read apart, below), with the date and title read by hand in
  ``bench/extraction-pages/shared-truth.json`` (the shared folder is read-only);
* ``pages:<dir>``: pages added to this repository under ``bench/extraction-pages/<dir>/<id>.html + .json``
  (same JSON as the shared bench, plus ``published`` and ``title_truth``);
* ``fixtures``: the hand-written portal fixtures ``tests/fixtures/pages/*.html + .json``;
* ``aeb:tuning`` / ``aeb:heldout``: the 181 pages (126 sites, mostly English) of the article extraction
  benchmark in ``<bench>/aeb`` (its ``ground-truth.json`` gives each page's whole article body). Its pages
  are split by *site*: a site's half is fixed by a hash of its host name (``aeb_half``), never by the page.
  Their ``must_contain`` passages are drawn from the ground truth by one fixed rule (``passages``), and
  since nobody listed their boilerplate, their leaks are measured as output lines found nowhere in the
  ground truth (``extra_lines``).

* ``extra:<dir>`` (only with ``--extra-dir DIR``): pages kept outside the repository in ``DIR/<dir>/``, same
  layout; third-party pages fetched by a developer may not be committed, yet they can check, once, how the
  rules fare on pages none of them was written from. They are reported as a group of their own, split into
  halves by source like the rest, or, when ``DIR/split.json`` exists (the public pool that ``bench/pool.py``
  builds), by each page's ``site`` as that file decides; then every source (repository) is also reported per
  half on its own rows.

``bench/extraction-pages/split.json`` assigns every source to the **tuning** or the **held-out** half. The
split was fixed by source before any rule was written against it, so that a rule tuned on some pages is
judged on pages of other repositories and sites; a rule is kept only if the held-out half improves.

Measures per half, for extract_article, the plain library and newspaper3k (one row each):

* must_contain found / must_not_contain leaked (whitespace removed on both sides, as the bench README says);
  plain = ``trafilatura.extract(raw_bytes)`` with default settings;
* bigram F1 against the upstream ``text`` where one exists;
* titles: exact (whitespace removed) against ``title_truth``; plain = trafilatura's metadata title;
* dates: the day against ``published`` where the page has one; plain = ``htmldate.find_date`` on the
  whole document (its default extensive search), which is the bar the issue sets ("never worse than htmldate");
* lines not in the truth: output lines of 25+ characters of which less than half is in the upstream ``text``
  (a nav line, a related headline, a disclaimer), over all output lines of 25+ characters;
* CPU milliseconds per page (process time) of the text extraction, after an untimed warm-up on each side;
  ``--repeat N`` keeps the fastest of N runs of each page (the machine is shared: slow runs are noise);
  reported as p50, p99 (nearest rank: with fewer than 100 pages it is the slowest page) and max, and the
  10 slowest pages of each group are listed with their size, beside the peers' CPU on the same page;
* whether the cost follows the page's size, per half: CPU per 100 KB of page (p50 / p99 / max) for each
  extractor, and the project's CPU over trafilatura's on the same page (p50 / p99 / max);
* the issue's two hard lines per half: pages where trafilatura returns text and the project none, and pages
  where htmldate has the right day and the project not.

``--whole-page`` gives trafilatura the whole page even when a body container matches (the setting before
2026-11-26). ``--fallbacks`` runs extract_article with trafilatura's fallback extractors (``fast=False``, the setting
before 2026-11-26) for comparison.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import html as html_lib
import json
import math
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402
from htmldate import find_date  # noqa: E402
from newspaper import Article as NewspaperArticle  # noqa: E402

import steps.extract as extract_mod  # noqa: E402
from steps.decode import decode_html  # noqa: E402
from steps.extract import ExtractionError, extract_article  # noqa: E402

BENCH_SOURCES = ("cwced", "gne", "magic-html", "trafilatura")
PAGES_DIR = ROOT / "bench" / "extraction-pages"
Half = Literal["tuning", "heldout", "unassigned"]
_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    return _WS.sub("", text)


def bigrams(text: str) -> Counter[str]:
    s = squash(text)
    return Counter(s[i : i + 2] for i in range(len(s) - 1))


def f1(predicted: str, truth: str) -> float:
    """F1 of character bigrams (multiset overlap): a bag of single characters rewards any text on the topic."""
    p, t = bigrams(predicted), bigrams(truth)
    overlap = sum((p & t).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(t.values())
    return 2 * precision * recall / (precision + recall)


@dataclass
class Page:
    name: str
    source: str
    raw: bytes
    url: str
    truth_text: str | None
    must_contain: list[str]
    must_not_contain: list[str]
    title: str | None  # exact title, where known
    date: str | None  # YYYY-MM-DD, where the page prints one
    half: Half | None = None  # fixed by a pool's own split.json (by site), else by the source in split.json


@dataclass
class Output:
    text: str
    title: str | None = None
    date: str | None = None


@dataclass
class Score:
    f1: list[float] = field(default_factory=list)
    hits: int = 0
    musts: int = 0
    leaks: int = 0
    nots: int = 0
    titles_ok: int = 0
    titles_known: int = 0
    dates_ok: int = 0
    dates_known: int = 0
    cpu: float = 0.0
    pages: int = 0
    extra_lines: int = 0
    output_lines: int = 0
    misses: list[str] = field(default_factory=list)
    dates: dict[str, str | None] = field(default_factory=dict)  # page name -> the day found
    page_cpu: dict[str, float] = field(default_factory=dict)  # page name -> seconds (fastest of --repeat)
    page_first: dict[str, float] = field(default_factory=dict)  # page name -> seconds of its first (cold) run
    empty: set[str] = field(default_factory=set)  # pages where the extractor returned no text at all


def _page(name: str, source: str, meta_path: Path, truth: dict[str, str | None]) -> Page:
    meta = json.loads(meta_path.read_text("utf-8"))
    title = truth.get("title_truth") or meta.get("title_truth")
    if source == "fixtures":
        title = meta.get("title")
    published = truth.get("published") if "published" in truth else meta.get("published")
    return Page(
        name=name,
        source=source,
        raw=meta_path.with_suffix(".html").read_bytes(),
        url=meta.get("url") or "http://example.invalid/",
        truth_text=meta.get("text"),
        must_contain=meta.get("must_contain") or [],
        must_not_contain=meta.get("must_not_contain") or [],
        title=html_lib.unescape(title) if title else None,
        date=(published or "")[:10] or None,
    )


def load_pages(bench_dir: Path, fixture_dir: Path) -> list[Page]:
    pages: list[Page] = []
    truth = json.loads((PAGES_DIR / "shared-truth.json").read_text("utf-8"))
    if bench_dir.is_dir():
        for source in BENCH_SOURCES:
            for meta_path in sorted((bench_dir / source).glob("*.json")):
                name = f"{source}/{meta_path.stem}"
                pages.append(_page(name, f"shared:{source}", meta_path, truth.get(name, {})))
        pages.extend(load_aeb(bench_dir))
    else:
        print(f"bench dir {bench_dir} not found; skipping it")
    for source_dir in sorted(p for p in PAGES_DIR.iterdir() if p.is_dir()):
        for meta_path in sorted(source_dir.glob("*.json")):
            pages.append(_page(f"{source_dir.name}/{meta_path.stem}", f"pages:{source_dir.name}", meta_path, {}))
    for meta_path in sorted(fixture_dir.glob("*.json")):
        if not json.loads(meta_path.read_text("utf-8")).get("error"):  # pages that must be rejected score nothing
            pages.append(_page(f"fixtures/{meta_path.stem}", "fixtures", meta_path, {}))
    return pages


def load_extra(extra_dir: Path) -> list[Page]:
    """Pages kept outside the repository (``--extra-dir``), in the shared bench's layout plus ``published`` and
    ``title_truth``: ``<extra>/<source>/<id>.html + .json``. Third-party pages a developer fetched may not be
    committed; measured here, they are a check on pages no rule was written from.

    A pool with its own ``<extra>/split.json`` (bench/pool.py writes one) splits by *site*: each page's JSON
    names its ``site`` and the pool's split gives that site's half, fixed before any rule was written."""
    pool_split = extra_dir / "split.json"
    decided = json.loads(pool_split.read_text("utf-8")).get("decided", {}) if pool_split.is_file() else {}
    pages = []
    for source_dir in sorted(p for p in extra_dir.iterdir() if p.is_dir()):
        for meta_path in sorted(source_dir.glob("*.json")):
            page = _page(f"{source_dir.name}/{meta_path.stem}", f"extra:{source_dir.name}", meta_path, {})
            site = json.loads(meta_path.read_text("utf-8")).get("site")
            if decided:
                page.half = decided[site]["half"] if site in decided else "unassigned"
            pages.append(page)
    return pages


def aeb_half(url: str) -> str:
    """A site's half of the AEB pages: the first hex digit of sha256(host) below 8 is tuning. Fixed by the
    host, so every page of a site (and its template) falls in the same half."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return "tuning" if int(hashlib.sha256(host.encode()).hexdigest()[0], 16) < 8 else "heldout"


PASSAGES, PASSAGE_CHARS, MIN_PARAGRAPH = 5, 60, 40


def passages(truth: str) -> list[str]:
    """Up to PASSAGES passages a correct extraction must hold: the first PASSAGE_CHARS characters (whitespace
    removed) of paragraphs spread evenly from the body's first real paragraph to its last, so that a body
    cut short or started late is caught."""
    paragraphs = [squash(p) for p in truth.split("\n") if len(squash(p)) >= MIN_PARAGRAPH]
    if len(paragraphs) <= PASSAGES:
        return [p[:PASSAGE_CHARS] for p in paragraphs]
    step = (len(paragraphs) - 1) / (PASSAGES - 1)
    return [paragraphs[round(i * step)][:PASSAGE_CHARS] for i in range(PASSAGES)]


def load_aeb(bench_dir: Path) -> list[Page]:
    truth_path = bench_dir / "aeb" / "ground-truth.json"
    if not truth_path.is_file():
        return []
    titles_path = PAGES_DIR / "aeb-titles.json"
    titles = json.loads(titles_path.read_text("utf-8")) if titles_path.is_file() else {}
    pages = []
    for digest, truth in sorted(json.loads(truth_path.read_text("utf-8")).items()):
        raw = gzip.decompress((bench_dir / "aeb" / "html" / f"{digest}.html.gz").read_bytes())
        body = truth["articleBody"]
        name = f"aeb/{(urlsplit(truth['url']).hostname or '')}-{digest[:8]}"
        title = (titles.get(digest) or {}).get("title")
        pages.append(
            Page(name, f"aeb:{aeb_half(truth['url'])}", raw, truth["url"], body, passages(body), [], title, None)
        )
    return pages


def half_of(page: Page, split: dict[str, list[str]]) -> Half:
    if page.half is not None:
        return page.half
    halves: tuple[Half, Half] = ("tuning", "heldout")
    for half in halves:
        if page.source in split[half]:
            return half
    return "unassigned"


def run_project(page: Page) -> Output:
    decoded = decode_html(page.raw)  # no HTTP header in a saved page: meta/BOM/bytes decide
    try:
        art = extract_article(decoded.text, page.url)
    except ExtractionError:
        return Output("")
    return Output(art.text, art.title, art.published_at.date().isoformat() if art.published_at else None)


def run_plain(page: Page) -> Output:
    return Output(trafilatura.extract(page.raw) or "")


def run_newspaper(page: Page) -> Output:
    """newspaper3k's plain article extraction (no download: the saved page is its input). Chinese pages are
    parsed with ``language="zh"`` (its Chinese stopwords and jieba segmentation score the paragraphs); AEB pages
    keep the default, which reads the page's own language declaration."""
    decoded = decode_html(page.raw).text
    language = {} if page.source.startswith("aeb:") else {"language": "zh"}
    art = NewspaperArticle(page.url, fetch_images=False, memoize_articles=False, **language)
    try:
        art.download(input_html=decoded)
        art.parse()
    except Exception:  # newspaper raises on pages it cannot parse: that is an empty extraction
        return Output("")
    day = art.publish_date.date().isoformat() if art.publish_date else None
    return Output(art.text or "", art.title or None, day)


def plain_meta(page: Page) -> Output:
    """What the bare libraries say about title and date (untimed): trafilatura's title, htmldate's date."""
    text = decode_html(page.raw).text
    meta = trafilatura.extract_metadata(text)
    try:
        day = find_date(text, original_date=True, url=None if "invalid" in page.url else page.url)
    except Exception:  # htmldate raises on some malformed trees
        day = None
    return Output("", getattr(meta, "title", None), day)


WARMUP_PAGES = 3  # untimed first calls: imports, dictionaries and caches load once per process


def score(
    pages: list[Page], run: Callable[[Page], Output], meta: Callable[[Page], Output] | None = None, repeat: int = 1
) -> dict[str, Score]:
    """Each page's own Score (``total`` adds them up), so that one run serves every grouping: half, source."""
    for page in pages[:WARMUP_PAGES]:
        run(page)
    scores = {}
    for page in pages:
        times = []
        for _ in range(repeat):  # the fastest of several runs: the machine is shared, slow runs are noise
            start = time.process_time()
            out = run(page)
            times.append(time.process_time() - start)
        if meta is not None:
            extra = meta(page)
            out.title, out.date = extra.title, extra.date
        scores[page.name] = score_page(page, out, min(times))
        scores[page.name].page_first[page.name] = times[0]
    return scores


def score_page(page: Page, out: Output, cpu: float) -> Score:
    s = Score(cpu=cpu, pages=1, page_cpu={page.name: cpu}, dates={page.name: out.date})
    if not out.text.strip():
        s.empty.add(page.name)
    text = squash(out.text)
    if page.truth_text:
        s.f1.append(f1(out.text, page.truth_text))
        extra_found, lines = extra_lines(out.text, page.truth_text)
        s.extra_lines += len(extra_found)
        s.output_lines += lines
    hits = sum(squash(m) in text for m in page.must_contain)
    leaked = [m for m in page.must_not_contain if squash(m) in text]
    s.hits, s.musts = hits, len(page.must_contain)
    s.leaks, s.nots = len(leaked), len(page.must_not_contain)
    if hits < len(page.must_contain) or leaked:
        s.misses.append(f"{page.name}: body {hits}/{len(page.must_contain)}, leaked {leaked}")
    if page.title:
        s.titles_known += 1
        if out.title and squash(out.title) == squash(page.title):
            s.titles_ok += 1
        else:
            s.misses.append(f"{page.name}: title {out.title!r} != {page.title!r}")
    if page.date:
        s.dates_known += 1
        if out.date == page.date:
            s.dates_ok += 1
        else:
            s.misses.append(f"{page.name}: date {out.date} != {page.date}")
    return s


def total(scores: Iterable[Score]) -> Score:
    """The sum of page Scores: counts add, lists and maps join."""
    s = Score()
    for one in scores:
        for f in fields(Score):
            mine, theirs = getattr(s, f.name), getattr(one, f.name)
            if isinstance(mine, dict):
                mine.update(theirs)
            elif isinstance(mine, set):
                mine |= theirs
            elif isinstance(mine, list):
                mine.extend(theirs)
            else:
                setattr(s, f.name, mine + theirs)
    return s


MIN_LINE = 25
_NGRAM = 8


def extra_lines(output: str, truth: str) -> tuple[list[str], int]:
    """Output lines of MIN_LINE+ characters of which less than half the character 8-grams occur in the
    truth (whitespace removed on both sides), and how many output lines of that length there were."""
    truth_squashed = squash(truth)
    grams = {truth_squashed[i : i + _NGRAM] for i in range(len(truth_squashed) - _NGRAM + 1)}
    long_lines = [squash(line) for line in output.splitlines() if len(squash(line)) >= MIN_LINE]
    extra = []
    for line in long_lines:
        if line in truth_squashed:
            continue
        own = [line[i : i + _NGRAM] for i in range(len(line) - _NGRAM + 1)]
        if sum(g in grams for g in own) < len(own) / 2:
            extra.append(line)
    return extra, len(long_lines)


def _pct(ok: int, of: int) -> str:
    return f"{ok}/{of} ({100 * ok / of:.0f}%)" if of else "n/a"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (with fewer than 100 pages, p99 is the slowest page)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else 0.0


def _cpu(s: Score) -> list[str]:
    ms = [1000 * v for v in s.page_cpu.values()]
    return [f"{percentile(ms, q):.1f}" for q in (0.5, 0.99, 1.0)]


COLUMNS = ("pages", "body kept", "leaked", "title right", "date right", "not in truth", "F1", "empty")
COLUMNS += ("CPU p50", "p99", "max ms")
EXTRACTORS = ("project", "trafilatura", "newspaper3k")
ABOUT = (
    "project = steps.extract.extract_article; trafilatura = trafilatura.extract(raw) with its metadata title and "
    "htmldate.find_date's day (whole page); newspaper3k = Article.parse() (language zh on Chinese pages), its "
    "title and publish_date. not in truth = output lines of 25+ chars mostly absent from the upstream text; "
    "empty = pages with no text at all; CPU = process time per page, ms (fastest of --repeat)"
)


def _cells(s: Score) -> list[str]:
    mean_f1 = f"{sum(s.f1) / len(s.f1):.3f}" if s.f1 else "n/a"
    return [
        str(s.pages),
        _pct(s.hits, s.musts),
        _pct(s.leaks, s.nots),
        _pct(s.titles_ok, s.titles_known),
        _pct(s.dates_ok, s.dates_known),
        _pct(s.extra_lines, s.output_lines),
        mean_f1,
        str(len(s.empty)),
        *_cpu(s),
    ]


def print_table(rows: list[tuple[str, Score]]) -> None:
    """One row per (group, extractor), one column per measure: the groups of a pool are many, the measures few."""
    cells = [[label, *_cells(sc)] for label, sc in rows]
    heads = ["", *COLUMNS]
    widths = [max(len(r[i]) for r in [heads, *cells]) for i in range(len(heads))]
    print("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(heads, widths, strict=True))))
    for r in cells:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))))


Results = dict[str, dict[str, Score]]  # extractor -> page name -> that page's Score


def group_rows(label: str, names: list[str], results: Results) -> list[tuple[str, Score]]:
    return [(f"{label} {ex}", total(results[ex][n] for n in names)) for ex in results]


def print_gaps(label: str, names: list[str], pages: dict[str, Page], results: Results) -> None:
    """The issue's two hard lines: no page lost where trafilatura finds text, no fewer dates than htmldate."""
    project, plain = results["project"], results["trafilatura"]
    lost = [n for n in names if n in project[n].empty and n not in plain[n].empty]
    truth = {n: pages[n].date for n in names if pages[n].date}
    behind = [n for n, d in truth.items() if project[n].dates[n] != d and plain[n].dates[n] == d]
    none = [n for n in behind if project[n].dates[n] is None]
    print(
        f"{label}: project empty where trafilatura has text: {len(lost)} {lost or ''}; htmldate right where the "
        f"project is not: {len(behind)} page(s), {len(none)} with no date"
    )


def print_slowest(names: list[str], pages: dict[str, Page], results: Results, top: int = 10) -> None:
    print(f"\nslowest {top} pages (project CPU, ms; then trafilatura's and newspaper3k's on the same page):")
    ranked = sorted(names, key=lambda n: -results["project"][n].cpu)[:top]
    for n in ranked:
        others = "  ".join(f"{ex} {1000 * results[ex][n].cpu:7.1f}" for ex in results if ex != "project")
        print(f"  {1000 * results['project'][n].cpu:8.1f}  {len(pages[n].raw) / 1024:7.0f} KB  {others}  {n}")


def print_scaling(names: list[str], pages: dict[str, Page], results: Results) -> None:
    """Whether the cost follows the page's size: CPU per 100 KB of page (p50 / p99 / max) for each extractor,
    and the project's CPU over trafilatura's on the same page. With pages from 5 KB to 800 KB, p99 / p50 of
    the plain CPU is the spread of the sizes; these two say whether a page costs more than its size explains."""
    for ex, scores in results.items():
        per = [100 * 1000 * scores[n].cpu / max(1.0, len(pages[n].raw) / 1024) for n in names]
        print(f"  {ex:12} CPU ms per 100 KB: " + " / ".join(f"{percentile(per, q):.1f}" for q in (0.5, 0.99, 1.0)))
    if "trafilatura" in results:
        ratio = [results["project"][n].cpu / max(1e-4, results["trafilatura"][n].cpu) for n in names]
        print(
            "  project / trafilatura CPU on the same page: "
            + " / ".join(f"{percentile(ratio, q):.2f}" for q in (0.5, 0.99, 1.0))
        )


def print_cold(names: list[str], results: Results, top: int = 5) -> None:
    """Pages whose first run costs far more than their fastest: a one-time cost (a library loading data on first
    use) that the fastest-of-N figure hides, yet a process extracting one page pays in full."""
    project = results["project"]
    cold = sorted(names, key=lambda n: project[n].cpu - project[n].page_first[n])[:top]
    cold = [n for n in cold if project[n].page_first[n] > 5 * project[n].cpu + 0.05]
    if cold:
        print("first runs far above the fastest (one-time costs; project CPU ms, first run / fastest):")
        for n in cold:
            print(f"  {1000 * project[n].page_first[n]:8.1f} / {1000 * project[n].cpu:6.1f}  {n}")


def run_all(pages: list[Page], repeat: int, peers: bool) -> Results:
    results = {"project": score(pages, run_project, repeat=repeat)}
    results["trafilatura"] = score(pages, run_plain, plain_meta, repeat=repeat)
    if peers:
        results["newspaper3k"] = score(pages, run_newspaper, repeat=repeat)
    return results


def report_group(group: str, members: list[Page], split: dict[str, list[str]], args: argparse.Namespace) -> Results:
    results = run_all(members, args.repeat, not args.no_newspaper)
    by_name = {p.name: p for p in members}
    halves: dict[str, list[str]] = {}
    for page in members:
        halves.setdefault(half_of(page, split), []).append(page.name)
    print(f"\n### {group}")
    rows = [row for half, names in halves.items() for row in group_rows(half, names, results)]
    sources = sorted({p.source for p in members})
    if len(sources) > 1 and group.startswith("Extra"):  # a pool: per source (repository) and per half as well
        for source in sources:
            for half, names in halves.items():
                picked = [n for n in names if by_name[n].source == source]
                if picked:
                    rows += group_rows(f"{source.removeprefix('extra:')}/{half}", picked, results)
    print_table(rows)
    for half, names in halves.items():
        print_gaps(half, names, by_name, results)
    for half, names in halves.items():
        print(f"{half}: cost against size")
        print_scaling(names, by_name, results)
    print_slowest([p.name for p in members], by_name, results)
    print_cold([p.name for p in members], results)
    return results


def print_misses(group: str, members: list[Page], split: dict[str, list[str]], results: Results, held: bool) -> None:
    """Misses page by page; the held-out half's stay unseen unless asked for: rules are written from tuning."""
    for half in ("tuning", "heldout", "unassigned"):
        names = [p.name for p in members if half_of(p, split) == half]
        if not names:
            continue
        if half == "heldout" and not held:
            print(f"\n== {group}: heldout misses not listed (--show-heldout lists them, to diagnose a regression)")
            continue
        for ex, scores in results.items():
            print(f"\n== {group}: {half}: {ex} misses")
            print("\n".join(f"  {m}" for n in names for m in scores[n].misses) or "  none")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bench-dir", type=Path, default=ROOT.parent / "shared" / "extraction-bench")
    parser.add_argument("--fixtures", type=Path, default=ROOT / "tests" / "fixtures" / "pages")
    parser.add_argument("--fallbacks", action="store_true", help="extract_article with trafilatura fast=False")
    parser.add_argument("--whole-page", action="store_true", help="trafilatura on the whole page, not the container")
    parser.add_argument("--pages", action="store_true", help="list every tuning-half miss, page by page")
    parser.add_argument("--show-heldout", action="store_true", help="with --pages, list held-out misses too")
    parser.add_argument("--repeat", type=int, default=1, help="time each page this many times, keep the fastest")
    parser.add_argument("--extra-dir", type=Path, help="also score pages kept outside the repository, reported apart")
    parser.add_argument("--no-newspaper", action="store_true", help="leave newspaper3k out (it is the slowest peer)")
    parser.add_argument("--only-extra", action="store_true", help="with --extra-dir, score only those pages")
    args = parser.parse_args(argv)
    if args.whole_page:
        extract_mod.CONTAINER_FIRST = False
    if args.fallbacks:
        extract_mod.TRAFILATURA_OPTIONS["fast"] = False
    if args.extra_dir and not args.extra_dir.is_dir():
        print(f"error: --extra-dir {args.extra_dir} is not a directory", file=sys.stderr)
        return 2
    split = json.loads((PAGES_DIR / "split.json").read_text("utf-8"))["halves"]
    pages = [] if args.only_extra else load_pages(args.bench_dir, args.fixtures)
    groups = {
        "Chinese pages (shared bench, fixtures)": [p for p in pages if not p.source.startswith("aeb:")],
        "AEB pages (mostly English, split by site)": [p for p in pages if p.source.startswith("aeb:")],
        "Extra pages (--extra-dir, outside the repository)": load_extra(args.extra_dir) if args.extra_dir else [],
    }
    print(ABOUT)
    for group, members in groups.items():
        if not members:
            continue
        results = report_group(group, members, split, args)
        if args.pages:
            print_misses(group, members, split, results, args.show_heldout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
