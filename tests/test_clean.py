"""clean_text on the five seed articles and on the furniture, spam and pinyin shapes they show."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from steps.clean import clean_text, is_boilerplate, is_spam_block, strip_pinyin

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SENTENCE_END = re.compile(r"[。！？!?”]$|[.!?]”?$")


def seed(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def real_paragraphs(text: str) -> list[str]:
    """Lines of a seed that read as article sentences: some length and a sentence ending."""
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if len(line) >= 25 and SENTENCE_END.search(line)]


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_every_real_paragraph_of_every_seed_survives(prefix: str) -> None:
    original = seed(prefix)
    paragraphs = real_paragraphs(original)
    assert len(paragraphs) >= 5  # the selector itself finds the article
    cleaned = squash(clean_text(original).text)
    expected = real_paragraphs(strip_pinyin(original)[0])
    missing = [p for p in expected if squash(p) not in cleaned]
    assert not missing


def test_seed_000_loses_site_name_info_line_and_image_placeholders() -> None:
    cleaned = clean_text(seed("000"))
    lines = cleaned.text.split("\n")
    assert lines[0] != "张家界党建网"
    assert "图片" not in lines
    assert not any(line.startswith("时间:2022-08-29") for line in lines)
    assert "boilerplate_removed" in cleaned.flags
    assert "主要经验做法" in lines  # a short section heading is text, not furniture
    assert cleaned.editor is None and cleaned.spam_ratio == 0


def test_seed_001_loses_its_pinyin_and_furniture() -> None:
    cleaned = clean_text(seed("001"))
    assert "pinyin_stripped" in cleaned.flags
    assert not re.search(r"\((?:[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6})\)", cleaned.text)
    assert "當前位置" not in cleaned.text and "掃一掃" not in cleaned.text
    assert "責任編輯" not in cleaned.text
    assert cleaned.editor == "張林"
    assert cleaned.text.startswith("湖北省氣象局黨組:著力“四個聚焦”")
    assert cleaned.text.endswith("推動黨建工作高質量發展。")


def test_seed_002_spam_block_is_removed_and_flagged() -> None:
    original = seed("002")
    cleaned = clean_text(original)
    assert "spam_removed" in cleaned.flags
    for word in ("无码", "中文字幕", "人妻", "天堂"):
        assert word not in cleaned.text
    spam_line = next(line for line in original.splitlines() if "无码" in line).strip()
    non_blank = sum(len(line.strip()) for line in original.splitlines())
    assert cleaned.spam_ratio == pytest.approx(len(spam_line) / non_blank, rel=0.05)
    assert cleaned.text.endswith("以高質量黨建引領氣象高質量發展,為氣象改革發展注入新動能。")  # the real last paragraph
    for furniture in ("投稿郵箱", "站內搜索", "文字縮放", "旗幟網 >> 基層組織建設", "2024年10月16日09:29", "送簽"):
        assert furniture not in cleaned.text
    assert "(稿件來源:中國氣象報)" not in cleaned.text
    assert cleaned.editor == "王春春"


def test_seed_003_english_text_is_untouched() -> None:
    original = seed("003")
    cleaned = clean_text(original)
    assert cleaned.flags == []
    assert squash(cleaned.text) == squash(original)


def test_seed_004_keeps_its_editor_note_and_loses_the_scan_prompt() -> None:
    cleaned = clean_text(seed("004"))
    assert cleaned.text.startswith("【编者按】坚持围绕中心")
    assert "扫一扫在手机打开当前页" not in cleaned.text
    assert cleaned.flags == ["boilerplate_removed"]


@pytest.mark.parametrize(
    "line",
    [
        "扫一扫在手机打开当前页",
        "掃一掃分享至朋友圈",
        "分享到：",
        "请使用浏览器分享功能进行分享",
        "图片",
        "文字缩放：",
        "字号：大 中 小",
        "【打印本页】【关闭窗口】",
        "| 【打印本稿】 | | 【关闭】 | |",
        "| | 添加收藏夹 \\| 设为首页 \\| 关于我们 |",
        "站内搜索：",
        "投稿邮箱：djw@example.gov.cn",
        "当前位置：首页 > 党建工作 > 正文",
        "現在位置： 首页 >> 东区新闻 >> 正文",
        "首页>>人物聚焦>>2005人物",
        "上一篇：市财政局召开党风廉政建设工作会议",
        "主办单位：中共某某市委组织部 版权所有 地址：人民路1号 邮编：410000",
        "Copyright © 2000 - 2024 HE.NEWS.CN All Rights Reserved.",
        "振兴东北网版权与免责声明：① 凡本网注明“来源：振兴东北网”的所有作品，版权均属于本网。",
        "原创版权禁止商业转载 授权>>",
        "| · | 东北地区11月份人事动态 |",
    ],
)
def test_furniture_lines_are_boilerplate(line: str) -> None:
    assert is_boilerplate(line, kept_lines=5)


@pytest.mark.parametrize(
    "line",
    [
        "一、以组织建设为保障，全面推进党建与业务互融互促。",
        "主要经验做法",
        "扩大党建“朋友圈” 凝聚发展合力",
        "开展读书分享活动",
        "联系地址：市委组织部三楼，联系电话：1234567。",
        "时间：9月2日上午9:00",  # a notice's schedule, far from the heading
        "2024年9月2日",  # a document's closing date, far from the heading
        "党建引领 | 业务融合 | 服务群众 | 建设队伍 | 围绕中心 | 两个维护",
        "| 地区 | 党组织数 | 党员数 |",
    ],
)
def test_article_lines_are_not_boilerplate(line: str) -> None:
    assert not is_boilerplate(line, kept_lines=10)


def test_info_line_and_date_only_count_as_furniture_near_the_head() -> None:
    assert is_boilerplate("时间：2024-09-02 10:30", kept_lines=1)
    assert is_boilerplate("2024年10月16日09:29", kept_lines=2)
    assert is_boilerplate("发布时间：2024-09-02 来源：市委组织部", kept_lines=30)  # two labels: an info line anywhere


def test_spam_detector_needs_many_short_keyword_segments() -> None:
    assert is_spam_block("日韩精选无码| 天堂在线观看中文字幕| 人妻精品久久无码区| 免费在线中文日本| 国产成人无码视频|")
    assert not is_spam_block("党建引领 | 业务融合 | 服务群众 | 建设队伍 | 围绕中心 | 两个维护")
    assert not is_spam_block("国产大飞机C919完成首次商业载客飞行 | 来源：新华社")
    long_rows = " | ".join(["国产大飞机C919完成首次商业载客飞行，标志着我国民航产业迈出了关键的一步"] * 6)
    assert not is_spam_block(long_rows)


def test_spam_as_one_phrase_per_line_is_removed_too() -> None:
    phrases = ["日韩精选无码", "天堂在线观看中文字幕", "人妻精品久久无码区", "国产成人无码视频", "亚洲AV无码", "百家乐"]
    text = "市直机关工委召开党建工作推进会，各单位党组织书记参加会议。\n" + "\n".join(phrases)
    cleaned = clean_text(text)
    assert cleaned.text == "市直机关工委召开党建工作推进会，各单位党组织书记参加会议。"
    assert "spam_removed" in cleaned.flags and cleaned.spam_ratio > 0.5


def test_a_lone_gloss_or_figure_labels_are_not_pinyin() -> None:
    for text in (
        "本文介绍了党建(Party building)工作和业务(a)的融合。",
        "如图(a)所示，图(b)和图(c)分别给出了两个支部的做法。",
    ):
        cleaned = clean_text(text)
        assert cleaned.text == text and "pinyin_stripped" not in cleaned.flags


def test_pinyin_with_full_width_brackets_is_stripped() -> None:
    text = "黨（dǎng）建（jiàn）引領（lǐng）業務發展，氣（qì）象（xiàng）服務更精準。"
    assert clean_text(text).text == "黨建引領業務發展，氣象服務更精準。"


@pytest.mark.parametrize(
    ("line", "editor"),
    [
        ("(责任编辑：张林)", "张林"),
        ("（责编：王婉、李华）", "王婉、李华"),
        ("( 編輯：王春春\u3000送簽：王春春\u3000簽發：鐘鳴 )", "王春春"),
        ("【责任编辑：刘峻凌】", "刘峻凌"),
    ],
)
def test_editor_lines_move_into_editor(line: str, editor: str) -> None:
    cleaned = clean_text("市直机关党建工作扎实推进，党员干部踊跃参加志愿服务活动。\n" + line)
    assert cleaned.editor == editor
    assert cleaned.text == "市直机关党建工作扎实推进，党员干部踊跃参加志愿服务活动。"


def test_related_links_after_a_related_header_are_dropped() -> None:
    text = "全市基层党组织书记培训班圆满结束，学员们纷纷表示收获很大。\n相关新闻\n市委组织部召开会议\n全市党员冬训启动"
    assert clean_text(text).text == "全市基层党组织书记培训班圆满结束，学员们纷纷表示收获很大。"


def test_single_cell_table_rows_are_unwrapped() -> None:
    assert clean_text("| 本报讯 区纪委监委近日组织新任科级干部开展廉政教育活动。 |").text == (
        "本报讯 区纪委监委近日组织新任科级干部开展廉政教育活动。"
    )


def test_a_bar_inside_a_line_of_text_makes_no_table_row() -> None:
    # A next-article link whose title holds a "|": the whole line is the 下一篇 furniture, whatever its cells.
    assert is_boilerplate("下一篇：“养新”党建|支部风采：学科竞赛，筑梦育新人[ 05-23 ]", kept_lines=20)
    # A table row is still judged cell by cell: a real cell of text keeps it.
    assert not is_boilerplate("| 下一篇：某某 | 全县实现生产总值262.6亿元，同比增长5.3％。 |", kept_lines=20)
    assert not is_boilerplate("警示教育 | 浙江省纪委监委公开通报5起违反中央八项规定精神问题", kept_lines=20)
