"""`dangjian probe` and `dangjian check` against loopback replicas, for real.

- Every replica portal (replica/portals/) and the main replica (replica/): probe its start page, write the
  entry it prints to a registry, crawl with that entry (``python -m crawlers.run``, as the flow does) and
  compare the articles reached with the hand-written entry's (replica/portals/expected.json, which
  tests/test_portals.py proves the hand-written entries reach; for the main replica, a crawl of its
  hand-written entry). Nothing outside the column, and the off-host link is never requested.
- The hostile server's pages: every probe ends, in bounded time, with a reason.
- check: passes on every replica; on a copy whose list markup was redesigned it reports the drift.

Only 127.0.0.1 is contacted: the off-domain links point at 127.0.0.2 and are never requested.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from crawljob.request import CrawlRequest
from dangjian.cli import main
from flows.check import check_markdown, md
from pages.raw import RawPage
from pages.stream import read_raw_pages
from probe.findings import ProbeTarget
from probe.onboard import ProbeResult, append_entry, check, probe, probe_many, run_targets
from replica import hostile
from replica.hostile import HostileServer
from replica.portals import DERIVED_REGISTRY, SITES_ROOT, PortalServer, load_expected
from replica.server import ReplicaServer
from sites.registry import RegistryError, load_registry

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = load_expected()
PORTALS = sorted(EXPECTED)
MAIN = "replica-djgz"  # the main replica's hand-written entry (replica/sites.yaml)
MAIN_REGISTRY = ROOT / "replica" / "sites.yaml"
CRAWL_TIMEOUT_S = 120
PROBE_BOUND_S = 60  # a probe on hostile pages must end well within this (DOWNLOAD_TIMEOUT is 2 s here)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return unquote(parts.path) + (f"?{parts.query}" if parts.query else "")


def crawl(registry: Path, name: str, base_url: str, out_dir: Path, tag: str) -> list[RawPage]:
    out = out_dir / f"{name}.{tag}.jsonl"
    cmd = CrawlRequest(name, out, registry=registry, variables={"base_url": base_url}).argv()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=CRAWL_TIMEOUT_S)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return list(read_raw_pages(out))


def probed_registry(result: ProbeResult, out_dir: Path) -> Path:
    """The entry exactly as `dangjian probe` prints it, as the only entry of a registry file."""
    path = out_dir / f"{result.entry['name'] if result.entry else 'none'}.sites.yaml"
    path.write_text("sites:\n" + result.yaml, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def probed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, object]]]:
    """Every portal's start page probed (one probe process for all), then a crawl with each probed entry
    (and, for the main replica, with its hand-written entry too), three crawls at a time."""
    out_dir = tmp_path_factory.mktemp("probe-crawls")
    names = [*PORTALS, MAIN]
    servers = {n: (ReplicaServer() if n == MAIN else PortalServer(n)) for n in names}
    for server in servers.values():
        server.start()
    try:
        starts: list[tuple[str, str | None]] = []
        for n, server in servers.items():
            registry = MAIN_REGISTRY if n == MAIN else DERIVED_REGISTRY
            starts.append((load_registry(registry, {"base_url": server.base_url})[n].start_urls[0], f"probed-{n}"))
        results = dict(zip(names, probe_many(starts, delay=0, allow_private=True), strict=True))
        for server in servers.values():
            server.reset_counts()  # from here on: what the crawls request

        def crawls(n: str) -> dict[str, object]:
            base = servers[n].base_url
            pages = crawl(probed_registry(results[n], out_dir), f"probed-{n}", base, out_dir, "probed")
            hand = crawl(MAIN_REGISTRY, MAIN, base, out_dir, "hand") if n == MAIN else None
            return {"result": results[n], "pages": pages, "hand": hand, "counts": servers[n].request_counts}

        with ThreadPoolExecutor(max_workers=3) as pool:
            done = dict(zip(names, pool.map(crawls, names), strict=True))
        yield done
    finally:
        for server in servers.values():
            server.stop()


def requested_articles(pages: list[RawPage]) -> set[str]:
    """Article paths a crawl requested: fetched pages and failed requests alike."""
    return {_path(p.url) for p in pages if p.kind in ("page", "error", "attachment")}


@pytest.mark.slow
@pytest.mark.parametrize("name", [*PORTALS, MAIN])
def test_probed_entry_reaches_the_same_articles_as_the_hand_written_one(
    name: str, probed: dict[str, dict[str, object]]
) -> None:
    run = probed[name]
    result = run["result"]
    assert isinstance(result, ProbeResult)
    assert result.reason is None and result.entry is not None, result.reason
    pages = run["pages"]
    assert isinstance(pages, list)
    if name == MAIN:
        hand = run["hand"]
        assert isinstance(hand, list)
        assert requested_articles(pages) == requested_articles(hand)  # the 404 and 500 ones included
        assert len({_path(p.url) for p in pages if p.kind == "page"}) >= 12
    else:
        # every article of the column, and nothing else (no list page, no other column, no off-host link)
        assert {_path(p.url) for p in pages if p.kind == "page"} == {a["path"] for a in EXPECTED[name]["articles"]}
        assert not [p for p in pages if p.kind == "error"], [p.reason for p in pages if p.kind == "error"]
        counts = run["counts"]
        assert isinstance(counts, dict)
        for path in EXPECTED[name]["list_paths"]:
            assert counts.get(path, 0) >= 1, f"list page {path} not requested"
    # the probe itself: three sample articles through the real extraction, each with a title and a date
    assert len(result.findings.articles) == 3 and all(a.complete for a in result.findings.articles)
    assert result.findings.page2_article_links  # page 2 holds articles of the same shape
    # the printed entry is what the registry loader accepts; its patterns are anchored to the path
    entry = yaml.safe_load("sites:\n" + result.yaml)["sites"][0]
    for pattern in entry["article_url_patterns"] + entry["list_url_patterns"]:
        assert pattern.startswith("^(?:https?://[^/?#]+)?/") and pattern.endswith("$")
        for path in [a["path"] for a in EXPECTED.get(name, {}).get("articles", [])]:
            assert bool(re.search(pattern, path)) == (pattern in entry["article_url_patterns"]), (pattern, path)
    # scoped to the column: the same article shape in a sibling column's folder is not matched
    folder = urlsplit(entry["start_urls"][0]).path.rsplit("/", 1)[0] + "/"
    for path in [a["path"] for a in EXPECTED.get(name, {}).get("articles", [])]:
        if path.startswith(folder) and folder != "/":
            sibling = folder[:-1] + "x/" + path[len(folder) :]
            assert not any(re.search(p, sibling) for p in entry["article_url_patterns"]), sibling


@pytest.mark.slow
def test_probes_stay_within_their_page_budget(probed: dict[str, dict[str, object]]) -> None:
    # Speed is measured by bench/probe.py, not asserted here.
    for name, run in probed.items():
        result = run["result"]
        assert isinstance(result, ProbeResult)
        assert 0 < result.findings.requests <= 14, name  # crawlers.probe_run.PAGE_BUDGET


# --- hostile pages: bounded time, a reason --------------------------------------------------------


@pytest.mark.slow
def test_probe_on_hostile_pages_ends_in_bounded_time_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DANGJIAN_DOWNLOAD_TIMEOUT", "2")  # the slow case sleeps 6 s
    cases = {
        "/bad/index_7.html": "no article list found",  # the endless pagination trap: links, no list
        hostile.article_path(36): "timed out",
        hostile.article_path(22): "larger than the download max size",  # gzip bomb
        hostile.article_path(23): "larger than the download max size",  # announces 40 MB
        hostile.article_path(26): "refused offsite request to 'evil.example.invalid'",
        hostile.article_path(27): "refused offsite request to '10.0.0.1'",
        hostile.article_path(25): "max redirections",
        hostile.article_path(31): "HTTP 404",
        hostile.article_path(16): "no article list found",  # random bytes served as text/html
        hostile.article_path(18): "not an HTML page",  # empty body
    }
    with HostileServer() as server:
        started = time.monotonic()
        targets = [ProbeTarget(server.base_url + path, "probe", delay=0, addresses="private") for path in cases]
        found = run_targets(targets)
        elapsed = time.monotonic() - started
        listed = probe(server.base_url + hostile.LIST_PATH, name="hostile-probed", delay=0, allow_private=True)
        hosts = server.host_headers
    assert elapsed < PROBE_BOUND_S
    for (path, reason), f in zip(cases.items(), found, strict=True):
        assert f.reason and reason in f.reason, (path, f.reason)
    # the list page itself is a list: the probe finds it, samples good articles, never leaves the host
    assert listed.reason is None and listed.entry is not None
    assert all(a.complete for a in listed.findings.articles)
    assert set(hosts) == {urlsplit(server.base_url).netloc}


# --- the CLI --------------------------------------------------------------------------------------


def with_feed_and_sitemap(name: str, dest: Path) -> Path:
    """A copy of a replica portal whose list page announces an RSS feed and whose robots.txt names a
    sitemap; both list two of the column's articles and one page of another column."""
    root = shutil.copytree(SITES_ROOT / name, dest / name)
    articles = ["/qxxw/qxyw/202406/t20240621_6259000.html", "/qxxw/qxyw/202406/t20240617_6259037.html"]
    other = "/qxxw/sxdt/202406/t20240601_1.html"
    index = root / "qxxw" / "qxyw" / "index.html"
    html = index.read_text(encoding="utf-8")
    index.write_text(
        html.replace("</head>", '<link rel="alternate" type="application/rss+xml" href="/rss.xml"></head>'), "utf-8"
    )
    items = "".join(f"<item><title>t</title><link>{u}</link></item>" for u in [*articles, other])
    (root / "rss.xml").write_text(f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>', "utf-8")
    urls = "".join(f"<url><loc>http://127.0.0.1{u}</loc></url>" for u in [*articles, other])
    sitemap = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    (root / "sitemap.xml").write_text(sitemap, "utf-8")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\nSitemap: /sitemap.xml\n", "utf-8")
    return root


@pytest.mark.slow
def test_cli_probe_write_appends_a_validated_entry_and_refuses_a_duplicate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = tmp_path / "sites.yaml"
    shutil.copy(MAIN_REGISTRY, registry)
    with ReplicaServer(with_feed_and_sitemap("cma-gs-qxyw", tmp_path), routes=None) as server:
        url = f"{server.base_url}/qxxw/qxyw/"
        args = ["probe", url, "--name", "gs-qxyw", "--delay", "0", "--allow-private", "--registry", str(registry)]
        args += ["--write"]
        args += ["--var", f"base_url={server.base_url}"]
        assert main(args) == 0
        out = capsys.readouterr().out
        assert "# sample articles" in out and "  - name: gs-qxyw" in out
        # the announced feed carries column articles: the entry reads it; the sitemap is left to the user
        assert f'feed_urls: ["{server.base_url}/rss.xml"]' in out
        assert "# sitemap_urls: robots.txt lists sitemaps" in out and "2 column articles in the first" in out
        sites = load_registry(registry, {"base_url": server.base_url})
        assert set(sites) == {MAIN, "gs-qxyw"}
        assert sites["gs-qxyw"].is_article_url(f"{server.base_url}/qxxw/qxyw/202406/t20240621_6259000.html")
        before = registry.read_text(encoding="utf-8")
        assert main(args) == 2  # the same name again: refused, file untouched
        assert "already in" in capsys.readouterr().err
        assert registry.read_text(encoding="utf-8") == before
        # not a list page: one line, non-zero, no traceback
        article = f"{server.base_url}/qxxw/qxyw/202406/t20240621_6259000.html"
        assert main(["probe", article, "--delay", "0", "--allow-private"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("error: no article list found") and err.count("\n") == 1
    assert main(["probe", "ftp://example.invalid/"]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_append_entry_refuses_an_entry_the_loader_rejects(tmp_path: Path) -> None:
    registry = tmp_path / "sites.yaml"
    shutil.copy(MAIN_REGISTRY, registry)
    before = registry.read_text(encoding="utf-8")
    bad = "  - name: broken\n    start_urls: ['http://127.0.0.1/x/']\n    article_url_patterns: ['(']\n"
    with pytest.raises(RegistryError, match="bad regular expression"):
        append_entry(bad, registry, {"base_url": "http://127.0.0.1:1"})
    assert registry.read_text(encoding="utf-8") == before and not (tmp_path / "sites.yaml.part").exists()


# --- check ----------------------------------------------------------------------------------------


def redesign(name: str, dest: Path) -> Path:
    """A copy of a replica portal after a redesign of its list pages: article links now /content/<id>.html,
    a 加载更多 button instead of the pager (the old articles stay where they were)."""
    root = dest / name
    shutil.copytree(SITES_ROOT / name, root)
    for page in root.rglob("index*.htm*"):
        html = page.read_text(encoding="utf-8")
        html = re.sub(r'href="\./\d{6}/t\d{8}_(\d+)\.html"', r'href="/content/\1.html"', html)
        html = re.sub(r'<div class="page">.*?</div>', '<button class="more">加载更多</button>', html, flags=re.S)
        page.write_text(html, encoding="utf-8")
    return root


@pytest.mark.slow
def test_check_passes_on_every_replica_portal_and_reports_a_redesigned_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    servers = [PortalServer(name).start() for name in PORTALS]
    # and a copy of one portal whose robots.txt now forbids everything: checked in the same run
    closed = shutil.copytree(SITES_ROOT / "fjjgdj", tmp_path / "closed" / "fjjgdj")
    (closed / "robots.txt").write_text("User-agent: *\nDisallow: /\n", encoding="utf-8")
    forbidden = ReplicaServer(closed, routes=None).start()
    try:
        sites = [load_registry(DERIVED_REGISTRY, {"base_url": s.base_url})[s.name] for s in servers]
        sites.append(load_registry(DERIVED_REGISTRY, {"base_url": forbidden.base_url})["fjjgdj"])
        results = check(sites)
        closed_counts = forbidden.request_counts
    finally:
        for s in [*servers, forbidden]:
            s.stop()
    assert results[-1].problems == ["list page unreachable: robots.txt forbids fetching the list page"]
    assert set(closed_counts) == {"/robots.txt"}  # nothing else was requested
    results = results[:-1]
    assert [r.problems for r in results] == [[] for _ in PORTALS], {r.site: r.problems for r in results if r.problems}
    assert all(len(r.findings.articles) == 3 for r in results)

    name = "cma-nm-djgz"
    with ReplicaServer(redesign(name, tmp_path), routes=None) as changed:
        args = ["check", "--registry", str(DERIVED_REGISTRY), "--var", f"base_url={changed.base_url}", "--site", name]
        assert main(args) == 1
    out = capsys.readouterr().out
    assert f"DRIFT  {name}" in out
    assert "no article link matches article_url_patterns" in out
    assert r"/content/\d+\.html$" in out  # what the list looks like now
    assert "no pagination found" in out


def test_check_markdown_lists_drift_and_escapes_crawled_text() -> None:
    from probe.findings import ArticleSample, Findings
    from probe.onboard import CheckResult

    evil = "http://x/a](http://evil)<script>|"
    ok = CheckResult(
        "good",
        "http://a/",
        [],
        Findings("check", "http://a/", articles=[ArticleSample("u", title="t", published="2024-01-01")]),
    )
    bad = CheckResult("bad-site", evil, [f"article {evil}: no date extracted"], Findings("check", evil))
    text = check_markdown([ok, bad])
    assert "1 of 2 entries still work; 1 drifted." in text
    assert "| good | ok | 0 |" in text and "| bad-site | **drift** |" in text
    assert "<script>" not in text and "](http" not in text and md("a|b") == r"a\|b"
    assert json.dumps(text)  # plain text


# --- the weekly registry-check deployment -----------------------------------------------------------


def test_registry_check_deployment_is_weekly_in_china_time() -> None:
    deployments = {d["name"]: d for d in yaml.safe_load((ROOT / "prefect.yaml").read_text("utf-8"))["deployments"]}
    weekly = deployments["registry-check"]
    assert weekly["entrypoint"] == "flows/check.py:registry_check"
    assert weekly["work_pool"]["name"] == "dangjian-process"
    (schedule,) = weekly["schedules"]
    assert schedule["timezone"] == "Asia/Shanghai" and schedule["active"]
    _minute, _hour, day, month, weekday = schedule["cron"].split()
    assert (day, month) == ("*", "*") and weekday.isdigit()  # once a week


@pytest.mark.slow
def test_registry_check_flow_reports_the_drifted_site(prefect_api: None, tmp_path: Path) -> None:
    from flows.check import registry_check

    name = "cma-nm-djgz"
    with ReplicaServer(redesign(name, tmp_path), routes=None) as changed:
        result = registry_check(
            sites=[name], registry_path=str(DERIVED_REGISTRY), registry_vars={"base_url": changed.base_url}
        )
    assert result[name]["ok"] is False
    assert any("no article link matches" in p for p in result[name]["problems"])
