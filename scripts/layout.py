"""Write docs/layout.md, the table of every module, from the modules' own docstrings.

Why generated: a hand-kept table missed about 15 modules. tests/test_layout.py fails when the file is
not what this script writes, so a new module shows up in the table in the commit that adds it.
Run: ``python scripts/layout.py`` (``--check`` prints the difference instead of writing).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import sys
from pathlib import Path

from process.version import PACKAGES

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "layout.md"
EXTRA = ("replica", "bench")  # not installed packages, but rooms of the house
PACKAGE_ROLES = {
    "sites": "the portal registry and the checks every layer shares (hosts, ports, regexes); no framework",
    "pages": "raw pages and WARC records: what a crawl hands over, readable without Scrapy",
    "crawljob": "the crawl-process boundary without Scrapy: the command line, stats keys, the crawl report",
    "probe": "onboarding and checking columns: findings and registry entries (the spider is in crawlers/)",
    "crawlers": "Scrapy only: spiders (one class per discovery mode), middlewares, extensions, settings, "
    "the crawl entry point",
    "steps": "pure functions: decode, extract, clean, normalize, dedup; no Prefect, Scrapy or I/O",
    "process": "the processing core that composes steps with storage, fed by crawls or archives; no Prefect",
    "storage": "SQLAlchemy 2.0 models, engine, writes and queries, Alembic migrations",
    "flows": "the Prefect layer only, thin",
    "dangjian": "the `dangjian` command line",
    "replica": "loopback portals for tests and `make demo`",
    "bench": "benchmark scripts that print figures ([bench/README.md](../bench/README.md))",
}


ALSO = (
    "Also: `sites/sites.yaml` (the registry), `replica/sites.yaml` (the replica's), `dangjian/browse.yaml`\n"
    "(the web view's pages), `seeds/` (the seed corpus), `tests/`, `scripts/`, `prefect.yaml` (deployments)."
)


def packages() -> list[str]:
    """The installed packages (process.version reads them from pyproject.toml), then the other rooms."""
    return [*PACKAGES, *EXTRA]


def summary(path: Path) -> str:
    """The docstring's first paragraph on one line, table-safe."""
    doc = ast.get_docstring(ast.parse(path.read_bytes())) or ""
    first = " ".join(doc.strip().split("\n\n")[0].split())
    return first.replace("|", "\\|").replace("``", "`") or "(no docstring)"


def modules(package: str) -> list[Path]:
    """The package's modules; of the Alembic tree only the migrations themselves (versions/)."""
    files = sorted((ROOT / package).rglob("*.py"))
    return [
        f for f in files if f.name != "__init__.py" and ("migrations" not in f.parts or f.parent.name == "versions")
    ]


def render() -> str:
    lines = ["# Layout: every module", "", "Written by `python scripts/layout.py` from each module's docstring.", ""]
    lines += [f"- `{p}/`: {PACKAGE_ROLES.get(p) or summary(ROOT / p / '__init__.py')}" for p in packages()]
    lines += [
        "",
        "Also: `sites/sites.yaml` (the registry), `replica/sites.yaml` (the replica's), `dangjian/browse.yaml`",
    ]
    lines += [
        "(the web view's pages), `seeds/` (the seed corpus), `tests/`, `scripts/`, `prefect.yaml` (deployments).",
        "",
    ]
    for package in packages():
        lines += ["", f"## `{package}/`", "", "| module | what |", "|---|---|"]
        lines += [f"| `{f.relative_to(ROOT)}` | {summary(f)} |" for f in modules(package)]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="print the difference, write nothing")
    args = parser.parse_args()
    text = render()
    if args.check:
        old = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        diff = list(
            difflib.unified_diff(old.splitlines(), text.splitlines(), "docs/layout.md", "generated", lineterm="")
        )
        print("\n".join(diff))
        return 1 if diff else 0
    OUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
