"""Operations for real: a started Prefect server, the deployments of prefect.yaml, a process worker.

Everything runs under a temporary PREFECT_HOME on 127.0.0.1; the backfill
crawls the replica portal.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REPLICA_REGISTRY = ROOT / "replica" / "sites.yaml"
EXPECTED = json.loads((ROOT / "replica" / "expected.json").read_text("utf-8"))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def worker(prefect_env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    home = Path(prefect_env["PREFECT_HOME"])
    with (home / "worker.log").open("wb") as log:
        proc = subprocess.Popen(
            [str(BIN / "prefect"), "worker", "start", "--pool", "dangjian-process"],
            env=prefect_env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield proc
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def client_for(env: dict[str, str]) -> Any:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: env["PREFECT_API_URL"]}):
        return get_client(sync_client=True)


def run_backfill(env: dict[str, str], parameters: dict[str, Any]) -> Any:
    """Trigger 'ingest/backfill' the way a user does and wait for its end."""
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: env["PREFECT_API_URL"]}):
        return run_deployment("ingest/backfill", parameters=parameters, timeout=300, poll_interval=1)


def test_backfill_runs_on_a_worker_and_reports(
    prefect_env: dict[str, str], worker: subprocess.Popen[bytes], replica: Any, tmp_path: Path
) -> None:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    db = tmp_path / "ops.db"
    flow_run = run_backfill(
        prefect_env,
        {
            "since": "2022-01-01",
            "until": "2025-12-31",
            "registry_path": str(REPLICA_REGISTRY),
            "registry_vars": {"base_url": replica.base_url},
            "database_url": f"sqlite:///{db}",
        },
    )
    assert flow_run.state is not None and flow_run.state.is_completed(), flow_run.state
    assert flow_run.name == "backfill-2022-01-01..2025-12-31"

    with client_for(prefect_env) as client:
        run_filter = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run.id]))
        artifacts = {a.key: a for a in client.read_artifacts(flow_run_filter=run_filter)}
        task_names = {t.name for t in client.read_task_runs(flow_run_filter=run_filter)}
    assert {"crawl-replica-djgz", "process-replica-djgz"} <= task_names
    report = str(artifacts["ingest-report"].data)
    assert "| replica-djgz | completed | 14 | 12 | 2 | 0 | 2 | 0 |" in report
    assert EXPECTED["missing_path"] in report and "HTTP 404" in report
    table = artifacts["new-articles"].data
    rows = json.loads(table) if isinstance(table, str) else table
    assert sorted(r["title"] for r in rows) == sorted(a["title"] for a in EXPECTED["articles"])

    import sqlite3

    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from articles").fetchone() == (12,)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "2024-06-30", "until": "2024-01-01"}, "is after until"),
        ({"since": "2099-01-01"}, "is in the future"),
        ({"sites": ["no-such-portal"]}, "unknown site"),
    ],
)
def test_bad_backfill_parameters_fail_fast_with_the_reason(
    prefect_env: dict[str, str],
    worker: subprocess.Popen[bytes],
    params: dict[str, Any],
    message: str,
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    flow_run = run_backfill(prefect_env, {**params, "database_url": f"sqlite:///{tmp_path / 'bad.db'}"})
    assert flow_run.state is not None and flow_run.state.is_failed()
    assert message in (flow_run.state.message or "")
    assert not (tmp_path / "bad.db").exists()  # rejected before the database was even touched
    assert time.monotonic() - started < 120


def test_nightly_schedule_is_2am_shanghai_as_the_readme_says(prefect_env: dict[str, str]) -> None:
    with client_for(prefect_env) as client:
        nightly = client.read_deployment_by_name("ingest/nightly")
        backfill = client.read_deployment_by_name("ingest/backfill")
    (schedule,) = nightly.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone, schedule.active) == ("0 2 * * *", "Asia/Shanghai", True)
    assert nightly.parameters == {"incremental": True}
    assert backfill.schedules == []
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "`0 2 * * *`" in readme and "Asia/Shanghai" in readme
