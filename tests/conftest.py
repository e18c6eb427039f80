"""Shared fixtures: real SQLite files, Prefect's real test API, the replica portal on 127.0.0.1."""

from __future__ import annotations

import os
import tempfile
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


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A fresh SQLite file, migrated to the latest schema."""
    url = f"sqlite:///{tmp_path / 'test.db'}"
    upgrade(url)
    return url


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
