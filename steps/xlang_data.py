"""Word lists of steps/xlang.py, as data in one place (the shape of trafilatura's xpaths.py)."""

from __future__ import annotations

import re


def _words(text: str) -> list[str]:
    return text.split()


MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

# Number words translations write for counts and ordinals (第十党支部 ↔ the tenth party branch).
_UNITS = _words("ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty")
_TENS = {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_ORDINALS = _words(
    "tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
)
EN_NUMBER_WORDS: dict[str, int] = {
    **{w: 10 + i for i, w in enumerate(_UNITS)},
    **_TENS,
    **{w: 10 + i for i, w in enumerate(_ORDINALS)},
    "hundred": 100,
    "thirtieth": 30,
}

# The commonest Chinese surnames (single characters), for person names CC-CEDICT does not list.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢"
)
# Characters that follow a surname character without being a given name (particles, verbs of reporting).
NOT_GIVEN = frozenset(
    "的了在和是与等对为把被从向也都就而及或说表示同志书记局长主任等们家次个项名人条期篇场所户元件套台处批轮支年月日"
)

NOT_BEFORE_NAME = frozenset("0123456789零〇一二两三四五六七八九十百千万亿第")
PLACE_SUFFIXES = frozenset("市县省镇村乡区")
# Characters a town or village name does not start with (在全村, 各乡镇, 本县): stripped before the name.
NOT_BEFORE_PLACE = "在全各本该每个和与及到从对向于为的了是市县省镇村乡区"
NUMERAL_WORD = re.compile(r"[零〇一二两三四五六七八九十百千万亿]+[年月日号周]?|星期.|礼拜.")

# Chinese function words that carry no content worth a gloss.
ZH_STOP = frozenset(
    _words(
        "我们 他们 进一步 以及 一个 一些 这个 这些 那些 通过 没有 已经 可以 进行 其中 为了 同时 不断 今年 近年来 以来 "
        "目前 相关 有关 方面 工作 开展 不是 就是 还是 但是 因为 所以 如果 虽然 并且 而且"
    )
)

EN_STOP = frozenset(
    _words(
        """a an and are as at be been being but by for from has have had he her his in into is it its of on or our
    she that the their them they this those these to was we were which who will with within without also
    more than most over such not all any each other some very can could would should may might shall must
    about after before under between through during since until upon while where when what there here
    been does did done doing has having own same so too only then once again further out off up down
    one two three four five six seven eight nine first second third"""
    )
)
