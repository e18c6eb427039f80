"""`dangjian --help` and `dangjian extract FILE` start without the heavy frameworks (issue #26: they took
~0.9 s of CPU, most of it importing Prefect, Scrapy, SQLAlchemy or datasketch's scipy they never use)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("prefect", "scrapy", "twisted", "sqlalchemy", "datasketch", "scipy", "alembic")
PAGE = ROOT / "replica" / "site"

PROBE = """
import contextlib, io, json, sys
from dangjian.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        code = main(sys.argv[1:])
    except SystemExit as exc:  # --help
        code = exc.code
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(HEAVY)))
print(json.dumps({"code": code, "heavy": heavy, "out": len(out.getvalue())}))
"""


def _imports(*argv: str) -> dict[str, object]:
    code = PROBE.replace("json.loads(HEAVY)", repr(list(HEAVY)))
    proc = subprocess.run([sys.executable, "-c", code, *argv], cwd=ROOT, capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _a_page() -> Path:
    pages = sorted(PAGE.rglob("t2*.html")) or sorted(PAGE.rglob("*.html"))
    if not pages:
        pytest.fail(f"no replica page under {PAGE}")
    return pages[0]


def test_help_imports_no_framework() -> None:
    result = _imports("--help")
    assert result["code"] == 0 and result["out"]
    assert result["heavy"] == []


def test_extract_imports_no_framework() -> None:
    result = _imports("extract", str(_a_page()), "--url", "http://127.0.0.1/a/t20240430_1.html")
    assert result["code"] == 0 and result["out"]
    assert result["heavy"] == []
