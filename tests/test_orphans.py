"""No orphans (issue #13): killing `dangjian crawl` or `dangjian ingest` must take the crawl
subprocess, the analysis forkserver, its workers and the resource tracker with it, within seconds.

Real processes against the hostile loopback portal (its slow article keeps a crawl busy); the
process tree is read from /proc (psutil is not installed).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from replica.hostile import HostileServer

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = ROOT / "replica" / "hostile_sites.yaml"
DANGJIAN = str(Path(sys.executable).parent / "dangjian")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from /proc"),
]


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, start time) of a live process, None if it is gone or a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] == "Z":
        return None
    return int(fields[1]), int(fields[19])


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def descendants(root: int) -> dict[int, tuple[int, str]]:
    """Every live process under ``root``: pid → (start time, command line)."""
    children: dict[int, list[int]] = {}
    starts: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))):
            children.setdefault(stat[0], []).append(int(entry.name))
            starts[int(entry.name)] = stat[1]
    found: dict[int, tuple[int, str]] = {}
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found[pid] = (starts[pid], _cmdline(pid))
        todo.extend(children.get(pid, []))
    return found


def alive(seen: dict[int, tuple[int, str]]) -> dict[int, str]:
    """The processes of ``seen`` still running (same pid and start time: not a reused pid)."""
    out = {}
    for pid, (start, cmd) in seen.items():
        stat = _stat(pid)
        if stat and stat[1] == start:
            out[pid] = cmd
    return out


def watch_tree(proc: subprocess.Popen[bytes], until: list[str], timeout_s: float = 90) -> dict[int, tuple[int, str]]:
    """Collect ``proc``'s descendants until one command line contains each of ``until``."""
    seen: dict[int, tuple[int, str]] = {}
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"{proc.args!r} ended early with {proc.returncode}"
        seen.update(descendants(proc.pid))
        if all(any(word in cmd for _, cmd in seen.values()) for word in until):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"never saw {until} under {proc.pid}: {[c[:80] for _, c in seen.values()]}")


def wait_gone(seen: dict[int, tuple[int, str]], within_s: float = 8) -> dict[int, str]:
    deadline = time.monotonic() + within_s
    while (left := alive(seen)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


def _kill_all(left: dict[int, str]) -> None:
    for pid in left:  # clean up after a failing test: only processes this test started
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_killed_crawl_command_takes_its_crawl_process_along(
    hostile: HostileServer, tmp_path: Path, sig: signal.Signals
) -> None:
    env = {**os.environ, "DANGJIAN_DOWNLOAD_TIMEOUT": "60"}
    cmd = [DANGJIAN, "crawl", "--site", "hostile", "--registry", str(REGISTRY), "--var", f"base_url={hostile.base_url}"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        seen = watch_tree(proc, ["crawlers.run"])
        time.sleep(1)  # crawling now
        proc.send_signal(sig)
        proc.wait(timeout=10)
        left = wait_gone(seen)
        _kill_all(left)
        assert not left, left
        requests = hostile.total_requests
        time.sleep(1.5)
        assert hostile.total_requests == requests, "requests went on after the parent died"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_killed_ingest_takes_crawl_forkserver_workers_and_tracker_along(
    prefect_api: None, hostile: HostileServer, tmp_path: Path
) -> None:
    from prefect.settings import PREFECT_API_URL

    env = {
        **os.environ,
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "DANGJIAN_DATA_DIR": str(tmp_path / "data"),
        "DANGJIAN_DOWNLOAD_TIMEOUT": "60",
        "DANGJIAN_ANALYSIS_PROCESSES": "2",
    }
    cmd = [
        DANGJIAN,
        "--database-url",
        f"sqlite:///{tmp_path / 'orphans.db'}",
        "ingest",
        "--registry",
        str(REGISTRY),
        "--var",
        f"base_url={hostile.base_url}",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        seen = watch_tree(proc, ["crawlers.run", "multiprocessing.forkserver", "multiprocessing.resource_tracker"])
        time.sleep(1)
        seen.update(descendants(proc.pid))  # the pool's workers, forked by the forkserver by now
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        left = wait_gone(seen)
        _kill_all(left)
        assert not left, left
        kinds = " ".join(cmd for _, cmd in seen.values())
        assert "crawlers.run" in kinds and "forkserver" in kinds and "resource_tracker" in kinds
    finally:
        if proc.poll() is None:
            proc.kill()


def test_killed_ingest_takes_prefects_temporary_api_server_along(hostile: HostileServer, tmp_path: Path) -> None:
    """Without PREFECT_API_URL, Prefect serves its API from a uvicorn child for the run (issue #24: it
    outlived a SIGKILLed ingest, holding its port and database). Killed mid-crawl, nothing may remain."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env |= {
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_EPHEMERAL_ENABLED": "true",
        "DANGJIAN_DATA_DIR": str(tmp_path / "data"),
        "DANGJIAN_DOWNLOAD_TIMEOUT": "60",
        "DANGJIAN_ANALYSIS_PROCESSES": "1",
    }
    registry = ["--registry", str(REGISTRY), "--var", f"base_url={hostile.base_url}"]
    cmd = [DANGJIAN, "--database-url", f"sqlite:///{tmp_path / 'orphans.db'}", "ingest", *registry]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        seen = watch_tree(proc, ["uvicorn", "crawlers.run"], timeout_s=240)  # the API is up, the run under way
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        left = wait_gone(seen)
        _kill_all(left)
        assert not left, left
        assert any("prefect.server.api.server:create_app" in cmd for _, cmd in seen.values())
    finally:
        if proc.poll() is None:
            proc.kill()
