"""Operations for real: a started Prefect server, the deployments of prefect.yaml, a process worker.

Everything runs under a temporary PREFECT_HOME on 127.0.0.1; the backfill
crawls the replica portal.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from conftest import free_port

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
            # a site counts as quiet after one run without news (default 3): the alert test needs only two runs
            env={**prefect_env, "DANGJIAN_QUIET_RUNS": "1"},
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
    # the run's duplicates, each with what it duplicates (the two reposts of seeds)
    assert "## Duplicates (2)" in report
    assert all(r["seed"] in report for r in EXPECTED["reposts"]), report
    table = artifacts["new-articles"].data
    rows = json.loads(table) if isinstance(table, str) else table
    assert sorted(r["title"] for r in rows) == sorted(a["title"] for a in EXPECTED["articles"])
    assert [list(r) for r in rows[:1]] == [["title", "published", "site", "url"]]
    published = [r["published"] for r in rows]
    assert published == sorted(published, reverse=True)  # newest first, in China time as the portal shows it
    expected_days = {a["title"]: a["published"] for a in EXPECTED["articles"]}
    assert all(r["published"].startswith(expected_days[r["title"]]) for r in rows), rows

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


def test_a_run_where_every_site_failed_is_failed_with_one_line(
    prefect_env: dict[str, str], worker: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    """The replica registry pointed at a closed port: the run ends Failed with the reason, the site's
    finish task is Failed in the run graph while its crawl and processing completed, and neither the
    worker's nor the server's log holds a traceback (checked by conftest's prefect_logs_are_clean)."""

    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    closed = free_port()  # nothing listens there once it is released
    flow_run = run_backfill(
        prefect_env,
        {
            "registry_path": str(REPLICA_REGISTRY),
            "registry_vars": {"base_url": f"http://127.0.0.1:{closed}"},
            "database_url": f"sqlite:///{tmp_path / 'down.db'}",
        },
    )
    assert flow_run.state is not None and flow_run.state.is_failed(), flow_run.state
    assert flow_run.state.message == "every site failed: replica-djgz"
    with client_for(prefect_env) as client:
        tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run.id])))
    states = {t.name: (t.state.type.value if t.state else None) for t in tasks}
    assert states == {
        "crawl-replica-djgz": "COMPLETED",
        "process-replica-djgz": "COMPLETED",
        "finish-replica-djgz": "FAILED",
    }
    (finish,) = [t for t in tasks if t.name == "finish-replica-djgz"]
    assert finish.state is not None and "connection refused" in (finish.state.message or "")


def test_demo_server_runs_the_replica_demo_through_the_worker(
    prefect_env: dict[str, str], worker: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    """`make demo-server`'s own command: the replica served, replica-demo run by the worker, offline."""
    import sqlite3

    port = free_port()  # nothing listens there once it is released
    db = tmp_path / "demo.db"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "replica.demo_server",
            "--port",
            str(port),
            "--database-url",
            f"sqlite:///{db}",
            "--no-serve",
        ],
        env=prefect_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=360,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Completed" in done.stdout and "/runs/flow-run/" in done.stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from articles").fetchone() == (len(EXPECTED["articles"]),)


def test_demo_server_without_a_server_says_what_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "replica.demo_server", "--port", "0", "--no-serve"],
        env={**env, "PREFECT_API_URL": "http://127.0.0.1:9/api"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and done.stderr.startswith("error: no Prefect server answers"), done.stderr
    assert "Traceback" not in done.stderr


TOKEN = "s3cr3t-d1ngtalk-t0ken"  # the chat tool's access_token in the webhook URL


def stored_block_documents(api_url: str) -> str:
    """What Prefect's unauthenticated API tells anyone about the stored blocks (secrets obfuscated)."""
    import httpx

    found = httpx.post(f"{api_url}/block_documents/filter", json={"include_secrets": False}, timeout=30)
    found.raise_for_status()
    ids = [d["id"] for d in found.json()]
    assert ids, "no block document stored"
    return found.text + "".join(httpx.get(f"{api_url}/block_documents/{i}", timeout=30).text for i in ids)


class _Webhook(BaseHTTPRequestHandler):
    """A chat tool's incoming webhook, on 127.0.0.1: records every JSON body POSTed to it."""

    received: ClassVar[list[dict[str, Any]]] = []
    paths: ClassVar[list[str]] = []  # path and query of each POST: the token must arrive

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.paths.append(self.path)
        self.received.append(json.loads(body or b"{}"))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_alerts_notify_a_webhook_when_the_nightly_fails_and_when_a_site_goes_quiet(
    prefect_env: dict[str, str], worker: subprocess.Popen[bytes], replica: Any, tmp_path: Path
) -> None:

    from replica.server import BackgroundServer

    receiver = BackgroundServer(ThreadingHTTPServer(("127.0.0.1", 0), _Webhook), "webhook")
    with receiver:
        hook = f"{receiver.base_url}/hook?access_token={TOKEN}"
        setup = subprocess.run(
            [str(BIN / "dangjian"), "alerts", "--webhook-url", hook, "--allow-private"],  # a receiver on loopback
            env=prefect_env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert setup.returncode == 0, setup.stdout + setup.stderr
        assert TOKEN not in setup.stdout + setup.stderr and "access_token=***" in setup.stdout
        assert TOKEN not in stored_block_documents(prefect_env["PREFECT_API_URL"])
        closed = free_port()  # nothing listens there once it is released
        from prefect.deployments import run_deployment
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: prefect_env["PREFECT_API_URL"]}):
            failed = run_deployment(
                "ingest/nightly",
                parameters={
                    "registry_path": str(REPLICA_REGISTRY),
                    "registry_vars": {"base_url": f"http://127.0.0.1:{closed}"},
                    "database_url": f"sqlite:///{tmp_path / 'nightly.db'}",
                },
                timeout=300,
                poll_interval=1,
            )
        assert failed.state is not None and failed.state.is_failed()
        parameters = {
            "registry_path": str(REPLICA_REGISTRY),
            "registry_vars": {"base_url": replica.base_url},
            "database_url": f"sqlite:///{tmp_path / 'quiet.db'}",
        }
        for _ in range(2):  # the second run finds nothing new: quiet after DANGJIAN_QUIET_RUNS=1 run
            state = run_backfill(prefect_env, parameters).state
            assert state is not None and state.is_completed(), state
        deadline = time.monotonic() + 90
        while len(_Webhook.received) < 2 and time.monotonic() < deadline:
            time.sleep(1)
    subjects = sorted(str(m.get("subject")) for m in _Webhook.received)
    assert any(f"nightly run {failed.name} failed" in s for s in subjects), subjects
    assert any("replica-djgz quiet for 1 runs" in s for s in subjects), subjects
    bodies = " ".join(str(m.get("body")) for m in _Webhook.received)
    assert "every site failed: replica-djgz" in bodies, bodies
    assert _Webhook.paths and all(p == f"/hook?access_token={TOKEN}" for p in _Webhook.paths), _Webhook.paths


def test_nightly_gets_its_runs_at_18_utc_which_is_2am_in_shanghai(prefect_env: dict[str, str]) -> None:
    """What broke on SQLAlchemy 2.1: the scheduler service must actually create the nightly's runs."""
    from datetime import UTC

    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    with client_for(prefect_env) as client:
        nightly = client.read_deployment_by_name("ingest/nightly")
        deadline = time.monotonic() + 90
        runs: list[Any] = []
        while not runs and time.monotonic() < deadline:
            time.sleep(1)
            deployments = DeploymentFilter(id=DeploymentFilterId(any_=[nightly.id]))
            runs = [
                r for r in client.read_flow_runs(deployment_filter=deployments) if r.state and r.state.is_scheduled()
            ]
    assert runs, "the scheduler created no run of the nightly deployment within 90 s (see the server log)"
    starts = sorted(r.expected_start_time.astimezone(UTC) for r in runs if r.expected_start_time)
    assert starts and all((t.hour, t.minute, t.second) == (18, 0, 0) for t in starts), starts
    assert all(b - a == timedelta(days=1) for a, b in itertools.pairwise(starts)), starts


def test_the_run_form_describes_every_parameter(prefect_env: dict[str, str]) -> None:
    with client_for(prefect_env) as client:
        backfill = client.read_deployment_by_name("ingest/backfill")
    properties = backfill.parameter_openapi_schema["properties"]
    assert set(properties) >= {"sites", "since", "until", "incremental", "registry_path", "database_url"}
    undescribed = [name for name, schema in properties.items() if len(schema.get("description", "")) < 20]
    assert not undescribed, undescribed


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
