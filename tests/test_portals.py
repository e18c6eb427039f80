"""The real registry entries of sites/sites.yaml, crawled for real against loopback replicas of their portals.

replica/portals/ holds one small static replica per portal, at the portal's real URL paths and in its
real page shapes (list markup, pagination, furniture, encoding); replica/portals/sites.yaml is derived
from sites/sites.yaml by swapping each host for {base_url} (same paths, same patterns). Per portal,
three or four real Scrapy crawls (``python -m crawlers.run`` subprocesses, run concurrently) against
replica.server's machinery on 127.0.0.1:

- full: every expected article is fetched, every list page is, the off-domain link is not;
- ``--since`` S: articles older than S are never requested, the newer ones are;
- ``--since`` after the newest entry: only the first list page is requested (paging stops);
- ``--skip-urls`` with the canonical URLs of the first crawl: no article is requested again.

The last two run for one portal per page shape (SHAPES), to keep the file under a minute.

The fetched bodies then go through steps.decode and steps.extract: titles, dates and text come out
right, GBK pages included. Only 127.0.0.1 is contacted (the off-domain link points at 127.0.0.2).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from crawljob.request import CrawlRequest
from pages.raw import RawPage
from pages.stream import read_raw_pages
from replica.portals import DERIVED_REGISTRY, PortalServer, derived_yaml, load_expected
from sites.registry import load_registry
from steps.decode import decode_html
from steps.extract import extract_article
from steps.urls import canonical_url

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = load_expected()
PORTALS = sorted(EXPECTED)
REQUIRED = {
    "12371cn",
    "qizhiwang",
    "cma-djgz",
    "cma-nm-djgz",
    "cma-gs-qxyw",
    "cma-sn-tcxw",
    "cma-ha-luohe",
    "fjjgdj",
    "zjj-djw",
    "xuancheng-szjg",
}
# Real article URLs found while researching the entries (sites/PORTALS.md): the entries must accept them.
REAL_ARTICLES = {
    "12371cn": "https://www.12371.cn/2024/09/02/ARTI1725250329213583.shtml",
    "qizhiwang": "http://www.qizhiwang.org.cn/n1/2024/1016/c457278-40340354.html",
    "cma-nm-djgz": "http://nm.cma.gov.cn/xwzx/djgz/jczs/202404/t20240430_6241012.html",
    "cma-sn-tcxw": "http://sn.cma.gov.cn/dsqx/tcqx/tctp/tcsjxw/202301/t20230119_5271475.html",
    "fjjgdj": "http://www.fjjgdj.gov.cn/djdt/szdt/sxzdt/202312/t20231206_6326342.htm",
    "xuancheng-szjg": "http://www.xcs.gov.cn/content/detail/690d3aaa6803fa11508b4567.html",
}
# One portal per page shape (TRS, people.cn, 12371, DedeCMS, the Anhui platform) for the --skip-urls and
# "nothing new" runs: a crawl costs ~3 s of CPU, mostly Scrapy's start-up, and the whole file must stay
# under a minute on two cores. The full and --since runs cover every portal.
SHAPES = ["cma-nm-djgz", "qizhiwang", "12371cn", "zjj-djw", "xuancheng-szjg"]
CRAWL_TIMEOUT_S = 120

pytestmark = pytest.mark.slow


@dataclass
class Crawl:
    pages: list[RawPage]
    stats: dict[str, Any]
    counts: dict[str, int]  # requests per path on the replica during this crawl

    def requested(self, path: str) -> int:
        return self.counts.get(path, 0)

    @property
    def fetched_paths(self) -> set[str]:
        return {_path(p.url) for p in self.pages if p.kind == "page"}


def _path(url: str) -> str:
    parts = urlsplit(url)
    return unquote(parts.path) + (f"?{parts.query}" if parts.query else "")


def crawl(server: PortalServer, name: str, out_dir: Path, tag: str, *extra: str) -> Crawl:
    out, stats = out_dir / f"{name}.{tag}.jsonl", out_dir / f"{name}.{tag}.stats.json"
    request = CrawlRequest(name, out, stats, DERIVED_REGISTRY, {"base_url": server.base_url})
    cmd = [*request.argv(), *extra]
    before = server.request_counts
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=CRAWL_TIMEOUT_S)
    assert proc.returncode == 0, proc.stderr[-3000:]
    after = server.request_counts
    counts = {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}
    return Crawl(list(read_raw_pages(out)), json.loads(stats.read_text()), counts)


def crawl_portal(name: str, out_dir: Path) -> dict[str, Crawl]:
    """The crawls of one portal; full and skip share a server, the --since runs get their own."""
    exp = EXPECTED[name]
    results: dict[str, Crawl] = {}
    with PortalServer(name) as server:
        results["full"] = crawl(server, name, out_dir, "full")
        if name in SHAPES:
            skip_file = out_dir / f"{name}.known.txt"
            known = sorted({canonical_url(p.url) for p in results["full"].pages if p.kind == "page"})
            skip_file.write_text("\n".join(known) + "\n", encoding="utf-8")
            results["skip"] = crawl(server, name, out_dir, "skip", "--skip-urls", str(skip_file))
    with PortalServer(name) as server:
        results["since"] = crawl(server, name, out_dir, "since", "--since", exp["since"])
    if name in SHAPES:
        with PortalServer(name) as server:
            results["nothing_new"] = crawl(server, name, out_dir, "nothing-new", "--since", exp["since_nothing_new"])
    return results


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Crawl]]]:
    out_dir = tmp_path_factory.mktemp("portal-crawls")
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(crawl_portal, name, out_dir) for name in PORTALS}
        yield {name: f.result() for name, f in futures.items()}


# --- the registry ---------------------------------------------------------------------------------


def test_real_registry_has_every_portal_and_accepts_real_urls() -> None:
    registry = load_registry()
    assert set(registry) >= REQUIRED
    for name, url in REAL_ARTICLES.items():
        assert registry[name].is_article_url(url), (name, url)
    for site in registry.values():
        assert site.download_delay >= 1.0, site.name  # politeness towards the real portals
        assert site.notes, site.name  # what was verified and what is a guess (sites/PORTALS.md)
    # the column patterns keep a crawl inside its column
    assert not registry["cma-nm-djgz"].is_article_url("http://nm.cma.gov.cn/xwzx/qxxw/202404/t20240430_6241013.html")
    assert not registry["fjjgdj"].is_article_url("http://www.fjjgdj.gov.cn/djdt/szdt/sxzdt/index_1.htm")
    assert registry["fjjgdj"].is_list_url("http://www.fjjgdj.gov.cn/djdt/szdt/sxzdt/index_1.htm")
    assert registry["qizhiwang"].is_list_url("http://www.qizhiwang.org.cn/GB/457278/index2.html")
    assert not registry["qizhiwang"].is_list_url("http://www.qizhiwang.org.cn/GB/422352/index.html")


def test_replica_registry_is_derived_from_the_real_one() -> None:
    assert DERIVED_REGISTRY.read_text(encoding="utf-8") == derived_yaml(), "rerun python -m replica.portals.build"
    real = load_registry()
    derived = load_registry(DERIVED_REGISTRY, {"base_url": "http://127.0.0.1:8000"})
    assert set(derived) == set(real) == set(EXPECTED)
    for name, site in derived.items():
        assert [p.pattern for p in site.article_url_patterns] == [p.pattern for p in real[name].article_url_patterns]
        assert [p.pattern for p in site.list_url_patterns] == [p.pattern for p in real[name].list_url_patterns]
        assert [_path(u) for u in site.start_urls] == [_path(u) for u in real[name].start_urls]
        assert site.allowed_domains == ("127.0.0.1",)


def test_cli_lists_every_portal(capsys: pytest.CaptureFixture[str]) -> None:
    from dangjian.cli import main

    assert main(["sites"]) == 0
    out = capsys.readouterr().out
    for name, site in load_registry().items():
        assert name in out and site.title in out and site.start_urls[0] in out


# --- the crawls -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PORTALS)
def test_full_crawl_finds_every_article_and_follows_pagination(name: str, crawls: dict[str, dict[str, Crawl]]) -> None:
    exp, full = EXPECTED[name], crawls[name]["full"]
    assert full.fetched_paths == {a["path"] for a in exp["articles"]}
    assert not [p for p in full.pages if p.kind == "error"], [p.reason for p in full.pages if p.kind == "error"]
    for path in exp["list_paths"]:
        assert full.requested(path) >= 1, f"list page {path} not requested"
    for a in exp["articles"]:
        assert full.requested(a["path"]) == 1, a["path"]  # once each, whatever the spelling of the link


@pytest.mark.parametrize("name", PORTALS)
def test_offsite_article_link_is_never_requested(name: str, crawls: dict[str, dict[str, Crawl]]) -> None:
    exp = EXPECTED[name]
    offsite_host = urlsplit(exp["offsite_url"]).hostname
    for kind, result in crawls[name].items():
        touched = [p.url for p in result.pages if urlsplit(p.url).hostname == offsite_host]
        assert not touched, (kind, touched)
        assert not result.stats.get("dangjian/refused_offsite"), kind  # not even tried and refused
    assert crawls[name]["full"].stats.get("dangjian/offsite_article_links", 0) >= 1


@pytest.mark.parametrize("name", PORTALS)
def test_since_skips_older_articles(name: str, crawls: dict[str, dict[str, Crawl]]) -> None:
    exp, since = EXPECTED[name], crawls[name]["since"]
    assert since.fetched_paths == set(exp["since_wanted"])
    for path in exp["since_skipped"]:
        assert since.requested(path) == 0, path
    assert exp["oldest"] in exp["since_skipped"]


@pytest.mark.parametrize("name", SHAPES)
def test_since_after_the_newest_entry_stops_paging(name: str, crawls: dict[str, dict[str, Crawl]]) -> None:
    exp, result = EXPECTED[name], crawls[name]["nothing_new"]
    assert result.requested(exp["list_paths"][0]) == 1
    for path in exp["list_paths"][1:]:
        assert result.requested(path) == 0, f"{path}: paging went on past a page older than --since"
    assert not result.fetched_paths
    assert result.stats.get("dangjian/list_pages_not_followed_older_than_since", 0) >= 1


@pytest.mark.parametrize("name", SHAPES)
def test_second_crawl_with_skip_urls_fetches_no_article_again(name: str, crawls: dict[str, dict[str, Crawl]]) -> None:
    exp, skip = EXPECTED[name], crawls[name]["skip"]
    for a in exp["articles"]:
        assert skip.requested(a["path"]) == 0, a["path"]
    assert not skip.pages
    assert skip.requested(exp["list_paths"][0]) >= 1  # the column itself is still looked at
    assert skip.stats.get("dangjian/articles_already_known", 0) >= len(exp["articles"])


@pytest.mark.parametrize("name", PORTALS)
def test_fetched_pages_decode_and_extract_to_the_right_article(name: str, crawls: dict[str, dict[str, Crawl]]) -> None:
    exp = EXPECTED[name]
    by_path = {a["path"]: a for a in exp["articles"]}
    pages = [p for p in crawls[name]["full"].pages if p.kind == "page"]
    assert pages
    for page in pages:
        want = by_path[_path(page.url)]
        content_type = page.headers.get("content-type")
        assert content_type == exp["content_type"]
        if exp["encoding"] == "gbk":
            with pytest.raises(UnicodeDecodeError):
                page.body.decode("utf-8")
            assert want["title"].encode("gbk") in page.body
        decoded = decode_html(page.body, content_type)
        assert "\ufffd" not in decoded.text and "锟" not in decoded.text, page.url
        article = extract_article(decoded.text, page.url)
        assert article.title == want["title"], page.url
        assert article.published_at is not None, page.url
        assert article.published_at.date().isoformat() == want["published"], page.url
        assert want["key_sentence"] in article.text, page.url
        assert "扫一扫" not in article.text and "当前位置" not in article.text, page.url
