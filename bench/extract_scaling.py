"""How extract_article's cost grows with a page's size, per shape, beside plain trafilatura on the same input.

Run from the repository root::

    .venv/bin/python bench/extract_scaling.py [--base 1000] [--steps 3] [--shapes deep,siblings]

Each shape is generated at n, 2n, 4n … (``--steps`` sizes from ``--base`` units); the table prints CPU ms
(process time, fastest of ``--repeat``) of extract_article and of ``trafilatura.extract`` at each size, and
the growth from the first to the last size: linear cost doubles with each doubling, so 4n costs ~4x n; a
figure far above the size ratio is a super-linear step. It prints figures and asserts nothing; the load
average is printed with them because the machine is shared.

Shapes (one unit each): nesting depth (``<div>`` inside ``<div>``), sibling ``<p>`` paragraphs, characters of
one text node, headings, characters of lines without punctuation, table cells, links in a list, links
inside paragraphs, dated list entries.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from steps.extract import ExtractionError, extract_article  # noqa: E402

URL = "http://dj.example.gov.cn/djgz/202405/t20240520_1.html"
SENTENCE = "市直机关工委坚持把党的政治建设摆在首位，推动机关党建和业务工作深度融合。"


def page(body: str, title: str = "市直机关召开党建工作推进会") -> str:
    return (
        f"<html><head><title>{title}_某市机关党建网</title></head><body><h1>{title}</h1>"
        f"<div class='info'>发布时间：2024-05-20 来源：本网</div>{body}</body></html>"
    )


def article() -> str:
    return "".join(f"<p>{SENTENCE}第{i}段。</p>" for i in range(8))


def items(n: int, item: Callable[[int], str], tag: str = "ul") -> str:
    return f"<{tag}>" + "".join(item(i) for i in range(n)) + f"</{tag}>"


SHAPES: dict[str, Callable[[int], str]] = {
    "deep": lambda n: page("<div>" * n + article() + "</div>" * n),
    "siblings": lambda n: page("".join(f"<p>{SENTENCE}第{i}段。</p>" for i in range(n))),
    "text-node": lambda n: page(f"<p>{(SENTENCE * (n // len(SENTENCE) + 1))[:n]}</p>" + article()),
    "headings": lambda n: page("".join(f"<h2>第{i}节 标题</h2><p>{SENTENCE}</p>" for i in range(n))),
    "long-lines": lambda n: page(f"<div>{'党建工作推进会' * (n // 7)}</div>" + article()),
    "table": lambda n: page(article() + items(n // 10, lambda _: "<tr>" + "<td>单元格</td>" * 10 + "</tr>", "table")),
    "list-links": lambda n: page(article() + items(n, lambda i: f"<li><a href='/a/{i}.html'>第{i}次党建会议</a></li>")),
    "inline-links": lambda n: page("".join(f"<p>{SENTENCE}<a href='/{i}.html'>第{i}篇</a>。</p>" for i in range(n))),
    "dated-list": lambda n: page(
        article() + items(n, lambda i: f"<li><a href='/a/{i}.html'>第{i}次会议</a> 2024-05-{i % 28 + 1:02d}</li>")
    ),
}
# Units per shape at --scale 1 (n); 20,000 siblings and a 2 MB text node are 4n. Nesting stops at 240: libxml2
# cuts the tree at depth 255 (the article below is lost to plain trafilatura as well), so deeper pages
# measure the parser's limit, not the rules; --scale 8 shows it.
BASE = {"deep": 60, "siblings": 5000, "text-node": 500_000, "headings": 1250, "long-lines": 250_000,
        "table": 2500, "list-links": 2500, "inline-links": 2500, "dated-list": 2500}  # fmt: skip


def cpu_ms(run: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return 1000 * best


def project(html: str) -> object:
    try:
        return extract_article(html, URL)
    except ExtractionError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every shape's base size")
    parser.add_argument("--steps", type=int, default=3, help="sizes n, 2n, 4n … (this many)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated, from: " + ", ".join(SHAPES))
    args = parser.parse_args(argv)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; CPU ms, fastest of {args.repeat}")
    print(f"{'shape':13} {'units':>9} {'KB':>7} {'project':>9} {'plain':>9}")
    for name in args.shapes.split(","):
        rows = []
        for step in range(args.steps):
            units = int(BASE[name] * args.scale) * 2**step
            html = SHAPES[name](units)
            mine = cpu_ms(lambda: project(html), args.repeat)  # noqa: B023 (used at once)
            plain = cpu_ms(lambda: trafilatura.extract(html, url=URL), args.repeat)  # noqa: B023
            rows.append((mine, plain))
            print(f"{name:13} {units:>9} {len(html.encode()) // 1024:>7} {mine:>9.1f} {plain:>9.1f}")
        if len(rows) > 1:
            ratio = 2 ** (len(rows) - 1)
            growth = [last / first if first else float("nan") for first, last in zip(rows[0], rows[-1], strict=True)]
            print(f"{'':13} growth x{ratio}: project x{growth[0]:.1f}, plain x{growth[1]:.1f}")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
