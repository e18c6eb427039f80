"""Shared fixtures: real SQLite files, Prefect's real test API, the replica portal on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

# Prefect reads its settings at import: give the whole test session its own home, no telemetry.
_PREFECT_HOME = tempfile.mkdtemp(prefix="dangjian-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.pop("PREFECT_API_URL", None)
# Every crawl archives its responses (crawlers/archive.py): tests that do not choose a place keep theirs
# out of the project's data/ folder.
os.environ.setdefault("DANGJIAN_ARCHIVE_DIR", tempfile.mkdtemp(prefix="dangjian-archive-"))
# The translation layer's built CC-CEDICT tables (steps/xlang._tables): one copy for the session, not ~/.cache.
os.environ.setdefault("DANGJIAN_CACHE_DIR", tempfile.mkdtemp(prefix="dangjian-cache-"))

# Import Prefect now, while sys.stderr is pytest's session-wide stream: Prefect binds its log handlers
# to the stream current at import, and a per-test capsys stream would be closed under it later.
import pytest  # noqa: E402
from sqlalchemy import Engine  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import flows.ingest  # noqa: E402, F401  (imports prefect and every part of it the flow uses)
from storage.db import make_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = PROJECT_ROOT / "seeds"
REPLICA_REGISTRY = PROJECT_ROOT / "replica" / "sites.yaml"
ROOT = PROJECT_ROOT
BIN = Path(sys.executable).parent


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database migrated to the latest schema: a SQLite file, and a PostgreSQL database.

    PostgreSQL comes from scripts/with-postgres.sh (``make test`` wraps pytest in it), which exports
    TEST_POSTGRES_URL; each test gets its own database, dropped afterwards.
    """
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        upgrade(url)
        yield url
        return
    with postgres_database() as url:
        upgrade(url)
        yield url


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty database on the test PostgreSQL server (scripts/with-postgres.sh exports
    TEST_POSTGRES_URL; ``make test`` wraps pytest in it), dropped afterwards."""
    admin_url = os.environ.get("TEST_POSTGRES_URL")
    if not admin_url:
        pytest.skip("TEST_POSTGRES_URL not set (run through `make test` or scripts/with-postgres.sh)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """Prefect's own test harness: a real temporary API server and database for the session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def replica() -> Iterator[object]:
    """The replica portal served by a real HTTP server on 127.0.0.1 (a free port)."""
    from replica.server import ReplicaServer

    with ReplicaServer() as server:
        yield server


def free_port(host: str = "127.0.0.1") -> int:
    """A port on ``host`` where nothing listens now (bound, then released)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"prefect server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"prefect server at {url} not healthy after {timeout}s")


SERVER_LOG = "server.log"
# What a clean log never holds: a traceback, or the "no exception" line Prefect prints under an error
# logged with exc_info outside an except block.
UNCLEAN_LOG_MARKERS = ("Traceback (most recent call last)", "NoneType: None")


@pytest.fixture(autouse=True)
def prefect_logs_are_clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that starts a Prefect server (and workers, which log into the same PREFECT_HOME)
    ends with their logs checked: what they wrote during the test holds no traceback."""
    if "prefect_env" not in request.fixturenames:
        yield
        return
    home = Path(request.getfixturevalue("prefect_env")["PREFECT_HOME"])
    before = {log: log.stat().st_size for log in home.glob("*.log")}
    yield
    for log in sorted(home.glob("*.log")):
        with log.open("rb") as fh:
            fh.seek(before.get(log, 0))
            written = fh.read().decode("utf-8", errors="replace")
        for marker in UNCLEAN_LOG_MARKERS:
            at = written.find(marker)
            assert at < 0, f"{log.name} has {marker!r} during this test:\n{written[max(0, at - 1500) : at + 2500]}"


@pytest.fixture(scope="module")
def prefect_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A real `prefect server start` on a free loopback port, with its own PREFECT_HOME, the work pool
    and the deployments of prefect.yaml: one per test module that asks for it.

    Prefect's own database is PostgreSQL where the suite has one (always in CI), as in production: on
    its SQLite default, at a load of 12 on 2 cores, the server logged "database is locked" tracebacks
    for worker heartbeats, which the clean-log check rightly fails. Without PostgreSQL it is SQLite.
    """
    with ExitStack() as stack:
        yield from _prefect_server(tmp_path_factory, stack)


def _prefect_server(tmp_path_factory: pytest.TempPathFactory, stack: ExitStack) -> Iterator[dict[str, str]]:
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    database: dict[str, str] = {}
    if os.environ.get("TEST_POSTGRES_URL"):
        url = make_url(stack.enter_context(postgres_database())).set(drivername="postgresql+asyncpg")
        database["PREFECT_API_DATABASE_CONNECTION_URL"] = url.render_as_string(hide_password=False)
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        # The scheduler creates the nightly's upcoming runs within seconds instead of a minute.
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
        "DANGJIAN_PROJECT_DIR": str(ROOT),
        "DANGJIAN_DATA_DIR": str(home / "data"),
        **database,
    }
    log = (home / SERVER_LOG).open("wb")
    server = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_healthy(env["PREFECT_API_URL"], server)
        for cmd in (
            ["work-pool", "create", "dangjian-process", "--type", "process"],
            ["--no-prompt", "deploy", "--all", "--prefect-file", str(ROOT / "prefect.yaml")],
        ):
            done = subprocess.run(
                [str(BIN / "prefect"), *cmd],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
            assert done.returncode == 0, done.stdout + done.stderr
        yield env
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def one_line_error(
    capsys: pytest.CaptureFixture[str], call: Callable[[], int | None], expected_code: int | None = None
) -> str:
    """The CLI's one ``error:`` line for a call that must fail: no traceback, no other line than argparse's
    usage. ``expected_code`` when the exit status is part of the contract, else any failing status."""
    try:
        code = call()
    except SystemExit as exc:  # argparse rejects bad arguments itself (exit 2, usage + one error line)
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    if expected_code is None:
        assert code not in (0, None), err
    else:
        assert code == expected_code, err
    assert "Traceback" not in err, err
    lines = [line for line in err.strip().splitlines() if not line.startswith(("usage:", " "))]
    assert len(lines) == 1 and "error: " in lines[0], err
    return lines[0]
