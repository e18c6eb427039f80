"""Pinyin annotation the way pinyin-mirror sites do it: ``當(dāng)前`` — a reading after each character.

No pinyin library is installed in the project (pypinyin is not a dependency, and the
replica must not add one), so readings come from two small tables:

* the ``X(pinyin)`` pairs seed 001 itself carries (156 characters, traditional and
  their simplified forms), so the replica's annotations look exactly like that seed's;
* a hand-written table of the characters seed 000 uses most that seed 001 lacks,
  because seed 001 alone covers only ~16% of seed 000's characters.

One reading per character, the most common one, as mirror sites do (they annotate
``为`` the same way everywhere). Characters in neither table stay bare.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import opencc

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

# The same character class the normalizer and the tests use to strip annotations.
PINYIN = "a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü"
ANNOTATED = re.compile(rf"([\u4e00-\u9fff])\(([{PINYIN}]+)\)")
HAN = re.compile(r"[\u4e00-\u9fff]")

HAND_WRITTEN: dict[str, str] = dict(
    re.findall(
        r"(\S):(\S+)",
        """
    党:dǎng 建:jiàn 作:zuò 气:qì 工:gōng 象:xiàng 和:hé 一:yī 服:fú 的:de 员:yuán 品:pǐn 心:xīn 部:bù
    在:zài 展:zhǎn 民:mín 了:le 生:shēng 组:zǔ 中:zhōng 人:rén 牌:pái 位:wèi 为:wèi 成:chéng 市:shì
    以:yǐ 全:quán 支:zhī 效:xiào 深:shēn 比:bǐ 提:tí 红:hóng 三:sān 织:zhī 增:zēng 要:yào 融:róng
    合:hé 岗:gǎng 单:dān 化:huà 色:sè 雨:yǔ 新:xīn 局:jú 力:lì 模:mó 范:fàn 上:shàng 理:lǐ 干:gàn
    保:bǎo 与:yǔ 先:xiān 引:yǐn 四:sì 把:bǎ 表:biǎo 确:què 入:rù 推:tuī 亮:liàng 主:zhǔ 障:zhàng
    互:hù 及:jí 各:gè 量:liàng 程:chéng 队:duì 项:xiàng 锋:fēng 情:qíng 显:xiǎn 用:yòng 众:zhòng
    到:dào 出:chū 升:shēng 航:háng 政:zhèng 系:xì 行:xíng 大:dà 率:lǜ 方:fāng 念:niàn 造:zào 安:ān
    度:dù 目:mù 两:liǎng 等:děng 彰:zhāng 围:wéi 特:tè 明:míng 式:shì 高:gāo 群:qún 突:tū 治:zhì
    列:liè 示:shì 向:xiàng 持:chí 命:mìng 至:zhì 铸:zhù 性:xìng 旗:qí 体:tǐ 张:zhāng 家:jiā 界:jiè
    """,
    )
)


def seed_001_path() -> Path:
    return next(SEEDS.glob("001_*.txt"))


@cache
def table() -> dict[str, str]:
    """char → pinyin: seed 001's own annotations (both scripts), then the hand-written readings."""
    t2s = opencc.OpenCC("t2s")
    readings: dict[str, str] = {}
    for char, py in ANNOTATED.findall(seed_001_path().read_text(encoding="utf-8")):
        readings.setdefault(char, py)
        readings.setdefault(t2s.convert(char), py)
    for char, py in HAND_WRITTEN.items():
        readings.setdefault(char, py)
    return readings


def annotate(text: str) -> str:
    """``党建`` → ``党(dǎng)建(jiàn)``; characters without a known reading are left as they are."""
    readings = table()
    return "".join(f"{c}({readings[c]})" if c in readings else c for c in text)


def strip(text: str) -> str:
    """Undo :func:`annotate` (and seed 001's annotations): keep the character, drop the reading."""
    return ANNOTATED.sub(r"\1", text)


def coverage(text: str) -> float:
    """Share of the Chinese characters of ``text`` that :func:`annotate` gives a reading."""
    chars = HAN.findall(text)
    return sum(c in table() for c in chars) / len(chars) if chars else 0.0
