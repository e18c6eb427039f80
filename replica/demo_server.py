"""``make demo-server``: the whole server + worker path on a machine without internet.

A newcomer has no reachable portal, so this serves the bundled replica portal on 127.0.0.1:8765 (the
address the ``replica-demo`` deployment of prefect.yaml names), runs that deployment through the
running worker into data/demo-server.db (``make demo`` has data/demo.db: two replicas on two ports
would otherwise make each other's articles duplicates), reports what it stored, and keeps serving so that the run can be
repeated from the UI (Ctrl-C stops). It needs ``make server`` and ``make worker`` running; ``make
demo-server`` deploys first.

    python -m replica.demo_server [--port 8765] [--database-url URL] [--no-serve] [--timeout 600]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import time
import urllib.request
from typing import Any

from replica.server import ReplicaServer

DEMO_PORT = 8765
DEPLOYMENT = "ingest/replica-demo"
WORK_POOL = "dangjian-process"
WORKER_WAIT_SECONDS = 30


class DemoError(RuntimeError):
    """What stops the demo, said in one line with what to do."""


def api_url() -> str:
    url = os.environ.get("PREFECT_API_URL", "")
    if not url:
        raise DemoError("PREFECT_API_URL is not set: start `make server`, then run this through `make demo-server`")
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
            if response.status == 200:
                return url
    except OSError:
        pass
    raise DemoError(f"no Prefect server answers at {url}: start it with `make server` (in another terminal)")


def wait_for_worker(client: Any) -> None:
    """A worker polls the pool (its status turns READY), or the run would wait for ever."""
    deadline = time.monotonic() + WORKER_WAIT_SECONDS
    while time.monotonic() < deadline:
        pool = client.read_work_pool(WORK_POOL)
        if str(getattr(pool.status, "value", pool.status)).upper() == "READY":
            return
        time.sleep(1)
    raise DemoError(f"no worker polls the work pool {WORK_POOL!r}: start one with `make worker` (in another terminal)")


def run_demo(base_url: str, database_url: str | None, timeout: float) -> Any:
    """Run the replica-demo deployment against the replica at ``base_url``, through a worker; its flow run."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    with get_client(sync_client=True) as client:
        try:
            client.read_deployment_by_name(DEPLOYMENT)
        except Exception as exc:  # ObjectNotFound, or an older server
            raise DemoError(f"deployment {DEPLOYMENT} not found: run `make deploy`") from exc
        wait_for_worker(client)
    parameters: dict[str, Any] = {"registry_vars": {"base_url": base_url}}
    if database_url:
        parameters["database_url"] = database_url
    return run_deployment(DEPLOYMENT, parameters=parameters, timeout=timeout, poll_interval=2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=DEMO_PORT, help=f"replica port (default {DEMO_PORT})")
    parser.add_argument("--database-url", help="override the deployment's database (sqlite:///data/demo-server.db)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the run (default 600)")
    parser.add_argument("--no-serve", action="store_true", help="stop the replica once the run has ended")
    args = parser.parse_args(argv)
    try:
        url = api_url()
        try:
            server = ReplicaServer(port=args.port).start()
        except OSError as exc:
            raise DemoError(f"cannot serve the replica on 127.0.0.1:{args.port}: {exc.strerror}") from exc
        signal.signal(signal.SIGTERM, lambda *_: server.stop())
        print(f"replica portal: {server.base_url}/djgz/index.html", flush=True)
        flow_run = run_demo(server.base_url, args.database_url, args.timeout)
    except DemoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    state = flow_run.state
    ui = url.removesuffix("/api")
    print(f"flow run {flow_run.name}: {state.name if state else '?'} — {state.message if state else ''}", flush=True)
    print(f"see it in the UI: {ui}/runs/flow-run/{flow_run.id}", flush=True)
    if not args.no_serve:
        print("the replica keeps serving, so the run can be repeated from the UI (Ctrl-C stops)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.wait()
    server.stop()
    return 0 if state is not None and state.is_completed() else 1


if __name__ == "__main__":
    sys.exit(main())
