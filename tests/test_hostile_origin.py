"""Origins and addresses under hostile input (issue #24): one origin check for crawl, probe and import-warc,
no connection to link-local / metadata / private addresses without an explicit allow, probe output that
cannot smuggle a second registry entry, alerts that neither accept a metadata webhook nor print its token.

No test connects anywhere but 127.0.0.0/8. The subprocess tests install an audit hook (a sitecustomize on
PYTHONPATH, so the probe's own child process has it too) that refuses and records every ``socket.connect``
to a non-loopback address: a refusal must happen before any connection is attempted, and the hook proves it.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from dangjian.cli import main
from probe.onboard import render_entry
from replica.server import BackgroundServer, ReplicaServer
from sites.origin import Origin, address_kind, host_in_domains
from sites.registry import load_registry, parse_site

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "replica" / "site"
REPLICA_REGISTRY = ROOT / "replica" / "sites.yaml"
METADATA_URLS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://2852039166/latest/meta-data/",  # 169.254.169.254 as one decimal number
    "http://0xa9.0xfe.0xa9.0xfe/latest/meta-data/",
    "http://100.100.100.200/latest/meta-data/",  # Alibaba Cloud
    "http://[fd00:ec2::254]/latest/meta-data/",  # AWS over IPv6
    "http://[fe80::1]/",
]
HOOK = """
import errno, ipaddress, os, sys

def _loopback(host):
    try:
        ip = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return (getattr(ip, "ipv4_mapped", None) or ip).is_loopback

def _hook(event, args):
    if event != "socket.connect" or not isinstance(args[1], tuple) or _loopback(str(args[1][0])):
        return
    with open(os.environ["ORIGIN_TEST_CONNECT_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{args[1][0]}\\n")
    raise ConnectionRefusedError(errno.ECONNREFUSED, f"test audit hook: no connection to {args[1][0]}")

sys.addaudithook(_hook)
"""


@dataclass
class Hooked:
    """An environment whose Python processes refuse and record every non-loopback connect."""

    env: dict[str, str]
    log: Path

    def attempts(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").split() if self.log.exists() else []

    def run(self, *argv: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *argv], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )


@pytest.fixture
def hooked(tmp_path: Path) -> Hooked:
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(HOOK, encoding="utf-8")
    log = tmp_path / "connects.log"
    path = os.pathsep.join(p for p in (str(hook_dir), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path, "ORIGIN_TEST_CONNECT_LOG": str(log), "DANGJIAN_DOWNLOAD_TIMEOUT": "3"}
    return Hooked(env, log)


def test_the_audit_hook_really_refuses_a_connection(hooked: Hooked) -> None:
    """The hook the tests below rely on: a connect to a non-loopback address is refused and recorded."""
    script = "import socket\ntry:\n    socket.create_connection(('192.0.2.1', 9), timeout=1)\n"
    script += "except OSError as e:\n    print(e)"
    done = hooked.run("-c", script)
    assert "test audit hook" in done.stdout and hooked.attempts() == ["192.0.2.1"]


# --- the one check, URL by URL ---------------------------------------------------------------------


@pytest.mark.parametrize("url", METADATA_URLS)
def test_metadata_and_link_local_literals_are_refused_in_every_spelling(url: str) -> None:
    host = url.split("/")[2].strip("[]")
    for rule in ("public", "private"):
        refused = Origin((host,), None, rule).refusal(url)  # even when the host is the allowed domain itself
        assert refused is not None and refused.kind == "address", (url, rule, refused)
    assert address_kind(host) == "link-local"


@pytest.mark.parametrize(
    ("host", "url", "kind"),
    [
        ("10.0.0.1", "http://10.0.0.1/x", "address"),
        ("127.0.0.1", "http://127.0.0.1:8123/x", "address"),
        ("127.0.0.1", "http://2130706433:8123/x", "address"),  # 127.0.0.1 as a number: the same host and rule
        ("100.64.0.1", "http://100.64.0.1/x", "address"),  # CGNAT
        ("localhost", "http://localhost:8123/x", "address"),
        ("portal.example.cn", "http://portal.example.cn/x", None),  # a name: its addresses are the resolver's
    ],
)
def test_private_literals_need_an_explicit_allow(host: str, url: str, kind: str | None) -> None:
    refused = Origin((host,), None, "public").refusal(url)
    assert (refused.kind if refused else None) == kind, refused
    assert Origin((host,), None, "private").refusal(url) is None


def test_host_in_domains_is_one_normalized_check() -> None:
    assert host_in_domains("WWW.Portal.Example.CN.", ["portal.example.cn"])
    assert host_in_domains("2130706433", ["127.0.0.1"]) and host_in_domains("127.1", ["127.0.0.1"])
    assert not host_in_domains("portal.example.cn.evil.example", ["portal.example.cn"])
    assert not host_in_domains("x.127.0.0.1", ["127.0.0.1"])  # no "subdomain" of an IP literal


def test_an_entry_naming_a_metadata_literal_is_not_private_by_default() -> None:
    raw = {"name": "meta", "start_urls": ["http://169.254.169.254/latest/"], "article_url_patterns": ["/x"]}
    site = parse_site(raw)
    assert site.allow_private_addresses is False
    assert Origin.of_site(site).refusal("http://169.254.169.254/latest/x").kind == "address"  # type: ignore[union-attr]
    loopback = parse_site({**raw, "start_urls": ["http://127.0.0.1:8123/x/"]})
    assert loopback.allow_private_addresses is True and Origin.of_site(loopback).allows("http://127.0.0.1:8123/x/1")


# --- the probe refuses before connecting -----------------------------------------------------------

PROBE_CASES = """
import contextlib, io, json, sys
from probe.findings import ProbeTarget
from probe.onboard import run_targets
from dangjian.cli import main
cases = json.loads(sys.argv[1])
out = []
for argv in cases:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(argv)
    out.append([rc, err.getvalue()])
# past the CLI's own check: the probe process refuses by itself (its downloader middleware)
found = run_targets([ProbeTarget(u, "probe", delay=0, addresses="private") for u in json.loads(sys.argv[2])])
print(json.dumps({"cli": out, "process": [f.reason for f in found]}))
"""


@pytest.mark.slow
def test_probe_never_connects_to_metadata_private_or_loopback_without_allow(hooked: Hooked) -> None:
    cli = [["probe", u, "--delay", "0"] for u in METADATA_URLS]
    cli += [["probe", u, "--delay", "0", "--allow-private"] for u in METADATA_URLS[:3]]  # never allowed
    cli += [["probe", "http://10.0.0.1/djgz/", "--delay", "0"], ["probe", "http://127.0.0.1:9/djgz/", "--delay", "0"]]
    done = hooked.run("-c", PROBE_CASES, json.dumps(cli), json.dumps(METADATA_URLS[:2]))
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    for argv, (rc, err) in zip(cli, result["cli"], strict=True):
        assert rc == 2 and err.startswith("error: refused request to") and err.count("\n") == 1, (argv, rc, err)
        assert "link-local" in err or "--allow-private" in err, err
    for reason in result["process"]:
        assert reason and "link-local or cloud-metadata address" in reason, reason
    assert hooked.attempts() == []


@pytest.mark.slow
def test_crawl_of_an_entry_naming_the_metadata_address_connects_nowhere(hooked: Hooked, tmp_path: Path) -> None:
    registry = tmp_path / "sites.yaml"
    registry.write_text(
        "sites:\n  - name: meta\n    start_urls: ['http://169.254.169.254/latest/meta-data/index.html']\n"
        "    article_url_patterns: ['/latest/']\n    download_delay: 0\n    max_pages: 3\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    done = hooked.run("-m", "crawlers.run", "--registry", str(registry), "--site", "meta", "--out", str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    (record,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert record["kind"] == "error" and "link-local or cloud-metadata address" in record["reason"], record
    assert hooked.attempts() == []


class _Redirect(BaseHTTPRequestHandler):
    """A column page that moved to another port of the same host."""

    target: ClassVar[str] = ""

    def do_GET(self) -> None:
        self.send_response(404 if self.path == "/robots.txt" else 302)
        if self.path != "/robots.txt":
            self.send_header("Location", self.target + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.mark.slow
def test_probe_refuses_a_redirect_to_another_port_as_the_crawl_does(capsys: pytest.CaptureFixture[str]) -> None:
    with ReplicaServer() as other:
        _Redirect.target = other.base_url
        with BackgroundServer(ThreadingHTTPServer(("127.0.0.1", 0), _Redirect), "redirect") as moved:
            rc = main(["probe", f"{moved.base_url}/djgz/index.html", "--delay", "0", "--allow-private"])
            requested = other.request_counts
    err = capsys.readouterr().err
    port = other.base_url.rsplit(":", 1)[1]
    assert rc == 1 and f"refused request to port {port} of '127.0.0.1'" in err, err
    assert requested == {}  # not even its robots.txt


# --- probe output pasted into sites.yaml stays one entry -------------------------------------------

EVIL = "\u2028  - name: evil\u2028    start_urls: ['http://169.254.169.254/latest/meta-data/']\u2028"
EVIL += "    article_url_patterns: ['.']\u2028    allow_private_addresses: true\u2028"


def test_rendered_entry_with_hostile_values_reads_back_as_exactly_one_entry() -> None:
    entry = {
        "name": "col",
        "title": "党建\u2028- name: x\x85\x1b[2J\u202e\"'\\ \r\n#",
        "start_urls": ["http://127.0.0.1:8123/djgz/" + EVIL],
        "allowed_domains": ["127.0.0.1"],
        "article_url_patterns": [r"/djgz/\d{6}/t\d{8}_\d+\.html$", "/a\u2028b'"],
        "max_pages": 300,
        "download_delay": 2.0,
        "feed_urls": ["http://127.0.0.1:8123/rss.xml" + EVIL],
        "notes": "probed\x00" + EVIL,
    }
    unsure = {"article_url_patterns": "1 of 3 failed: http://127.0.0.1/x" + EVIL, "sitemap_urls": EVIL + "\x1b]0;t\x07"}
    text = render_entry(entry, unsure)
    (read,) = yaml.safe_load("sites:\n" + text)["sites"]
    assert read == entry
    assert all(line.startswith(("  - name: col", "    ")) for line in text.splitlines()), text
    assert not any(c in text for c in "\u2028\u2029\x85\r\x1b\x00\u202e")


def _hostile_column(dest: Path) -> Path:
    """The replica's column page, announcing a feed whose link carries U+2028 and a second entry, with a
    column name full of line breaks and control characters."""
    root = shutil.copytree(SITE, dest / "site")
    index = root / "djgz" / "index.html"
    html = index.read_text(encoding="utf-8")
    feed = f'<link rel="alternate" type="application/rss+xml" href="/rss.xml{EVIL}#x">'  # the rest: a comment
    name = '<meta name="ColumnName" content="党建工作\u2028  - name: evil2\x85\u202e">'
    index.write_text(html.replace("<head>", f"<head>{feed}{name}", 1), encoding="utf-8")
    return root


@pytest.mark.slow
def test_probe_output_pasted_into_the_registry_is_one_entry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with ReplicaServer(_hostile_column(tmp_path), routes=None) as server:
        url = f"{server.base_url}/djgz/index.html"
        assert main(["probe", url, "--name", "col", "--delay", "0", "--allow-private"]) == 0
    out = capsys.readouterr().out
    registry = tmp_path / "pasted.yaml"
    registry.write_text("sites:\n" + out, encoding="utf-8")
    sites = yaml.safe_load(registry.read_text(encoding="utf-8"))["sites"]
    assert [s["name"] for s in sites] == ["col"], sites
    assert "rss.xml\\u2028  - name: evil" in out  # shown, escaped, inside its comment
    (read,) = sites
    assert (
        read["name"] == "col"
        and read["start_urls"] == [url]
        and read["title"] == "党建工作\u2028  - name: evil2\x85\u202e"
    )
    assert read["allowed_domains"] == ["127.0.0.1"] and "allow_private_addresses" not in read
    assert list(load_registry(registry, {})) == ["col"]


# --- import-warc attributes only what the crawl would fetch ----------------------------------------

BASE = "http://127.0.0.1:8123"  # the replica entry's origin; never contacted, the pages come from the WARC


def _warc(path: Path, urls: list[str], body: bytes) -> None:
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url in urls:
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.0")
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http)
            writer.write_record(record)


def test_import_warc_refuses_what_the_crawl_refuses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    article = "/djgz/202405/t20240516_581203.html"
    hostile = [
        "http://127.0.0.1:6379" + article,  # another port of the allowed host
        "https://127.0.0.1:443" + article,  # another scheme and port
        "http://admin:secret@127.0.0.1:8123" + article,  # credentials: would be stored, exported, browsable
        "http://evil.example\\@127.0.0.1:8123" + article,  # browsers read host evil.example
    ]
    warc = tmp_path / "in.warc.gz"
    _warc(warc, [*hostile, BASE + article], (SITE / article.lstrip("/")).read_bytes())
    db = f"sqlite:///{tmp_path / 'c.db'}"
    argv = ["--database-url", db, "import-warc", str(warc), "--registry", str(REPLICA_REGISTRY)]
    assert main([*argv, "--var", f"base_url={BASE}"]) == 0
    out = capsys.readouterr().out
    assert "replica-djgz: 1 page(s): new 1" in out, out
    assert "skipped: 2 (refused by the origin policy of replica-djgz: another port)" in out, out
    assert "skipped: 2 (refused by the origin policy of replica-djgz: credentials or a backslash" in out, out
    from sqlalchemy import create_engine, text

    engine = create_engine(db)
    with engine.connect() as conn:
        urls = [row[0] for row in conn.execute(text("SELECT url FROM articles"))]
    engine.dispose()
    assert urls == [BASE + article]


# --- alerts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "webhook",
    [
        *(u + "?access_token=TOPSECRET" for u in METADATA_URLS),
        "http://10.0.0.1/hook?access_token=TOPSECRET",
        "http://localhost:9/hook?access_token=TOPSECRET",  # a name: resolved (to loopback) and refused
        "http://user:TOPSECRET@127.0.0.1:9/hook",
    ],
)
def test_alerts_refuse_a_non_public_webhook_before_contacting_prefect(
    webhook: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # nothing listens: never reached
    assert main(["alerts", "--webhook-url", webhook]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "TOPSECRET" not in err, err
    assert "refused" in err or "credentials" in err, err


def test_alerts_with_an_unreachable_prefect_api_say_so_in_one_line(hooked: Hooked) -> None:
    env = {**hooked.env, "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    argv = ["-m", "dangjian.cli", "alerts", "--webhook-url", "http://127.0.0.1:9/hook?access_token=TOPSECRET"]
    done = subprocess.run(
        [sys.executable, *argv, "--allow-private"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.stderr.startswith("error: no Prefect server answers") and done.stderr.count("\n") == 1, done.stderr
    assert "TOPSECRET" not in done.stdout + done.stderr
