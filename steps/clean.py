"""Cleaning extracted text: what real portal pages still carry after main-text extraction.

The seeds and the extraction bench show four kinds of residue:

- pinyin annotations after characters, from mirrors that "help" readers (``當(dāng)前位置``);
- page furniture: share/scan prompts, font-size and print/close controls, image placeholders,
  breadcrumbs, site search, submission e-mail, the site-name line, the date/来源 info line,
  copyright/disclaimer and footer lines, related-article lists; layout tables turn these into
  ``| cell | cell |`` lines, so every rule also looks at the cells of such a line;
- the editor line, which is metadata (returned in ``editor``), not text;
- SEO-spam blocks injected into hacked pages: runs of short porn/gambling/piracy phrases joined
  by ``|`` (or one phrase per line).

Every rule works on one whole line and is anchored, short or keyword-bound, so that a sentence of the
article (which has sentence punctuation and some length) never matches. Both scripts are covered, and
both full-width and half-width colons, because the seeds arrive with either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from steps.flags import Flag

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_COLON = "[:：]"

# --- pinyin ------------------------------------------------------------------------------------------

_PINYIN_LETTERS = "a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
_TONE_MARKS = re.compile("[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜǹḿ]")
PINYIN_ANNOTATION = re.compile(rf"([{_CJK}])[(（]([{_PINYIN_LETTERS}]{{1,6}})[)）]")
# One "图(a)" is a label, not a pinyin mirror. A mirror annotates many characters, nearly all with tone
# marks; three "图(a) 图(b) 图(c)" figure labels have none, so both the count and the tone share must hold.
MIN_PINYIN_ANNOTATIONS = 3
MIN_TONED_SHARE = 0.5

# --- boilerplate -------------------------------------------------------------------------------------

BOILERPLATE_LINES = tuple(
    re.compile(p, re.IGNORECASE)  # "Copyright", "All Rights Reserved", "PDF下载" come in any case
    for p in (
        # share / scan prompts
        r"^(微信)?(扫一扫|掃一掃|扫描二维码|掃描二維碼|扫码|掃碼|手机扫一扫|手機掃一掃).{0,24}$",
        r"^.{0,12}(分享到|分享至|分享本文|浏览器分享|瀏覽器分享|分享功能|(扫描|掃描|长按|長按|识别|識別|扫|掃).{0,6}(二维码|二維碼)).{0,16}$",
        r"^(分享|分享到|分享至)" + _COLON + r"?$",
        # image placeholders
        r"^(图片|圖片|图|圖|image|img)$",
        # font size / print / close controls (also when bracketed or several on one line, see CONTROL_WORDS)
        r"^(文字缩放|文字縮放|字体|字體|字号|字號)" + _COLON + r"?\s*[大中小默认默認\s【】\[\]|｜()（）]*$",
        # site search, submission address, breadcrumbs, previous/next links
        r"^(站内搜索|站內搜索|全站搜索)" + _COLON + r"?.{0,20}$",
        r"^搜索" + _COLON + r"?$",
        r"^(投稿邮箱|投稿郵箱|投稿信箱|投稿邮件|投稿郵件)" + _COLON + r".{0,60}$",
        r"^(当前位置|當前位置|您现在的位置|您現在的位置|现在位置|現在位置|您的位置|你的位置|所在位置)"
        + _COLON
        + r".{0,100}$",
        r"^(上一篇|下一篇|上一條|下一條|上一条|下一条)" + _COLON + r".{0,100}$",
        # copyright, disclaimer and site-footer lines
        r"^(版权与免责声明|版權與免責聲明|免责声明|免責聲明|版权声明|版權聲明|反侵权公告|反侵權公告).{0,600}$",
        r"^.{0,20}(版权与免责声明|版權與免責聲明).{0,600}$",
        r"^(copyright|©|\(c\)).{0,160}$",
        r"^[^。]{0,60}(禁止商业转载|禁止商業轉載|禁止转载|禁止轉載|转载申请|轉載申請|报告非法侵权|報告非法侵權|原创版权|原創版權|"
        r"转载请注明出处|轉載請註明出處)[^。]{0,60}$",
        r"^[^。！？]{0,40}(版权所有|版權所有|all rights reserved)[^。！？]{0,120}$",
        r"^[^。！？]{0,40}(ICP备|ICP備|ICP证|ICP證|公网安备|公網安備|网站标识码|網站標識碼)[^。！？]{0,120}$",
        # attachment download links
        r"^((pdf|word|doc|docx|wps|ofd|xls|xlsx|附件)\s*(下载|下載)[\s|｜]*)+$",
        # a bracketed source credit at the end, "(稿件來源：中國氣象報)": metadata, extract.py reads it as 来源
        r"^[(（【\[]\s*(稿件来源|稿件來源|文章来源|文章來源|来源|來源)\s*" + _COLON + r"[^)）】\]]{1,40}[)）】\]]$",
        # an empty 编者按 bracket pair and similar leftovers
        r"^【?(编者按|編者按)?】?$",
    )
)
# Tokens of control bars such as "【打印本页】【关闭窗口】" or "字号：大 中 小 | 打印 | 关闭". A line made of
# nothing but these (and brackets/separators) is furniture.
CONTROL_WORDS = (
    "打印本页", "打印本頁", "打印本稿", "打印本文", "打印此文", "打印此页", "打印此頁", "打印文章", "打印",
    "关闭窗口", "關閉窗口",
    "关闭本页", "關閉本頁", "关闭", "關閉", "收藏本页", "收藏本頁", "加入收藏", "添加收藏夹", "添加收藏", "收藏",
    "设为首页", "設為首頁", "返回顶部", "返回頂部", "返回首页", "返回首頁", "返回", "关于我们", "關於我們",
    "联系我们", "聯繫我們", "网站地图", "網站地圖", "我要纠错", "我要糾錯", "纠错", "糾錯", "复制链接", "複製鏈接",
    "字号", "字號", "字体", "字體", "默认", "默認", "大", "中", "小", "分享", "推荐", "推薦", "留言", "首页", "首頁",
)  # fmt: skip
_CONTROL_SEPARATORS = re.compile(r"[\s【】\[\]()（）<>《》|｜/\\·•:：,，、]+")
# Site footer: contact/registration data. Two of these on one short line without sentence punctuation, one of
# them naming the site's owner or registration, is a footer; a notice's "地址：…，电话：…。" is not.
FOOTER_MARKERS = (
    "主办单位", "主辦單位", "承办单位", "承辦單位", "主办：", "承办：", "技术支持", "技術支持", "版权所有",
    "版權所有", "地址：", "地址:", "邮编", "郵編", "电话：", "電話：", "电话:", "传真", "傳真", "联系我们",
    "聯繫我們", "ICP", "公网安备", "公網安備", "网站标识码", "網站標識碼", "E-mail", "Email", "邮箱：",
)  # fmt: skip
FOOTER_STRONG_MARKERS = (
    "主办", "主辦", "承办", "承辦", "技术支持", "技術支持", "版权所有", "版權所有", "ICP", "公网安备", "公網安備",
    "网站标识码", "網站標識碼",
)  # fmt: skip
FOOTER_MAX_CHARS = 240
# "首页 > 党建工作", "旗幟網 >> 基層組織建設": a short path of section names.
BREADCRUMB = re.compile(rf"^[{_CJK}\w\s·]{{1,24}}(\s*(>>|>|»|＞|→)\s*[{_CJK}\w\s·]{{1,24}})+\s*(>>|>)?$")
# A portal's own name as the first line: "张家界党建网", "旗帜网".
SITE_NAME_LINE = re.compile(rf"^[{_CJK}]{{2,14}}(网|網|门户|門戶|网站|網站)$")
# The info line under the heading: only labels, dates and short values.
INFO_LINE = re.compile(
    r"^((发布时间|發布時間|发布日期|發布日期|发表时间|發表時間|时间|時間|日期|(?:文章|稿件|信息)?(?:来源|來源)|作者|编辑|編輯|"
    r"浏览次数|瀏覽次數|浏览量|瀏覽量|阅读量|閱讀量|阅读|閱讀|点击数|點擊數|点击|點擊|访问量|訪問量)"
    r"\s*" + _COLON + r"[^。！？!?]{0,40}\s*){1,6}$"
)
DATE_ONLY_LINE = re.compile(
    r"^(19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}日?\s*(\d{1,2}[:：]\d{2}([:：]\d{2})?)?$"
)
EDITOR_LINE = re.compile(
    r"^[(（【\[]?\s*(?:责任编辑|責任編輯|编辑|編輯|责编|責編)\s*[:：]\s*(?P<name>[^)）】\]\s:：,，]{1,20})"
    r"[^)）】\]]{0,60}[)）】\]]?$"
)
# A related-links header; the short link titles after it are a list of other articles.
RELATED_HEADER = re.compile(
    r"^【?(相关链接|相關鏈接|相关新闻|相關新聞|相关阅读|相關閱讀|相关文章|相關文章|延伸阅读|延伸閱讀|推荐阅读|推薦閱讀|"
    r"热点文章|熱點文章|热门文章|熱門文章|猜你喜欢|猜你喜歡)】?" + _COLON + r"?$"
)
RELATED_ITEM_MAX_CHARS = 40
HEAD_LINES = 4  # the info line sits among the first few lines: heading, byline, date
_INFO_LABEL = re.compile(r"(时间|時間|日期|来源|來源|作者|编辑|編輯|浏览|瀏覽|阅读|閱讀|点击|點擊|访问|訪問)\s*[:：]")
EDITOR_IN_INFO = re.compile(r"(?:责任编辑|責任編輯|责编|責編)\s*[:：]\s*(?P<name>[^\s|｜:：()（）,，]{2,12})")
_SPACE_RUN = re.compile(r"[ \t\u3000\u00a0]+")  # indentation and padding runs inside a line: one space
_SENTENCE_END = re.compile(r"[。！？!?；;]")
_BULLETS = {"·", "•", "●", "◆", "■", "□", "○", "◇", "-", "*"}

# --- spam --------------------------------------------------------------------------------------------

# Keyword phrases of injected porn / gambling / piracy link blocks. A phrase alone proves nothing (国产,
# 精品, 天堂 occur in news); only a run of short '|'-joined segments, most of them carrying one, is spam.
SPAM_KEYWORDS = (
    # porn
    "无码", "無碼", "有码", "有碼", "中文字幕", "人妻", "熟妇", "熟婦", "少妇", "少婦", "av", "aⅴ", "一区二区",
    "一區二區", "久久", "日韩", "日韓", "欧美", "歐美", "亚洲", "亞洲", "国产", "國產", "精品", "天堂", "成人",
    "色情", "黄色", "黃色", "三级", "三級", "伦理", "倫理", "肉动漫", "爆乳", "午夜", "偷拍", "自拍", "乱伦",
    "亂倫", "激情", "黄片", "黃片", "毛片", "波多野", "福利视频",
    # piracy
    "在线观看", "在線觀看", "免费观看", "免費觀看", "免费视频", "免費視頻", "高清在线", "影院", "电影网",
    "迅雷下载", "bt下载",
    # gambling
    "彩票", "博彩", "赌场", "賭場", "赌博", "賭博", "娱乐城", "娛樂城", "百家乐", "百家樂", "老虎机", "老虎機",
    "时时彩", "時時彩", "六合彩", "葡京", "威尼斯人", "真人娱乐", "棋牌", "体育投注", "bet365", "开户",
)  # fmt: skip
SPAM_SEPARATORS = re.compile(r"\s*[|｜]\s*")
# A quick first look for is_spam_block's callers that hold big texts (link blocks): the keywords that are
# no common substring of English words ("av" is in "have").
SPAM_HINT = re.compile("|".join(re.escape(k) for k in SPAM_KEYWORDS if not k.isascii() or k == "bet365"))
MIN_SPAM_SEGMENTS = 5
MAX_SPAM_SEGMENT_CHARS = 30  # spam phrases are short; a table row of real sentences is not spam
MIN_SPAM_SHARE = 0.5


@dataclass
class Cleaned:
    text: str
    flags: list[Flag] = field(default_factory=list)
    editor: str | None = None
    spam_ratio: float = 0.0  # share of the input's (non-blank) characters that were spam


def strip_pinyin(text: str, *, force: bool = False) -> tuple[str, bool]:
    """Remove ``字(zì)`` annotations when the text is a pinyin mirror; leave a lone gloss alone.

    ``force`` strips even a few annotations: for a title or info line of a page already known to be a mirror.
    """
    if force:
        stripped = PINYIN_ANNOTATION.sub(r"\1", text)
        return stripped, stripped != text
    found = PINYIN_ANNOTATION.findall(text)
    if len(found) < MIN_PINYIN_ANNOTATIONS:
        return text, False
    toned = sum(1 for _, syllable in found if _TONE_MARKS.search(syllable))
    if toned / len(found) < MIN_TONED_SHARE:
        return text, False
    return PINYIN_ANNOTATION.sub(r"\1", text), True


def _is_spam_phrase(segment: str) -> bool:
    lowered = segment.lower()
    return any(k in lowered for k in SPAM_KEYWORDS)


def is_spam_block(line: str) -> bool:
    """A line of many short phrases joined by '|', most of them porn/gambling/piracy terms."""
    segments = [s for s in SPAM_SEPARATORS.split(line) if s.strip()]
    if len(segments) < MIN_SPAM_SEGMENTS:
        return False
    if sum(len(s) for s in segments) / len(segments) > MAX_SPAM_SEGMENT_CHARS:
        return False
    return sum(_is_spam_phrase(s) for s in segments) / len(segments) >= MIN_SPAM_SHARE


def _spam_line_runs(lines: list[str]) -> set[int]:
    """Indexes of runs of >= MIN_SPAM_SEGMENTS consecutive short spam-phrase lines (one link per line)."""
    marked: set[int] = set()
    start = 0
    while start < len(lines):
        end = start
        while end < len(lines) and len(lines[end]) <= MAX_SPAM_SEGMENT_CHARS and _is_spam_phrase(lines[end]):
            end += 1
        if end - start >= MIN_SPAM_SEGMENTS:
            marked.update(range(start, end))
        start = max(end, start + 1)
    return marked


def _cells(line: str) -> list[str]:
    """The cells of a layout-table line ``| a | b |``; the line itself when it is not one."""
    if "|" not in line and "｜" not in line:
        return [line]
    return [c.strip() for c in re.split(r"(?<!\\)[|｜]", line) if c.strip() and c.strip() != "\\"]


def _unwrap_cell(line: str) -> str:
    """``| text |``, a layout table's only cell as trafilatura renders it, is just ``text``."""
    if line.startswith("|") and line.endswith("|") and len(_cells(line)) == 1:
        return line.strip("| ").replace("\\|", "|")
    return line


def _is_control_bar(line: str) -> bool:
    tokens = [t for t in _CONTROL_SEPARATORS.split(line) if t]
    if not tokens:
        return False
    for token in tokens:
        rest = token
        for word in CONTROL_WORDS:
            rest = rest.replace(word, "")
        if rest:
            return False
    return True


def _is_footer(line: str) -> bool:
    return (
        len(line) <= FOOTER_MAX_CHARS
        and not _SENTENCE_END.search(line)
        and any(m in line for m in FOOTER_STRONG_MARKERS)
        and sum(m in line for m in FOOTER_MARKERS) >= 2
    )


NAV_ITEM_MAX_CHARS = 8
NAV_MIN_ITEMS = 4


def is_nav_bar(cell: str) -> bool:
    """A nav bar: several short section names joined by '|' (escaped or not), e.g. "首 页 | 工委动态 | 基层党建"."""
    items = [i.strip() for i in re.split(r"\\?[|｜]", cell) if i.strip()]
    return (
        len(items) >= NAV_MIN_ITEMS
        and all(len(i) <= NAV_ITEM_MAX_CHARS for i in items)
        and not _SENTENCE_END.search(cell)
        and not re.search(r"[，,；;]", cell)
    )


def _is_furniture(cell: str, kept_lines: int) -> bool:
    if any(p.match(cell) for p in BOILERPLATE_LINES):
        return True
    if "\\|" in cell and is_nav_bar(cell):
        return True
    if _is_control_bar(cell) or _is_footer(cell):
        return True
    if BREADCRUMB.match(cell) and not _SENTENCE_END.search(cell) and not re.search(r"[，,]", cell):
        return True
    if kept_lines == 0 and SITE_NAME_LINE.match(cell):
        return True
    if INFO_LINE.match(cell) and (kept_lines < HEAD_LINES or len(_INFO_LABEL.findall(cell)) >= 2):
        return True
    return kept_lines < HEAD_LINES and bool(DATE_ONLY_LINE.match(cell))


def is_boilerplate(line: str, kept_lines: int = 0) -> bool:
    """True for a furniture line; for a layout-table line, when every cell is furniture or a bullet.

    A table row of a bullet and a short title (``| · | 某某文章标题 |``) is a related-article link.
    ``kept_lines`` is how many text lines precede this one: the site name only counts as furniture in
    first place, and a lone date or a ``时间：…`` line only near the head, because a notice's
    ``时间：9月2日 地点：…`` or a document's closing date further down is text.
    """
    cells = _cells(line)
    if not cells:
        return True  # a row of empty cells
    if len(cells) > 1 and not line.startswith(("|", "｜")) and _is_furniture(line, kept_lines):
        return True  # a "|" inside a line of text (下一篇：“养新”党建|支部风采…) makes no table row
    if kept_lines < HEAD_LINES and not line.startswith(("|", "｜")) and is_nav_bar(line):
        return True
    if (
        len(cells) >= 2
        and cells[0] in _BULLETS
        and all(len(c) <= RELATED_ITEM_MAX_CHARS and not _SENTENCE_END.search(c) for c in cells[1:])
    ):
        return True
    return all(c in _BULLETS or _is_furniture(c, kept_lines) for c in cells)


def editor_in_line(line: str) -> str | None:
    """The editor's name when the line is an editor line such as ``(责任编辑：张林)``."""
    m = EDITOR_LINE.match(line.strip("| "))
    return m["name"] if m else None


_CRUMB_SEPARATOR = re.compile(r"^(>>|>|»|＞|→)(\s.*)?$")


def join_breadcrumbs(lines: list[str]) -> list[str]:
    """A breadcrumb whose links became lines of their own ("首页", ">>", "党建动态", ">> 正文") as one line again,
    so that the breadcrumb rule sees it whole: a line that starts with a path separator joins the line before
    it, and a line that is only a separator also takes the line after it."""
    out: list[str] = []
    glue_next = False
    for line in lines:
        if out and (glue_next or _CRUMB_SEPARATOR.match(line)):
            out[-1] = f"{out[-1]} {line}"
            glue_next = line in {">>", ">", "»", "＞", "→"}
            continue
        out.append(line)
        glue_next = False
    return out


def clean_text(text: str) -> Cleaned:
    """Remove pinyin, furniture and spam from extracted text; paragraphs joined by '\\n'."""
    flags: list[Flag] = []
    text, had_pinyin = strip_pinyin(text)
    if had_pinyin:
        flags.append("pinyin_stripped")
    lines = [_unwrap_cell(_SPACE_RUN.sub(" ", raw).strip()) for raw in text.splitlines()]
    lines = join_breadcrumbs([line for line in lines if line])
    total_chars = sum(len(line) for line in lines) or 1
    spam_runs = _spam_line_runs(lines)
    kept: list[str] = []
    editor: str | None = None
    spam_chars = 0
    removed_boilerplate = False
    in_related_list = False
    for i, line in enumerate(lines):
        if i in spam_runs or is_spam_block(line):
            spam_chars += len(line)
            continue
        name = editor_in_line(line)
        if name:
            editor = editor or name
            continue
        if RELATED_HEADER.match(line.strip("| ")):
            in_related_list = True
            removed_boilerplate = True
            continue
        if in_related_list:
            if len(line) <= RELATED_ITEM_MAX_CHARS and not _SENTENCE_END.search(line):
                removed_boilerplate = True
                continue
            in_related_list = False
        if is_boilerplate(line, len(kept)):
            removed_boilerplate = True
            m = EDITOR_IN_INFO.search(line)
            if m:
                editor = editor or m["name"]
            continue
        kept.append(line)
    if spam_chars:
        flags.append("spam_removed")
    if removed_boilerplate:
        flags.append("boilerplate_removed")
    return Cleaned("\n".join(kept), flags, editor, spam_chars / total_chars)
