"""Cross-language duplicates (issue #27): features that survive translation, and the translation layer
through the real decide path (process_pages on a real database, seeds indexed by sync_seed_corpus).

The texts are the labelled set of bench/xlang_eval.py (bench/dedup_data/xlang): Chinese renderings of seed 003
(an English translation), our own translation pairs, and same-topic hard negatives.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from pages.raw import RawPage
from process.run import process_pages
from process.seeds import prepare_reference_text, sync_seed_corpus
from sites.registry import load_registry
from steps import xlang
from storage.db import session_scope
from storage.models import Article, Duplicate, XlangKey

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "dedup_data" / "xlang"
SITE = load_registry(ROOT / "replica" / "sites.yaml", {"base_url": "http://127.0.0.1:9"})["replica-djgz"]
SEED_003 = "003_0addb17df4a82034.txt"


def page(name: str, text: str) -> RawPage:
    """An article page of the replica site whose main text is ``text`` (first line: the title)."""
    title, *paragraphs = [line for line in text.splitlines() if line.strip()]
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    doc = (
        f"<html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body><div class='article'>"
        f"<h1>{html.escape(title)}</h1><div class='info'>发布时间：2023-01-05 10:00</div>{body}</div></body></html>"
    )
    url = f"http://127.0.0.1:9/djgz/202301/t20230105_{name}.html"
    return RawPage(kind="page", site=SITE.name, url=url, final_url=url, status=200, body=doc.encode(),
                   headers={"content-type": "text/html"})  # fmt: skip


def text(name: str) -> str:
    return (DATA / name).read_text("utf-8")


def duplicates(engine: Engine) -> dict[str, Duplicate]:
    with session_scope(engine) as s:
        rows = s.scalars(select(Duplicate)).all()
        s.expunge_all()
    return {r.url.rsplit("_", 1)[-1].removesuffix(".html"): r for r in rows}


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    sync_seed_corpus(engine, ROOT / "seeds")
    return engine


# --- pure features -----------------------------------------------------------------------------------


def test_chinese_numerals_read_as_numbers() -> None:
    assert xlang.cn_number("二〇二二") == 2022
    assert xlang.cn_number("四十六") == 46
    assert xlang.cn_number("十八") == 18
    assert xlang.cn_number("两千三百") == 2300
    assert xlang.cn_number("三万") == 30000
    assert xlang.cn_number("漯河") is None


def test_the_same_facts_give_the_same_keys_in_both_languages() -> None:
    zh = xlang.features(
        "二〇二二年十二月二十二日，漯河市气象局局长张辉介绍，共启动应急响应四十六次，提供材料260余期。", "hans"
    )
    en = xlang.features(
        "On December 22, 2022, Zhang Hui, director of the Luohe Meteorological Bureau, said 46 emergency "
        "responses had been launched and more than 260 materials provided.",
        "latin",
    )
    expected = {"d:2022-12-22", "n:46", "n:260", "p:zhanghui", "p:luohe"}
    assert expected <= zh.index_keys and expected <= en.index_keys
    assert (zh.side, en.side) == ("zh", "en")
    match = xlang.score(zh, en)
    assert match.confirmed
    assert "张辉=Zhang Hui" in match.names and "漯河市=Luohe" in match.names
    assert "二〇二二年十二月二十二日" in match.numbers and "260余" in match.numbers
    assert any(g.startswith("气象局=") for g in match.glosses)  # CC-CEDICT: weather bureau
    assert "names" in match.explain() and "张辉=Zhang Hui" in match.explain()


def test_names_alone_or_two_texts_of_one_language_never_confirm() -> None:
    zh = xlang.features("漯河市气象局党组书记、局长张辉出席会议并讲话，强调推动党建与业务深度融合。", "hans")
    en = xlang.features(
        "Zhang Hui, director of the Luohe Municipal Meteorological Bureau, spoke on integration.", "latin"
    )
    assert not xlang.score(zh, en).confirmed  # the bureau's chief and its city are in all of its articles
    other = xlang.features("2022年12月22日，漯河市启动应急响应46次，材料260余期，张辉介绍。", "hans")
    assert not xlang.score(other, other).confirmed


def test_small_and_round_counts_are_not_keys() -> None:
    feats = xlang.features("聚焦三个方面九项举措，统一部署，万众一心，一体推进。", "hans")
    assert not {k for k in feats.index_keys if k.startswith("n:")}


# --- the translation layer through the pipeline -----------------------------------------------------


def test_chinese_renderings_of_seed_003_are_its_translation_duplicates(seeded: Engine) -> None:
    pages = [page(n, text(f"zh_003_{n}.txt")) for n in ("whole", "half", "brief")]
    summary = process_pages(seeded, pages, SITE, None, processes=1)
    assert (summary.new, summary.duplicate) == (0, 3), summary.errors
    for name, dup in duplicates(seeded).items():
        assert (dup.duplicate_of_seed, dup.layer) == (SEED_003, "translation"), name
        assert dup.detail and "张辉=Zhang Hui" in dup.detail and "numbers" in dup.detail


def test_an_english_page_is_the_translation_of_a_stored_chinese_article(seeded: Engine) -> None:
    chinese = page("1", (ROOT / "bench" / "dedup_data" / "distinct" / "d08_power_company_flood.txt").read_text("utf-8"))
    summary = process_pages(seeded, [chinese, page("2", text("en_d08.txt"))], SITE, None, processes=1)
    assert (summary.new, summary.duplicate) == (1, 1), summary.errors
    with session_scope(seeded) as s:
        stored = s.scalars(select(Article)).one()
        assert stored.script == "hans" and stored.url.endswith("_1.html")  # the earliest copy stays canonical
        assert s.scalars(select(XlangKey.side).where(XlangKey.article_id == stored.id)).all()
        stored_id = stored.id
    dup = duplicates(seeded)["2"]
    assert (dup.duplicate_of_article_id, dup.layer) == (stored_id, "translation")
    assert dup.detail and "3,000" in dup.detail


@pytest.mark.parametrize(
    "negative",
    ["neg_zh_zhoukou_meteo.txt", "neg_zh_luohe_meeting.txt", "neg_zh_tax_slogan.txt"],
)
def test_same_topic_chinese_articles_are_not_taken_for_seed_003(seeded: Engine, negative: str) -> None:
    summary = process_pages(seeded, [page("1", text(negative))], SITE, None, processes=1)
    assert (summary.new, summary.duplicate) == (1, 0), duplicates(seeded)


def test_same_topic_english_articles_are_not_taken_for_stored_chinese_ones(seeded: Engine) -> None:
    distinct = ROOT / "bench" / "dedup_data" / "distinct"
    stored = ["d08_power_company_flood.txt", "d13_fire_rescue_training.txt", "d26_meteorology_county_branch.txt"]
    originals = [page(str(i), (distinct / f).read_text("utf-8")) for i, f in enumerate(stored)]
    english = ["neg_en_power_repair.txt", "neg_en_fire_contest.txt", "neg_en_county_weather_day.txt"]
    negatives = [page(f"n{i}", text(f)) for i, f in enumerate(english)]
    summary = process_pages(seeded, originals + negatives, SITE, None, processes=1)
    assert (summary.new, summary.duplicate) == (6, 0), duplicates(seeded)


def test_show_names_the_translation_layer_and_what_matched(seeded: Engine, db_url: str) -> None:
    from dangjian.show import show

    process_pages(seeded, [page("brief", text("zh_003_brief.txt"))], SITE, None, processes=1)
    out = show(SEED_003, db_url)
    assert "layer translation" in out
    assert "matched numbers" in out and "张辉=Zhang Hui" in out


def test_seeds_are_indexed_with_their_side(seeded: Engine) -> None:
    with session_scope(seeded) as s:
        sides = set(s.execute(select(XlangKey.side, XlangKey.key).where(XlangKey.seed_id.is_not(None))).tuples())
    assert ("en", "p:zhanghui") in sides and ("en", "d:2022-12-22") in sides
    assert any(side == "zh" for side, _ in sides)


def test_prepared_text_keeps_what_the_features_need() -> None:
    """prepare_reference_text (clean + normalize) must not strip the numbers or capitals the keys come from."""
    prepared = prepare_reference_text(text("zh_003_brief.txt"))
    assert "2022年12月22日" in prepared and "张辉" in prepared


def test_a_day_without_its_year_is_a_date_not_two_numbers() -> None:
    zh = xlang.features("3月10日召开会议；“5·12”防灾减灾日；7月12日凌晨。", "hans")
    en = xlang.features("The meeting on March 10; May 12, Disaster Prevention Day; July 12; may 5 people.", "latin")
    assert zh.index_keys == en.index_keys == {"md:03-10", "md:05-12", "md:07-12"}


def test_one_shared_count_beside_the_bureau_names_does_not_confirm() -> None:
    """The bureau's chief, its city and one coincident count (bench half 'fresh': 32 warnings vs 32 measures)."""
    zh = xlang.features(text("neg_zh_luohe_flood_service.txt"), "hans")
    seed = prepare_reference_text((ROOT / "seeds" / SEED_003).read_text("utf-8"))
    match = xlang.score(zh, xlang.features(seed, "latin"))
    assert match.names and not match.confirmed
