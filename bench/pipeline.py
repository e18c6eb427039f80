"""End-to-end pipeline benchmark: the project's ingest against a bare Scrapy + trafilatura baseline.

    .venv/bin/python bench/pipeline.py [--n 1000 [10000]] [--keep] [--profile] [--no-impolite]
    .venv/bin/python bench/pipeline.py --profile-only RAW.jsonl [--registry sites.yaml]

For each N it writes a synthetic TRS portal of N article pages (bench/pipeline_site.py: 30–150 KB
pages, ~10 % GBK, distinct texts), serves it with replica.server on 127.0.0.1, and measures, each in
its own child process so that CPU and memory are its own:

1. **baseline**: a bare ``scrapy.Spider`` (same politeness settings as crawlers/settings.py: two
   requests in flight per domain, AutoThrottle, robots.txt, delay 0 as in the registry entry) that
   follows the list pages and calls ``trafilatura.extract(response.text)`` on each article, nothing else;
2. **baseline, impolite** (skip with ``--no-impolite``): the same with 16 requests per domain and no
   AutoThrottle, to show what the politeness settings cost the crawl;
3. **project**: the Prefect flow ``flows.ingest.ingest`` into a fresh SQLite database (temporary
   PREFECT_HOME; a running Prefect server as deployed runs have, or ``--prefect ephemeral``): the crawl
   subprocess and, while it writes, extract, normalize, dedup (in worker processes) and persist;
4. **project rerun**: the same flow again over the same database and pages (nothing new).

CPU is user+system time of the child and all its descendants (the parent's RUSAGE_CHILDREN delta:
the project's crawl subprocess and Prefect's temporary API server included). Peak RSS is per process
(ru_maxrss): the flow process and, separately, its crawl subprocess; the analysis workers' CPU and peak
RSS are read from /proc while they are alive (nobody waits for them, so RUSAGE_CHILDREN misses them).
The per-stage split of the project is process/'s own ``stage_seconds``. ``--profile`` also runs
pyinstrument over ``process.run.process_raw_file`` on the first run's raw-page file (into a fresh
database) and prints the top 25 functions by own and by cumulative time.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # PYTHONPATH may put another copy first (A/B runs of steps/ changes)
    sys.path.insert(1, str(ROOT))

SITE_NAME = "bench-djgz"
PAGES_PER_S_TARGET = 100.0
CPU_RATIO_TARGET = 1.25
RSS_TARGET_MB = 500.0
RERUN_SPEEDUP_TARGET = 10.0


def _load() -> tuple[float, float, float]:
    return os.getloadavg()


def _rusage_children() -> tuple[float, int]:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def _rusage_self() -> tuple[float, int]:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss


# --- children -----------------------------------------------------------------------------------------
# Each measured run is this script again, with --child KIND; it writes a JSON result to --result.

ARTICLE = re.compile(r"/djgz/\d{6}/t\d{8}_\d+\.html$")
LIST = re.compile(r"/djgz/index(?:_\d+)?\.html$")
CREATE_PAGE_HTML = re.compile(r"createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*[\"']([\w-]+)[\"']\s*,\s*[\"'](\w+)[\"']")


def child_baseline(args: argparse.Namespace) -> dict[str, Any]:
    """A bare spider: list pages → articles → trafilatura.extract; nothing stored."""
    import scrapy
    import trafilatura
    from scrapy.crawler import CrawlerProcess
    from scrapy.http import Response

    from crawlers import settings as project_settings

    counts = {"articles": 0, "extracted": 0, "chars": 0, "list_pages": 0}
    extract_seconds = [0.0]

    class BaselineSpider(scrapy.Spider):
        name = "baseline"

        async def start(self) -> Any:
            yield scrapy.Request(f"{args.base_url}/djgz/index.html", callback=self.parse_list)

        def parse_list(self, response: Response) -> Any:
            counts["list_pages"] += 1
            for href in response.xpath("//a/@href").getall():
                url = response.urljoin(href)
                if ARTICLE.search(url):
                    yield scrapy.Request(url, callback=self.parse_article)
                elif LIST.search(url):
                    yield scrapy.Request(url, callback=self.parse_list)
            m = CREATE_PAGE_HTML.search(response.text)
            if m:
                for i in range(int(m[1])):
                    name = f"{m[3]}.{m[4]}" if i == 0 else f"{m[3]}_{i}.{m[4]}"
                    yield scrapy.Request(response.urljoin(name), callback=self.parse_list)

        def parse_article(self, response: Response) -> None:
            started = time.perf_counter()
            text = trafilatura.extract(response.text)
            extract_seconds[0] += time.perf_counter() - started
            counts["articles"] += 1
            if text:
                counts["extracted"] += 1
                counts["chars"] += len(text)

    polite = not args.impolite
    settings = {
        "USER_AGENT": project_settings.USER_AGENT,
        "ROBOTSTXT_OBEY": project_settings.ROBOTSTXT_OBEY,
        "CONCURRENT_REQUESTS": project_settings.CONCURRENT_REQUESTS,
        "CONCURRENT_REQUESTS_PER_DOMAIN": project_settings.CONCURRENT_REQUESTS_PER_DOMAIN if polite else 16,
        "AUTOTHROTTLE_ENABLED": project_settings.AUTOTHROTTLE_ENABLED if polite else False,
        "AUTOTHROTTLE_START_DELAY": 0.0,  # crawlers/run.py sets it to the site's download_delay (0 here)
        "AUTOTHROTTLE_MAX_DELAY": project_settings.AUTOTHROTTLE_MAX_DELAY,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": project_settings.AUTOTHROTTLE_TARGET_CONCURRENCY,
        "DOWNLOAD_DELAY": 0.0,
        "RETRY_ENABLED": project_settings.RETRY_ENABLED,
        "RETRY_TIMES": project_settings.RETRY_TIMES,
        "DOWNLOAD_TIMEOUT": project_settings.DOWNLOAD_TIMEOUT,
        "DOWNLOAD_MAXSIZE": project_settings.DOWNLOAD_MAXSIZE,
        "TWISTED_REACTOR": project_settings.TWISTED_REACTOR,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": project_settings.REQUEST_FINGERPRINTER_IMPLEMENTATION,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "INFO",
    }
    started = time.monotonic()
    process = CrawlerProcess(settings)
    process.crawl(BaselineSpider)
    process.start()
    cpu, rss = _rusage_self()
    return {
        **counts,
        "wall_s": time.monotonic() - started,
        "extract_s": extract_seconds[0],
        "self_cpu_s": cpu,
        "self_maxrss_kb": rss,
    }


class _Timers:
    """Wall and thread-CPU seconds accumulated per name by wrapped functions."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def reset(self) -> None:
        self.wall.clear()
        self.cpu.clear()
        self.calls.clear()

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*a: Any, **kw: Any) -> Any:
            w, c = time.perf_counter(), time.thread_time()
            try:
                return fn(*a, **kw)
            finally:
                self.wall[name] += time.perf_counter() - w
                self.cpu[name] += time.thread_time() - c
                self.calls[name] += 1

        return timed

    def instrument_pipeline(self) -> None:
        """Wrap what process/ calls per page (module globals, looked up at call time)."""
        from process import analyze, decide, run
        from steps import dedup

        for module, attr, name in (
            (analyze, "decode_html", "decode"),
            (analyze, "extract_article", "extract"),
            (analyze, "normalize_text", "normalize"),
            (decide, "find_duplicate", "dedup_lookup"),
            (run, "analyze_page", "analyze"),
            (decide, "record", "record"),
        ):
            setattr(module, attr, self.wrap(name, getattr(module, attr)))
        dedup.fingerprint = self.wrap("fingerprint", dedup.fingerprint)

    def stages(self) -> dict[str, dict[str, float]]:
        """decode / extract / normalize / dedup / persist (the rest of a page's analysis and record: URL
        check, inserts, commits) and read (process_raw_file minus the pages: reading the JSON lines).
        Needs the analysis in this process (DANGJIAN_ANALYSIS_PROCESSES=1), as the profile child runs."""
        out: dict[str, dict[str, float]] = {}
        for src in ("wall", "cpu"):
            t = getattr(self, src)
            t["page_total"] = t["analyze"] + t["record"]
            dedup_s = t["fingerprint"] + t["dedup_lookup"]
            inner = t["decode"] + t["extract"] + t["normalize"] + dedup_s
            out[src] = {
                "decode": t["decode"],
                "extract": t["extract"],
                "normalize": t["normalize"],
                "dedup": dedup_s,
                "persist": max(0.0, t["page_total"] - inner),
                "read": max(0.0, t["process_total"] - t["page_total"]),
                "process_total": t["process_total"],
            }
        return out


class _WaitingSubprocess:
    """Stands in for the ``subprocess`` module in crawljob.request: ``run`` reaps the child with wait4, so
    the crawl process's own CPU time and peak RSS are known (timeout is not enforced here)."""

    def __init__(self) -> None:
        self.runs: list[dict[str, float]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)

    def run(self, cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        kwargs.pop("timeout", None)
        kwargs.pop("check", None)
        started = time.monotonic()
        proc = subprocess.Popen(cmd, **kwargs)
        _, status, ru = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        self.runs.append(
            {"wall_s": time.monotonic() - started, "cpu_s": ru.ru_utime + ru.ru_stime, "maxrss_kb": ru.ru_maxrss}
        )
        return subprocess.CompletedProcess(cmd, proc.returncode)


def _proc_usage(pid: int) -> tuple[float, float]:
    """(CPU seconds, peak RSS in KB) of a live process, from /proc (0, 0 when unreadable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0, 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    peak = next((float(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0.0)
    return cpu, peak


def _pool_usage() -> tuple[float, float]:
    """CPU and the largest peak RSS of process.run's analysis workers, read while they are alive.

    They are the forkserver's children, not this process's: RUSAGE_CHILDREN never sees them.
    """
    from process import run

    pool = run._pool
    pids = list(getattr(pool, "_processes", {}) or {}) if pool is not None else []
    usages = [_proc_usage(pid) for pid in pids]
    return sum(c for c, _ in usages), max((r for _, r in usages), default=0.0)


def child_project(args: argparse.Namespace) -> dict[str, Any]:
    """The real flow, instrumented from outside (flows/ is not modified)."""
    started = time.monotonic()
    import flows.ingest as ingest_mod

    imported = time.monotonic() - started
    timers = _Timers()  # the steps themselves report their time (stage_seconds), also from the pool
    process_raw_file = timers.wrap("process_total", ingest_mod.process_raw_file)

    def process_from_zero(*a: Any, **kw: Any) -> Any:
        timers.reset()  # the seed corpus sync before the crawl also fingerprints: not this stage's time
        return process_raw_file(*a, **kw)

    ingest_mod.process_raw_file = process_from_zero
    import crawljob.request as crawl_request  # runs the crawl subprocess (run_crawl)

    shim = _WaitingSubprocess()
    assert hasattr(crawl_request, "subprocess"), "crawljob.request no longer runs the crawl: fix the shim"
    crawl_request.subprocess = shim  # type: ignore[assignment]
    fixed = _Timers()  # what a run pays whatever N is
    for attr in ("upgrade", "sync_seed_corpus"):
        if hasattr(ingest_mod, attr):
            setattr(ingest_mod, attr, fixed.wrap(attr, getattr(ingest_mod, attr)))
    ingest_mod.ingest.fn = fixed.wrap("flow_body", ingest_mod.ingest.fn)

    state = ingest_mod.ingest(
        registry_path=args.registry,
        registry_vars={"base_url": args.base_url},
        database_url=args.database_url,
        seeds_dir=str(ROOT / "seeds"),
        keep_raw=args.keep_raw,
        return_state=True,
    )
    results = ingest_mod.run_results(state)
    wall = time.monotonic() - started
    self_cpu, self_rss = _rusage_self()
    children_cpu, children_rss = _rusage_children()
    pool_cpu, pool_rss = _pool_usage()
    found = results.get(SITE_NAME)
    summary = dataclasses.asdict(found) if found is not None else {}
    return {
        "pool_cpu_s": pool_cpu,
        "pool_maxrss_kb": pool_rss,
        "wall_s": wall,
        "import_s": imported,
        "self_cpu_s": self_cpu,
        "self_maxrss_kb": self_rss,
        "children_cpu_s": children_cpu,
        "children_maxrss_kb": children_rss,
        "crawl": shim.runs[-1] if shim.runs else {},
        "fixed": dict(fixed.wall),
        "stages": timers.stages(),
        "calls": dict(timers.calls),
        "summary": {k: v for k, v in summary.items() if k not in ("new_articles", "errors")},
        "errors": summary.get("errors", [])[:5],
    }


def _profile_rows(root: Any, limit: int) -> tuple[list[tuple[float, str]], list[tuple[float, str]]]:
    """Top functions by own time and by cumulative time (recursion counted once) of a pyinstrument tree."""
    own: dict[str, float] = defaultdict(float)
    cumulative: dict[str, float] = defaultdict(float)

    def key(frame: Any) -> str:
        return f"{frame.function}  ({frame.file_path_short}:{frame.line_no})"

    def walk(frame: Any, active: frozenset[str]) -> None:
        real = [c for c in frame.children if not c.is_synthetic]
        k = key(frame)
        own[k] += frame.time - sum(c.time for c in real)
        if k not in active:
            cumulative[k] += frame.time
        for child in real:
            walk(child, active | {k})

    walk(root, frozenset())
    by_own = sorted(((t, k) for k, t in own.items()), reverse=True)[:limit]
    by_cum = sorted(((t, k) for k, t in cumulative.items()), reverse=True)[:limit]
    return by_own, by_cum


def child_profile(args: argparse.Namespace) -> dict[str, Any]:
    """pyinstrument over process_raw_file on a raw-page file, into a fresh database."""
    from pyinstrument import Profiler

    from process import run as pipeline
    from process.seeds import sync_seed_corpus
    from sites.registry import load_registry
    from storage import runlog
    from storage.db import make_engine, session_scope
    from storage.migrate import upgrade

    site = load_registry(args.registry, {"base_url": "http://127.0.0.1"})[SITE_NAME]
    upgrade(args.database_url)
    engine = make_engine(args.database_url)
    sync_seed_corpus(engine, ROOT / "seeds")
    with session_scope(engine) as session:
        run_id = runlog.start_run(session, "profile", site.name, None, None).id
    timers = _Timers()
    timers.instrument_pipeline()
    process = timers.wrap("process_total", pipeline.process_raw_file)
    profiler = Profiler(interval=0.0005) if args.profile_interval is None else Profiler(interval=args.profile_interval)
    cpu0 = time.process_time()
    profiler.start()
    summary = process(engine, Path(args.raw), site, run_id)
    session_ = profiler.stop()
    cpu = time.process_time() - cpu0
    engine.dispose()
    by_own, by_cum = _profile_rows(session_.root_frame(), 25)
    text = profiler.output_text(unicode=True, color=False, show_all=False)
    if args.profile_text:
        Path(args.profile_text).write_text(text, encoding="utf-8")
    return {
        "pages": summary.pages_fetched,
        "new": summary.new,
        "duplicate": summary.duplicate,
        "failed": summary.failed,
        "cpu_s": cpu,
        "stages": timers.stages(),
        "own": by_own,
        "cumulative": by_cum,
    }


# --- the parent ---------------------------------------------------------------------------------------


def _child_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)  # the ephemeral API, in the child
    env.update(
        {
            "PREFECT_HOME": str(tmp / "prefect"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "DANGJIAN_DATA_DIR": str(tmp / "data"),
            "PREFECT_LOGGING_LEVEL": "WARNING",
            "DANGJIAN_SCRAPY_LOG_LEVEL": "INFO",
            "PYTHONPATH": os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p),
        }
    )
    return env


@contextmanager
def prefect_server(tmp: Path, wanted: bool) -> Iterator[str | None]:
    """A running `prefect server` on loopback, as the nightly deployment has one, or None (ephemeral API).

    With a server, a run pays what a deployed run pays (its own process and API calls), not the start-up
    and shutdown of a temporary API, which is what `make run` pays once per run.
    """
    if not wanted:
        yield None
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**_child_env(tmp), "PREFECT_HOME": str(tmp / "prefect-server")}
    api = f"http://127.0.0.1:{port}/api"
    with (tmp / "prefect-server.log").open("wb") as log:
        proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "prefect"),
                "server",
                "start",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"{api}/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.5)
            else:
                raise RuntimeError("prefect server did not become healthy")
            yield api
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def run_child(kind: str, extra: list[str], tmp: Path, log_name: str, api_url: str | None = None) -> dict[str, Any]:
    """Run this script as ``--child kind``; returns its JSON result plus the CPU seen by the parent."""
    result_path = tmp / f"{log_name}.result.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--result", str(result_path), *extra]
    env = _child_env(tmp)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    if kind == "profile":  # one process, so that the profiler and the timers see every step
        env["DANGJIAN_ANALYSIS_PROCESSES"] = "1"
    cpu0, _ = _rusage_children()
    parent0, _ = _rusage_self()
    load0 = _load()
    started = time.monotonic()
    with (tmp / f"{log_name}.log").open("w", encoding="utf-8") as log:
        proc = subprocess.run(cmd, env=env, cwd=str(ROOT), stdout=log, stderr=subprocess.STDOUT, check=False)
    wall = time.monotonic() - started
    cpu1, _ = _rusage_children()
    parent1, _ = _rusage_self()
    if proc.returncode != 0 or not result_path.exists():
        tail = (tmp / f"{log_name}.log").read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        raise RuntimeError(f"{kind} child failed ({proc.returncode}):\n" + "\n".join(tail))
    result: dict[str, Any] = json.loads(result_path.read_text(encoding="utf-8"))
    result.update(
        {
            "outer_wall_s": wall,
            # the analysis pool's workers are not waited for by anyone: their CPU is added from /proc
            "total_cpu_s": cpu1 - cpu0 + result.get("pool_cpu_s", 0.0),
            "server_cpu_s": parent1 - parent0,  # replica.server's threads live in this process
            "load_before": load0,
            "load_after": _load(),
        }
    )
    return result


def _mb(kb: float) -> float:
    return kb / 1024.0


def bench_one(n: int, args: argparse.Namespace) -> dict[str, Any]:
    from pipeline_site import write_site

    from replica.server import ReplicaServer

    tmp = Path(tempfile.mkdtemp(prefix=f"dangjian-bench-{n}-"))
    out: dict[str, Any] = {"n": n, "tmp": str(tmp)}
    try:
        t0 = time.monotonic()
        info = write_site(tmp, n, seed=args.seed)
        out["site"] = {
            "generate_s": time.monotonic() - t0,
            "list_pages": info.list_pages,
            "gbk_pages": info.gbk_pages,
            "mean_kb": info.article_bytes / n / 1024,
        }
        print(
            f"\n[N={n}] site in {tmp}: {n} articles ({info.gbk_pages} GBK), {info.list_pages} list pages, "
            f"mean {info.article_bytes / n / 1024:.0f} KB, generated in {out['site']['generate_s']:.0f}s",
            flush=True,
        )
        with ReplicaServer(info.root, routes=info.routes) as server:
            base = ["--base-url", server.base_url]
            print(f"[N={n}] baseline (polite) … load {_load()[0]:.2f}", flush=True)
            out["baseline"] = run_child("baseline", base, tmp, "baseline")
            if not args.no_impolite:
                print(f"[N={n}] baseline (impolite) … load {_load()[0]:.2f}", flush=True)
                out["impolite"] = run_child("baseline", [*base, "--impolite"], tmp, "baseline-impolite")
            db = f"sqlite:///{tmp / 'bench.db'}"
            project_args = [*base, "--registry", str(info.registry), "--database-url", db]
            with prefect_server(tmp, args.prefect == "server") as api:
                out["prefect"] = args.prefect
                print(f"[N={n}] project ({args.prefect} Prefect API), first run … load {_load()[0]:.2f}", flush=True)
                first_extra = [*project_args, "--keep-raw"] if args.profile else project_args
                out["project"] = run_child("project", first_extra, tmp, "project", api)
                print(f"[N={n}] project, rerun … load {_load()[0]:.2f}", flush=True)
                out["rerun"] = run_child("project", project_args, tmp, "project-rerun", api)
        if args.profile:
            raws = sorted((tmp / "data" / "runs").glob(f"*/{SITE_NAME}.jsonl"), key=lambda p: p.stat().st_size)
            if raws:
                print(f"[N={n}] profiling process_raw_file on {raws[-1]} … load {_load()[0]:.2f}", flush=True)
                out["profile"] = run_child(
                    "profile",
                    [
                        "--raw",
                        str(raws[-1]),
                        "--registry",
                        str(info.registry),
                        "--database-url",
                        f"sqlite:///{tmp / 'profile.db'}",
                        "--profile-text",
                        str(tmp / "profile.txt"),
                    ],
                    tmp,
                    "profile",
                )
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _fmt_stage_table(stages: dict[str, dict[str, float]], pages: int) -> list[str]:
    lines = [f"    {'stage':<10} {'wall s':>8} {'CPU s':>8} {'ms/page':>8} {'share':>6}"]
    total = stages["wall"]["process_total"] or 1.0
    for name in ("decode", "extract", "normalize", "dedup", "persist", "read"):
        w, c = stages["wall"][name], stages["cpu"][name]
        lines.append(f"    {name:<10} {w:8.2f} {c:8.2f} {1000 * w / max(pages, 1):8.2f} {w / total:6.1%}")
    w, c = stages["wall"]["process_total"], stages["cpu"]["process_total"]
    lines.append(f"    {'total':<10} {w:8.2f} {c:8.2f} {1000 * w / max(pages, 1):8.2f}")
    return lines


def report(res: dict[str, Any]) -> None:
    n = res["n"]
    base, proj, rerun = res["baseline"], res["project"], res["rerun"]
    imp = res.get("impolite")
    pages_b = base["articles"]
    pages_p = proj["summary"].get("pages_fetched", 0)
    crawl = proj.get("crawl", {})
    proj_rss = max(proj["self_maxrss_kb"], crawl.get("maxrss_kb", 0))

    def row(label: str, b: str, p: str, ratio: str, target: str = "") -> str:
        return f"  {label:<34} {b:>14} {p:>14} {ratio:>10}  {target}"

    print(
        f"\n== N = {n} (site: {res['site']['mean_kb']:.0f} KB/page mean, {res['site']['gbk_pages']} GBK; "
        f"project on the {res.get('prefect', 'ephemeral')} Prefect API)"
    )
    print(row("", "baseline", "project", "proj/base"))
    wall_b, wall_p = base["outer_wall_s"], proj["outer_wall_s"]
    print(row("articles processed", str(pages_b), str(pages_p), ""))
    print(row("wall time (s)", f"{wall_b:.1f}", f"{wall_p:.1f}", f"{wall_p / wall_b:.2f}"))
    pps_b, pps_p = pages_b / wall_b, pages_p / wall_p
    print(
        row(
            "pages/s end to end",
            f"{pps_b:.1f}",
            f"{pps_p:.1f}",
            f"{pps_p / pps_b:.2f}",
            f"target ≥ {PAGES_PER_S_TARGET:.0f}",
        )
    )
    cpu_b, cpu_p = base["total_cpu_s"] / max(pages_b, 1), proj["total_cpu_s"] / max(pages_p, 1)
    print(
        row(
            "CPU ms/page (all processes)",
            f"{1000 * cpu_b:.1f}",
            f"{1000 * cpu_p:.1f}",
            f"{cpu_p / cpu_b:.2f}",
            f"target ≤ {CPU_RATIO_TARGET}",
        )
    )
    processing_cpu = proj["stages"]["cpu"]["process_total"] + proj.get("pool_cpu_s", 0.0)
    fixed = proj["total_cpu_s"] - crawl.get("cpu_s", 0.0) - processing_cpu
    crawl_proc = (crawl.get("cpu_s", 0.0) + processing_cpu) / max(pages_p, 1)
    print(
        row(
            "  … crawl + processing only",
            f"{1000 * cpu_b:.1f}",
            f"{1000 * crawl_proc:.1f}",
            f"{crawl_proc / cpu_b:.2f}",
            f"(project fixed cost: Prefect, imports, migrations, seeds = {fixed:.1f} CPU s)",
        )
    )
    print(
        row(
            "peak RSS (MB)",
            f"{_mb(base['self_maxrss_kb']):.0f}",
            f"{_mb(proj_rss):.0f}",
            f"{proj_rss / base['self_maxrss_kb']:.2f}",
            f"target < {RSS_TARGET_MB:.0f}; flow process {_mb(proj['self_maxrss_kb']):.0f}, "
            f"crawl process {_mb(crawl.get('maxrss_kb', 0)):.0f}, "
            f"each analysis worker ≤ {_mb(proj.get('pool_maxrss_kb', 0)):.0f}",
        )
    )
    print(
        row(
            "replica server CPU (s)",
            f"{base['server_cpu_s']:.1f}",
            f"{proj['server_cpu_s']:.1f}",
            "",
            "(in the bench process, not counted above)",
        )
    )
    print(
        row(
            "load avg (1 min) before → after",
            f"{base['load_before'][0]:.2f}→{base['load_after'][0]:.2f}",
            f"{proj['load_before'][0]:.2f}→{proj['load_after'][0]:.2f}",
            "",
        )
    )
    print(
        f"  baseline: trafilatura.extract {base['extract_s']:.1f}s of {base['wall_s']:.1f}s crawl; "
        f"{base['extracted']}/{base['articles']} pages gave text"
    )
    if imp:
        print(
            f"  politeness cost (baseline with 16/domain, no AutoThrottle): {imp['outer_wall_s']:.1f}s vs "
            f"{wall_b:.1f}s polite ({imp['articles'] / imp['outer_wall_s']:.1f} vs {pps_b:.1f} pages/s)"
        )
    s = proj["summary"]
    print(
        f"  project: {s.get('new')} new, {s.get('duplicate')} duplicate, {s.get('failed')} failed, "
        f"{s.get('skipped')} skipped; crawl subprocess {crawl.get('wall_s', 0):.1f}s wall / "
        f"{crawl.get('cpu_s', 0):.1f}s CPU; process {proj['stages']['wall']['process_total']:.1f}s wall; "
        f"flow process start-up (imports) {proj['import_s']:.1f}s"
    )
    if proj.get("errors"):
        print(f"  first errors: {proj['errors']}")
    stage_seconds = proj["summary"].get("stage_seconds") or {}
    total_stage = sum(stage_seconds.values()) or 1.0
    print(
        "  project per stage (process/'s stage_seconds: wall seconds summed over the analysis "
        f"workers; their CPU: {proj.get('pool_cpu_s', 0.0):.1f}s, the store step's thread: "
        f"{proj['stages']['cpu']['process_total']:.1f}s CPU)"
    )
    for name, seconds in stage_seconds.items():
        print(
            f"    {name:<10} {seconds:8.2f} s  {1000 * seconds / max(pages_p, 1):7.2f} ms/page  "
            f"{100 * seconds / total_stage:5.1f}%"
        )
    crawl_s, process_s = crawl.get("wall_s", 0.0), proj["stages"]["wall"]["process_total"]
    body_s = proj.get("fixed", {}).get("flow_body", 0.0)
    overlap = max(0.0, crawl_s + process_s - body_s)  # flows/ingest.py may process while the crawl runs
    print(
        f"  crawl {crawl_s:.1f}s wall and processing {process_s:.1f}s wall inside a {body_s:.1f}s flow body "
        f"({overlap:.1f}s of them overlapping)"
    )
    fx = proj.get("fixed", {})
    prefect_costs = (
        "API calls, task runs; the server is a separate service"
        if res.get("prefect") == "server"
        else "temporary API start-up/shutdown, task runs"
    )
    print(
        f"  fixed costs: Python imports {proj['import_s']:.1f}s, Prefect around the flow body "
        f"{wall_p - proj['import_s'] - fx.get('flow_body', 0):.1f}s "
        f"({prefect_costs}), "
        f"migrations {fx.get('upgrade', 0):.1f}s, seed corpus sync {fx.get('sync_seed_corpus', 0):.1f}s "
        f"(rerun: {rerun.get('fixed', {}).get('sync_seed_corpus', 0):.1f}s)"
    )
    rs = rerun["summary"]
    speedup = wall_p / rerun["outer_wall_s"]
    print(
        f"  rerun (nothing new): {rerun['outer_wall_s']:.1f}s wall, {rerun['total_cpu_s']:.1f}s CPU, "
        f"{rs.get('pages_fetched')} pages fetched, {rs.get('new')} new, "
        f"crawl {rerun.get('crawl', {}).get('wall_s', 0):.1f}s; first/rerun = {speedup:.1f}× "
        f"(target ≥ {RERUN_SPEEDUP_TARGET:.0f}×)"
    )
    prof = res.get("profile")
    if prof:
        pages = prof["pages"] or 1
        print(
            f"\n  profile of process_raw_file ({prof['pages']} pages, {1000 * prof['cpu_s'] / pages:.1f} CPU ms/page "
            f"under pyinstrument; {prof['new']} new, {prof['duplicate']} duplicate, {prof['failed']} failed)"
        )
        for line in _fmt_stage_table(prof["stages"], prof["pages"]):
            print(line)
        for title, rows in (("own time", prof["own"]), ("cumulative time", prof["cumulative"])):
            print(f"  top 25 by {title} (s):")
            for t, name in rows:
                print(f"    {t:8.3f}  {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1000], help="article counts (default: 1000)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories (site, db, logs)")
    parser.add_argument("--profile", action="store_true", help="pyinstrument over the processing step")
    parser.add_argument("--no-impolite", action="store_true", help="skip the baseline without politeness")
    parser.add_argument("--profile-only", metavar="RAW", default=None, help="only profile this raw-page file")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--prefect",
        choices=("server", "ephemeral"),
        default="server",
        help="project runs against a running Prefect server (as deployed; default) or the ephemeral API (make run)",
    )
    # child-process arguments
    parser.add_argument("--child", choices=("baseline", "project", "profile"), help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--impolite", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--registry", default=None, help="registry of the raw file's site (--profile-only)")
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--keep-raw", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--raw", help=argparse.SUPPRESS)
    parser.add_argument("--profile-text", help=argparse.SUPPRESS)
    parser.add_argument("--profile-interval", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        child = {"baseline": child_baseline, "project": child_project, "profile": child_profile}[args.child]
        result = child(args)
        args.result.write_text(json.dumps(result, default=str), encoding="utf-8")
        return 0

    print(f"load average at start: {_load()}; {os.cpu_count()} CPUs", flush=True)
    if args.profile_only:
        from pipeline_site import COLUMN, REGISTRY

        tmp = Path(tempfile.mkdtemp(prefix="dangjian-profile-"))
        registry = args.registry
        if registry is None:
            registry = str(tmp / "sites.yaml")
            Path(registry).write_text(REGISTRY.format(n=0, column=COLUMN, max_pages=100), encoding="utf-8")
        prof = run_child(
            "profile",
            [
                "--raw",
                str(Path(args.profile_only).resolve()),
                "--registry",
                registry,
                "--database-url",
                f"sqlite:///{tmp / 'profile.db'}",
                "--profile-text",
                str(tmp / "profile.txt"),
            ],
            tmp,
            "profile",
        )
        report_profile_only(prof)
        print(f"(pyinstrument tree in {tmp / 'profile.txt'})")
        return 0

    results = []
    for n in args.n:
        res = bench_one(n, args)
        results.append(res)
        report(res)
        if args.keep:
            print(f"  kept: {res['tmp']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    return 0


def report_profile_only(prof: dict[str, Any]) -> None:
    pages = prof["pages"] or 1
    print(
        f"profile of process_raw_file: {prof['pages']} pages, {1000 * prof['cpu_s'] / pages:.1f} CPU ms/page "
        f"under pyinstrument ({prof['new']} new, {prof['duplicate']} duplicate, {prof['failed']} failed); "
        f"load {prof['load_before'][0]:.2f}→{prof['load_after'][0]:.2f}"
    )
    for line in _fmt_stage_table(prof["stages"], prof["pages"]):
        print(line)
    for title, rows in (("own time", prof["own"]), ("cumulative time", prof["cumulative"])):
        print(f"top 25 by {title} (s):")
        for t, name in rows:
            print(f"  {t:8.3f}  {name}")


if __name__ == "__main__":
    raise SystemExit(main())
