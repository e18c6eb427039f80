"""Crawled text in the run's Prefect artifacts is inert markdown (issue #13)."""

from __future__ import annotations

import re

from flows.report import escape_markdown, new_article_rows, run_markdown
from process.run import NewArticleRow, SiteSummary

HOSTILE = "[点我](http://e.example/x) ![图](http://e.example/x.png) <img src=x onerror=alert(1)> a|b `c` **d**\n# h"
UNESCAPED = re.compile(r"(?<!\\)[\[\]()<>|`*!]")


def test_links_images_html_tables_and_lines_are_escaped() -> None:
    out = escape_markdown(HOSTILE)
    assert "\n" not in out
    assert not UNESCAPED.search(out), out
    assert out.replace("\\", "") == " ".join(HOSTILE.split())  # nothing lost, only escaped


def test_urls_keep_their_intraword_underscores() -> None:
    url = "http://127.0.0.1/djgz/202403/t20240311_404404.html"
    assert escape_markdown(url) == url


def test_report_and_new_articles_table_escape_crawled_fields() -> None:
    results = {
        "demo": SiteSummary(
            "demo",
            errors=[("http://x/(a)", HOSTILE)],
            new_articles=[NewArticleRow(title=HOSTILE, published="", site="demo", url="http://x/[1]")],
        )
    }
    report = run_markdown("run", results)
    (line,) = [line for line in report.splitlines() if "点我" in line]
    cells = line.strip("| ").split(" | ")  # the table's own pipes are the only unescaped ones
    assert len(cells) == 3 and not any(UNESCAPED.search(cell) for cell in cells), cells
    (row,) = new_article_rows(results)
    assert not UNESCAPED.search(row["title"]) and row["url"] == "http://x/\\[1\\]"
