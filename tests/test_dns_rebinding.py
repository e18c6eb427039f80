"""DNS rebinding, in a real crawl (issue #13): a registry entry naming a public-looking host that
resolves to 127.0.0.1 is refused unless the entry opts in with allow_private_addresses.

No real DNS: the crawl process runs with a stub resolver (below) that answers from a table, behind the
project's own address check (crawlers/resolver.py overrides only the lookup in the stub).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from twisted.internet import defer

from crawlers.resolver import PublicAddressResolver
from replica.hostile import HostileServer

ROOT = Path(__file__).resolve().parent.parent
STUB_ENV = "DANGJIAN_TEST_STUB_DNS"  # "name=address,name=address"


class StubResolver(PublicAddressResolver):
    """The project's resolver with the lookup replaced by a table from the environment."""

    def _lookup(self, name: str, timeout: object) -> defer.Deferred[str]:
        table = dict(pair.split("=", 1) for pair in os.environ.get(STUB_ENV, "").split(",") if "=" in pair)
        return defer.succeed(table[name]) if name in table else defer.fail(KeyError(name))


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


def _crawl(tmp_path: Path, port: int, private: bool | None) -> tuple[dict[str, object], list[dict[str, object]]]:
    registry = tmp_path / "sites.yaml"
    extra = "" if private is None else f"    allow_private_addresses: {str(private).lower()}\n"
    registry.write_text(
        "sites:\n  - name: rebind\n"
        f"    start_urls: ['http://portal.example.cn:{port}/bad/index.html']\n"
        "    article_url_patterns: ['/bad/202401/t\\d{8}_\\d+\\.html$']\n"
        f"    download_delay: 0\n    max_pages: 5\n{extra}",
        encoding="utf-8",
    )
    out, stats = tmp_path / "out.jsonl", tmp_path / "stats.json"
    out.unlink(missing_ok=True)
    script = (
        "import sys, crawlers.settings as s; s.TWISTED_DNS_RESOLVER = 'tests.test_dns_rebinding.StubResolver';"
        "from crawlers.run import main; sys.exit(main(sys.argv[1:]))"
    )
    argv = ["--registry", str(registry), "--site", "rebind", "--out", str(out), "--stats", str(stats)]
    env = {**os.environ, STUB_ENV: "portal.example.cn=127.0.0.1", "DANGJIAN_DOWNLOAD_TIMEOUT": "3"}
    proc = subprocess.run([sys.executable, "-c", script, *argv], cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []
    return json.loads(stats.read_text(encoding="utf-8")), records


@pytest.mark.slow
def test_public_name_resolving_to_loopback_is_refused_and_recorded(hostile: HostileServer, tmp_path: Path) -> None:
    port = int(hostile.base_url.rsplit(":", 1)[1])
    stats, records = _crawl(tmp_path, port, private=None)
    assert hostile.total_requests == 0  # not even robots.txt
    assert stats.get("dangjian/refused_private_address")
    (record,) = [r for r in records if str(r["url"]).endswith("/bad/index.html")]
    assert record["kind"] == "error"
    assert "'portal.example.cn' resolves to non-public address 127.0.0.1" in str(record["reason"])


@pytest.mark.slow
def test_opted_in_intranet_portal_is_crawled(hostile: HostileServer, tmp_path: Path) -> None:
    port = int(hostile.base_url.rsplit(":", 1)[1])
    stats, records = _crawl(tmp_path, port, private=True)
    assert hostile.total_requests > 0 and not stats.get("dangjian/refused_private_address")
    assert hostile.host_headers.get(f"portal.example.cn:{port}")
    assert any(r["kind"] == "page" for r in records)
