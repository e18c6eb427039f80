"""Site furniture on the replica portals and on the bench sites with several pages: what it removes, and
that it never removes article text.

Run from the repository root::

    .venv/bin/python bench/furniture.py [--bench-dir ../shared/extraction-bench]

For every site, each article page is extracted once without furniture; then, page by page, furniture is
learned from the *other* pages of the site (as a nightly run learns from what earlier runs stored) and
applied to this page. Printed per site: the learned lines, how many lines were removed, and whether any
removed line was article text: for the replica, a line holding the article's key sentence or lead (known
from replica/portals/expected.json); for the shared bench, a line holding a ``must_contain`` passage.
Leaked ``must_not_contain`` strings are counted before and after.

``--plain`` learns from plain ``trafilatura.extract`` output instead, which still carries the portals' nav,
sidebar and footer lines: it shows what the learner finds when furniture does reach the text (on the
replica, a removed line then counts as article text when it holds the article's key sentence or title).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from steps.decode import decode_html  # noqa: E402
from steps.extract import ExtractionError, extract_article  # noqa: E402
from steps.furniture import learn, remove_furniture  # noqa: E402

PORTALS = ROOT / "replica" / "portals"
_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    return _WS.sub("", text)


@dataclass
class SitePage:
    name: str
    text: str  # extracted without furniture
    keep: list[str]  # passages that are article text
    avoid: list[str]  # boilerplate strings


PLAIN = False  # --plain: learn from plain trafilatura output, which still carries the sites' furniture


def extract(raw: bytes, url: str) -> str:
    if PLAIN:
        return trafilatura.extract(raw) or ""
    try:
        return extract_article(decode_html(raw).text, url).text
    except ExtractionError:
        return ""


def replica_sites() -> dict[str, list[SitePage]]:
    expected = json.loads((PORTALS / "expected.json").read_text("utf-8"))
    sites: dict[str, list[SitePage]] = {}
    for site, spec in expected.items():
        pages = []
        for art in spec["articles"]:
            raw = (PORTALS / "site" / site / art["path"].lstrip("/")).read_bytes()
            url = f"http://{site}.replica.invalid{art['path']}"
            # Extraction leaves none of the replica's furniture (tests/test_e2e_replica.py), so every line
            # of these texts is article text: an empty string in ``keep`` makes every removed line count.
            keep = [art["key_sentence"], art["title"]] if PLAIN else [""]
            pages.append(SitePage(art["path"], extract(raw, url), keep, []))
        sites[f"replica:{site}"] = pages
    return sites


def bench_sites(bench_dir: Path) -> dict[str, list[SitePage]]:
    by_host: dict[str, list[SitePage]] = defaultdict(list)
    for meta_path in sorted(bench_dir.glob("*/*.json")):
        meta = json.loads(meta_path.read_text("utf-8"))
        host = urlsplit(meta.get("url") or "").hostname
        if not host:
            continue
        site = ".".join(host.split(".")[-3:]) if host.endswith(".com.cn") else ".".join(host.split(".")[-2:])
        raw = meta_path.with_suffix(".html").read_bytes()
        by_host[f"bench:{site}"].append(
            SitePage(meta_path.stem, extract(raw, meta["url"]), meta["must_contain"], meta["must_not_contain"])
        )
    return {site: pages for site, pages in by_host.items() if len(pages) >= 2}


def extra_sites(extra_dir: Path) -> dict[str, list[SitePage]]:
    """Pages kept outside the repository (bench/extraction.py --extra-dir), one site per host, or per the
    page id's first part where a page has no URL (``sxyz-party-day-2021-06`` -> ``sxyz``)."""
    by_site: dict[str, list[SitePage]] = defaultdict(list)
    for meta_path in sorted(extra_dir.glob("*/*.json")):
        meta = json.loads(meta_path.read_text("utf-8"))
        url = meta.get("url") or f"http://{meta_path.stem.split('-')[0]}.invalid/"
        site = urlsplit(url).hostname or meta_path.stem
        raw = meta_path.with_suffix(".html").read_bytes()
        by_site[f"extra:{site}"].append(
            SitePage(meta_path.stem, extract(raw, url), meta["must_contain"], meta["must_not_contain"])
        )
    return {site: pages for site, pages in by_site.items() if len(pages) >= 2}


def report(site: str, pages: list[SitePage]) -> tuple[int, int]:
    """Print one site's figures; (lines removed, article lines removed)."""
    removed_total = wrong = 0
    leaks_before = leaks_after = 0
    learned_all = learn(p.text for p in pages)
    for i, page in enumerate(pages):
        others = [p.text for j, p in enumerate(pages) if j != i]
        furniture = frozenset(f.key for f in learn(others))
        text, removed = remove_furniture(page.text, furniture)
        removed_total += len(removed)
        wrong += sum(any(squash(k) in squash(line) for k in page.keep) for line in removed)
        leaks_before += sum(squash(a) in squash(page.text) for a in page.avoid)
        leaks_after += sum(squash(a) in squash(text) for a in page.avoid)
    print(f"\n== {site}: {len(pages)} pages, {len(learned_all)} furniture lines learned from all of them")
    for line in learned_all[:8]:
        print(f"   [{line.pages}/{len(pages)}] {line.sample[:70]}")
    print(
        f"   leave-one-out: {removed_total} lines removed, {wrong} of them article text; "
        f"boilerplate leaked {leaks_before} -> {leaks_after}"
    )
    return removed_total, wrong


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bench-dir", type=Path, default=ROOT.parent / "shared" / "extraction-bench")
    parser.add_argument("--plain", action="store_true", help="learn from plain trafilatura output instead")
    parser.add_argument("--extra-dir", type=Path, help="also the sites of pages kept outside the repository")
    args = parser.parse_args(argv)
    global PLAIN
    PLAIN = args.plain
    sites = replica_sites()
    if args.bench_dir.is_dir():
        sites |= bench_sites(args.bench_dir)
    if args.extra_dir:
        sites |= extra_sites(args.extra_dir)
    totals = [report(site, pages) for site, pages in sites.items()]
    print(f"\nall sites: {sum(t[0] for t in totals)} lines removed, {sum(t[1] for t in totals)} of them article text")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
