"""Reprocess benchmark: ``dangjian reprocess`` over N archived pages beside a bare WARC reader + trafilatura loop.

    .venv/bin/python bench/reprocess.py [--n 10000] [--seed 8] [--keep]

1. Writes the synthetic portal of bench/pipeline_site.py (N article pages of 30–150 KB, ~10 % GBK) and
   archives it as a crawl would: each page goes through crawlers.archive's own record builders
   (request + response + metadata records, plus the item record), into one site's ``.warc.gz`` files.
   No network: the crawl itself is bench/pipeline.py's subject. Prints the archive's size beside the
   sum of the bodies gzipped one by one (the target: within 1.2×).
2. **baseline**: one process, a bare loop: warcio's ArchiveIterator over the files, ``content_stream()``
   of each article response, ``trafilatura.extract`` on it. Its CPU per page is what extraction costs.
3. **live ingest** of the same pages (process.run.process_pages into a fresh SQLite file), so the corpus
   holds them, then **reprocess** (process.reprocess.reprocess_site, what the CLI and the deployment run)
   over the archive: every page is analysed again and compared with what is stored.

For the project rows, CPU is this process's plus the analysis workers' (read from /proc while they are
alive). Parallel efficiency = pages/s ÷ (cores ÷ baseline CPU per page): 1.0 means every core extracts
as fast as the bare loop does, with nothing else in the way.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SITE = "bench-djgz"


def archive_site(site_root: Path, routes: Path, base_url: str, archive: Path) -> tuple[int, int, int]:
    """Archive every page of the synthetic site as the crawl's middleware would; (pages, archive bytes,
    sum of the article bodies gzipped one by one)."""
    from scrapy import Request
    from scrapy.http import HtmlResponse

    from crawlers.archive import ArchiveWriter, exchange_records, item_record
    from pages.raw import RawPage

    content_types = {path: r["content_type"] for path, r in json.loads(routes.read_text("utf-8")).items()}
    writer = ArchiveWriter(archive, SITE, "bench", max_file_bytes=256 << 20)
    pages = gz_bodies = 0
    for path in sorted((site_root / "djgz").rglob("*.html")):
        url = f"{base_url}/{path.relative_to(site_root).as_posix()}"
        body = path.read_bytes()
        article = path.name.startswith("t")
        content_type = content_types.get(url[len(base_url) :], "text/html; charset=utf-8")  # GBK ones differ
        headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
        request = Request(url, meta={"role": "article" if article else "list"})
        response = HtmlResponse(url, body=body, headers=headers, request=request)
        records = exchange_records(writer.builder, request, response, SITE, "bench")
        if article:
            page = RawPage("page", SITE, url, url, 200, body, {"content-type": headers["Content-Type"]})
            records.append(item_record(writer.builder, page))
            pages += 1
            gz_bodies += len(gzip.compress(body))
        writer.write(records)
    writer.close()
    return pages, sum(p.stat().st_size for p in writer.paths), gz_bodies


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pool_cpu() -> float:
    from process import run

    pool = run._pool
    return sum(_proc_cpu(pid) for pid in (getattr(pool, "_processes", {}) or {})) if pool is not None else 0.0


def _article_bodies(archive: Path) -> Iterator[tuple[str, bytes, str]]:
    """(URL, body, Content-Type) of each article response, straight from warcio."""
    from warcio.archiveiterator import ArchiveIterator

    for path in sorted(archive.rglob("*.warc.gz")):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                if record.rec_type == "response" and uri.rsplit("/", 1)[-1].startswith("t"):
                    content_type = record.http_headers.get_header("Content-Type") or ""
                    yield uri, record.content_stream().read(), content_type


def baseline(archive: Path) -> dict[str, float]:
    """The bare loop: read the WARC, extract each article with trafilatura, nothing else."""
    import trafilatura

    cpu0, wall0 = time.process_time(), time.perf_counter()
    n = 0
    for uri, body, _ in _article_bodies(archive):
        trafilatura.extract(body, url=uri)
        n += 1
    return {"pages": n, "wall_s": time.perf_counter() - wall0, "cpu_s": time.process_time() - cpu0}


def analysis_loop(archive: Path, registry: Path, base_url: str) -> dict[str, float]:
    """The same loop with the project's whole analysis (decode, extraction, cleaning, normalization,
    fingerprint: process.analyze.analyze_page) instead of bare trafilatura, in one process."""
    from pages.raw import RawPage
    from process.analyze import analyze_page
    from sites.registry import load_registry

    site = load_registry(registry, {"base_url": base_url})[SITE]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    n = 0
    for uri, body, content_type in _article_bodies(archive):
        analyze_page(RawPage("page", SITE, uri, uri, 200, body, {"content-type": content_type}), site)
        n += 1
    return {"pages": n, "wall_s": time.perf_counter() - wall0, "cpu_s": time.process_time() - cpu0}


def project(archive: Path, registry: Path, base_url: str, tmp: Path) -> dict[str, dict[str, float]]:
    from pages.warc import archived_pages, read_archive, warc_files
    from process.reprocess import reprocess_site
    from process.run import process_pages
    from process.seeds import sync_seed_corpus
    from sites.registry import load_registry
    from storage.db import make_engine
    from storage.migrate import upgrade

    site = load_registry(registry, {"base_url": base_url})[SITE]
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    engine = make_engine(url)
    sync_seed_corpus(engine, ROOT / "seeds")
    out: dict[str, dict[str, float]] = {}

    cpu0, wall0, pool0 = time.process_time(), time.perf_counter(), pool_cpu()
    pages = (p for f in warc_files([archive / SITE]) for p in archived_pages(read_archive(f), SITE))
    live = process_pages(engine, pages, site, None)
    out["live ingest (from the archive)"] = {
        "pages": live.pages_fetched,
        "wall_s": time.perf_counter() - wall0,
        "cpu_s": time.process_time() - cpu0 + pool_cpu() - pool0,
        "new": live.new,
    }
    cpu0, wall0, pool0 = time.process_time(), time.perf_counter(), pool_cpu()
    report = reprocess_site(engine, archive, site)
    main_cpu, workers_cpu = time.process_time() - cpu0, pool_cpu() - pool0
    out["reprocess"] = {
        "pages": sum(report.counts.values()),
        "wall_s": time.perf_counter() - wall0,
        "cpu_s": main_cpu + workers_cpu,
        "main_cpu_s": main_cpu,
        "workers_cpu_s": workers_cpu,
        "unchanged": report.counts["unchanged"],
    }
    engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="article pages (default 10000)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    from pipeline_site import write_site

    tmp = Path(tempfile.mkdtemp(prefix="dangjian-bench-reprocess-"))
    base_url = "http://127.0.0.1:8123"
    try:
        started = time.perf_counter()
        info = write_site(tmp / "portal", args.n, args.seed)
        archive = tmp / "archive"
        pages, size, gz = archive_site(info.root, info.routes, base_url, archive)
        print(
            f"archive of {pages} article pages (+{info.list_pages} list pages) written in "
            f"{time.perf_counter() - started:.0f} s"
        )
        print(
            f"archive size {size / 2**20:.1f} MiB; article bodies gzipped one by one {gz / 2**20:.1f} MiB; "
            f"ratio {size / gz:.2f} (target <= 1.2; list pages and request/metadata records included)"
        )
        rows = {
            "baseline: WARC reader + trafilatura.extract, 1 process": baseline(archive),
            "WARC reader + analyze_page (the whole analysis), 1 proc.": analysis_loop(archive, info.registry, base_url),
        }
        rows.update(project(archive, info.registry, base_url, tmp))
        cores = os.cpu_count() or 1
        base = rows["baseline: WARC reader + trafilatura.extract, 1 process"]
        base_cpu = base["cpu_s"] / base["pages"]
        print(f"\n{'':<56}{'pages':>7}{'wall s':>9}{'pages/s':>9}{'CPU ms/page':>13}{'efficiency':>12}")
        for name, r in rows.items():
            rate = r["pages"] / r["wall_s"]
            eff = rate / (cores / base_cpu)
            print(
                f"{name:<56}{r['pages']:>7.0f}{r['wall_s']:>9.1f}{rate:>9.1f}"
                f"{1000 * r['cpu_s'] / r['pages']:>13.1f}{eff:>12.2f}"
            )
        rep = rows["reprocess"]
        print(
            f"\nreprocess CPU per page: {1000 * rep['main_cpu_s'] / rep['pages']:.1f} ms in the main process "
            f"(WARC reading, decisions, SQLite) + {1000 * rep['workers_cpu_s'] / rep['pages']:.1f} ms in the "
            f"analysis workers; the efficiency an idle machine would bound it to (baseline CPU ÷ reprocess CPU "
            f"per page): {base['cpu_s'] / rep['cpu_s']:.2f}; load average now {os.getloadavg()[0]:.1f}"
        )
        analysis = rows["WARC reader + analyze_page (the whole analysis), 1 proc."]
        print(
            f"reprocess pages/s ÷ (cores ÷ analyze_page CPU per page): "
            f"{rep['pages'] / rep['wall_s'] / (cores / (analysis['cpu_s'] / analysis['pages'])):.2f} "
            f"(how well the parallel run uses the cores for the analysis it has to do)"
        )
        print(
            f"cores {cores}; parallel efficiency = pages/s ÷ (cores ÷ baseline CPU per page "
            f"{1000 * base_cpu:.1f} ms); reprocess counts: unchanged {rows['reprocess']['unchanged']:.0f}"
        )
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
