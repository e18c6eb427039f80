"""normalize_text: one folded form per article whatever its script, punctuation and whitespace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from steps.clean import clean_text
from steps.normalize import normalize_text, to_simplified

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
FULL_WIDTH_PUNCT = re.compile(r"[，。、；：？！“”‘’「」『』（）【】《》〈〉\u3000]")


def seed(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def test_seed_001_normalizes_to_simplified_without_pinyin() -> None:
    norm = normalize_text(clean_text(seed("001")).text)
    assert (norm.script, norm.language) == ("hant", "zh")
    text = norm.text_normalized
    assert not re.search(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6}\)", text)
    assert "湖北省气象局党组深入贯彻落实习近平总书记" in text
    assert "推动党建工作高质量发展." in text
    for traditional in ("氣", "黨", "組", "貫", "徹", "質", "發", "專"):
        assert traditional not in text
    assert not FULL_WIDTH_PUNCT.search(text)


@pytest.mark.parametrize(("prefix", "script"), [("000", "hans"), ("002", "hant"), ("004", "hans")])
def test_chinese_seeds(prefix: str, script: str) -> None:
    cleaned = clean_text(seed(prefix))
    norm = normalize_text(cleaned.text)
    assert (norm.script, norm.language) == (script, "zh")
    assert "\n\n" not in norm.text_normalized and "  " not in norm.text_normalized
    assert len(norm.text_normalized.split("\n")) == len(cleaned.text.split("\n"))  # paragraphs kept
    assert not FULL_WIDTH_PUNCT.search(norm.text_normalized)


def test_seed_002_traditional_matches_its_simplified_conversion() -> None:
    cleaned = clean_text(seed("002")).text
    assert normalize_text(cleaned).text_normalized == normalize_text(to_simplified(cleaned)).text_normalized
    assert "无码" not in normalize_text(cleaned).text_normalized


def test_seed_003_is_latin_english() -> None:
    norm = normalize_text(clean_text(seed("003")).text)
    assert (norm.script, norm.language) == ("latin", "en")
    assert "Municipal Meteorological Bureau" in norm.text_normalized
    assert '"party building + business"' in norm.text_normalized  # curly quotes folded to ASCII


def test_traditional_and_simplified_full_and_half_width_normalize_alike() -> None:
    trad = normalize_text("湖北省氣象局黨組：著力“四個聚焦”，高標準高質量加強黨的建設。")
    simp = normalize_text('湖北省气象局党组:著力"四个聚焦",高标准高质量加强党的建设.')
    assert (
        trad.text_normalized == simp.text_normalized == '湖北省气象局党组:著力"四个聚焦",高标准高质量加强党的建设.'
    )  # OpenCC keeps 著
    assert (trad.script, simp.script) == ("hant", "hans")


def test_punctuation_and_whitespace_are_folded_to_one_form() -> None:
    norm = normalize_text("Ａ１　党建\u00a0 引领\n\n\n《条例》【解读】、学习——实践…\n  ")
    assert norm.text_normalized == "A1 党建 引领\n<条例>[解读],学习--实践..."


def test_a_short_chinese_fragment_in_english_stays_latin() -> None:
    norm = normalize_text("The slogan 党建引领 appears in the report on meteorological services in Luohe city.")
    assert norm.script == "latin"
