"""How long `dangjian probe` takes per replica portal (target: under 30 s each), beside a bare baseline.

    python bench/probe.py [--portal NAME]...

Each portal's replica is served on 127.0.0.1 and probed the way a user does (`dangjian probe URL
--delay 0`, one process per portal: start-up, robots.txt, list page, page 2, three articles through the
real extraction). The baseline is the same process with nothing to probe (Python, Scrapy and the
extraction imports, a reactor started and stopped): what any probe pays before its first request.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from replica.portals import DERIVED_REGISTRY, PortalServer, load_expected  # noqa: E402
from sites.registry import load_registry  # noqa: E402


def timed(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    return time.perf_counter() - started, proc


def baseline() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "t.json").write_text("[]")
        seconds, _ = timed(
            [sys.executable, "-m", "crawlers.probe_run", "--targets", f"{tmp}/t.json", "--out", f"{tmp}/o"]
        )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--portal", action="append", default=[])
    args = parser.parse_args()
    names = args.portal or sorted(load_expected())
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"baseline (probe process, nothing to probe): {baseline():.2f} s")
    print(f"{'portal':<16} {'seconds':>8} {'exit':>5}  requests  article pattern")
    for name in names:
        with PortalServer(name) as server:
            start = load_registry(DERIVED_REGISTRY, {"base_url": server.base_url})[name].start_urls[0]
            seconds, proc = timed(
                [sys.executable, "-m", "dangjian.cli", "probe", start, "--delay", "0", "--allow-private"]
            )
            requests = sum(server.request_counts.values())
        pattern = next(
            (line.split(": ", 1)[1] for line in proc.stdout.splitlines() if "article_url_patterns" in line), ""
        )
        print(f"{name:<16} {seconds:>8.2f} {proc.returncode:>5}  {requests:>8}  {pattern}")
    print(json.dumps({"portals": len(names)}))


if __name__ == "__main__":
    main()
