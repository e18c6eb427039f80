"""The replica portal, served by its real HTTP server on 127.0.0.1, is what expected.json says it is.

The end-to-end tests trust replica/expected.json as ground truth; these tests
check that trust is deserved (every path answers as described, the GBK page is
really GBK, the reposts really are the seeds) and that the pages look like the
TRS portals the crawler is written for. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from itertools import combinations
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from replica import build, pinyin
from replica.articles import ARTICLES
from replica.server import ReplicaServer

ROOT = Path(__file__).resolve().parent.parent
REPLICA = ROOT / "replica"
SEEDS = ROOT / "seeds"
EXPECTED = json.loads((REPLICA / "expected.json").read_text(encoding="utf-8"))
STRIP_PINYIN = re.compile(r"([\u4e00-\u9fff])\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")
TRS_ARTICLE = re.compile(r"^/djgz/(\d{6})/t(\d{8})_\d+\.html$")


class Reply:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def text(self) -> str:
        charset = re.search(r"charset=([\w-]+)", self.content_type)
        return self.body.decode(charset[1] if charset else "utf-8")


def get(url: str, method: str = "GET") -> Reply:
    """One request with urllib; HTTP errors are answers too, not exceptions."""
    assert urlsplit(url).hostname == "127.0.0.1", url
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return Reply(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
    except urllib.error.HTTPError as err:
        return Reply(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


class _Page(HTMLParser):
    """Links, visible text and paragraphs of a page: just enough HTML reading for these checks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []  # (href, anchor text)
        self.text_parts: list[str] = []
        self.paragraphs: list[str] = []
        self._skip = 0
        self._anchor: list[str] | None = None
        self._href = ""
        self._para: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "title"):
            self._skip += 1
        elif tag == "a":
            self._href, self._anchor = dict(attrs).get("href") or "", []
        elif tag == "p":
            self._para = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "title"):
            self._skip -= 1
        elif tag == "a" and self._anchor is not None:
            self.links.append((self._href, "".join(self._anchor).strip()))
            self._anchor = None
        elif tag == "p" and self._para is not None:
            self.paragraphs.append("".join(self._para).strip())
            self._para = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text_parts.append(data)
        if self._anchor is not None:
            self._anchor.append(data)
        if self._para is not None:
            self._para.append(data)

    @property
    def text(self) -> str:
        return "".join(self.text_parts)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def shingles(text: str, n: int = 5) -> set[str]:
    text = re.sub(r"\s+", "", text)
    return {text[i : i + n] for i in range(len(text) - n + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b)


@pytest.fixture(scope="module")
def server() -> Iterator[ReplicaServer]:
    with ReplicaServer() as srv:
        yield srv


# --- the server -----------------------------------------------------------------------------------


def test_binds_loopback_on_a_free_port_and_stops() -> None:
    with ReplicaServer() as a, ReplicaServer() as b:
        assert a.base_url.startswith("http://127.0.0.1:") and b.base_url.startswith("http://127.0.0.1:")
        assert a.base_url != b.base_url
        assert get(f"{a.base_url}/robots.txt").status == 200
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{a.base_url}/robots.txt", timeout=2)
    a.stop()  # a second stop is harmless
    ReplicaServer().stop()  # so is stopping a server that never started


def test_every_expected_path_answers_as_described(server: ReplicaServer) -> None:
    for path in [*EXPECTED["list_paths"], *(a["path"] for a in EXPECTED["articles"])]:
        assert get(server.base_url + path).status == 200, path
    for repost in EXPECTED["reposts"]:
        assert get(server.base_url + repost["path"]).status == 200, repost["path"]
    assert get(server.base_url + EXPECTED["missing_path"]).status == 404
    assert get(server.base_url + EXPECTED["error_path"]).status == 500
    assert get(server.base_url + "/").status == 200  # the home page
    assert get(server.base_url + "/robots.txt").text.split() == ["User-agent:", "*", "Allow:", "/"]


def test_unknown_paths_and_directories_are_404(server: ReplicaServer) -> None:
    for path in ["/nope.html", "/djgz/202409/t20240902_999999.html", "/djgz/202405/", "/../replica/server.py"]:
        assert get(server.base_url + path).status == 404, path


def test_html_is_sent_as_utf8_except_the_gbk_page(server: ReplicaServer) -> None:
    for exp in EXPECTED["articles"]:
        reply = get(server.base_url + exp["path"])
        if exp["encoding"] == "gbk":
            assert exp["path"] == EXPECTED["gbk_path"]
            assert reply.content_type.lower() == "text/html; charset=gbk"
        else:
            assert reply.content_type == "text/html; charset=utf-8", exp["path"]
            reply.body.decode("utf-8")


def test_gbk_page_is_really_gbk(server: ReplicaServer) -> None:
    exp = next(a for a in EXPECTED["articles"] if a["path"] == EXPECTED["gbk_path"])
    body = get(server.base_url + exp["path"]).body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("gbk")
    assert re.search(r"<meta[^>]+charset=gb2312", text, re.I)
    assert exp["key_sentence"] in text and exp["title"] in text
    assert "\ufffd" not in text
    assert len(re.findall(r"[\u4e00-\u9fff]", text)) > 600


def test_head_requests_and_request_counts(server: ReplicaServer) -> None:
    path = EXPECTED["list_paths"][1]
    before = server.request_counts.get(path, 0)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(get(server.base_url + path).status)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 8
    head = get(server.base_url + path, method="HEAD")
    assert head.status == 200 and head.body == b""
    assert server.request_counts[path] == before + 9
    missing = EXPECTED["missing_path"]
    n = server.request_counts.get(missing, 0)
    get(server.base_url + missing)
    assert server.request_counts[missing] == n + 1  # failures are counted too
    snapshot = server.request_counts
    snapshot[path] = -1  # a copy: callers cannot corrupt the server's counts
    assert server.request_counts[path] == before + 9


# --- the column and its list pages -----------------------------------------------------------------


def list_pages(server: ReplicaServer) -> list[tuple[str, str]]:
    return [(path, get(server.base_url + path).text) for path in EXPECTED["list_paths"]]


def test_list_pages_paginate_the_trs_way(server: ReplicaServer) -> None:
    pages = list_pages(server)
    assert [p for p, _ in pages] == ["/djgz/index.html", "/djgz/index_1.html", "/djgz/index_2.html"]
    names = ["index.html", "index_1.html", "index_2.html"]
    for i, (path, html) in enumerate(pages):
        assert f'createPageHTML(3, {i}, "index", "html");' in html, path
        pager = re.search(r'<div class="page-links"[^>]*>(.*?)</div>', html)
        assert pager, path
        anchors = {text: href for href, text in parse(pager[1]).links}
        expected = {}
        if i > 0:
            expected |= {"首页": names[0], "上一页": names[i - 1]}
        if i < 2:
            expected |= {"下一页": names[i + 1], "尾页": names[2]}
        assert anchors == expected, path
        for label in {"首页", "上一页", "下一页", "尾页"} - set(expected):
            assert f"<span>{label}</span>" in pager[1]  # shown, not linked, as TRS does
        assert "当前位置：" in html and "党建工作" in html


def test_list_links_resolve_as_configured(server: ReplicaServer) -> None:
    listed: list[str] = []
    for path, html in list_pages(server):
        for href, _ in parse(html).links:
            url = urljoin(server.base_url + path, href)
            if urlsplit(url).hostname != "127.0.0.1":
                continue  # off-site 相关链接 (12371.cn …): never fetched here
            target = urlsplit(url).path
            status = get(url).status
            if target == EXPECTED["missing_path"]:
                assert status == 404
            elif target == EXPECTED["error_path"]:
                assert status == 500
            else:
                assert status == 200, (path, href)
            if TRS_ARTICLE.match(target):
                listed.append(target)
    articles = {a["path"] for a in EXPECTED["articles"]}
    reposts = {r["path"] for r in EXPECTED["reposts"]}
    assert set(listed) == articles | reposts | {EXPECTED["missing_path"], EXPECTED["error_path"]}
    assert len(listed) == len(set(listed)) == 16  # each article listed once, on one page


def test_list_entries_are_trs_shaped(server: ReplicaServer) -> None:
    html = get(server.base_url + "/djgz/index.html").text
    entry = (
        r'<li><a href="\./(\d{6})/t(\d{8})_\d+\.html" title="([^"]+)"[^>]*>([^<]+)</a>'
        r"<span[^>]*>(\d{4}-\d{2}-\d{2})</span></li>"
    )
    entries = re.findall(entry, html)
    assert len(entries) == 6
    dates = [e[4] for e in entries]
    assert dates == sorted(dates, reverse=True)
    for month, day, title, text, shown in entries:
        assert day.startswith(month) and shown == f"{day[:4]}-{day[4:6]}-{day[6:]}"
        assert title == text


def test_pages_carry_the_portal_furniture(server: ReplicaServer) -> None:
    paths = ["/index.html", *EXPECTED["list_paths"], *(a["path"] for a in EXPECTED["articles"])]
    for path in paths:
        html = get(server.base_url + path).text
        text = parse(html).text
        for marker in ["首页", "党建工作", "理论学习", "通知公告", "当前位置：", "热点文章", "相关链接"]:
            assert marker in text, (path, marker)
        for marker in ["主办单位", "ICP备", "技术支持", "版权所有"]:
            assert marker in text, (path, marker)
        assert "http://www.12371.cn/" in html


def test_every_local_link_and_image_resolves(server: ReplicaServer) -> None:
    """Nav, sidebar, footer, images, CSS/JS: only the two deliberate failures may fail."""
    deliberate = {EXPECTED["missing_path"], EXPECTED["error_path"]}
    pages = ["/index.html", "/sitemap.html", *EXPECTED["list_paths"], *(a["path"] for a in EXPECTED["articles"])]
    seen: set[str] = set()
    for path in pages:
        html = get(server.base_url + path).text
        refs = [h for h, _ in parse(html).links] + re.findall(r'(?:src|href)="([^"#]+\.(?:png|css|js))"', html)
        for ref in refs:
            if ref.startswith(("javascript:", "#", "http://www.", "https://")):
                continue
            target = urlsplit(urljoin(server.base_url + path, ref)).path
            if target in seen or target in deliberate:
                continue
            seen.add(target)
            assert get(server.base_url + target).status == 200, (path, ref)
    assert any(p.endswith(".png") for p in seen) and "/js/common.js" in seen


# --- the articles ------------------------------------------------------------------------------------


def test_twelve_articles_with_twelve_dates_at_dated_trs_urls(server: ReplicaServer) -> None:
    articles = EXPECTED["articles"]
    assert len(articles) == 12
    assert len({a["published"] for a in articles}) == 12
    assert {a["published"][:4] for a in articles} == {"2023", "2024", "2025"}
    assert len({a["source"] for a in articles}) >= 11  # different bureaus
    assert sum(a["encoding"] == "gbk" for a in articles) == 1
    for a in articles:
        m = TRS_ARTICLE.match(a["path"])
        assert m, a["path"]
        assert m[2][:6] == m[1] and m[2] == a["published"].replace("-", "")


def test_article_pages_match_their_ground_truth(server: ReplicaServer) -> None:
    suffix = EXPECTED["title_suffix"]
    for exp in EXPECTED["articles"]:
        html = get(server.base_url + exp["path"]).text
        page = parse(html)
        assert re.search(rf"<title>{re.escape(exp['title'] + suffix)}</title>", html), exp["path"]
        assert re.search(rf'<(h1|div) class="title">{re.escape(exp["title"])}</\1>', html), exp["path"]
        assert 'class="TRS_Editor"' in html and 'id="zoom"' in html
        assert exp["key_sentence"] in page.text
        year, month, day = exp["published"].split("-")
        info = re.search(r'<div class="info">(.*?)</div>', html)
        assert info and (exp["published"] in info[1] or f"{year}年{month}月{day}日" in info[1])
        if exp["source"]:
            assert re.search(rf"来源[:：]{re.escape(exp['source'])}", info[1])
        else:
            assert re.search(r"来源:(&nbsp;)+作者", info[1])
        for marker in ["扫一扫在手机打开当前页", "分享到：", "打印本页", "关闭窗口", "字号：", "责任编辑："]:
            assert marker in page.text, (exp["path"], marker)
        body = "".join(p for p in page.paragraphs if len(p) > 40)
        assert 600 <= len(body) <= 1500, (exp["path"], len(body))
        assert sum(len(p) > 40 for p in page.paragraphs) >= 4  # several paragraphs


def test_info_lines_and_headings_vary_like_real_portals(server: ReplicaServer) -> None:
    infos, headings = set(), set()
    for exp in EXPECTED["articles"]:
        html = get(server.base_url + exp["path"]).text
        info = re.search(r'<div class="info">(.*?)</div>', html)
        assert info
        infos.add(re.sub(r"[\d一-龥]+", "", info[1]))
        heading = re.search(r'<(h1|div) class="title">', html)
        assert heading
        headings.add(heading[1])
    assert len(infos) >= 4 and headings == {"h1", "div"}
    assert any(('<img src="./W0' in get(server.base_url + a["path"]).text) for a in EXPECTED["articles"])


def test_articles_are_mutually_distinct_and_distinct_from_the_seeds() -> None:
    texts = {a["id"]: "".join(a["paras"]) for a in ARTICLES}
    texts |= {p.name: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}
    sets = {k: shingles(v) for k, v in texts.items()}
    for a, b in combinations(sets, 2):
        assert jaccard(sets[a], sets[b]) < 0.05, (a, b)


# --- the reposts --------------------------------------------------------------------------------------


def repost(variant: str) -> dict[str, str]:
    return next(r for r in EXPECTED["reposts"] if r["variant"] == variant)


def seed_000_body() -> list[str]:
    """Seed 000's text lines after its header (site name, title, 时间/来源/作者 line), photos left out."""
    lines = [line.strip() for line in (SEEDS / repost("pinyin")["seed"]).read_text(encoding="utf-8").splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("时间:")) + 1
    return [line for line in lines[start:] if line and line != "图片"]


def test_traditional_repost_is_seed_002_without_its_spam(server: ReplicaServer) -> None:
    r = repost("traditional")
    assert r["seed"].startswith("002_")
    html = get(server.base_url + r["path"]).text
    page = parse(html)
    title, body = build.seed_002_article()
    assert f"<title>{title}{EXPECTED['title_suffix']}</title>" in html
    assert page.paragraphs[: len(body)] == body
    assert "堅持以黨建為引領" in page.text and "氣象部門" in page.text  # still traditional script
    assert "无码" not in html and "中文字幕" not in html  # the seed's spam tail is gone
    assert "編輯:王春春" not in page.text
    # furniture is this site's, not 旗幟網's
    assert "某市直机关党建网" in html and "投稿郵箱" not in html and "站內搜索" not in html
    seed_text = shingles((SEEDS / r["seed"]).read_text(encoding="utf-8"))
    reposted = shingles("".join(body))
    assert len(reposted & seed_text) / len(reposted) > 0.99  # all of it comes from the seed
    assert len(reposted) / len(seed_text) > 0.7  # and it is most of the seed


def test_pinyin_repost_strips_back_to_seed_000(server: ReplicaServer) -> None:
    r = repost("pinyin")
    assert r["seed"].startswith("000_")
    html = get(server.base_url + r["path"]).text
    editor = re.search(r'<div class="TRS_Editor">(.*?)</div>', html, re.S)
    assert editor
    annotated = "\n".join(parse(editor[1]).paragraphs)
    stripped = STRIP_PINYIN.sub(r"\1", annotated)
    for para in seed_000_body():
        assert para in stripped, para[:30]
    # annotated like seed 001: most characters carry a reading
    chars = re.findall(r"[\u4e00-\u9fff]", stripped)
    assert len(STRIP_PINYIN.findall(annotated)) / len(chars) >= 0.6
    assert "党(dǎng)建(jiàn)" in annotated
    title = build.seed_000_article()[0]
    heading = re.search(r'<div class="title">(.*?)</div>', html)
    assert heading and STRIP_PINYIN.sub(r"\1", heading[1]) == title and heading[1] != title


def test_pinyin_table_agrees_with_seed_001() -> None:
    seed = (SEEDS / "001_73601183d58120b9.txt").read_text(encoding="utf-8")
    for char, reading in pinyin.ANNOTATED.findall(seed):
        assert pinyin.table()[char] == reading
    assert pinyin.strip(pinyin.annotate("党建引领 深度融合")) == "党建引领 深度融合"


# --- reproducibility ---------------------------------------------------------------------------------


def test_routes_file_configures_the_deliberate_failures() -> None:
    routes = json.loads((REPLICA / "routes.json").read_text(encoding="utf-8"))
    assert routes[EXPECTED["error_path"]] == {"status": 500}
    assert routes[EXPECTED["gbk_path"]]["content_type"].lower() == "text/html; charset=gbk"
    assert not (REPLICA / "site" / EXPECTED["missing_path"].lstrip("/")).exists()


def test_committed_site_is_what_build_produces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rebuild into a scratch copy and compare byte for byte: the static files never drift from build.py."""
    monkeypatch.setattr(build, "SITE", tmp_path / "site")
    monkeypatch.setattr(build, "HERE", tmp_path)
    build.build()
    committed = sorted(p.relative_to(REPLICA / "site") for p in (REPLICA / "site").rglob("*") if p.is_file())
    rebuilt = sorted(p.relative_to(tmp_path / "site") for p in (tmp_path / "site").rglob("*") if p.is_file())
    assert committed == rebuilt
    for rel in committed:
        assert (REPLICA / "site" / rel).read_bytes() == (tmp_path / "site" / rel).read_bytes(), rel
    for name in ("expected.json", "routes.json"):
        assert (REPLICA / name).read_text(encoding="utf-8") == (tmp_path / name).read_text(encoding="utf-8"), name
