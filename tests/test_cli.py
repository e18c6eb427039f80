"""The dangjian command line: usable output and exit codes, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from dangjian.cli import main
from dangjian.commands.common import EXIT_ALL_SITES_FAILED, EXIT_PREFECT_UNAVAILABLE, EXIT_USAGE

BIN = Path(sys.executable).parent


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sites_lists_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sites"]) == 0
    out = capsys.readouterr().out
    assert "12371cn" in out and "共产党员网" in out and "qizhiwang" in out


def test_bad_dates_and_unknown_sites_are_one_line_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["ingest", "--since", "2024-13-01"])
    assert exc.value.code == 2
    assert "expected a date YYYY-MM-DD" in capsys.readouterr().err
    assert main(["ingest", "--site", "no-such-site"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("error: unknown site(s): no-such-site") and "Traceback" not in err


def test_unreachable_sites_end_with_one_error_line_each(prefect_api: None, tmp_path: Path) -> None:
    """The real console script, against Prefect's test API, with two sites that refuse connections."""
    from prefect.settings import PREFECT_API_URL

    registry = tmp_path / "sites.yaml"
    registry.write_text(
        "sites:\n"
        + "".join(
            f"  - name: down-{i}\n    start_urls: ['http://127.0.0.1:{closed_port()}/djgz/index.html']\n"
            "    article_url_patterns: ['/t\\d{8}_\\d+\\.html$']\n    download_delay: 0\n"
            for i in (1, 2)
        ),
        encoding="utf-8",
    )
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "DANGJIAN_DATA_DIR": str(tmp_path / "d")}
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "dangjian"),
            "--database-url",
            f"sqlite:///{tmp_path / 'cli.db'}",
            "ingest",
            "--registry",
            str(registry),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == EXIT_ALL_SITES_FAILED, proc.stderr[-2000:]
    error_lines = [line for line in proc.stdout.splitlines() if line.startswith("error: ")]
    assert len(error_lines) == 2
    assert all("connection refused" in line for line in error_lines), error_lines
    assert "TOTAL" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_a_temporary_prefect_api_that_does_not_start_is_one_line(tmp_path: Path) -> None:
    """What a first run on a loaded machine met: the ephemeral API not up in time. Here its start-up
    timeout is 1 s, which no start meets; nothing is crawled and the user is told what to do."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env |= {"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "1", "DANGJIAN_DATA_DIR": str(tmp_path / "d")}
    registry = Path(__file__).resolve().parent.parent / "replica" / "sites.yaml"
    database, base_url = f"sqlite:///{tmp_path / 'x.db'}", f"base_url=http://127.0.0.1:{closed_port()}"
    proc = subprocess.run(
        [str(BIN / "dangjian"), "--database-url", database, "ingest", "--registry", str(registry), "--var", base_url],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == EXIT_PREFECT_UNAVAILABLE, proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS" in errors[0]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not (tmp_path / "d" / "runs").exists()  # nothing was crawled


def test_extract_prints_the_contract_json(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    page = Path(__file__).resolve().parent.parent / "replica" / "site" / "djgz" / "202503" / "t20250312_602214.html"
    assert main(["extract", str(page), "--url", "http://127.0.0.1/djgz/202503/t20250312_602214.html"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {
        "url",
        "title",
        "published_at",
        "source",
        "author",
        "editor",
        "text",
        "text_normalized",
        "script",
        "language",
        "flags",
    }
    assert out["published_at"].startswith("2025-03-12T") and out["published_at"].endswith("+08:00")
    assert out["script"] == "hans" and "扫一扫" not in out["text"]


def test_extract_of_an_empty_or_missing_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    assert main(["extract", str(empty), "--url", "http://127.0.0.1/x.html"]) == EXIT_USAGE
    assert main(["extract", str(tmp_path / "absent.html"), "--url", "http://127.0.0.1/x.html"]) == EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("error: ") for line in err)


def test_dedup_check_against_a_corpus_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    import opencc

    seeds = Path(__file__).resolve().parent.parent / "seeds"
    repost = tmp_path / "repost.txt"
    repost.write_text(opencc.OpenCC("s2t").convert(next(seeds.glob("004_*.txt")).read_text("utf-8")), "utf-8")
    other = tmp_path / "other.txt"
    other.write_text("市图书馆党支部开展书香进社区志愿服务活动，为居民送去图书六百余册。" * 3, "utf-8")
    assert main(["dedup-check", str(repost), str(other), "--corpus", str(seeds)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["duplicate"] and lines[0]["duplicate_of"].startswith("004_") and lines[0]["layer"] == "exact"
    assert lines[1] == {"file": str(other), "duplicate": False, "duplicate_of": None, "similarity": None, "layer": None}
