"""Build the public pool of labelled Chinese pages, OUTSIDE the repository, for ``bench/extraction.py --extra-dir``.

Run from the repository root, after ``fetch`` has mirrored the source repositories under ``--mirror-dir``::

    .venv/bin/python bench/pool.py [--mirror-dir /work/.mirror] [--out /work/pool]

The pages belong to their publishers, so they are never committed: this script copies their bytes unchanged
from the mirrored git repositories to ``OUT/<source>/<id>.html`` and writes ``<id>.json`` beside each (the
shared bench's fields plus ``published`` and ``title_truth``, which bench/extraction.py reads), then
``OUT/split.json``. A page already in ``../shared/extraction-bench`` or ``bench/extraction-pages`` (same
sha256) is left out, so the pool never double-counts a page the committed bench scores.

Nothing here looks at any extractor's output. The labels come from the source repository where it has them
(CWCED's ``cleaned/`` and ``date/``, magic-html's ``content``, trafilatura's ``with``/``without``, newspaper4k's
``txt/`` and ``metadata/``, GNE's ``result.txt``); what is derived is derived by fixed rules, written before any
run, and each page's JSON says which (``ground_truth``, ``title_basis``, ``date_basis``):

* ``must_contain``: up to 5 passages (the first 30 characters, whitespace removed) of truth paragraphs spread
  evenly from the first to the last, each checked to be in the page's visible text;
* ``must_not_contain``: up to 5 visible lines of the page that are nowhere in the truth, the title or the info
  line: first those that name boilerplate (copyright, ICP, 联系我们, 免责声明, 相关新闻, 评论 …), then link texts
  after the body's last passage (related links, footer), then link texts before its first (navigation);
* ``title_truth``: a heading (h1–h3, or an element whose class or id says title) whose text begins the
  ``<title>``; else the truth's first line where it is such a heading; else none (the title is not scored);
* ``published``: the source's own date label (CWCED ``date/``, trafilatura ``date``, newspaper4k metadata) when
  it gives a whole day, else the first whole day printed within 200 characters after the title on the page.

The split (``split.json``): every site (host) goes to ``tuning`` or ``heldout`` by sha256 of a fixed seed and the
host, decided before any rule was written against the pool; a new site gets its half by the same hash.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from courlan import extract_domain  # noqa: E402

from steps.decode import decode_html  # noqa: E402

SEED = "dangjian-pool-2026-12-07"
_WS = re.compile(r"\s+")
BLOCK = frozenset(
    "p div br li ul ol tr td th table h1 h2 h3 h4 h5 h6 section article header footer nav aside dd dt dl form "  # noqa: SIM905
    "option blockquote pre center hr title".split()
)
HEADING_LIKE = frozenset({"div", "p", "span", "td", "strong", "b"})  # with a class or id that says title
SKIP = frozenset({"script", "style", "noscript", "template", "textarea", "select", "iframe", "svg"})
BOILERPLATE = re.compile(
    r"版权|copyright|©|icp|备案|联系我们|关于我们|网站地图|免责|声明|相关(新闻|阅读|文章|链接|推荐)|推荐阅读|热门|热点|"
    r"排行|评论|登录|注册|举报|上一篇|下一篇|返回|打印|关闭|收藏|分享|主办|承办|违法|不良信息|广告|订阅|客户端|扫一扫|二维码",
    re.IGNORECASE,
)
INFO_LINE = re.compile(r"来源|作者|编辑|记者|发布|时间|日期|浏览|点击|字号|\d{4}[-年/.]\d{1,2}")
DAY = re.compile(r"((?:19|20)\d\d)\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
TITLE_CLASS = re.compile(r"title|tit\b|headline|biaoti", re.IGNORECASE)


def squash(text: str) -> str:
    return _WS.sub("", text)


@dataclass
class Line:
    text: str
    link: bool  # the whole line is the text of one link


@dataclass
class Visible(HTMLParser):
    """The page's visible text as lines (a block tag ends a line), parsed with html.parser like the shared
    bench's checks; also the ``<title>`` and the heading candidates for the title rule."""

    lines: list[Line] = field(default_factory=list)
    title: str = ""
    headings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._buf: list[str] = []
        self._skip = 0
        self._in_title = False
        self._link_depth = 0
        self._line_links: list[bool] = []
        self._heads: list[tuple[str, list[str]]] = []  # open heading-like elements and their text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP:
            self._skip += 1
        if tag in BLOCK:
            self._flush()
        if tag == "title":
            self._in_title = True
        if tag == "a":
            self._link_depth += 1
        names = " ".join(v or "" for k, v in attrs if k in ("class", "id"))
        if tag in ("h1", "h2", "h3") or (tag in HEADING_LIKE and TITLE_CLASS.search(names)):
            self._heads.append((tag, []))

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP and self._skip:
            self._skip -= 1
        if tag == "title":
            self._in_title = False
        if tag == "a" and self._link_depth:
            self._link_depth -= 1
        if self._heads and self._heads[-1][0] == tag:
            _, parts = self._heads.pop()
            self.headings.append("".join(parts).strip())
        if tag in BLOCK:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
            return
        if self._skip or not data.strip():
            return
        self._buf.append(data)
        self._line_links.append(self._link_depth > 0)
        for _, parts in self._heads:
            parts.append(data)

    def _flush(self) -> None:
        text = " ".join(s.strip() for s in self._buf).strip()
        if text:
            self.lines.append(Line(text, all(self._line_links)))
        self._buf, self._line_links = [], []

    def close(self) -> None:
        super().close()
        self._flush()


def visible(html: str) -> Visible:
    parser = Visible()
    parser.feed(html)
    parser.close()
    return parser


@dataclass
class Source:
    """One labelled page as its repository gives it."""

    source: str  # directory under OUT
    repo: str
    path: str
    raw: bytes
    url: str | None
    truth: str | None  # the main text, where the source has it
    title_label: str | None = None  # a title the source labels
    date_label: str | None = None  # the source's date label, as written
    with_: list[str] = field(default_factory=list)  # trafilatura's with/without snippets
    without: list[str] = field(default_factory=list)
    ground_truth: str = ""
    truth_has_title_line: bool = False  # the truth's first line is the headline (magic-html)
    site_hint: str | None = None  # the site, where the source names it and the page has no URL


def passages(truth: str, page_text: str, count: int = 5, chars: int = 30) -> list[str]:
    """Up to ``count`` passages of ``chars`` characters from truth paragraphs spread evenly over the body, each
    found in the page's visible text (whitespace removed); bylines and info lines are skipped."""
    paragraphs = [squash(p) for p in truth.split("\n")]
    paragraphs = [p for p in paragraphs if len(p) >= 20 and not (len(p) < 60 and INFO_LINE.search(p))]
    found = []
    for p in paragraphs:
        for start in range(0, max(1, len(p) - chars + 1), max(1, chars // 2)):
            piece = p[start : start + chars]
            if piece in page_text:
                found.append(piece)
                break
    if len(found) < 2 and paragraphs:  # a short truth: two windows of its longest paragraph, if they are on the page
        longest = max(paragraphs, key=len)
        windows = [longest[i : i + chars] for i in range(0, len(longest) - chars + 1, chars)]
        found = [w for w in dict.fromkeys([*found, *windows]) if w in page_text][:count]
    if len(found) <= count:
        return found
    step = (len(found) - 1) / (count - 1)
    return [found[round(i * step)] for i in range(count)]


def boilerplate(lines: list[Line], truth: str, keep: list[str], avoid: list[str]) -> list[str]:
    """Up to 5 visible lines absent from the truth: boilerplate words first, then links after the body's last
    passage, then links before its first; never a line of the title or info line (``avoid``)."""
    squashed = [squash(line.text) for line in lines]
    positions = [i for i, s in enumerate(squashed) if any(k[:15] in s for k in keep)]
    first, last = (positions[0], positions[-1]) if positions else (len(lines), len(lines))
    truth_s = squash(truth)

    def ok(s: str) -> bool:
        return (
            4 <= len(s) <= 40
            and s not in truth_s
            and not any(s in a or a in s for a in avoid if a)
            and not any(s in k or k in s for k in keep)
            and not INFO_LINE.search(s)
        )

    words = [s for s in squashed if ok(s) and BOILERPLATE.search(s)]
    after = [s for line, s in zip(lines[last + 1 :], squashed[last + 1 :], strict=True) if line.link and ok(s)]
    before = [s for line, s in zip(lines[:first], squashed[:first], strict=True) if line.link and ok(s)]
    picked: list[str] = []
    for group, quota in ((words, 3), (after, 2), (before, 2), (words, 5), (after, 5)):
        for s in group:
            if len(picked) >= 5 or quota <= 0:
                break
            if s not in picked and s in "".join(squashed):
                picked.append(s)
                quota -= 1
    return picked[:5]


def title_truth(page: Visible, src: Source) -> tuple[str | None, str]:
    if src.title_label:
        return src.title_label.strip(), "the source's title label"
    head = squash(page.title)
    candidates = [
        h
        for h in page.headings
        if len(squash(h)) >= 4 and head.startswith(squash(h)) and not h.rstrip().endswith(("...", "…"))
    ]  # a heading cut short with "..." is a teaser of the title, not the title
    if src.truth and src.truth_has_title_line:
        first = src.truth.strip().split("\n")[0].strip()
        if any(squash(first) == squash(h) for h in page.headings) or head.startswith(squash(first)):
            return first, "the truth's first line (the source keeps the headline there), found as heading or <title>"
    if candidates:
        return max(candidates, key=lambda h: len(squash(h))).strip(), "the longest heading that begins the <title>"
    return None, "none: no heading begins the <title> (title not scored)"


def whole_day(label: str | None) -> str | None:
    match = DAY.search(label or "")
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    try:
        return datetime(year, month, day).date().isoformat()
    except ValueError:
        return None


def published(page_text: str, title: str | None, src: Source) -> tuple[str | None, str]:
    if src.date_label is not None:
        day = whole_day(src.date_label)
        if day:
            return day, f"the source's date label ({src.date_label.strip()!r})"
    if title:
        at = page_text.find(squash(title))
        if at >= 0:
            day = whole_day(page_text[at + len(squash(title)) : at + len(squash(title)) + 200])
            if day:
                return day, "printed on the page: the first whole day within 200 characters after the title"
    label = f" (source label {src.date_label.strip()!r} is not a whole day)" if src.date_label is not None else ""
    return None, "none: no whole day labelled or printed after the title" + label


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:60]


def link_host(html: str) -> str | None:
    """The site of a saved page without a URL: the commonest host of its absolute links."""
    hosts = Counter(extract_domain(u) or "" for u in re.findall(r"href=[\"']?(https?://[^\"' >]+)", html))
    hosts.pop("", None)
    return hosts.most_common(1)[0][0] if hosts else None


def record(src: Source, commit: str) -> tuple[str, dict[str, object]] | None:
    html = decode_html(src.raw).text
    page = visible(html)
    page_text = "".join(squash(line.text) for line in page.lines)
    title, title_basis = title_truth(page, src)
    truth = src.truth
    if truth and src.truth_has_title_line and title and squash(truth.split("\n")[0]) == squash(title):
        truth = truth.split("\n", 1)[1] if "\n" in truth else ""
    day, date_basis = published(page_text, title, src)
    if truth:
        keep = passages(truth, page_text)
        info = [squash(line.text) for line in page.lines if INFO_LINE.search(line.text) and len(line.text) < 80]
        avoid = boilerplate(page.lines, truth, keep, [squash(title or ""), *info])
    else:
        keep = [w for w in src.with_ if squash(w) in page_text]
        avoid = [w for w in src.without if squash(w) in page_text]
    if len(keep) < 2:
        print(f"skip {src.source}:{src.path}: {len(keep)} passage(s) of the truth found on the page", file=sys.stderr)
        return None
    host = extract_domain(src.url) if src.url else None
    site = host or src.site_hint or link_host(html) or "unknown"
    basis = "the page URL's registered domain" if host else "named by the source's directory" if src.site_hint else ""
    name = f"{slug(site)}-{hashlib.sha256(src.raw).hexdigest()[:8]}"
    meta: dict[str, object] = {
        "url": src.url,
        "site": site,
        "site_basis": basis or "the commonest registered domain of the page's absolute links (no URL)",
        "source_repo": src.repo,
        "source_path": src.path,
        "source_commit": commit,
        "title": page.title.strip() or None,
        "title_truth": title,
        "title_basis": title_basis,
        "published": day,
        "date_basis": date_basis,
        "text": truth,
        "must_contain": keep,
        "must_not_contain": avoid,
        "ground_truth": src.ground_truth,
        "html_sha256": hashlib.sha256(src.raw).hexdigest(),
        "html_bytes": len(src.raw),
    }
    return name, meta


def half(site: str) -> str:
    """A site's half: the first hex digit of sha256(SEED + host) below 8 is tuning. Fixed by the host, so all
    pages of a site (and its template) fall in one half, and a site added later gets its half the same way."""
    return "tuning" if int(hashlib.sha256(f"{SEED}:{site}".encode()).hexdigest()[0], 16) < 8 else "heldout"


class Repo:
    """A mirrored git repository (``fetch`` gives a bare git dir): files are read at HEAD."""

    def __init__(self, mirror_dir: Path, name: str) -> None:
        self.name = name
        self.git_dir = mirror_dir / name.replace("/", "+") / "repo"
        self.commit = self._git("rev-parse", "HEAD").decode().strip()

    def _git(self, *args: str) -> bytes:
        return subprocess.run(["git", f"--git-dir={self.git_dir}", *args], check=True, capture_output=True).stdout

    def read(self, path: str) -> bytes:
        return self._git("show", f"{self.commit}:{path}")

    def files(self, under: str) -> list[str]:
        return self._git("ls-tree", "-r", "--name-only", self.commit, under).decode().split("\n")[:-1]


def cjk_share(text: str) -> float:
    letters = squash(text)
    return len(re.findall(r"[\u4e00-\u9fff]", letters)) / max(1, len(letters))


def is_chinese(text: str) -> bool:
    """Mostly Han characters and no kana (Japanese pages share the ideographs)."""
    return cjk_share(text) > 0.3 and not re.search(r"[\u3040-\u30ff]", text)


URL_IN_PAGE = re.compile(
    rb"<text id=\"?(https?://[^ \">]+)|rel=\"?canonical\"? href=\"?((?:https?:)?//[^ \">]+)"
    rb"|og:url\"? content=\"?([^ \">]+)|<base href=\"?(https?://[^ \">]+)"
)


def url_in_page(raw: bytes) -> str | None:
    """The page's own address where the saved page carries one (CleanEval's ``<text id=…>``, canonical, og:url)."""
    match = URL_IN_PAGE.search(raw)
    if not match:
        return None
    url = next(g for g in match.groups() if g).decode("utf-8", "replace")
    if url.startswith("//"):
        return "https:" + url
    return url if url.startswith("http") else "http://" + url


def cwced(mirror: Path) -> list[Source]:
    repo = Repo(mirror, "immortal-autumn/Chinese-Web-Content-Extraction-Dataset")
    out = []
    for path in repo.files("original"):
        uid = Path(path).stem
        raw = repo.read(path)
        truth = repo.read(f"cleaned/{uid}.txt").decode("utf-8-sig", "replace")
        out.append(
            Source(
                "cwced",
                repo.name,
                path,
                raw,
                url_in_page(raw),
                truth,
                date_label=repo.read(f"date/{uid}.txt").decode("utf-8-sig", "replace"),
                ground_truth="text: cleaned/<uuid>.txt, main text copied by hand by the dataset's author; "
                "published: date/<uuid>.txt (hand label); must_* by the fixed rules of bench/pool.py",
            )
        )
    return out


def magic_html(mirror: Path) -> list[Source]:
    repo = Repo(mirror, "opendatalab/magic-html")
    base = json.loads(repo.read("benchmark/data/article/base.json"))
    out = []
    for digest, item in base.items():
        if not is_chinese(item["content"]):
            continue
        path = f"benchmark/data/article/htmls/{digest}.html"
        out.append(
            Source(
                "magic-html",
                repo.name,
                path,
                repo.read(path),
                item["url"],
                item["content"],
                truth_has_title_line=True,
                ground_truth="text: benchmark/data/article/base.json content (human-labelled article text; its "
                "first line, the headline, is taken as the title where it is one); must_* by the fixed rules of "
                "bench/pool.py",
            )
        )
    return out


def trafilatura_eval(mirror: Path) -> list[Source]:
    repo = Repo(mirror, "adbar/trafilatura")
    out = []
    for url, item in json.loads(repo.read("tests/evaldata.json")).items():
        if not is_chinese(" ".join(item.get("with") or [])):
            continue
        path = f"tests/eval/{item['file']}"
        out.append(
            Source(
                "trafilatura",
                repo.name,
                path,
                repo.read(path),
                url,
                None,
                date_label=item.get("date"),
                with_=item.get("with") or [],
                without=item.get("without") or [],
                ground_truth="must_contain/must_not_contain: tests/evaldata.json with/without (the maintainers' hand "
                "annotation); published: its date; text: none",
            )
        )
    return out


def newspaper4k(mirror: Path) -> list[Source]:
    repo = Repo(mirror, "AndyTheFactory/newspaper4k")
    out = []
    for path in repo.files("tests/data/html"):
        stem = Path(path).stem
        if not stem.startswith("chinese"):
            continue
        truth = repo.read(f"tests/data/txt/{stem}.txt").decode("utf-8", "replace")
        meta_path = f"tests/data/metadata/{stem}.json"
        meta = json.loads(repo.read(meta_path)) if meta_path in repo.files("tests/data/metadata") else {}
        out.append(
            Source(
                "newspaper4k",
                repo.name,
                path,
                repo.read(path),
                meta.get("url"),
                truth,
                title_label=meta.get("title"),
                date_label=meta.get("publish_date") if meta else None,
                ground_truth="text: tests/data/txt/<name>.txt (the expected text of newspaper4k's own tests, i.e. "
                "newspaper's output as checked by its maintainers); title/date: tests/data/metadata; must_* by the "
                "fixed rules of bench/pool.py",
            )
        )
    return out


# GNE's test directories are named after the site; its saved pages mostly carry no URL of their own.
GNE_SITES = {
    "163": "163.com",
    "toutiao": "toutiao.com",
    "guancha": "guancha.cn",
    "qq": "qq.com",
    "sina": "sina.com.cn",
    "ifeng": "ifeng.com",
    "gamersky": "gamersky.com",
    "readhub": "readhub.cn",
    "thepaper": "thepaper.cn",
    "baijiahao": "baidu.com",
    "cjn": "cjn.cn",
    "csdn": "csdn.net",
    "ednchina": "ednchina.com",
    "hexun": "hexun.com",
    "huanqiu": "huanqiu.com",
    "stcn": "stcn.com",
    "wechat": "qq.com",
    "mydrivers": "mydrivers.com",
    "xds": "xds",  # 厦门市鑫鼎盛 (the page names no domain of its own)
}
GERAPY_SITES = {"china_news1": "chinanews.com", "ifeng_news1": "ifeng.com", "netease_news1": "163.com"}
GNE_ENTRY = re.compile(r">{5,}(\S+?)>{5,}\s*(\{.*?\})\s*<{5,}", re.DOTALL)


def gne(mirror: Path) -> list[Source]:
    repo = Repo(mirror, "GeneralNewsExtractor/GeneralNewsExtractor")
    out = []
    for path, body in GNE_ENTRY.findall(repo.read("result.txt").decode("utf-8", "replace")):
        item = json.loads(body)
        raw = repo.read(path)
        if not is_chinese(item.get("content", "")):
            continue
        out.append(
            Source(
                "gne",
                repo.name,
                path,
                raw,
                url_in_page(raw),
                item["content"],
                title_label=item.get("title"),
                date_label=item.get("publish_time"),
                site_hint=GNE_SITES.get(path.split("/")[1]),
                ground_truth="text/title/published: result.txt, GNE's own output for this page published with its "
                "tests (a tool's output, not a human label; read as truth here); must_* by the fixed rules of "
                "bench/pool.py",
            )
        )
    return out


def readability(mirror: Path) -> list[Source]:
    """mozilla/readability's Chinese test pages: ``source.html`` with ``expected.html``, the article its maintainers
    accept as Readability's output (a tool's checked output, not an independent human label)."""
    repo = Repo(mirror, "mozilla/readability")
    out = []
    for folder in sorted({p.rsplit("/", 1)[0] for p in repo.files("test/test-pages")}):
        meta_path = f"{folder}/expected-metadata.json"
        if meta_path not in repo.files(folder):
            continue
        meta = json.loads(repo.read(meta_path))
        if not is_chinese(f"{meta.get('title') or ''}{meta.get('excerpt') or ''}"):
            continue
        expected = visible(repo.read(f"{folder}/expected.html").decode("utf-8", "replace"))
        raw = repo.read(f"{folder}/source.html")
        out.append(
            Source(
                "readability",
                repo.name,
                f"{folder}/source.html",
                raw,
                url_in_page(raw),
                "\n".join(line.text for line in expected.lines),
                ground_truth="text: the visible text of expected.html (Readability's output as its maintainers "
                "accept it in their tests); must_* by bench/pool.py's rules",
            )
        )
    return out


SPANS = ROOT / "bench" / "pool-spans.json"


def hand(mirror: Path) -> list[Source]:
    """Pages whose repository ships no main text, with the article's span marked by hand in SPANS."""
    out = []
    for name, spans in json.loads(SPANS.read_text("utf-8"))["spans"].items():
        repo = Repo(mirror, name)
        for path, (first, last) in spans.items():
            raw = repo.read(path)
            lines = visible(decode_html(raw).text).lines
            source = "gne" if name.startswith("GeneralNewsExtractor/") else "gerapy"
            out.append(
                Source(
                    source,
                    repo.name,
                    path,
                    raw,
                    url_in_page(raw),
                    "\n".join(line.text for line in lines[first : last + 1]),
                    site_hint=GNE_SITES.get(path.split("/")[1]) if source == "gne" else GERAPY_SITES[Path(path).stem],
                    ground_truth="text: the visible lines from the article's first to its last line, the span "
                    "marked by hand (bench/pool-spans.json) by a helper reading the page, no extractor run; no "
                    "upstream label; must_* by bench/pool.py's rules",
                )
            )
    return out


READERS = {
    "cwced": cwced,
    "magic-html": magic_html,
    "trafilatura": trafilatura_eval,
    "newspaper4k": newspaper4k,
    "gne": gne,
    "hand": hand,
    "readability": readability,
}


def known_digests(bench_dir: Path) -> set[str]:
    """sha256 of every page the committed bench already scores (shared bench, AEB, bench/extraction-pages)."""
    import gzip

    paths = [*bench_dir.rglob("*.html"), *(ROOT / "bench" / "extraction-pages").rglob("*.html")]
    digests = {hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    digests |= {hashlib.sha256(gzip.decompress(p.read_bytes())).hexdigest() for p in bench_dir.rglob("*.html.gz")}
    return digests


def write_split(out: Path, sites: set[str]) -> None:
    path = out / "split.json"
    old = json.loads(path.read_text("utf-8")) if path.is_file() else {}
    decided = old.get("decided", {})
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ")
    for site in sorted(sites):
        decided.setdefault(site, {"half": half(site), "decided_at": now})
    split = {
        "rule": "a site (the registered domain of the page URL's host, e.g. news.sina.com.cn -> sina.com.cn, so "
        f"one publisher's templates stay in one half) is tuning when the first hex digit of sha256('{SEED}:' + site) "
        "is below 8, else heldout; decided by the site alone, before any rule was written against the pool",
        "first_decided_at": old.get("first_decided_at", now),
        "decided": decided,
        "halves": {h: sorted(s for s, d in decided.items() if d["half"] == h) for h in ("tuning", "heldout")},
    }
    path.write_text(json.dumps(split, ensure_ascii=False, indent=1) + "\n", "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mirror-dir", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--out", type=Path, default=Path("/work/pool"))
    parser.add_argument("--bench-dir", type=Path, default=ROOT.parent / "shared" / "extraction-bench")
    parser.add_argument("--sources", nargs="*", default=list(READERS))
    args = parser.parse_args(argv)
    known = known_digests(args.bench_dir)
    sites: set[str] = set()
    for source in args.sources:
        written = skipped = 0
        for src in READERS[source](args.mirror_dir):
            if hashlib.sha256(src.raw).hexdigest() in known:
                skipped += 1
                continue
            made = record(src, Repo(args.mirror_dir, src.repo).commit)
            if made is None:
                continue
            name, meta = made
            known.add(str(meta["html_sha256"]))
            target = args.out / src.source / f"{name}.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(src.raw)
            target.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", "utf-8")
            sites.add(str(meta["site"]))
            written += 1
        print(f"{source}: {written} pages written, {skipped} already in the committed bench")
    for meta_path in args.out.glob("*/*.json"):
        sites.add(json.loads(meta_path.read_text("utf-8"))["site"])
    write_split(args.out, sites)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
