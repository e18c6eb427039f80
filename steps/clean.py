"""Cleaning extracted text: what the seeds show real pages leave behind after extraction.

- pinyin annotations after every character, from mirrors that "help" readers
  (``當(dāng)前位置``);
- page furniture that survives main-text extraction: share/scan prompts,
  font-size and print controls, image placeholders, breadcrumbs, site search,
  submission e-mail, the site-name line, the date/source info line;
- the editor line, which is metadata (kept in ``editor``), not text;
- SEO-spam blocks injected into hacked mirrors: runs of porn/gambling keyword
  phrases joined by ``|``.
All rules are line-based and cover both scripts; they never touch a line that
reads like a sentence of the article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_PINYIN_LETTERS = "a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
PINYIN_ANNOTATION = re.compile(rf"([{_CJK}])[(（]([{_PINYIN_LETTERS}]{{1,7}})[)）]")
MIN_PINYIN_ANNOTATIONS = 3  # one "字(zi)" in a text is a gloss, not a pinyin mirror

# Lines that are page furniture, whatever the script. Matched against the stripped line.
BOILERPLATE_LINES = tuple(
    re.compile(p)
    for p in (
        r"^(扫一扫|掃一掃|扫描二维码|掃描二維碼|手机扫一扫|手機掃一掃).{0,20}$",
        r"^(分享到|分享至)[:：]?.{0,30}$",
        r"^(图片|圖片|图|圖)$",
        r"^(文字缩放|文字縮放|字体|字體|字号|字號)[:：]?\s*[大中小\s【】\[\]|]*$",
        r"^.{0,6}(打印本页|打印本頁|关闭窗口|關閉窗口|打印此页|收藏本页)[】\]\s]*.{0,20}$",
        r"^(站内搜索|站內搜索|全站搜索)[:：]?.{0,20}$",
        r"^(投稿邮箱|投稿郵箱|投稿信箱)[:：].{0,60}$",
        r"^(当前位置|當前位置|您现在的位置|您現在的位置|您的位置|所在位置)[:：].{0,80}$",
        r"^(上一篇|下一篇|上一條|下一條|上一条|下一条)[:：].{0,80}$",
        r"^(相关链接|相關鏈接|相关新闻|相關新聞|热点文章|熱點文章)[:：]?$",
        r"^【?(编者按)?】?$",
    )
)
# "旗幟網 >> 基層組織建設", "首页 > 党建工作": a short path of section names.
BREADCRUMB = re.compile(rf"^[{_CJK}\w\s·]{{1,20}}(\s*(>>|>|»|＞|→)\s*[{_CJK}\w\s·]{{1,20}})+$")
# A portal's own name as the first line: "张家界党建网", "旗帜网".
SITE_NAME_LINE = re.compile(rf"^[{_CJK}]{{2,14}}(网|網|门户|門戶)$")
# The info line under the heading: only labels, dates and short values.
INFO_LINE = re.compile(
    r"^((发布时间|發布時間|发布日期|時間|时间|日期|来源|來源|作者|编辑|編輯|浏览次数|瀏覽次數|点击|點擊)[:：]"
    r"[^。！？!?]{0,40}\s*){1,6}$"
)
DATE_ONLY_LINE = re.compile(r"^(19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}日?\s*(\d{1,2}[:：]\d{2}(:\d{2})?)?$")
EDITOR_LINE = re.compile(
    r"^[(（【\[]?\s*(?:责任编辑|責任編輯|编辑|編輯|责编|責編)\s*[:：]\s*(?P<name>[^)）】\]\s:：]{1,20})"
    r"[^)）】\]]*[)）】\]]?$"
)

SPAM_KEYWORDS = (
    "无码",
    "無碼",
    "中文字幕",
    "人妻",
    "熟妇",
    "熟婦",
    "少妇",
    "少婦",
    "av",
    "一区二区",
    "一區二區",
    "在线观看",
    "在線觀看",
    "免费视频",
    "免費視頻",
    "久久",
    "日韩",
    "日韓",
    "欧美",
    "歐美",
    "国产",
    "國產",
    "精品",
    "天堂",
    "成人",
    "色情",
    "黄色",
    "黃色",
    "三级",
    "三級",
    "伦理",
    "倫理",
    "彩票",
    "博彩",
    "赌场",
    "賭場",
    "娱乐城",
    "娛樂城",
    "澳门",
    "澳門",
    "百家乐",
    "百家樂",
    "老虎机",
    "老虎機",
    "肉动漫",
)
SPAM_SEPARATORS = re.compile(r"\s*[|｜]\s*")
MIN_SPAM_SEGMENTS = 5


@dataclass
class Cleaned:
    text: str
    flags: list[str] = field(default_factory=list)
    editor: str | None = None
    spam_ratio: float = 0.0


def strip_pinyin(text: str) -> tuple[str, bool]:
    """Remove ``字(zì)`` annotations when the text is a pinyin mirror."""
    if len(PINYIN_ANNOTATION.findall(text)) < MIN_PINYIN_ANNOTATIONS:
        return text, False
    return PINYIN_ANNOTATION.sub(r"\1", text), True


def _spam_score(segment: str) -> bool:
    lowered = segment.lower()
    return any(k in lowered for k in SPAM_KEYWORDS)


def is_spam_block(line: str) -> bool:
    """A line made of many short keyword phrases joined by '|', most of them porn/gambling terms."""
    segments = [s for s in SPAM_SEPARATORS.split(line) if s.strip()]
    if len(segments) < MIN_SPAM_SEGMENTS:
        return False
    if sum(len(s) for s in segments) / len(segments) > 30:
        return False
    return sum(_spam_score(s) for s in segments) / len(segments) >= 0.5


def is_boilerplate(line: str, first: bool = False) -> bool:
    if any(p.match(line) for p in BOILERPLATE_LINES):
        return True
    if BREADCRUMB.match(line) and not re.search(r"[。，,；;！？]", line):
        return True
    if first and SITE_NAME_LINE.match(line):
        return True
    return bool(INFO_LINE.match(line) or DATE_ONLY_LINE.match(line))


def clean_text(text: str) -> Cleaned:
    """Remove pinyin, furniture and spam from extracted text; paragraphs joined by '\\n'."""
    flags: list[str] = []
    text, had_pinyin = strip_pinyin(text)
    if had_pinyin:
        flags.append("pinyin_stripped")
    total_chars = sum(len(line.strip()) for line in text.splitlines()) or 1
    kept: list[str] = []
    editor: str | None = None
    spam_chars = 0
    removed_boilerplate = False
    for raw in text.splitlines():
        line = raw.strip().replace("\u3000", " ").strip()
        if not line:
            continue
        if is_spam_block(line):
            spam_chars += len(line)
            continue
        m = EDITOR_LINE.match(line)
        if m:
            editor = editor or m["name"]
            continue
        if is_boilerplate(line, first=not kept):
            removed_boilerplate = True
            continue
        kept.append(line)
    if spam_chars:
        flags.append("spam_removed")
    if removed_boilerplate:
        flags.append("boilerplate_removed")
    return Cleaned("\n".join(kept), flags, editor, spam_chars / total_chars)
