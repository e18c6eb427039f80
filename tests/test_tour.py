"""The offline tour as a newcomer meets it (issue #28): what a run prints when the portals cannot be
reached, and what the crawl logs keep of it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import free_port

ROOT = Path(__file__).resolve().parent.parent


def _registry(tmp_path: Path) -> Path:
    entries = ["sites:"]
    for name, host in (("gone-a", "127.0.0.2"), ("gone-b", "127.0.0.3")):
        entries += [
            f"  - name: {name}",
            f'    start_urls: ["http://{host}:{free_port(host)}/col/index.html"]',
            "    article_url_patterns: ['/t\\d{8}_\\d+\\.html$']",
            "    download_delay: 0",
        ]
    path = tmp_path / "sites.yaml"
    path.write_text("\n".join(entries) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_unreachable_sites_are_one_log_line_each_and_no_traceback(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "DANGJIAN_DATA_DIR": str(tmp_path / "data"),
        "DANGJIAN_DOWNLOAD_TIMEOUT": "3",
    }
    cmd = [sys.executable, "-m", "dangjian.cli", "--database-url", f"sqlite:///{tmp_path / 'db.sqlite'}"]
    cmd += ["ingest", "--registry", str(_registry(tmp_path)), "--max-pages", "5"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=400, check=False)
    assert proc.returncode == 3, proc.stderr[-3000:]  # every site failed
    problems = [line for line in proc.stderr.splitlines() if re.search(r"\| (ERROR|WARNING) ", line)]
    for site in ("gone-a", "gone-b"):
        mine = [line for line in problems if site in line]
        assert len(mine) == 1, "\n".join(problems)
        assert "Connection was refused" in mine[0] or "refused" in mine[0].lower(), mine
    assert "Traceback" not in proc.stderr and "Failed(message=" not in proc.stderr, proc.stderr[-3000:]
    assert [line for line in proc.stdout.splitlines() if line.startswith("error: ")] != []
    logs = sorted((tmp_path / "data" / "runs").rglob("*.crawl.log"))
    assert len(logs) == 2
    for log in logs:
        text = log.read_text(encoding="utf-8")
        assert "robots.txt" in text and "Traceback" not in text, text[-3000:]


def test_parameter_descriptions_render_in_the_run_form() -> None:
    """The UI renders descriptions as markdown: a JSON example's quotes came out as &quot; and its URL as a
    link that swallowed `"}.`. Every URL in a description stands in a code span, and no description quotes."""
    from flows.ingest import ingest

    for name, schema in ingest.parameters.properties.items():
        description = str(schema.get("description", ""))
        assert '"' not in description, (name, description)
        for url in re.findall(r"\S*https?://\S+", description):
            assert url.startswith("`"), (name, description)


@pytest.mark.slow
def test_crawl_and_probe_keep_out_of_the_production_archive(tmp_path: Path, replica: object) -> None:
    """`dangjian crawl` and `probe` wrote WARC files into the archive that reprocess and import-warc read."""
    from pages.stream import read_raw_pages

    base = replica.base_url  # type: ignore[attr-defined]
    production = tmp_path / "production-archive"
    env = {**os.environ, "DANGJIAN_ARCHIVE_DIR": str(production), "DANGJIAN_DATA_DIR": str(tmp_path / "data")}
    out = tmp_path / "kept.jsonl"
    crawl = [sys.executable, "-m", "dangjian.cli", "crawl", "--site", "replica-djgz", "--max-pages", "6"]
    crawl += ["--registry", str(ROOT / "replica" / "sites.yaml"), "--var", f"base_url={base}"]
    for extra in ([], ["--out", str(out)]):
        proc = subprocess.run([*crawl, *extra], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
    probe = [sys.executable, "-m", "dangjian.cli", "probe", f"{base}/djgz/index.html", "--delay", "0"]
    proc = subprocess.run([*probe, "--allow-private"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not production.exists() or not any(production.rglob("*.warc*")), sorted(production.rglob("*"))
    pages = [p for p in read_raw_pages(out) if p.kind == "page"]
    assert pages and all(p.body for p in pages)  # their bodies read from kept.jsonl.warc/
    assert any((tmp_path / "kept.jsonl.warc").rglob("*.warc.gz"))
