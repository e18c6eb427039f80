"""Render the replica portal into replica/site/ (``python -m replica.build``).

A municipal 市直机关党建网 on a TRS-style CMS, shaped like the real ones the
crawler targets: a home page, one column (党建工作, ``djgz/``) with three list
pages (``index.html``, ``index_1.html``, ``index_2.html``, a
``createPageHTML(3, n, "index", "html")`` call plus plain 首页/上一页/下一页/尾页
links), dated article pages (``djgz/202409/t20240902_123456.html``) with the
furniture real pages carry (nav, 当前位置 breadcrumb, sidebar, info line, share
block 扫一扫/分享到, 字号 and print controls, 责任编辑 line, ICP footer).

On purpose, for the pipeline to cope with: one page stored and served as GBK,
two reposts of seed articles (seed 002 in traditional script under this site's
furniture and without its spam tail; seed 000 with pinyin after the characters,
as pinyin-mirror sites do), a listed link that 404s and one the server answers
with 500 (routes.json).

Everything under site/ plus expected.json and routes.json is generated here
and committed; rebuilding is deterministic (no clocks, no randomness).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from replica import pinyin
from replica.articles import ARTICLES, Article

HERE = Path(__file__).resolve().parent
SITE = HERE / "site"
SEEDS = HERE.parent / "seeds"
SITE_NAME = "某市直机关党建网"
TITLE_SUFFIX = f" - {SITE_NAME}"
COLUMN = "djgz"
COLUMN_NAME = "党建工作"
PER_PAGE = 6
OTHER_COLUMNS = {"llxx": "理论学习", "tzgg": "通知公告", "jjjc": "纪检监察", "ztzl": "专题专栏"}


@dataclass(frozen=True)
class Entry:
    """One line of the column's list: where it points, what it says, the date shown."""

    month: str
    doc_id: str
    title: str
    day: str  # YYYY-MM-DD

    @property
    def href(self) -> str:  # relative to the column directory, as TRS writes it
        return f"./{self.month}/{self.doc_id}.html"

    @property
    def path(self) -> str:
        return f"/{COLUMN}/{self.month}/{self.doc_id}.html"


# Listed, but there is no such file: the server answers 404.
MISSING = Entry("202403", "t20240311_404404", "市直机关开展学雷锋志愿服务月活动", "2024-03-11")
# Listed, and routes.json makes the server answer 500 for it.
BROKEN = Entry("202405", "t20240520_500500", "市直机关青年理论学习小组开展集中学习", "2024-05-20")
REPOST_002 = ("202410", "t20241018_589412", "2024-10-18 09:29")
REPOST_000 = ("202209", "t20220901_515230", "2022-09-01 17:46:10")


# --- page furniture ----------------------------------------------------------------------------------


def nav(root: str) -> str:
    items = [
        f'<li><a href="{root}index.html">首页</a></li>',
        f'<li><a href="{root}{COLUMN}/index.html">{COLUMN_NAME}</a></li>',
    ]
    items += [f'<li><a href="{root}{d}/index.html">{n}</a></li>' for d, n in OTHER_COLUMNS.items()]
    return '<div class="nav"><ul>\n' + "\n".join(items) + "\n</ul></div>"


def sidebar(root: str) -> str:
    """热点文章 points at other columns' list pages, 相关链接 off-site: neither is an article of this column."""
    return f"""<div class="sidebar">
<div class="side-box"><h3>热点文章</h3><ul>
<li><a href="{root}llxx/index.html">深入学习贯彻党的二十届三中全会精神</a></li>
<li><a href="{root}tzgg/index.html">关于做好年度党费收缴工作的通知</a></li>
<li><a href="{root}ztzl/index.html">模范机关创建专栏</a></li>
</ul></div>
<div class="side-box"><h3>相关链接</h3><ul>
<li><a href="http://www.12371.cn/" target="_blank">共产党员网</a></li>
<li><a href="http://www.qizhiwang.org.cn/" target="_blank">旗帜网</a></li>
<li><a href="http://www.ccdi.gov.cn/" target="_blank">中央纪委国家监委网站</a></li>
</ul></div></div>"""


def footer(root: str) -> str:
    return f"""<div class="footer">
<p><a href="{root}sitemap.html">网站地图</a> | <a href="{root}tzgg/index.html">联系我们</a></p>
<p>主办单位：中共某市市直机关工作委员会　承办：市直机关工委办公室　地址：某市人民路1号</p>
<p>版权所有 &copy; 某市市直机关工委　备案号：某ICP备00000000号-1　技术支持：某某信息技术有限公司</p>
</div>"""


def page(title: str, crumbs: str, main: str, root: str, charset: str = "utf-8") -> str:
    """A whole page: header, nav, breadcrumb, main block, sidebar, footer."""
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{html.escape(title)}</title>
<meta name="SiteName" content="{SITE_NAME}">
<link rel="stylesheet" type="text/css" href="{root}css/style.css">
<script type="text/javascript" src="{root}js/common.js"></script>
</head>
<body>
<div class="header"><div class="logo"><a href="{root}index.html"><img src="{root}images/logo.png" alt="{SITE_NAME}"></a></div>
<div class="search"><form action="/was5/web/search" method="get" target="_blank"><input type="text" name="searchword" placeholder="请输入关键字"><input type="submit" value="搜索"></form></div></div>
{nav(root)}
<div class="location">当前位置：{crumbs}</div>
<div class="main">
<div class="content">
{main}
</div>
{sidebar(root)}
</div>
{footer(root)}
</body>
</html>
"""


def info_line(a: Article) -> str:
    """The date/来源/作者 line, in the four shapes real portals print."""
    src, author, date = a["source"], a["author"], a["date"]
    if a["info"] == "trs":  # 2024-12-09 18:00　来源：福建机关党建网
        return f'<div class="info">{date}　来源：{src}</div>'
    if a["info"] == "cn":  # 发布时间：2024年09月02日　来源：中国气象报社
        return f'<div class="info">发布时间：{date}　来源：{src}　作者：{author}</div>'
    if a["info"] == "labelled":  # 时间:2022-08-29 17:46:10  来源:  作者:
        return f'<div class="info">时间:{date}:00&nbsp;&nbsp;来源:{src}&nbsp;&nbsp;作者:{author}</div>'
    return (
        f'<div class="info"><span>发布时间：{date}</span>　<span>来源：{src}</span>　<span>作者：{author}</span></div>'
    )


def image_name(doc_id: str, n: int) -> str:
    """TRS names uploaded images W0<date><serial>.<ext> next to the document."""
    return f"W0{doc_id[1:9]}{doc_id[10:]}{n:03d}.png"


def figure(src: str, caption: str | None) -> str:
    img = f'<p style="text-align: center;"><img src="{src}" alt="{html.escape(caption or "图片")}" border="0"></p>'
    if caption:
        img += f'\n<p style="text-align: center;">{html.escape(caption)}</p>'
    return img


def article_main(title: str, heading: str, info: str, body: str, editor: str) -> str:
    tag = (
        f'<h1 class="title">{html.escape(title)}</h1>'
        if heading == "h1"
        else f'<div class="title">{html.escape(title)}</div>'
    )
    return f"""<div class="article">
{tag}
{info}
<div class="fontsize">字号：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a></div>
<div id="zoom">
<div class="TRS_Editor">
{body}
</div>
</div>
<div class="editor">(责任编辑：{html.escape(editor)})</div>
<div class="share">
<div class="qrcode"><img src="../../images/qrcode.png" alt="二维码"><p>扫一扫在手机打开当前页</p></div>
<div class="bdsharebuttonbox">分享到：<a href="#" class="bds_tsina" title="分享到新浪微博"><img src="../../images/share_weibo.png" alt="微博"></a><a href="#" class="bds_weixin" title="分享到微信"><img src="../../images/share_weixin.png" alt="微信"></a></div>
</div>
<div class="tools">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</div>
</div>"""


def article_crumbs() -> str:
    return f'<a href="../../index.html">首页</a> &gt; <a href="../index.html">{COLUMN_NAME}</a>'


def paragraphs(texts: list[str]) -> list[str]:
    return [f'<p style="text-indent: 2em;">{html.escape(t)}</p>' for t in texts]


# --- tiny images ---------------------------------------------------------------------------------------


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid one-colour PNG, so <img> links resolve without shipping binary assets from elsewhere."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


# --- reposts of seed articles ----------------------------------------------------------------------------


def seed_path(prefix: str) -> Path:
    return next(SEEDS.glob(f"{prefix}_*.txt"))


def seed_lines(prefix: str) -> list[str]:
    return [line.strip() for line in seed_path(prefix).read_text(encoding="utf-8").splitlines() if line.strip()]


def seed_002_article() -> tuple[str, list[str]]:
    """Seed 002's title and body paragraphs (traditional script), without the portal furniture and the spam tail."""
    lines = seed_lines("002")
    title = lines[3]
    start = next(i for i, line in enumerate(lines) if line.startswith("“堅持以黨建"))
    end = next(i for i, line in enumerate(lines) if line.startswith("(稿件來源"))
    return title, lines[start : end + 1]


def seed_000_article() -> tuple[str, list[str]]:
    """Seed 000's title and body lines ("图片" marks where the original had a photo)."""
    lines = seed_lines("000")
    return lines[1], lines[3:]


# --- the site ---------------------------------------------------------------------------------------------


def write(path: Path, text: str, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))  # strict: a character GBK cannot hold is a build error


def day_of(date: str) -> str:
    m = re.match(r"(\d{4})\D(\d{1,2})\D(\d{1,2})", date)
    assert m, date
    return f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}"


def build_articles(column: Path) -> tuple[list[Entry], list[dict[str, Any]]]:
    entries, expected = [], []
    for a in ARTICLES:
        entry = Entry(a["month"], a["id"], a["title"], day_of(a["date"]))
        gbk = a.get("encoding") == "gbk"
        blocks = paragraphs(a["paras"])
        if "figure" in a:
            name = image_name(a["id"], 1)
            (column / a["month"]).mkdir(parents=True, exist_ok=True)
            (column / a["month"] / name).write_bytes(png(64, 40, (176, 32, 32)))
            blocks.insert(1, figure(f"./{name}", a["figure"]))
        main = article_main(a["title"], a["heading"], info_line(a), "\n".join(blocks), a["editor"])
        text = page(a["title"] + TITLE_SUFFIX, article_crumbs(), main, "../../", charset="gb2312" if gbk else "utf-8")
        write(column / a["month"] / f"{a['id']}.html", text, "gbk" if gbk else "utf-8")
        entries.append(entry)
        expected.append(
            {
                "path": entry.path,
                "title": a["title"],
                "published": entry.day,
                "source": a["source"] or None,
                "key_sentence": a["key"],
                "encoding": "gbk" if gbk else "utf-8",
            }
        )
    return entries, expected


def build_repost_002(column: Path) -> Entry:
    month, doc_id, when = REPOST_002
    title, paras = seed_002_article()
    info = f'<div class="info"><span>發布時間：{when}</span>　<span>來源：旗幟網</span>　<span>作者：王婉</span></div>'
    main = article_main(title, "h1", info, "\n".join(paragraphs(paras)), "王春春")
    write(column / month / f"{doc_id}.html", page(title + TITLE_SUFFIX, article_crumbs(), main, "../../"))
    return Entry(month, doc_id, title, day_of(when))


def build_repost_000(column: Path) -> Entry:
    """Seed 000 under this site's furniture, every known character followed by its pinyin (title and body)."""
    month, doc_id, when = REPOST_000
    title, lines = seed_000_article()
    blocks, photos = [], 0
    for line in lines:
        if line == "图片":
            photos += 1
            name = image_name(doc_id, photos)
            (column / month).mkdir(parents=True, exist_ok=True)
            (column / month / name).write_bytes(png(64, 40, (32, 96, 176)))
            blocks.append(figure(f"./{name}", None))
        elif len(line) <= 8:  # the section headings 主要经验做法 / 特色工作亮点 / 主要工作成效
            blocks.append(f"<p><strong>{html.escape(pinyin.annotate(line))}</strong></p>")
        else:
            blocks.append(f'<p style="text-indent: 2em;">{html.escape(pinyin.annotate(line))}</p>')
    info = f'<div class="info">时间:{when}&nbsp;&nbsp;来源:&nbsp;&nbsp;作者:</div>'
    main = article_main(pinyin.annotate(title), "div", info, "\n".join(blocks), "李华")
    write(
        column / month / f"{doc_id}.html", page(pinyin.annotate(title) + TITLE_SUFFIX, article_crumbs(), main, "../../")
    )
    return Entry(month, doc_id, title, day_of(when))


def list_name(index: int) -> str:
    return "index.html" if index == 0 else f"index_{index}.html"


def pager(index: int, count: int) -> str:
    """TRS's createPageHTML call (what the real CMS renders with JS) plus the same links as plain <a href>."""

    def link(target: int, label: str, enabled: bool) -> str:
        return f'<a href="{list_name(target)}">{label}</a>' if enabled else f"<span>{label}</span>"

    links = [
        link(0, "首页", index != 0),
        link(index - 1, "上一页", index > 0),
        link(index + 1, "下一页", index < count - 1),
        link(count - 1, "尾页", index != count - 1),
    ]
    return f"""<div class="page">
<div class="page-links" id="pagelinks">{" ".join(links)} <span>第{index + 1}页/共{count}页</span></div>
<script type="text/javascript">createPageHTML({count}, {index}, "index", "html");</script>
</div>"""


def list_main(heading: str, entries: list[Entry], index: int, count: int) -> str:
    items = "\n".join(
        f'<li><a href="{e.href}" title="{html.escape(e.title)}" target="_blank">{html.escape(e.title)}</a>'
        f'<span class="date">{e.day}</span></li>'
        for e in entries
    )
    body = items or '<li class="empty">暂无信息</li>'
    return f'<div class="list-title"><h2>{heading}</h2></div>\n<div class="list"><ul>\n{body}\n</ul></div>\n{pager(index, count)}'


def build_lists(column: Path, entries: list[Entry]) -> list[str]:
    ordered = sorted(entries, key=lambda e: e.day, reverse=True)
    count = -(-len(ordered) // PER_PAGE)
    crumbs = f'<a href="../index.html">首页</a> &gt; <a href="index.html">{COLUMN_NAME}</a>'
    paths = []
    for i in range(count):
        chunk = ordered[i * PER_PAGE : (i + 1) * PER_PAGE]
        write(
            column / list_name(i),
            page(f"{COLUMN_NAME}{TITLE_SUFFIX}", crumbs, list_main(COLUMN_NAME, chunk, i, count), "../"),
        )
        paths.append(f"/{COLUMN}/{list_name(i)}")
    return paths


def build_furniture(latest: list[Entry]) -> None:
    """Home page, the other columns (empty), site map, robots.txt, CSS/JS and the shared images."""
    items = "\n".join(
        f'<li><a href="{COLUMN}/{e.month}/{e.doc_id}.html" title="{html.escape(e.title)}">{html.escape(e.title)}</a><span>{e.day}</span></li>'
        for e in latest
    )
    home = f"""<div class="focus"><h2><a href="{COLUMN}/index.html">{COLUMN_NAME}</a><a class="more" href="{COLUMN}/index.html">更多&gt;&gt;</a></h2>
<ul>
{items}
</ul></div>"""
    write(SITE / "index.html", page(SITE_NAME, '<a href="index.html">首页</a>', home, ""))
    for directory, name in OTHER_COLUMNS.items():
        crumbs = f'<a href="../index.html">首页</a> &gt; <a href="index.html">{name}</a>'
        write(SITE / directory / "index.html", page(f"{name}{TITLE_SUFFIX}", crumbs, list_main(name, [], 0, 1), "../"))
    columns = "\n".join(
        f'<li><a href="{d}/index.html">{n}</a></li>' for d, n in {COLUMN: COLUMN_NAME, **OTHER_COLUMNS}.items()
    )
    write(
        SITE / "sitemap.html",
        page(f"网站地图{TITLE_SUFFIX}", '<a href="index.html">首页</a> &gt; 网站地图', f"<ul>\n{columns}\n</ul>", ""),
    )
    write(SITE / "robots.txt", "User-agent: *\nAllow: /\n")
    write(SITE / "css" / "style.css", CSS)
    write(SITE / "js" / "common.js", JS)
    images = SITE / "images"
    images.mkdir(parents=True, exist_ok=True)
    (images / "logo.png").write_bytes(png(240, 48, (190, 20, 20)))
    (images / "qrcode.png").write_bytes(png(32, 32, (20, 20, 20)))
    (images / "share_weibo.png").write_bytes(png(16, 16, (230, 22, 45)))
    (images / "share_weixin.png").write_bytes(png(16, 16, (26, 173, 25)))


def build() -> dict[str, Any]:
    """Rebuild site/, expected.json and routes.json from scratch."""
    if SITE.exists():
        shutil.rmtree(SITE)
    column = SITE / COLUMN
    entries, expected_articles = build_articles(column)
    repost_002 = build_repost_002(column)
    repost_000 = build_repost_000(column)
    list_paths = build_lists(column, [*entries, repost_002, repost_000, MISSING, BROKEN])
    build_furniture(sorted(entries, key=lambda e: e.day, reverse=True)[:6])

    gbk_path = next(a["path"] for a in expected_articles if a["encoding"] == "gbk")
    expected = {
        "articles": expected_articles,
        "reposts": [
            {"path": repost_002.path, "seed": seed_path("002").name, "variant": "traditional"},
            {"path": repost_000.path, "seed": seed_path("000").name, "variant": "pinyin"},
        ],
        "missing_path": MISSING.path,
        "error_path": BROKEN.path,
        "gbk_path": gbk_path,
        "list_paths": list_paths,
        "title_suffix": TITLE_SUFFIX,
    }
    routes = {
        BROKEN.path: {"status": 500},
        gbk_path: {"content_type": "text/html; charset=GBK"},
    }
    write(HERE / "expected.json", json.dumps(expected, ensure_ascii=False, indent=1) + "\n")
    write(HERE / "routes.json", json.dumps(routes, ensure_ascii=False, indent=1) + "\n")
    return expected


CSS = """body{margin:0;font:14px/1.8 "Microsoft YaHei",SimSun,sans-serif;color:#333;background:#f5f5f5}
a{color:#333;text-decoration:none}a:hover{color:#c00}
.header{height:90px;background:#c00}.logo{float:left;padding:20px}.search{float:right;padding:30px}
.nav{background:#a00}.nav ul{margin:0;padding:0 20px;list-style:none}.nav li{display:inline-block}
.nav a{display:block;padding:0 24px;line-height:42px;color:#fff;font-size:16px}
.location{width:1100px;margin:10px auto;color:#666}
.main{width:1100px;margin:0 auto;overflow:hidden;background:#fff}
.content{float:left;width:780px;padding:20px}.sidebar{float:right;width:260px;padding:20px 10px}
.side-box h3{border-bottom:2px solid #c00;font-size:16px}
.list li{border-bottom:1px dashed #ddd;line-height:36px;list-style:none}.list .date{float:right;color:#999}
.article .title{font-size:24px;font-weight:bold;text-align:center;color:#c00}
.info{text-align:center;color:#888;border-bottom:1px solid #eee;padding-bottom:10px}
.info span{margin:0 8px}.fontsize{text-align:right;color:#888}
.TRS_Editor p{font-size:16px;line-height:2}.editor{text-align:right;color:#666}
.share{overflow:hidden;margin-top:20px}.qrcode{float:left;text-align:center}.bdsharebuttonbox{float:right}
.tools{text-align:right}.page{text-align:center;padding:20px}.page a,.page span{margin:0 4px}
.footer{background:#a00;color:#fff;text-align:center;padding:16px;margin-top:20px}.footer a{color:#fff}
"""

JS = """// TRS pagination helper: the CMS writes createPageHTML(count, current, prefix, ext) into every list page.
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt) {
  // the static links the replica also prints make the script's output redundant
  if (_nPageCount == null || _nPageCount <= 1 || document.getElementById("pagelinks")) { return; }
  var name = function (i) { return i == 0 ? _sPageName + "." + _sPageExt : _sPageName + "_" + i + "." + _sPageExt; };
  var out = [];
  out.push(_nCurrIndex == 0 ? "<span>首页</span>" : "<a href=\\"" + name(0) + "\\">首页</a>");
  out.push(_nCurrIndex == 0 ? "<span>上一页</span>" : "<a href=\\"" + name(_nCurrIndex - 1) + "\\">上一页</a>");
  out.push(_nCurrIndex + 1 >= _nPageCount ? "<span>下一页</span>" : "<a href=\\"" + name(_nCurrIndex + 1) + "\\">下一页</a>");
  out.push(_nCurrIndex + 1 >= _nPageCount ? "<span>尾页</span>" : "<a href=\\"" + name(_nPageCount - 1) + "\\">尾页</a>");
  document.write(out.join(" "));
}
function doZoom(size) {
  var zoom = document.getElementById("zoom");
  if (zoom) { zoom.style.fontSize = size + "px"; }
}
"""


if __name__ == "__main__":
    result = build()
    print(
        f"built {len(result['articles'])} articles, {len(result['reposts'])} reposts, {len(result['list_paths'])} list pages in {SITE}"
    )
