"""Site furniture: learned from a site's stored articles, kept in the database, applied at extraction.

Built pages of one made-up site carry, inside the article's own container, a comment disclaimer that
extraction alone keeps. Two real pipeline runs on a real database (SQLite file and PostgreSQL): the
first stores the articles and learns; the second run's pages lose the disclaimer, and a sentence that
two articles quote stays.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select

from pages.raw import RawPage
from process.run import process_pages
from sites.registry import load_registry
from steps.extract import extract_article
from steps.furniture import learn, line_key, remove_furniture
from storage.db import session_scope
from storage.furniture import learn_site_furniture, load_site_furniture
from storage.models import Article, SiteFurniture

ROOT = Path(__file__).resolve().parent.parent
SITE = load_registry(ROOT / "replica" / "sites.yaml", {"base_url": "http://127.0.0.1:9"})["replica-djgz"]
DISCLAIMER = "网友评论仅供其表达个人看法，并不表明本站同意其观点或证实其描述，请文明上网、理性发言。"
QUOTE = "“党建工作做实了就是生产力，做细了就是凝聚力，做强了就是战斗力。”"
BODIES = [
    [
        "春耕时节，县农业农村局党支部组织党员技术员深入田间地头，指导农户开展小麦病虫害统防统治。",
        "技术员现场演示无人机飞防作业，讲解药剂配比和安全间隔期，帮助种植大户算清成本效益账。",
    ],
    [
        "市图书馆党支部联合街道社区开展“书香进万家”阅读推广活动，为老年读者送去大字版图书二百余册。",
        "志愿者还手把手教老人使用电子借阅平台，现场办理读者证四十余张，受到居民欢迎。",
    ],
    [
        "区税务局第二党支部围绕新出台的小微企业税费优惠政策，走进产业园区开展“一对一”政策辅导。",
        "辅导组梳理企业集中反映的开票、申报问题十二个，建立清单逐项答复，限期办结。",
    ],
    [
        "县人民医院党委组织医疗专家赴偏远山区乡镇开展义诊，为行动不便的群众提供上门健康体检服务。",
        "专家们为高血压、糖尿病患者调整用药方案，并向乡镇卫生院医生传授慢病管理经验。",
    ],
    [
        "交通运输局机关党委开展汛前安全隐患排查，重点检查临水临崖路段护栏、排水沟和桥梁伸缩缝。",
        "排查发现的三处边坡落石隐患已设置警示标志，并安排养护队伍抢在主汛期前完成整治。",
    ],
    [
        "市气象台党支部在防灾减灾日前夕走进中学校园，用实验演示讲解雷电、暴雨的形成原理。",
        "同学们参观了自动气象站，学习了预警信号的含义，还分组演练了雷雨天气的避险方法。",
    ],
    [
        "供电公司共产党员服务队入户检修老旧小区线路，更换老化电表箱和破损接户线一百余处。",
        "服务队为独居老人建立用电档案，定期回访，确保迎峰度夏期间居民用电安全可靠。",
    ],
    [
        "统计局党支部召开第五次全国经济普查数据质量分析会，逐个比对重点行业企业的主要指标。",
        "会议要求各普查小区对异常数据开展实地复核，严禁弄虚作假，确保普查结果真实准确。",
    ],
]


def page(i: int, *, quote: bool = False) -> bytes:
    paras = "".join(f"<p>{p}</p>" for p in BODIES[i]) + (f"<p>{QUOTE}</p>" if quote else "")
    html = (
        f"<html><head><meta charset='utf-8'><title>基层党建动态第{i}期_示例党建网</title></head><body>"
        "<div class='nav'><a href='/'>首页</a> <a href='/djgz/'>党建工作</a></div>"
        f"<div class='article'><h1>基层党建动态第{i}期</h1><div class='info'>发布时间：2024-05-{10 + i:02d}</div>"
        f"<div class='content'>{paras}<p class='note'>{DISCLAIMER}</p></div></div></body></html>"
    )
    return html.encode("utf-8")


def raw(i: int, **kwargs: bool) -> RawPage:
    url = f"http://127.0.0.1:9/djgz/202405/t202405{10 + i:02d}_{900 + i}.html"
    return RawPage(
        kind="page",
        site=SITE.name,
        url=url,
        final_url=url,
        status=200,
        body=page(i, **kwargs),
        headers={"content-type": "text/html; charset=utf-8"},
        reason=None,
    )


def test_learn_needs_many_pages_and_most_of_them() -> None:
    texts = [f"正文{i}\n{DISCLAIMER}" + (f"\n{QUOTE}" if i < 2 else "") for i in range(6)]
    learned = {line.key for line in learn(texts)}
    assert line_key(DISCLAIMER) in learned
    assert line_key(QUOTE) not in learned  # quoted by two articles: article text
    assert learn(texts[:4]) == []  # four articles are not enough evidence for anything


def test_remove_furniture_removes_only_learned_lines() -> None:
    text, removed = remove_furniture(f"第一段。\n{DISCLAIMER}\n第二段。", frozenset({line_key(DISCLAIMER)}))
    assert (text, removed) == ("第一段。\n第二段。", [DISCLAIMER])


def test_extraction_keeps_the_disclaimer_unless_told_it_is_furniture() -> None:
    html = page(0).decode("utf-8")
    assert DISCLAIMER in extract_article(html, "http://x.example/a.html").text  # the premise of this file
    art = extract_article(html, "http://x.example/a.html", furniture=frozenset({line_key(DISCLAIMER)}))
    assert DISCLAIMER not in art.text and BODIES[0][1] in art.text
    assert "site_furniture_removed" in art.flags


def test_second_run_benefits_from_what_the_first_stored(engine: Engine) -> None:
    first = [raw(i, quote=i in (0, 1)) for i in range(6)]
    assert process_pages(engine, first, SITE, None, processes=1).new == 6
    with session_scope(engine) as s:
        assert all(DISCLAIMER in t for t in s.scalars(select(Article.text)))
        samples = set(s.scalars(select(SiteFurniture.sample).where(SiteFurniture.site == SITE.name)))
        assert samples == {DISCLAIMER}
        assert load_site_furniture(s, SITE.name) == frozenset({line_key(DISCLAIMER)})
    second = [raw(6, quote=True), raw(7)]
    assert process_pages(engine, second, SITE, None, processes=1).new == 2
    with session_scope(engine) as s:
        new = list(s.scalars(select(Article).where(Article.url.in_([p.url for p in second]))))
        assert len(new) == 2
        assert all(DISCLAIMER not in a.text and "site_furniture_removed" in a.flags for a in new)
        assert any(QUOTE in a.text for a in new)  # three articles quote it now, out of eight: still text
        # Only 6 of the 8 stored texts still carry the line, below 80 %; it stays known all the same,
        # because the two that lack it lost it to this very rule (no learn, remove, forget, leak cycle).
        assert load_site_furniture(s, SITE.name) == frozenset({line_key(DISCLAIMER)})


def store(engine: Engine, n: int, start: int, *, line: bool, flagged: bool = False) -> None:
    with session_scope(engine) as s:
        for i in range(start, start + n):
            text = f"第{i}篇文章的正文，内容各不相同。\n" + (DISCLAIMER if line else "")
            s.add(
                Article(
                    url=f"http://x.example/{i}.html",
                    canonical_url=f"http://x.example/{i}.html",
                    site="x",
                    text=text,
                    text_normalized=text,
                    content_hash=f"{i:064d}",
                    fetched_at=datetime.now(UTC),
                    flags="site_furniture_removed" if flagged else "",
                )
            )


def test_a_line_is_kept_while_removed_and_forgotten_when_the_site_drops_it(engine: Engine) -> None:
    store(engine, 6, 0, line=True)
    with session_scope(engine) as s:
        assert learn_site_furniture(s, "x") == 1
    store(engine, 20, 100, line=False, flagged=True)  # the rule removed it from all of these
    with session_scope(engine) as s:
        assert learn_site_furniture(s, "x") == 1 and load_site_furniture(s, "x") == {line_key(DISCLAIMER)}
    store(engine, 5, 200, line=False)  # five articles that lost nothing and lack it: the site dropped it
    with session_scope(engine) as s:
        assert learn_site_furniture(s, "x") == 0 and load_site_furniture(s, "x") == frozenset()
