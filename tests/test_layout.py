"""docs/layout.md is the table scripts/layout.py writes from the docstrings: no module left out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_layout_lists_every_module_as_generated() -> None:
    proc = subprocess.run(
        [sys.executable, "scripts/layout.py", "--check"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, f"docs/layout.md is stale: run python scripts/layout.py\n{proc.stdout[-3000:]}"
    listed = (ROOT / "docs" / "layout.md").read_text(encoding="utf-8")
    for module in ("sites/registry.py", "pages/stream.py", "crawljob/request.py", "crawlers/spiders/lists.py"):
        assert f"`{module}`" in listed
