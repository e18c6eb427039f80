"""A page whose every date signal is silent is flagged ``date_missing`` and kept in a since/until window,
so that a backfill takes it on purpose instead of losing it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pages.raw import RawPage
from process.analyze import analyze_page
from sites.registry import SiteConfig, load_registry
from steps.extract import extract_article

PARAS = "".join(
    f"<p>第{i}部分：市直机关工委坚持把党的政治建设摆在首位，推动机关党建和业务工作深度融合，"
    "在服务中心大局中发挥战斗堡垒作用和党员先锋模范作用。</p>"
    for i in range(1, 5)
)
HTML = (
    "<html><head><title>市直机关召开党建工作推进会_某市机关党建网</title></head><body>"
    f"<h1>市直机关召开党建工作推进会</h1><div class='article'>{PARAS}</div></body></html>"
)
UNDATED_URL = "http://jgdj.example.gov.cn/djgz/show.php?id=581203"


def test_a_page_with_no_date_anywhere_is_flagged() -> None:
    art = extract_article(HTML, UNDATED_URL)
    assert art.published_at is None and "date_missing" in art.flags


def site() -> SiteConfig:
    root = Path(__file__).resolve().parent.parent
    return load_registry(root / "replica" / "sites.yaml", {"base_url": "http://127.0.0.1:9"})["replica-djgz"]


def test_a_backfill_window_keeps_the_undated_page_and_says_why() -> None:
    page = RawPage("page", "replica-djgz", UNDATED_URL, UNDATED_URL, 200, HTML.encode(),
                   {"content-type": "text/html; charset=utf-8"})  # fmt: skip
    result = analyze_page(page, site(), since=date(2024, 1, 1), until=date(2024, 1, 31))
    assert result.skipped is None and result.failure is None
    assert "date_missing" in result.flags
    dated = RawPage("page", "replica-djgz", "https://x.example.cn/c/2023-05-20/doc-1.shtml",
                    "https://x.example.cn/c/2023-05-20/doc-1.shtml", 200, HTML.encode(),
                    {"content-type": "text/html; charset=utf-8"})  # fmt: skip
    assert analyze_page(dated, site(), since=date(2024, 1, 1)).skipped == "published outside since/until"
