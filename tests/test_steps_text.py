"""decode, dates, clean and normalize on real bytes and on the seed texts."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from steps.clean import clean_text, is_spam_block
from steps.dates import find_published_date
from steps.decode import DecodeError, decode_html
from steps.normalize import normalize_text

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
ARTICLE = "<html><head>{meta}</head><body><p>市直机关党建工作扎实推进，党员干部踊跃参加志愿服务。</p></body></html>"


def seed(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


# --- decode -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "method"),
    [
        (ARTICLE.format(meta='<meta charset="utf-8">').encode("utf-8"), None, "utf-8-valid"),
        (ARTICLE.format(meta='<meta charset="gb2312">').encode("gbk"), None, "declared"),
        (ARTICLE.format(meta="").encode("gbk"), None, "detected"),  # no declaration at all
        (ARTICLE.format(meta='<meta charset="gb2312">').encode("utf-8"), "text/html; charset=gbk", "utf-8-valid"),
        (ARTICLE.format(meta="").encode("gbk"), "text/html; charset=utf-8", "detected"),  # header lies
        (codecs.BOM_UTF8 + ARTICLE.format(meta="").encode("utf-8"), "text/html; charset=gbk", "bom"),
    ],
    ids=["utf8-meta", "gbk-meta", "gbk-undeclared", "lying-gbk-header", "lying-utf8-header", "bom"],
)
def test_decode_gets_the_chinese_right(body: bytes, content_type: str | None, method: str) -> None:
    page = decode_html(body, content_type)
    assert "党员干部踊跃参加志愿服务" in page.text
    assert page.method == method


def test_decode_rejects_only_empty_bodies() -> None:
    with pytest.raises(DecodeError):
        decode_html(b"  \n")
    assert decode_html(b"\xff\xfe\xfa garbage \x81").text  # never raises on garbage


# --- dates ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "url", "expected"),
    [
        ("时间:2022-08-29 17:46:10  来源:  作者:", None, "2022-08-29T17:46:10+08:00"),
        ("發布時間:2024年09月02日 來源:中國氣象報社", None, "2024-09-02T00:00:00+08:00"),
        ("发布时间：2024年09月02日", None, "2024-09-02T00:00:00+08:00"),
        ("2024-12-09 18:00 来源：福建机关党建网", None, "2024-12-09T18:00:00+08:00"),
        ("日期：2024/09/02", None, "2024-09-02T00:00:00+08:00"),
        ("no date here", "http://x.gov.cn/djgz/202409/t20240902_123456.html", "2024-09-02T00:00:00+08:00"),
        # a sidebar date that disagrees with the URL loses to the URL
        ("热点文章 2023-01-05 其他", "http://x.gov.cn/djgz/202409/t20240902_1.html", "2024-09-02T00:00:00+08:00"),
        # a labelled time on the URL's day keeps its time of day
        ("发布时间：2024-09-02 10:30", "http://x.gov.cn/djgz/202409/t20240902_1.html", "2024-09-02T10:30:00+08:00"),
    ],
)
def test_publication_dates(text: str, url: str | None, expected: str) -> None:
    found = find_published_date(text, url)
    assert found is not None and found.isoformat() == expected


def test_unlabelled_date_in_the_info_zone_counts_when_html_is_given() -> None:
    found = find_published_date("王婉 2024年10月16日09:29 文字縮放", None, html="<html></html>")
    assert found is not None and found.isoformat() == "2024-10-16T09:29:00+08:00"


# --- clean ------------------------------------------------------------------------------------------


def test_seed_001_loses_its_pinyin_and_furniture_but_keeps_every_sentence() -> None:
    cleaned = clean_text(seed("001"))
    assert "pinyin_stripped" in cleaned.flags
    assert "(dāng)" not in cleaned.text and "當前位置" not in cleaned.text
    assert "掃一掃" not in cleaned.text
    assert cleaned.editor == "張林"
    assert "湖北省氣象局黨組深入貫徹落實習近平總書記“7·9”重要講話精神" in cleaned.text
    assert cleaned.text.endswith("推動黨建工作高質量發展。")


def test_seed_002_spam_block_is_removed_and_flagged() -> None:
    cleaned = clean_text(seed("002"))
    assert "spam_removed" in cleaned.flags
    assert "无码" not in cleaned.text and "中文字幕" not in cleaned.text
    assert 0.05 < cleaned.spam_ratio < 0.5
    assert "為氣象改革發展注入新動能" in cleaned.text  # the last real paragraph survives
    for furniture in ("投稿郵箱", "站內搜索", "文字縮放", "旗幟網 >> 基層組織建設"):
        assert furniture not in cleaned.text
    assert cleaned.editor == "王春春"


@pytest.mark.parametrize("prefix", ["000", "003", "004"])
def test_other_seeds_keep_their_text(prefix: str) -> None:
    original = seed(prefix)
    cleaned = clean_text(original)
    assert "spam_removed" not in cleaned.flags
    assert "扫一扫在手机打开当前页" not in cleaned.text
    assert "\n图片\n" not in f"\n{cleaned.text}\n"
    kept = sum(len(line.strip()) for line in cleaned.text.splitlines())
    assert kept > 0.95 * sum(len(line.strip()) for line in original.splitlines() if line.strip() != "图片") - 120


def test_spam_detector_needs_many_keyword_segments() -> None:
    assert is_spam_block("日韩精选无码| 天堂在线观看中文字幕| 人妻精品久久无码区| 免费在线中文日本| 国产成人无码视频|")
    assert not is_spam_block("党建引领 | 业务融合 | 服务群众 | 建设队伍 | 围绕中心 | 两个维护")
    assert not is_spam_block("国产大飞机C919完成首次商业载客飞行 | 来源：新华社")


def test_a_lone_parenthesised_latin_gloss_is_not_pinyin() -> None:
    text = "本文介绍了党建(Party building)工作和业务(a)的融合。"
    assert clean_text(text).text == text


# --- normalize --------------------------------------------------------------------------------------


def test_traditional_and_simplified_normalize_to_the_same_text() -> None:
    trad = normalize_text("湖北省氣象局黨組：著力“四個聚焦”，高標準高質量加強黨的建設。")
    simp = normalize_text('湖北省气象局党组:著力"四个聚焦",高标准高质量加强党的建设.')
    assert trad.text_normalized == simp.text_normalized
    assert (trad.script, simp.script) == ("hant", "hans")


def test_english_seed_is_latin_and_whitespace_is_unified() -> None:
    norm = normalize_text(seed("003"))
    assert (norm.script, norm.language) == ("latin", "en")
    assert "  " not in norm.text_normalized
    assert normalize_text("Ａ１　党建\u00a0 引领\n\n\n发展").text_normalized == "A1 党建 引领\n发展"
