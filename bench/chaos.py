"""Kill the ingest with SIGKILL at random moments, rerun it, and count what was lost or duplicated.

    python bench/chaos.py [--runs 20] [--seed 1] [--database-url URL]

Each round starts `dangjian ingest` against the replica portal (served here on
127.0.0.1) and kills its whole process group after a random delay: during
Prefect start-up, the crawl, extraction, dedup or a commit. After all rounds a
final run goes to completion; then every expected article must be stored once,
the reposts recorded once as duplicates, the LSH table must hold exactly one
band row per band of every article and seed, and every killed run must be
marked interrupted. Prints the counts; all of lost, duplicated and
inconsistent must be 0.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from replica.server import ReplicaServer  # noqa: E402
from steps.dedup import BANDS  # noqa: E402
from storage.db import make_engine, session_scope  # noqa: E402
from storage.models import Article, CrawlRun, Duplicate, LshBand, SeedDocument  # noqa: E402

EXPECTED = json.loads((ROOT / "replica" / "expected.json").read_text("utf-8"))
DANGJIAN = str(Path(sys.executable).parent / "dangjian")


def ingest_cmd(base_url: str, db_url: str) -> list[str]:
    return [
        DANGJIAN,
        "--database-url",
        db_url,
        "ingest",
        "--registry",
        str(ROOT / "replica" / "sites.yaml"),
        "--var",
        f"base_url={base_url}",
    ]


def run_and_kill(cmd: list[str], env: dict[str, str], delay: float) -> bool:
    """Start the ingest, SIGKILL its process group after ``delay`` s; True if it was still running."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return True


def audit(db_url: str, base_url: str) -> dict[str, int]:
    """Lost, duplicated and inconsistent counts of the database after the final run."""
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        urls = [u.replace(base_url, "") for u in s.scalars(select(Article.url))]
        expected = [a["path"] for a in EXPECTED["articles"]]
        dup_urls = [u.replace(base_url, "") for u in s.scalars(select(Duplicate.url))]
        n_docs = (s.scalar(select(func.count()).select_from(Article)) or 0) + (
            s.scalar(select(func.count()).select_from(SeedDocument)) or 0
        )
        bands = s.scalar(select(func.count()).select_from(LshBand)) or 0
        orphan_bands = (
            s.scalar(
                select(func.count()).select_from(LshBand).where(LshBand.article_id.is_(None), LshBand.seed_id.is_(None))
            )
            or 0
        )
        running = s.scalar(select(func.count()).select_from(CrawlRun).where(CrawlRun.status == "running")) or 0
        interrupted = s.scalar(select(func.count()).select_from(CrawlRun).where(CrawlRun.status == "interrupted")) or 0
    engine.dispose()
    reposts = [r["path"] for r in EXPECTED["reposts"]]
    return {
        "lost": sum(1 for p in expected if p not in urls) + sum(1 for p in reposts if p not in dup_urls),
        "duplicated": (len(urls) - len(set(urls)))
        + (len(dup_urls) - len(set(dup_urls)))
        + sum(1 for p in reposts if p in urls),
        "inconsistent": abs(bands - BANDS * n_docs) + orphan_bands + running,
        "interrupted_runs": interrupted,
        "articles": len(urls),
    }


@contextmanager
def prefect_server(home: Path) -> Iterator[str]:
    """One Prefect server for all rounds, so no round pays the ephemeral API's start-up."""
    import socket
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/api"
    try:
        for _ in range(240):
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def chaos(
    runs: int, seed: int, db_url: str | None, api_url: str | None = None, max_delay: float = 7.0
) -> dict[str, Any]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="dangjian-chaos-") as tmp:
        db_url = db_url or f"sqlite:///{Path(tmp) / 'chaos.db'}"
        with (
            ReplicaServer() as server,
            prefect_server(Path(tmp) / "prefect") if api_url is None else _given(api_url) as api,
        ):
            env = {
                **os.environ,
                "PREFECT_API_URL": api,
                "DANGJIAN_DATA_DIR": str(Path(tmp) / "data"),
                "DO_NOT_TRACK": "1",
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            }
            cmd = ingest_cmd(server.base_url, db_url)
            killed = 0
            delays = []
            for _ in range(runs):
                delay = rng.uniform(0.5, max_delay)
                delays.append(round(delay, 2))
                killed += run_and_kill(cmd, env, delay)
            final = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
            result = audit(db_url, server.base_url)
    result.update({"rounds": runs, "killed": killed, "final_exit": final.returncode, "delays_s": delays})
    return result


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    started = time.monotonic()
    result = chaos(args.runs, args.seed, args.database_url)
    for key in ("rounds", "killed", "final_exit", "articles", "lost", "duplicated", "inconsistent", "interrupted_runs"):
        print(f"{key:>17}: {result[key]}")
    print(f"{'kill delays (s)':>17}: {result['delays_s']}")
    print(f"{'wall time (s)':>17}: {time.monotonic() - started:.0f}")
    ok = result["lost"] == result["duplicated"] == result["inconsistent"] == 0 and result["final_exit"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
