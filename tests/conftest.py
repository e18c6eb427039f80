"""Shared fixtures: real SQLite files, Prefect's real test API, the replica portal on 127.0.0.1."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

# Prefect reads its settings at import: give the whole test session its own home, no telemetry.
_PREFECT_HOME = tempfile.mkdtemp(prefix="dangjian-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.pop("PREFECT_API_URL", None)

# Import Prefect now, while sys.stderr is pytest's session-wide stream: Prefect binds its log handlers
# to the stream current at import, and a per-test capsys stream would be closed under it later.
import pytest  # noqa: E402
from sqlalchemy import Engine  # noqa: E402

import flows.ingest  # noqa: E402, F401  (imports prefect and every part of it the flow uses)
from storage.db import make_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = PROJECT_ROOT / "seeds"
REPLICA_REGISTRY = PROJECT_ROOT / "replica" / "sites.yaml"


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
    admin_url = os.environ.get("TEST_POSTGRES_URL")
    if not admin_url:
        pytest.skip("TEST_POSTGRES_URL not set (run through `make test` or scripts/with-postgres.sh)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
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
