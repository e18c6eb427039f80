"""Registry load time at the field's size: N generated entries (default 3,000) loaded and validated, beside
a bare YAML parse of the same file (pure-Python and libyaml) in the same run, with the load average.

The entries repeat a few dozen CMS URL patterns as the real field does (TRS, Hanweb, JCMS sites share
theirs); ``--distinct`` gives every entry a pattern of its own, the worst case for the pattern check.
Run: ``python bench/registry_load.py [--n 3000] [--distinct]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sites.registry import load_registry

PATTERNS = 40  # distinct CMS patterns among the entries, unless --distinct


def registry_text(n: int, distinct: bool) -> str:
    lines = ["sites:"]
    for i in range(n):
        variant = i if distinct else i % PATTERNS
        lines += [
            f"  - name: s{i}",
            f"    title: 党建网 {i}",
            f'    start_urls: ["http://dj{i}.example.gov.cn/col{variant}/index.html"]',
            f"    article_url_patterns: ['/col{variant}/\\d{{6}}/t\\d{{8}}_\\d+\\.html$']",
            "    download_delay: 2",
            f"    group: {{province: p{i % 31}, level: county}}",
        ]
    return "\n".join(lines) + "\n"


def cpu(fn: object) -> float:
    started = time.process_time()
    fn()  # type: ignore[operator]
    return time.process_time() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--distinct", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sites.yaml"
        path.write_text(registry_text(args.n, args.distinct), encoding="utf-8")
        text = path.read_text(encoding="utf-8")
        figures = {
            "yaml.safe_load (baseline)": cpu(lambda: yaml.safe_load(text)),
            "yaml CSafeLoader (baseline)": cpu(lambda: yaml.load(text, Loader=yaml.CSafeLoader)),
            "load_registry (project)": cpu(lambda: load_registry(path)),
        }
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"registry of {args.n} entries ({'distinct' if args.distinct else PATTERNS} patterns), load {load}")
    for name, seconds in figures.items():
        print(f"  {name:<30} {seconds * 1000:8.0f} ms CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
