"""Every flag an extraction sets is a name of steps/flags.Flag: the corpus is queried by these names."""

from __future__ import annotations

import re
from pathlib import Path

from steps.decode import decode_html
from steps.extract import ExtractionError, extract_article
from steps.flags import FLAGS

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "replica").rglob("*.html"))  # the replica portals: their articles, lists, error pages


def test_the_flags_of_real_pages_are_named_in_steps_flags() -> None:
    seen: set[str] = set()
    for path in PAGES:
        try:
            art = extract_article(decode_html(path.read_bytes()).text, f"http://127.0.0.1:8765/{path.name}")
        except ExtractionError:
            continue  # index pages and error pages hold no article
        seen.update(art.flags)
    assert seen, "no page carried a flag: the test reads no page"
    assert seen <= FLAGS, f"flags not in steps/flags.Flag: {sorted(seen - FLAGS)}"


def test_each_flag_the_code_sets_by_name_is_declared() -> None:
    """A flag set by a literal anywhere in the product code (``flags.append("…")``) is declared."""
    set_by_name = set()
    for path in [*(ROOT / "steps").glob("*.py"), *(ROOT / "process").glob("*.py")]:
        set_by_name |= set(re.findall(r"flags\.append\(\"([a-z_]+)\"\)", path.read_text(encoding="utf-8")))
    assert set_by_name and set_by_name <= FLAGS, sorted(set_by_name - FLAGS)
