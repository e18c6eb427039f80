"""Render the replica portal into replica/site/ (``python -m replica.build``).

A municipal 市直机关党建网 on a TRS-style CMS: a home page, one column
(党建工作, ``djgz/``) with three list pages (``index.html``, ``index_1.html``,
``index_2.html`` and a ``createPageHTML(3, n, "index", "html")`` call), dated
article pages (``djgz/202409/t20240902_123456.html``) with the furniture real
pages carry (nav, breadcrumb 当前位置, sidebar, info line, share footer
扫一扫/分享到, font-size and print controls, editor line, ICP footer), one page
in GBK, two reposts of seed articles (one in traditional script under this
site's boilerplate, one annotated with pinyin after every character), a link
that 404s and one the server answers with 500 (see routes.json).

The output is committed; rebuilding is deterministic.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from replica.articles import ARTICLES

HERE = Path(__file__).resolve().parent
SITE = HERE / "site"
SEEDS = HERE.parent / "seeds"
SITE_NAME = "某市直机关党建网"
PER_PAGE = 6

MISSING = {
    "id": "t20240311_404404",
    "month": "202403",
    "title": "市直机关开展学雷锋志愿服务月活动",
    "day": "2024-03-11",
}
BROKEN = {
    "id": "t20240520_500500",
    "month": "202405",
    "title": "市直机关青年理论学习小组开展集中学习",
    "day": "2024-05-20",
}
REPOST_002 = {"id": "t20241018_589412", "month": "202410", "day": "2024-10-18"}
REPOST_000 = {"id": "t20220901_515230", "month": "202209", "day": "2022-09-01"}

NAV = """<div class="nav"><ul>
<li><a href="{root}index.html">首页</a></li><li><a href="{root}djgz/index.html">党建工作</a></li>
<li><a href="{root}llxx/index.html">理论学习</a></li><li><a href="{root}tzgg/index.html">通知公告</a></li>
<li><a href="{root}jjjc/index.html">纪检监察</a></li><li><a href="{root}ztzl/index.html">专题专栏</a></li>
</ul></div>"""
SIDEBAR = """<div class="sidebar">
<div class="side-box"><h3>热点文章</h3><ul>
<li><a href="{root}llxx/index.html">深入学习贯彻党的二十届三中全会精神</a><span>2024-07-22</span></li>
<li><a href="{root}tzgg/index.html">关于做好2024年度党费收缴工作的通知</a><span>2024-01-05</span></li>
</ul></div>
<div class="side-box"><h3>相关链接</h3><ul>
<li><a href="http://www.12371.cn/" target="_blank">共产党员网</a></li>
<li><a href="http://www.qizhiwang.org.cn/" target="_blank">旗帜网</a></li>
</ul></div></div>"""
FOOTER = """<div class="footer"><p>主办单位：中共某市市直机关工作委员会　承办：市直机关工委办公室</p>
<p>地址：某市人民路1号　电话：0000-1234567　<a href="{root}sitemap.html">网站地图</a></p>
<p>版权所有 &copy; 某市市直机关工委　ICP备00000000号-1　技术支持：某某信息技术有限公司</p></div>"""


def page(title: str, body: str, root: str, charset: str = "utf-8", extra_head: str = "") -> str:
    return f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{html.escape(title)}</title>
<meta name="SiteName" content="{SITE_NAME}">
{extra_head}<link rel="stylesheet" href="{root}css/style.css">
<script type="text/javascript" src="{root}js/common.js"></script>
</head>
<body>
<div class="header"><div class="logo"><a href="{root}index.html">{SITE_NAME}</a></div>
<div class="search"><form action="{root}search.html"><input name="q" placeholder="站内搜索"></form></div></div>
{NAV.format(root=root)}
{body}
{FOOTER.format(root=root)}
</body>
</html>
"""


def info_line(a: dict[str, object]) -> str:
    """The date/source/author line, in the formats real portals use."""
    src, author, date = a.get("source") or "", a.get("author") or "", str(a["date"])
    style = a.get("info")
    if style == "trs":  # "2024-12-09 18:00 来源：福建机关党建网"
        return f'<div class="info">{date}　来源：{src}</div>'
    if style == "cn":  # "发布时间：2024年09月02日 来源：中国气象报社"
        return f'<div class="info">发布时间：{date}　来源：{src}　作者：{author}</div>'
    if style == "labelled":  # "时间:2022-08-29 17:46:10  来源:  作者:"
        return f'<div class="info">时间:{date}:00  来源:{src}  作者:{author}</div>'
    return f'<div class="info"><span>发布时间：{date}</span><span>来源：{src}</span><span>作者：{author}</span></div>'


def article_page(
    title: str, info: str, paragraphs: list[str], editor: str, charset: str = "utf-8", image: bool = False
) -> str:
    paras = "\n".join(f'<p style="text-indent:2em;">{html.escape(p)}</p>' for p in paragraphs)
    if image:
        paras = paras.replace(
            "</p>\n", '</p>\n<p style="text-align:center"><img src="./W020240101.jpg" alt="图片"></p>\n', 1
        )
    body = f"""<div class="main">
<div class="location">当前位置：<a href="../../index.html">首页</a> &gt; <a href="../index.html">党建工作</a> &gt; 正文</div>
<div class="article">
<h1 class="title">{html.escape(title)}</h1>
{info}
<div class="font">字号：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a></div>
<div class="TRS_Editor" id="zoom">
{paras}
</div>
<div class="editor">(责任编辑：{html.escape(editor)})</div>
<div class="share">分享到：<a class="weibo" href="#">微博</a> <a class="weixin" href="#">微信</a>
<div class="qrcode"><img src="../../images/qrcode.png" alt="二维码"><p>扫一扫在手机打开当前页</p></div></div>
<div class="tools">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</div>
</div>
{SIDEBAR.format(root="../../")}
</div>"""
    return page(f"{title}_{SITE_NAME}", body, "../../", charset)


def list_page(entries: list[tuple[str, str, str]], index: int, count: int) -> str:
    items = "\n".join(
        f'<li><a href="./{href}" title="{html.escape(t)}" target="_blank">{html.escape(t)}</a>'
        f'<span class="date">{day}</span></li>'
        for href, t, day in entries
    )
    links = []
    names = ["index.html"] + [f"index_{i}.html" for i in range(1, count)]
    links.append(f'<a href="{names[0]}">首页</a>')
    if index > 0:
        links.append(f'<a href="{names[index - 1]}">上一页</a>')
    if index < count - 1:
        links.append(f'<a href="{names[index + 1]}">下一页</a>')
    links.append(f'<a href="{names[-1]}">尾页</a>')
    body = f"""<div class="main">
<div class="location">当前位置：<a href="../index.html">首页</a> &gt; 党建工作</div>
<div class="list"><ul>
{items}
</ul>
<div class="page"><script type="text/javascript">createPageHTML({count}, {index}, "index", "html");</script>
{" ".join(links)}</div></div>
{SIDEBAR.format(root="../")}
</div>"""
    return page(f"党建工作_{SITE_NAME}", body, "../")


# --- reposts of seed articles -----------------------------------------------------------------------


def seed_lines(name: str) -> list[str]:
    path = next(SEEDS.glob(f"{name}_*.txt"))
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def repost_of_seed_002() -> tuple[str, list[str]]:
    """Seed 002's title and body paragraphs (traditional script), without its furniture and spam."""
    lines = seed_lines("002")
    title = lines[3]
    start = next(i for i, line in enumerate(lines) if line.startswith("“堅持以黨建"))
    end = next(i for i, line in enumerate(lines) if line.startswith("(稿件來源"))
    return title, lines[start : end + 1]


def pinyin_table() -> dict[str, str]:
    """char → pinyin, read from seed 001's own annotations (in both scripts)."""
    import opencc

    text = (SEEDS / next(p.name for p in SEEDS.glob("001_*.txt"))).read_text(encoding="utf-8")
    pairs = re.findall(r"([\u4e00-\u9fff])\(([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+)\)", text)
    t2s = opencc.OpenCC("t2s")
    table: dict[str, str] = {}
    for char, py in pairs:
        table.setdefault(char, py)
        table.setdefault(t2s.convert(char), py)
    return table


def annotate(text: str, table: dict[str, str]) -> str:
    return "".join(f"{c}({table[c]})" if c in table else c for c in text)


def repost_of_seed_000() -> tuple[str, list[str]]:
    lines = seed_lines("000")
    title = lines[1]
    body = [line for line in lines[3:] if line not in ("图片",)]
    table = pinyin_table()
    return annotate(title, table), [annotate(p, table) for p in body]


# --- build ------------------------------------------------------------------------------------------


def build() -> dict[str, object]:
    column = SITE / "djgz"
    entries: list[tuple[str, str, str, str]] = []  # (day, href, title, path)
    expected_articles = []
    for n, a in enumerate(ARTICLES):
        href = f"{a['month']}/{a['id']}.html"
        charset = "gb2312" if a.get("encoding") == "gbk" else "utf-8"
        text = article_page(
            str(a["title"]),
            info_line(a),
            list(a["paras"]),
            str(a["editor"]),  # type: ignore[arg-type]
            charset=charset,
            image=n % 3 == 0,
        )
        out = column / href
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(text.encode("gbk") if charset == "gb2312" else text.encode("utf-8"))
        day = str(a["date"])[:10].replace("年", "-").replace("月", "-").replace("日", "")
        entries.append((day, href, str(a["title"]), f"/djgz/{href}"))
        expected_articles.append(
            {
                "path": f"/djgz/{href}",
                "title": a["title"],
                "published": day,
                "source": a["source"] or None,
                "key_sentence": a["key"],
                "encoding": a.get("encoding", "utf-8"),
            }
        )

    title2, paras2 = repost_of_seed_002()
    href2 = f"{REPOST_002['month']}/{REPOST_002['id']}.html"
    (column / href2).parent.mkdir(parents=True, exist_ok=True)
    (column / href2).write_text(
        article_page(
            title2, f'<div class="info">發布時間：{REPOST_002["day"]}　來源：中國氣象報</div>', paras2, "王春春"
        ),
        encoding="utf-8",
    )
    entries.append((REPOST_002["day"], href2, title2, f"/djgz/{href2}"))

    title0, paras0 = repost_of_seed_000()
    href0 = f"{REPOST_000['month']}/{REPOST_000['id']}.html"
    (column / href0).parent.mkdir(parents=True, exist_ok=True)
    (column / href0).write_text(
        article_page(
            title0, f'<div class="info">时间:{REPOST_000["day"]} 17:46:10  来源:  作者:</div>', paras0, "李华"
        ),
        encoding="utf-8",
    )
    entries.append(
        (REPOST_000["day"], href0, re.sub(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)", "", title0), f"/djgz/{href0}")
    )

    for bad in (MISSING, BROKEN):
        href = f"{bad['month']}/{bad['id']}.html"
        entries.append((bad["day"], href, bad["title"], f"/djgz/{href}"))

    entries.sort(key=lambda e: e[0], reverse=True)
    count = -(-len(entries) // PER_PAGE)
    list_paths = []
    for i in range(count):
        name = "index.html" if i == 0 else f"index_{i}.html"
        chunk = [(href, t, day) for day, href, t, _ in entries[i * PER_PAGE : (i + 1) * PER_PAGE]]
        (column / name).write_text(list_page(chunk, i, count), encoding="utf-8")
        list_paths.append(f"/djgz/{name}")

    home = """<div class="main"><div class="focus"><h2><a href="djgz/index.html">党建工作</a></h2>
<p>聚焦机关党建，服务中心大局。</p></div></div>"""
    (SITE / "index.html").write_text(page(SITE_NAME, home, ""), encoding="utf-8")
    (SITE / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")

    expected = {
        "articles": expected_articles,
        "reposts": [
            {"path": f"/djgz/{href2}", "seed": next(SEEDS.glob("002_*.txt")).name},
            {"path": f"/djgz/{href0}", "seed": next(SEEDS.glob("000_*.txt")).name},
        ],
        "missing_path": f"/djgz/{MISSING['month']}/{MISSING['id']}.html",
        "error_path": f"/djgz/{BROKEN['month']}/{BROKEN['id']}.html",
        "gbk_path": next(a["path"] for a in expected_articles if a["encoding"] == "gbk"),
        "list_paths": list_paths,
    }
    (HERE / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    routes = {
        expected["error_path"]: {"status": 500},
        expected["gbk_path"]: {"content_type": "text/html; charset=GBK"},
    }
    (HERE / "routes.json").write_text(json.dumps(routes, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return expected


if __name__ == "__main__":
    result = build()
    print(f"built {len(result['articles'])} articles, 2 reposts, {len(result['list_paths'])} list pages in {SITE}")  # type: ignore[arg-type]
