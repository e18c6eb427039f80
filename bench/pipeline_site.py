"""A synthetic TRS-style portal of N article pages, for bench/pipeline.py.

``write_site(root, n, seed)`` writes, under ``root``:

- ``site/djgz/index.html``, ``index_1.html`` … : 20 dated entries each and a TRS
  ``createPageHTML(count, i, "index", "html")`` call (the only pagination, as on real TRS columns);
- ``site/djgz/YYYYMM/tYYYYMMDD_NNNNNN.html``: N article pages of 30–150 KB (nav, 当前位置 breadcrumb,
  info line, TRS_Editor body of 500–3000 characters, 责任编辑 line, 扫一扫/分享到 block, sidebar lists,
  ICP footer, and the inline CSS/JS and long sidebar/footer link lists that make real pages heavy);
  about 10 % are GBK-encoded with ``<meta charset=gb2312>`` and served with ``charset=GBK``;
- ``site/robots.txt``, ``routes.json`` (the GBK Content-Type overrides for replica.server),
  ``sites.yaml`` (a registry entry with ``{base_url}``, download_delay 0).

The body text is Chinese prose assembled from a vocabulary by a seeded RNG, with numbers, names and
places drawn per sentence, so every article is distinct: no two share more than a few 5-character
shingles, and none is a near-duplicate of another or of the seed corpus. Deterministic for a seed.
"""

from __future__ import annotations

import html
import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

COLUMN = "djgz"
COLUMN_NAME = "党建工作"
SITE_NAME = "某省直机关党建网"
PER_LIST_PAGE = 20
GBK_SHARE = 0.10
MIN_PAGE_BYTES = 30_000
MAX_PAGE_BYTES = 150_000
MIN_BODY_CHARS = 500
MAX_BODY_CHARS = 3000
FIRST_DAY = date(2015, 1, 1)
LAST_DAY = date(2025, 6, 30)

# --- vocabulary ---------------------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅鹏辉建国志文斌宇浩凯健俊帆帅旭宁婷雪琳晨阳鑫波海峰瑞"
PLACES = (
    "东城", "西湖", "南山", "北塔", "清河", "长宁", "永安", "青山", "白云", "金水", "红旗", "新华", "和平", "兴隆",
    "高新", "临江", "滨海", "河西", "城关", "大通", "安乐", "双龙", "凤凰", "桃源", "柳林", "松岭", "梅溪", "石门",
)  # fmt: skip
ORGS = (
    "市税务局", "市交通运输局", "市人民医院", "市财政局", "市教育局", "市自然资源局", "市生态环境局", "市住建局",
    "市水利局", "市农业农村局", "市商务局", "市文旅局", "市卫健委", "市应急管理局", "市审计局", "市统计局",
    "市市场监管局", "市医保局", "市退役军人事务局", "市档案馆", "市图书馆", "市气象局", "市供电公司", "市邮政分公司",
    "市公安局", "市中级人民法院", "市人民检察院", "市消防救援支队", "市机关事务管理局", "市信访局", "市民政局",
    "市司法局", "市人社局", "市发改委", "市科技局", "市工信局", "市林业局", "市体育局", "市城管局", "市国资委",
)  # fmt: skip
UNITS = ("机关党委", "第一党支部", "第二党支部", "第三党支部", "党总支", "青年理论学习小组", "离退休干部党支部", "团委")
ACTIONS = (
    "开展", "组织", "举办", "召开", "推进", "深化", "部署", "启动", "落实", "完成", "参加", "筹备", "总结", "谋划",
)  # fmt: skip
EVENTS = (
    "主题党日活动", "专题学习会", "党课辅导报告", "志愿服务活动", "警示教育大会", "红色教育基地参观", "知识竞赛",
    "业务技能比武", "结对共建签约仪式", "民主生活会", "组织生活会", "调研座谈会", "廉政谈话", "读书分享会",
    "实地走访", "入户慰问", "义诊服务", "政策宣讲", "安全检查", "应急演练", "文明创建活动", "重温入党誓词仪式",
)  # fmt: skip
TOPICS = (
    "党的二十届三中全会精神", "模范机关创建", "基层党组织建设", "党风廉政建设", "作风建设", "优化营商环境",
    "乡村振兴", "为民办实事", "数字政府建设", "安全生产", "生态环境保护", "民生保障", "科技创新", "人才引育",
    "清廉机关建设", "党史学习教育", "主题教育成果", "新时代文明实践", "服务企业发展", "城市更新",
)  # fmt: skip
ADVERBS = ("扎实", "持续", "深入", "全面", "切实", "积极", "认真", "稳步", "有序", "大力", "着力", "不断")
VERBS = (
    "推动", "提升", "加强", "完善", "健全", "巩固", "拓展", "优化", "夯实", "促进", "强化", "规范", "创新", "打造",
)  # fmt: skip
OBJECTS = (
    "工作机制", "服务水平", "制度体系", "队伍素质", "组织力", "执行力", "责任链条", "工作质效", "群众满意度",
    "基础保障", "监督体系", "考核办法", "联系群众渠道", "办事流程", "服务窗口", "信息平台", "学习阵地", "骨干队伍",
)  # fmt: skip
MEASURES = ("场", "次", "人次", "项", "个", "件", "户", "家", "条", "期")
RESULTS = (
    "收集意见建议", "解决实际问题", "培训党员干部", "走访服务对象", "整改突出问题", "办结群众诉求", "帮扶困难家庭",
    "化解矛盾纠纷", "开展入户走访", "发放宣传资料", "更新台账资料", "完成项目建设", "举办专题讲座", "形成调研报告",
)  # fmt: skip
CONNECTIVES = (
    "同时，",
    "此外，",
    "下一步，",
    "据悉，",
    "会上，",
    "活动中，",
    "近年来，",
    "今年以来，",
    "与此同时，",
    "",
)
QUOTES = (
    "要把学习成果转化为推动工作的实际成效",
    "要坚持问题导向，把群众的急难愁盼作为工作的着力点",
    "要以钉钉子精神抓好各项任务落实",
    "要发挥党支部战斗堡垒作用和党员先锋模范作用",
    "要把纪律和规矩挺在前面，筑牢拒腐防变的思想防线",
    "要在学思践悟中坚定理想信念，在知行合一中主动担当作为",
    "要立足岗位职责，在服务大局中彰显机关党员的担当",
)
SOURCES = ("省直机关工委", "市直机关工委", "党建网", "机关党委办公室", "本网", "组织部", "宣传部")
OTHER_COLUMNS = {"llxx": "理论学习", "tzgg": "通知公告", "jjjc": "纪检监察", "ztzl": "专题专栏", "gzdt": "工作动态"}


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


MODIFIERS = (
    "基层", "机关", "青年", "窗口", "重点", "民生", "数字", "红色", "清廉", "法治", "安全", "绿色", "智慧", "便民", "示范",
    "骨干", "网格", "社区", "乡村", "园区", "行业", "业务", "政务", "应急", "文明", "志愿", "党员", "专项", "长效", "联动",
)  # fmt: skip
NOUNS = (
    "服务", "阵地", "队伍", "机制", "平台", "品牌", "项目", "台账", "清单", "课堂", "驿站", "中心", "站点", "岗位",
    "制度", "标准", "流程", "网络", "课题", "任务", "责任", "考核", "监督", "培训", "宣讲", "调研", "走访", "帮扶",
    "治理", "保障", "联络", "共建", "攻坚", "整改", "指导", "评议", "示范点", "工作室", "先锋岗", "责任区",
)  # fmt: skip
PEOPLE = (
    "党员",
    "干部",
    "群众",
    "职工",
    "青年",
    "志愿者",
    "居民",
    "村民",
    "企业负责人",
    "老党员",
    "技术骨干",
    "入党积极分子",
)
CLAUSES = (
    "{org}{adv}{verb}{mod}{noun}",
    "{org}{act}{event}",
    "围绕{topic}{verb}{mod}{noun}",
    "累计{result}{num}{measure}",
    "{num}名{people}参加{event}",
    "在{place}{area}{act}{event}",
    "{adv}{verb}{topic}",
    "{name}{said}{quote}",
    "形成{mod}{noun}{num2}个",
    "{month}月{day}日{org}{act}{mod}{noun}{event}",
    "{people}{adv}参与{mod}{noun}",
    "以{mod}{noun}为抓手{verb}{mod}{noun}",
    "{verb}{place}{mod}{noun}{num2}处",
    "{org}与{org2}签订{mod}{noun}协议",
)
SAID = ("表示", "强调", "指出", "介绍", "说", "谈到")
AREAS = ("社区", "街道", "村", "镇", "园区", "小区", "服务站", "工地", "学校", "企业")


def _clause(rng: random.Random) -> str:
    c = rng.choice
    return c(CLAUSES).format(
        org=c(PLACES) + c(ORGS)[1:] + c(UNITS),
        org2=c(PLACES) + c(ORGS)[1:] + c(UNITS),
        adv=c(ADVERBS),
        verb=c(VERBS),
        act=c(ACTIONS),
        mod=c(MODIFIERS),
        noun=c(NOUNS),
        event=c(EVENTS),
        topic=c(TOPICS),
        result=c(RESULTS),
        num=rng.randint(3, 3000),
        num2=rng.randint(2, 99),
        measure=c(MEASURES),
        people=c(PEOPLE),
        place=c(PLACES),
        area=c(AREAS),
        name=_name(rng),
        said=c(SAID),
        quote=c(QUOTES)[1:],
        month=rng.randint(1, 12),
        day=rng.randint(1, 28),
    )


def _sentence(rng: random.Random) -> str:
    return rng.choice(CONNECTIVES) + "，".join(_clause(rng) for _ in range(rng.randint(2, 4))) + "。"


def prose(rng: random.Random, chars: int) -> list[str]:
    """Paragraphs of 2–5 sentences until about ``chars`` characters."""
    paras: list[str] = []
    total = 0
    while total < chars:
        para = "".join(_sentence(rng) for _ in range(rng.randint(2, 5)))
        paras.append(para)
        total += len(para)
    return paras


def title_for(rng: random.Random) -> str:
    return f"{rng.choice(ORGS)}{rng.choice(UNITS)}{rng.choice(ACTIONS)}{rng.choice(TOPICS)}{rng.choice(EVENTS)}"


# --- pages --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    day: date
    doc_id: str  # t20240902_123456
    title: str

    @property
    def month(self) -> str:
        return self.day.strftime("%Y%m")

    @property
    def path(self) -> str:
        return f"/{COLUMN}/{self.month}/{self.doc_id}.html"

    @property
    def href(self) -> str:  # relative to the column directory, as TRS writes it
        return f"./{self.month}/{self.doc_id}.html"


def _css(rng: random.Random, rules: int) -> str:
    props = ("margin", "padding", "color", "background", "border", "font-size", "line-height", "width", "height")
    out = []
    for i in range(rules):
        decls = ";".join(
            f"{rng.choice(props)}:{rng.randint(0, 40)}px"
            if rng.random() < 0.7
            else f"color:#{rng.randrange(16**6):06x}"
            for _ in range(rng.randint(2, 6))
        )
        out.append(f".trs-{rng.choice(('nav', 'box', 'list', 'con', 'side', 'foot'))}-{i} a:hover{{{decls}}}")
    return "\n".join(out)


def _js(rng: random.Random, funcs: int) -> str:
    out = []
    for i in range(funcs):
        out.append(
            f"function trs_fn_{i}(el, opts) {{\n"
            f"  var cfg = {{speed: {rng.randint(100, 900)}, delay: {rng.randint(0, 5000)}, "
            f"id: 'box{rng.randrange(10**6)}', auto: {rng.choice(('true', 'false'))}}};\n"
            f"  for (var k in opts) {{ if (opts.hasOwnProperty(k)) {{ cfg[k] = opts[k]; }} }}\n"
            f"  if (!el || !el.getElementsByTagName) {{ return null; }}\n"
            f"  var items = el.getElementsByTagName('li'), n = items.length;\n"
            f"  for (var j = 0; j < n; j++) {{ items[j].style.display = j < {rng.randint(3, 12)} ? 'block' : 'none'; }}\n"
            f"  return setTimeout(function () {{ trs_fn_{i}(el, cfg); }}, cfg.delay);\n"
            f"}}"
        )
    return "\n".join(out)


def _link_list(rng: random.Random, heading: str, items: int, column: str) -> str:
    lis = []
    for _ in range(items):
        day = FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days))
        doc = f"t{day:%Y%m%d}_{rng.randrange(10**6, 10**7)}"
        lis.append(
            f'<li><a href="../../{column}/{day:%Y%m}/{doc}.html" target="_blank" '
            f'title="{title_for(rng)}">{title_for(rng)[:18]}</a><span>{day:%m-%d}</span></li>'
        )
    return f'<div class="side-box"><h3>{heading}</h3><ul>\n' + "\n".join(lis) + "\n</ul></div>"


def _head(title: str, charset: str, css: str, js: str) -> str:
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}" />
<meta http-equiv="X-UA-Compatible" content="IE=edge" />
<title>{html.escape(title)}</title>
<meta name="SiteName" content="{SITE_NAME}" />
<meta name="ColumnName" content="{COLUMN_NAME}" />
<link rel="stylesheet" type="text/css" href="../../css/style.css" />
<style type="text/css">
{css}
</style>
<script type="text/javascript">
{js}
</script>
</head>"""


def _nav() -> str:
    items = [f'<li><a href="../../{d}/index.html">{n}</a></li>' for d, n in OTHER_COLUMNS.items()]
    return (
        '<div class="nav"><ul>\n<li><a href="../../index.html">首页</a></li>\n'
        f'<li><a href="../../{COLUMN}/index.html">{COLUMN_NAME}</a></li>\n' + "\n".join(items) + "\n</ul></div>"
    )


def _footer(rng: random.Random, links: int) -> str:
    friends = " ".join(
        f'<a href="http://www.{rng.choice(("gov", "org", "dj"))}{i}.example.cn/" target="_blank">'
        f"{rng.choice(PLACES)}{rng.choice(('党建网', '机关党建', '政府网', '组工网'))}</a>"
        for i in range(links)
    )
    return f"""<div class="friend-links"><span>友情链接：</span>{friends}</div>
<div class="footer">
<p><a href="../../sitemap.html">网站地图</a> | <a href="../../tzgg/index.html">联系我们</a></p>
<p>主办单位：中共某省省直机关工作委员会　承办：省直机关工委办公室　地址：某市人民路1号</p>
<p>版权所有 &copy; 某省省直机关工委　备案号：某ICP备{rng.randrange(10**7, 10**8)}号-1　网站标识码：{rng.randrange(10**9)}</p>
</div>"""


def article_page(rng: random.Random, entry: Entry, charset: str) -> str:
    target = rng.randint(MIN_PAGE_BYTES, MAX_PAGE_BYTES)
    paras = prose(rng, rng.randint(MIN_BODY_CHARS, MAX_BODY_CHARS))
    body = "\n".join(f'<p style="text-indent: 2em;">{html.escape(p)}</p>' for p in paras)
    info = (
        f'<div class="info"><span>发布时间：{entry.day:%Y-%m-%d} {rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}</span>'
        f"　<span>来源：{rng.choice(SOURCES)}</span>　<span>作者：{_name(rng)}</span></div>"
    )
    heading = (
        f'<h1 class="title">{html.escape(entry.title)}</h1>'
        if rng.random() < 0.5
        else f'<div class="title">{html.escape(entry.title)}</div>'
    )
    main = f"""<div class="article">
{heading}
{info}
<div class="fontsize">字号：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a></div>
<div id="zoom"><div class="TRS_Editor">
{body}
</div></div>
<div class="editor">(责任编辑：{_name(rng)})</div>
<div class="share">
<div class="qrcode"><img src="../../images/qrcode.png" alt="二维码" /><p>扫一扫在手机打开当前页</p></div>
<div class="bdsharebuttonbox">分享到：<a href="#" class="bds_tsina" title="分享到新浪微博">微博</a><a href="#" class="bds_weixin" title="分享到微信">微信</a></div>
</div>
<div class="tools">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</div>
</div>"""
    crumbs = f'<a href="../../index.html">首页</a> &gt; <a href="../index.html">{COLUMN_NAME}</a> &gt; 正文'

    def render(css_rules: int, js_funcs: int, side_items: int, friend_links: int) -> str:
        sides = "\n".join(
            _link_list(random.Random(rng.random()), h, side_items, c)
            for h, c in (("热点文章", "llxx"), ("相关新闻", COLUMN), ("通知公告", "tzgg"))
        )
        return f"""{_head(entry.title + " - " + SITE_NAME, charset, _css(random.Random(css_rules), css_rules), _js(random.Random(js_funcs), js_funcs))}
<body>
<div class="header"><div class="logo"><a href="../../index.html"><img src="../../images/logo.png" alt="{SITE_NAME}" /></a></div>
<div class="search"><form action="/was5/web/search" method="get" target="_blank"><input type="text" name="searchword" /><input type="submit" value="搜索" /></form></div></div>
{_nav()}
<div class="location">当前位置：{crumbs}</div>
<div class="main"><div class="content">
{main}
</div>
<div class="sidebar">
{sides}
</div></div>
{_footer(random.Random(friend_links), friend_links)}
</body>
</html>
"""

    # Weight: about 40 % inline CSS/JS, 60 % markup (sidebar and footer link lists), as on real TRS pages.
    base = len(render(0, 0, 5, 10).encode("utf-8"))
    room = int(max(0, target - base) * 1.17)  # the per-item sizes below are averages; calibrated
    css_rules = int(room * 0.15 / 75)
    js_funcs = int(room * 0.25 / 420)
    side_items = 5 + int(room * 0.5 / 3 / 330)
    friend_links = 10 + int(room * 0.1 / 85)
    return render(css_rules, js_funcs, side_items, friend_links)


def list_page(entries: list[Entry], index: int, count: int) -> str:
    items = "\n".join(
        f'<li><a href="{e.href}" title="{html.escape(e.title)}" target="_blank">{html.escape(e.title)}</a>'
        f'<span class="date">{e.day.isoformat()}</span></li>'
        for e in entries
    )
    return f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>{COLUMN_NAME} - {SITE_NAME}</title>
<script type="text/javascript" src="../js/common.js"></script>
</head>
<body>
{_nav()}
<div class="location">当前位置：<a href="../index.html">首页</a> &gt; <a href="index.html">{COLUMN_NAME}</a></div>
<div class="list"><ul>
{items}
</ul></div>
<div class="page"><script type="text/javascript">createPageHTML({count}, {index}, "index", "html");</script></div>
</body>
</html>
"""


REGISTRY = """# bench/pipeline.py: the synthetic portal, served on 127.0.0.1; {{base_url}} is filled at run time.
sites:
  - name: bench-djgz
    title: synthetic TRS portal ({n} articles)
    start_urls: ["{{base_url}}/{column}/index.html"]
    allowed_domains: ["127.0.0.1"]
    article_url_patterns: ['/{column}/\\d{{6}}/t\\d{{8}}_\\d+\\.html$']
    list_url_patterns: ['/{column}/index(?:_\\d+)?\\.html$']
    max_pages: {max_pages}
    download_delay: 0
"""


@dataclass(frozen=True)
class SiteInfo:
    root: Path  # served directory
    routes: Path
    registry: Path
    entries: int
    list_pages: int
    gbk_pages: int
    article_bytes: int


def write_site(out: Path, n: int, seed: int = 8) -> SiteInfo:
    """Write the portal of ``n`` articles under ``out`` (see the module docstring)."""
    rng = random.Random(seed)
    site = out / "site"
    column = site / COLUMN
    column.mkdir(parents=True, exist_ok=True)
    span = (LAST_DAY - FIRST_DAY).days
    entries = []
    used: set[str] = set()
    for i in range(n):
        day = FIRST_DAY + timedelta(days=rng.randrange(span))
        doc_id = f"t{day:%Y%m%d}_{100000 + i}"
        used.add(doc_id)
        entries.append(Entry(day, doc_id, title_for(rng)))
    routes: dict[str, dict[str, str]] = {}
    total_bytes = 0
    for entry in entries:
        gbk = rng.random() < GBK_SHARE
        text = article_page(rng, entry, "gb2312" if gbk else "utf-8")
        data = text.encode("gbk" if gbk else "utf-8")
        total_bytes += len(data)
        path = column / entry.month / f"{entry.doc_id}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if gbk:
            routes[entry.path] = {"content_type": "text/html; charset=GBK"}
    ordered = sorted(entries, key=lambda e: (e.day, e.doc_id), reverse=True)
    count = -(-len(ordered) // PER_LIST_PAGE)
    for i in range(count):
        chunk = ordered[i * PER_LIST_PAGE : (i + 1) * PER_LIST_PAGE]
        name = "index.html" if i == 0 else f"index_{i}.html"
        (column / name).write_text(list_page(chunk, i, count), encoding="utf-8")
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    routes_path = out / "routes.json"
    routes_path.write_text(json.dumps(routes, indent=0), encoding="utf-8")
    registry = out / "sites.yaml"
    registry.write_text(REGISTRY.format(n=n, column=COLUMN, max_pages=2 * (n + count) + 100), encoding="utf-8")
    return SiteInfo(site, routes_path, registry, n, count, len(routes), total_bytes)


if __name__ == "__main__":
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description="Write the synthetic portal and print its shape.")
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    info = write_site(args.out or Path(tempfile.mkdtemp(prefix="dangjian-site-")), args.n)
    print(info)
