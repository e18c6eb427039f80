"""Render one loopback replica per portal of sites/sites.yaml (``python -m replica.portals.build``).

For every portal: its real column path with three list pages in the portal's own markup and
pagination (TRS ``createPageHTML(3, n, "index", "html")`` plus 首页/上一页/下一页/尾页 links; people.cn
``index.html``/``index2.html``; 12371's ``div#SUBD…`` block plus its JS ``item=[…]`` array; DedeCMS
``list_12_N.html``; the Anhui platform's ``?pageIndex=N``), six dated article pages at the real URL
shapes with the real furniture (当前位置 breadcrumb, 发布时间/来源 info line in the portal's wording,
share/print footer, ICP footer), one off-domain article link on the first list page (to 127.0.0.2,
loopback, which must be refused) and one article far older than the others. Two portals are GBK
(people.cn pages: ``<meta charset=gb2312>`` and a bare ``text/html`` header; the DedeCMS site:
``charset=GBK`` header).

Writes site/<name>/, routes/<name>.json (per-path Content-Type), expected.json (what a crawl must
find) and sites.yaml (derived from sites/sites.yaml). Deterministic: no clock, no randomness.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from replica.portals import (
    DERIVED_REGISTRY,
    EXPECTED,
    QUERY_MARK,
    REAL_REGISTRY,
    ROUTES_DIR,
    SITES_ROOT,
    derived_yaml,
    prose,
)

OFFSITE_HOST = "http://127.0.0.2:9"  # another host (loopback, discard port): the crawler must never ask it
PER_PAGE = (3, 2, 1)  # entries on list pages 1, 2, 3


@dataclass
class Art:
    path: str  # URL path on the portal
    href: str  # as the list page writes it
    title: str
    when: datetime
    paragraphs: list[str]
    key: str
    reporter: str
    source: str

    @property
    def day(self) -> str:
        return self.when.date().isoformat()


@dataclass
class Portal:
    name: str
    site_name: str
    column_name: str
    column: str  # the column path, ending with "/"
    style: str  # trs | people | p12371 | dede | ahgov
    unit: str
    source: str
    dates: list[datetime]
    encoding: str = "utf-8"
    header: str | None = None  # Content-Type to send for HTML, when not the server's utf-8 default
    ext: str = "html"
    crumbs: list[str] = field(default_factory=list)
    icp: str = ""


def dt(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%d %H:%M:%S")


def epoch(when: datetime) -> int:
    """Seconds since the epoch of a China-time wall clock (no dependence on the build machine's zone)."""
    return int((when - datetime(1970, 1, 1)).total_seconds()) - 8 * 3600


PORTALS = [
    Portal(
        "12371cn",
        "共产党员网",
        "最新发布",
        "/zxfb/",
        "p12371",
        "某省直机关工委",
        "共产党员网",
        [dt(s) for s in ("2024-09-02 10:25:31", "2024-08-30 16:02:10", "2024-08-28 09:41:55")]
        + [dt(s) for s in ("2024-08-20 08:30:00", "2024-08-12 15:12:40", "2023-11-06 11:00:00")],
        crumbs=["首页", "最新发布"],
        icp="京ICP备12345678号",
    ),
    Portal(
        "qizhiwang",
        "旗帜网",
        "基层组织建设",
        "/GB/457278/",
        "people",
        "某市气象局",
        "旗帜网",
        [dt(s) for s in ("2024-10-16 09:29:00", "2024-10-11 15:20:00", "2024-10-08 10:05:00")]
        + [dt(s) for s in ("2024-09-27 08:45:00", "2024-09-19 14:10:00", "2023-12-22 16:30:00")],
        encoding="gbk",
        header="text/html",  # people.cn: charset only in <meta>
        crumbs=["旗帜网", "基层组织建设"],
        icp="京ICP备00000000号",
    ),
    Portal(
        "cma-djgz",
        "中国气象局",
        "党建工作",
        "/2011xwzx/2011xdjgz/",
        "trs",
        "中国气象局某直属单位",
        "中国气象报社",
        [dt(s) for s in ("2024-09-02 08:00:00", "2024-08-26 10:00:00", "2024-08-21 09:30:00")]
        + [dt(s) for s in ("2024-08-09 15:00:00", "2024-07-31 11:20:00", "2023-06-28 10:00:00")],
        crumbs=["首页", "新闻资讯", "党建工作"],
        icp="京ICP备05004898号",
    ),
    Portal(
        "cma-nm-djgz",
        "内蒙古自治区气象局",
        "基层之声",
        "/xwzx/djgz/jczs/",
        "trs",
        "锡林郭勒盟气象局",
        "内蒙古自治区气象局",
        [dt(s) for s in ("2024-04-30 16:20:00", "2024-04-25 10:12:00", "2024-04-19 09:00:00")]
        + [dt(s) for s in ("2024-04-08 11:30:00", "2024-03-28 15:40:00", "2023-09-14 10:00:00")],
        crumbs=["首页", "新闻资讯", "党建工作", "基层之声"],
        icp="蒙ICP备05000000号",
    ),
    Portal(
        "cma-gs-qxyw",
        "甘肃省气象局",
        "气象要闻",
        "/qxxw/qxyw/",
        "trs",
        "兰州市气象局",
        "甘肃省气象局",
        [dt(s) for s in ("2024-06-21 16:16:00", "2024-06-17 10:30:00", "2024-06-12 09:00:00")]
        + [dt(s) for s in ("2024-06-03 15:00:00", "2024-05-27 11:45:00", "2023-10-10 09:20:00")],
        crumbs=["首页", "气象新闻", "气象要闻"],
        icp="陇ICP备05000000号",
    ),
    Portal(
        "cma-sn-tcxw",
        "陕西省气象局",
        "市局新闻",
        "/dsqx/tcqx/tctp/tcsjxw/",
        "trs",
        "铜川市气象局",
        "陕西省气象局",
        [dt(s) for s in ("2024-01-19 08:27:18", "2024-01-12 10:02:44", "2024-01-08 16:40:05")]
        + [dt(s) for s in ("2023-12-28 09:15:00", "2023-12-20 14:00:00", "2023-05-16 10:30:00")],
        crumbs=["首页", "地市气象", "铜川气象", "市局新闻"],
        icp="陕ICP备05000000号",
    ),
    Portal(
        "cma-ha-luohe",
        "河南省气象局",
        "党建工作",
        "/lhsqxj/djgz/",
        "trs",
        "漯河市气象局",
        "漯河市气象局",
        [dt(s) for s in ("2023-03-06 10:00:00", "2023-02-24 09:30:00", "2023-02-16 15:00:00")]
        + [dt(s) for s in ("2023-01-30 10:10:00", "2023-01-11 16:00:00", "2022-06-20 11:00:00")],
        crumbs=["首页", "漯河市气象局", "党建工作"],
        icp="豫ICP备05000000号",
    ),
    Portal(
        "fjjgdj",
        "福建机关党建网",
        "市县动态",
        "/djdt/szdt/sxzdt/",
        "trs",
        "某县直机关工委",
        "福建机关党建网",
        [dt(s) for s in ("2024-12-09 10:18:00", "2024-12-05 09:00:00", "2024-12-02 16:45:00")]
        + [dt(s) for s in ("2024-11-26 11:00:00", "2024-11-18 15:30:00", "2023-12-06 10:00:00")],
        ext="htm",
        crumbs=["首页", "党建动态", "省直动态", "市县动态"],
        icp="闽ICP备05000000号",
    ),
    Portal(
        "zjj-djw",
        "张家界党建网",
        "党建品牌",
        "/djpp/",
        "dede",
        "市直某局机关党委",
        "",
        [dt(s) for s in ("2022-08-29 17:46:10", "2022-08-24 10:21:05", "2022-08-18 09:12:33")]
        + [dt(s) for s in ("2022-08-10 16:05:00", "2022-07-29 11:40:21", "2021-11-15 10:00:00")],
        encoding="gbk",
        header="text/html; charset=GBK",
        crumbs=["首页", "党建品牌"],
        icp="湘ICP备05000000号",
    ),
    Portal(
        "xuancheng-szjg",
        "宣城市直机关工委",
        "市直机关党建",
        "/content/column/6796771",
        "ahgov",
        "市直某单位机关党委",
        "市直机关工委",
        [dt(s) for s in ("2025-11-07 10:20:31", "2025-11-03 16:05:12", "2025-10-28 09:33:40")]
        + [dt(s) for s in ("2025-10-20 15:00:00", "2025-10-11 10:45:00", "2024-12-18 09:00:00")],
        crumbs=["网站首页", "市直机关党建"],
        icp="皖ICP备05000000号",
    ),
]


# --- URL shapes -------------------------------------------------------------------------------------


def doc_id(p: Portal, i: int) -> int:
    return 6_240_000 + (sum(map(ord, p.name)) % 97) * 1000 + i * 37


def article_path(p: Portal, i: int, when: datetime) -> tuple[str, str]:
    """(URL path, href as the list writes it) of article ``i``, in the portal's real shape."""
    if p.style == "trs":
        sub = f"{when:%Y%m}/t{when:%Y%m%d}_{doc_id(p, i)}.{p.ext}"
        return p.column + sub, "./" + sub
    if p.style == "people":
        path = f"/n1/{when:%Y}/{when:%m%d}/c457278-{40_340_000 + doc_id(p, i) % 10_000}.html"
        return path, ("../../" + path.lstrip("/")) if i == 2 else path  # people.cn lists mix both
    if p.style == "p12371":
        ms = epoch(when) * 1000 + 213 + i
        path = f"/{when:%Y/%m/%d}/ARTI{ms}{583 + i:03d}.shtml"
        return path, path  # the real site writes https://www.12371.cn/… (absolute)
    if p.style == "dede":
        path = f"{p.column}{when:%Y/%m%d}/{2800 + i * 17}.html"
        return path, path
    if p.style == "ahgov":
        oid = f"{epoch(when):08x}{(doc_id(p, i) * 2654435761) & 0xFFFFFFFFFFFFFFFF:016x}"[:24]
        path = f"/content/detail/{oid}.html"
        return path, path
    raise ValueError(p.style)


def list_urls(p: Portal) -> list[str]:
    """Paths of list pages 1..3 as requested (page 1 is the start URL)."""
    if p.style == "trs":
        return [p.column, f"{p.column}index_1.{p.ext}", f"{p.column}index_2.{p.ext}"]
    if p.style == "people":
        return [f"{p.column}index.html", f"{p.column}index2.html", f"{p.column}index3.html"]
    if p.style == "p12371":
        return [p.column, f"{p.column}index_1.shtml", f"{p.column}index_2.shtml"]
    if p.style == "dede":
        return [p.column, f"{p.column}list_12_2.html", f"{p.column}list_12_3.html"]
    if p.style == "ahgov":
        return [p.column, f"{p.column}?pageIndex=2", f"{p.column}?pageIndex=3"]
    raise ValueError(p.style)


def file_for(url_path: str) -> str:
    """Where the static server finds a URL path: directories serve index.html, queries fold into the name."""
    path, _, query = url_path.partition("?")
    if path.endswith("/"):
        path += "index.html"
    return path.lstrip("/") + (QUERY_MARK + query if query else "")


# --- furniture --------------------------------------------------------------------------------------


def e(s: str) -> str:
    return html.escape(s, quote=True)


def head(p: Portal, title: str) -> str:
    charset = "gb2312" if p.encoding == "gbk" else "utf-8"
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}" />
<meta http-equiv="X-UA-Compatible" content="IE=edge" />
<title>{e(title)}</title>
<meta name="SiteName" content="{e(p.site_name)}" />
<meta name="ColumnName" content="{e(p.column_name)}" />
<link rel="stylesheet" type="text/css" href="/css/style.css" />
<script type="text/javascript" src="/js/common.js"></script>
</head>
<body>
<div class="top"><div class="w1200"><span>欢迎访问{e(p.site_name)}</span><a href="/">首页</a> | <a href="javascript:void(0)">无障碍浏览</a> | <a href="javascript:void(0)">关怀版</a></div></div>
<div class="header"><div class="w1200"><a class="logo" href="/"><img src="/images/logo.png" alt="{e(p.site_name)}" /></a>
<form class="search" action="/search/" method="get"><input name="q" type="text" placeholder="站内搜索" /><input type="submit" value="搜索" /></form></div></div>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="{e(p.column)}">{e(p.column_name)}</a></li><li><a href="/zt/">专题专栏</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>
"""


def breadcrumb(p: Portal, extra: str = "") -> str:
    sep = " &gt;&gt; " if p.style == "people" else " &gt; "
    links = [f'<a href="/">{e(p.crumbs[0])}</a>'] + [f'<a href="{e(p.column)}">{e(c)}</a>' for c in p.crumbs[1:]]
    label = "" if p.style == "people" else "当前位置："
    return f'<div class="location">{label}{sep.join(links)}{sep + extra if extra else ""}</div>\n'


def footer(p: Portal) -> str:
    return f"""<div class="footer"><div class="w1200">
<p><a href="/">网站首页</a> | <a href="/gywm/">关于我们</a> | <a href="/lxwm/">联系我们</a> | <a href="/wzdt/">网站地图</a></p>
<p>主办单位：{e(p.site_name)}　版权所有　未经授权禁止复制或建立镜像</p>
<p><a href="https://beian.miit.gov.cn/" target="_blank">{e(p.icp)}-1</a>　网站标识码：0000000000</p>
</div></div>
</body>
</html>
"""


def info_line(p: Portal, a: Art) -> str:
    w = a.when
    if p.name == "cma-djgz":  # seed 001
        return f'<div class="news_textspan"><span>发布时间：{w:%Y年%m月%d日}</span>　<span>来源：{e(a.source)}</span></div>'
    if p.name == "cma-gs-qxyw":  # gs.cma.gov.cn/qxxw/sxdt/lz/202107/t20210720_3550151.html
        return (
            f'<div class="info"><span>来源:{e(a.source)}</span>&nbsp;&nbsp;&nbsp;&nbsp;<span>发布时间:{w:%Y-%m-%d %H:%M}</span>'
            '&nbsp;&nbsp;&nbsp;&nbsp;<span>选择字号:<a href="javascript:doZoom(18)">T</a>|<a href="javascript:doZoom(14)">T</a></span></div>'
        )
    if p.name == "cma-sn-tcxw":  # sn.cma.gov.cn/dsqx/tcqx/tctp/tcsjxw/202301/t20230119_5271475.html
        return f'<div class="info">发布时间:{w:%Y-%m-%d %H:%M:%S}&nbsp;作者:&nbsp;字体:<a href="javascript:doZoom(16)">大</a></div>'
    if p.style == "people":  # seed 002: author, then 2024年10月16日09:29
        return (
            f'<div class="col-1-1 fl">{e(a.reporter)}</div>\n'
            f'<div class="col-1-1 fl">{w:%Y年%m月%d日%H:%M}&nbsp;&nbsp;|&nbsp;&nbsp;来源：<a href="http://www.qizhiwang.org.cn/">{e(a.source)}</a></div>\n'
            '<div class="edit">文字缩放：<a href="javascript:void(0)">大</a> <a href="javascript:void(0)">小</a></div>'
        )
    if p.style == "p12371":
        return f'<div class="dyw1021_title_info"><i>来源：{e(a.source)}</i>&nbsp;|&nbsp;<i>{w:%Y年%m月%d日 %H:%M}</i></div>'
    if p.style == "dede":  # seed 000
        return f'<div class="info">时间:{w:%Y-%m-%d %H:%M:%S}&nbsp;&nbsp;来源:&nbsp;&nbsp;作者:&nbsp;&nbsp;点击:<script src="/plus/count.php?aid=1"></script>次</div>'
    if p.style == "ahgov":  # xcszx.gov.cn/content/detail/… (same platform)
        return (
            f'<div class="wzy_info">发布时间:{w:%Y-%m-%d %H:%M:%S} 信息来源:{e(a.source)} 作者: {e(a.reporter)} '
            '浏览:<span id="hits">0</span> 次 【字体大小:<a href="javascript:void(0)">大</a> <a href="javascript:void(0)">中</a> <a href="javascript:void(0)">小</a>】</div>'
        )
    return f'<div class="info"><span>发布时间：{w:%Y-%m-%d %H:%M}</span>　<span>来源：{e(a.source)}</span></div>'


def article_page(p: Portal, a: Art) -> str:
    body = "\n".join(f'<p style="text-indent: 2em;">{e(t)}</p>' for t in a.paragraphs)
    share = (
        '<div class="share"><span>分享到：</span><a class="weixin" href="javascript:void(0)">微信</a>'
        '<a class="weibo" href="javascript:void(0)">微博</a><div class="qrcode"><img src="/images/qrcode.png" alt="" />'
        "<p>扫一扫在手机打开当前页</p></div></div>\n"
        '<div class="tools">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</div>'
    )
    if p.name == "cma-gs-qxyw":
        share = '<div class="share">分享:<div class="qrcode"><img src="/images/qrcode.png" alt="" />扫一扫分享至朋友圈</div></div>'
    if p.style == "people":
        main = f"""<div class="layout rm_txt cf"><div class="col col-1 fl">
<h1>{e(a.title)}</h1>
<div class="channel cf">{info_line(p, a)}</div>
<div class="rm_txt_con cf">
{body}
</div>
<div class="edit cf">(责任编辑：{e(prose.REPORTERS[len(a.title) % 12])})</div>
{share}
</div></div>"""
        top = (
            f'<div class="top_nav"><span>投稿邮箱:qizhixmt@126.com</span> <span>站内搜索:</span></div>\n{breadcrumb(p)}'
        )
        return head(p, f"{a.title}--{p.site_name}") + top + main + "\n" + footer(p)
    body_class = {"p12371": "word", "dede": "content", "ahgov": "wzy_content"}.get(p.style, "TRS_Editor")
    tag = "h1" if p.style in ("p12371", "ahgov") else "div"
    main = f"""<div class="w1200 main"><div class="detail">
<{tag} class="title">{e(a.title)}</{tag}>
{info_line(p, a)}
<div id="zoom" class="{body_class}">
{body}
</div>
{share}
</div></div>"""
    return head(p, f"{a.title}_{p.site_name}") + breadcrumb(p, "正文") + main + "\n" + footer(p)


# --- list pages -------------------------------------------------------------------------------------


def trs_pager(p: Portal, index: int) -> str:
    def name(i: int) -> str:
        return f"index.{p.ext}" if i == 0 else f"index_{i}.{p.ext}"

    def link(i: int, label: str, on: bool) -> str:
        return f'<a href="{name(i)}">{label}</a>' if on else f"<span>{label}</span>"

    links = [link(0, "首页", index > 0), link(index - 1, "上一页", index > 0)]
    links += [link(index + 1, "下一页", index < 2), link(2, "尾页", index < 2)]
    return (
        f'<div class="page">{" ".join(links)} <span>共3页</span>\n'
        f'<script type="text/javascript">createPageHTML(3, {index}, "index", "{p.ext}");</script></div>'
    )


def list_entries(p: Portal, arts: list[Art], offsite: str | None) -> str:
    rows = []
    for a in arts:
        if p.style == "people":
            rows.append(f"<li><a href='{a.href}' target=_blank>{e(a.title)}</a><em>{a.day}</em></li>")
        elif p.style == "dede":
            rows.append(
                f'<li><a href="{a.href}" class="title">{e(a.title)}</a>'
                f'<span class="info"><small>日期：</small>{a.day}<small>点击：</small>0</span></li>'
            )
        elif p.name == "cma-gs-qxyw":
            rows.append(
                f'<li><span class="time">[{a.day}]</span><a href="{a.href}" target="_blank">{e(a.title)}</a></li>'
            )
        else:
            rows.append(
                f'<li><a href="{a.href}" target="_blank" title="{e(a.title)}">{e(a.title)}</a><span>{a.day}</span></li>'
            )
    if offsite:  # a reposted item that lives on another site
        rows.insert(
            1, f'<li><a href="{offsite}" target="_blank">（转载）外网文章不应被抓取</a><span>{arts[0].day}</span></li>'
        )
    return "\n".join(rows)


def list_page(p: Portal, index: int, arts: list[Art], offsite: str | None) -> str:
    urls = list_urls(p)
    items = list_entries(p, arts, offsite)
    if p.style == "trs":
        cls = "news_list" if p.name == "cma-gs-qxyw" else "list"
        body = f'<div class="{cls}"><ul>\n{items}\n</ul></div>\n{trs_pager(p, index)}'
    elif p.style == "people":
        current = ' class="common_current"'
        nums = "".join(
            f"<a href='{urlsplit(u).path.rsplit('/', 1)[1]}'{current if i == index else ''}>{i + 1}</a>"
            for i, u in enumerate(urls)
        )
        nxt = f"<a href='index{index + 2}.html'>下一页</a>" if index < 2 else ""
        body = (
            f'<div class="ej_list_box clear"><ul class="list_16 mt10">\n{items}\n</ul></div>\n'
            f'<div class="page_n clearfix">{nums}{nxt}</div>'
        )
    elif p.style == "p12371":
        js_items = ",".join(
            f"{{'title':'{a.title}','brief':'{a.when:%Y-%m-%d %H:%M:%S}','link_add':'{a.href}'}}" for a in arts
        )
        pager = [
            '<a href="/zxfb/">首页</a>',
            f'<a href="{urls[index + 1]}">下一页</a>' if index < 2 else "<span>下一页</span>",
            f'<a href="{urls[2]}">尾页</a>' if index < 2 else "<span>尾页</span>",
        ]
        body = (
            f'<div class="box"><div id="SUBD1725245208000{index}"><div class="con"><div class="left"><ul class="list_ul">\n'
            f"{items}\n</ul></div></div></div></div>\n"
            f'<div class="page">{" ".join(pager)}</div>\n'
            f'<script language="javascript">var item=[{js_items}];</script>'
        )
    elif p.style == "dede":
        pages = "".join(
            f"<li class='thisclass'>{i + 1}</li>"
            if i == index
            else f"<li><a href='list_12_{i + 1}.html'>{i + 1}</a></li>"
            for i in range(3)
        )
        nxt = f"<li><a href='list_12_{index + 2}.html'>下一页</a></li>" if index < 2 else ""
        body = (
            f'<ul class="e2">\n{items}\n</ul>\n<div class="dede_pages"><ul class="pagelist">'
            f"<li><a href='list_12_1.html'>首页</a></li>{pages}{nxt}<li><a href='list_12_3.html'>末页</a></li>"
            f'<span class="pageinfo">共 <strong>3</strong>页<strong>6</strong>条</span></ul></div>'
        )
    else:  # ahgov
        nxt = f'<a href="{p.column}?pageIndex={index + 2}">下一页</a>' if index < 2 else "<span>下一页</span>"
        body = (
            f'<ul class="doc_list list-{index + 1}">\n{items}\n</ul>\n'
            f'<div class="pagination"><a href="{p.column}?pageIndex=1">首页</a> {nxt} '
            f'<a href="{p.column}?pageIndex=3">尾页</a> <span>共3页</span></div>'
        )
    title = f"{p.column_name}--{p.site_name}" if p.style == "people" else f"{p.column_name}_{p.site_name}"
    main = f'<div class="w1200 main"><div class="list_box"><h2 class="column_title">{e(p.column_name)}</h2>\n{body}\n</div></div>'
    return head(p, title) + breadcrumb(p) + main + "\n" + footer(p)


# --- the build --------------------------------------------------------------------------------------


def write(root: Path, rel: str, text: str, encoding: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))  # strict: a character GBK cannot hold is a build error


def build_portal(p: Portal, serial_base: int) -> dict[str, Any]:
    root = SITES_ROOT / p.name
    arts = []
    for i, when in enumerate(p.dates):
        path, href = article_path(p, i, when)
        text = prose.article(i + serial_base, p.unit, when.month, when.day, serial_base + i)
        arts.append(Art(path, href, text.title, when, text.paragraphs, text.key_sentence, text.reporter, p.source))
    urls = list_urls(p)
    offsite_path, _ = article_path(p, 9, p.dates[0])
    offsite = OFFSITE_HOST + offsite_path
    pages: list[list[Art]] = []
    start = 0
    for n in PER_PAGE:
        pages.append(arts[start : start + n])
        start += n
    for index, (url, chunk) in enumerate(zip(urls, pages, strict=True)):
        write(root, file_for(url), list_page(p, index, chunk, offsite if index == 0 else None), p.encoding)
    # the same first page under its other names (TRS index.html, DedeCMS list_12_1.html, ?pageIndex=1)
    aliases = {"trs": f"index.{p.ext}", "dede": "list_12_1.html", "ahgov": "?pageIndex=1", "p12371": ""}
    alias = aliases.get(p.style, "")
    if alias:
        write(root, file_for(p.column + alias), list_page(p, 0, pages[0], offsite), p.encoding)
    for a in arts:
        write(root, file_for(a.path), article_page(p, a), p.encoding)
    write(root, "robots.txt", "User-agent: *\nAllow: /\n", "ascii")

    routes: dict[str, dict[str, str]] = {}
    html_type = p.header or "text/html; charset=utf-8"
    for f in sorted(root.rglob("*")):
        if f.is_file() and f.name != "robots.txt":
            rel = "/" + f.relative_to(root).as_posix()
            if QUERY_MARK in rel:
                continue  # routes are keyed by path; the query variants share the column's entry
            if p.header or not rel.endswith((".html", ".htm", ".shtml")):
                routes[rel] = {"content_type": html_type}
            if rel.endswith("/index.html") and p.header:
                routes[rel[: -len("index.html")]] = {"content_type": html_type}
    ROUTES_DIR.mkdir(parents=True, exist_ok=True)
    (ROUTES_DIR / f"{p.name}.json").write_text(json.dumps(routes, ensure_ascii=False, indent=1) + "\n", "utf-8")

    since = p.dates[1].date()  # page 1 has two entries on/after it; everything else is older
    return {
        "style": p.style,
        "encoding": p.encoding,
        "content_type": html_type,
        "list_paths": urls,
        "articles": [
            {
                "path": a.path,
                "title": a.title,
                "published": a.day,
                "key_sentence": a.key,
                "list_page": next(n for n, chunk in enumerate(pages) if a in chunk) + 1,
            }
            for a in arts
        ],
        "offsite_url": offsite,
        "since": since.isoformat(),
        "since_wanted": [a.path for a in arts if a.when.date() >= since],
        "since_skipped": [a.path for a in arts if a.when.date() < since],
        "since_nothing_new": (p.dates[0].date() + timedelta(days=1)).isoformat(),
        "oldest": min(arts, key=lambda a: a.when).path,
    }


def check_registry_matches(expected: dict[str, Any]) -> None:
    """Every portal of sites/sites.yaml has a replica, and its real patterns accept the replica's URLs."""
    real = {e["name"]: e for e in yaml.safe_load(REAL_REGISTRY.read_text("utf-8"))["sites"]}
    missing = sorted(set(real) ^ set(expected))
    if missing:
        raise SystemExit(f"portals without replica or replica without portal: {missing}")
    for name, exp in expected.items():
        arts = [re.compile(x) for x in real[name]["article_url_patterns"]]
        for a in exp["articles"]:
            if not any(r.search(a["path"]) for r in arts):
                raise SystemExit(f"{name}: real article patterns do not match the replica path {a['path']}")


def build() -> dict[str, Any]:
    for d in (SITES_ROOT, ROUTES_DIR):
        if d.exists():
            shutil.rmtree(d)
    expected = {p.name: build_portal(p, n * 6) for n, p in enumerate(PORTALS)}
    check_registry_matches(expected)
    EXPECTED.write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    DERIVED_REGISTRY.write_text(derived_yaml(), encoding="utf-8")
    return expected


if __name__ == "__main__":
    result = build()
    size = sum(f.stat().st_size for f in SITES_ROOT.rglob("*") if f.is_file())
    print(f"built {len(result)} portal replicas in {SITES_ROOT} ({size} bytes)")
