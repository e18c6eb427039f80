"""Keeping a run visibly alive while a command works, so that nobody takes it for dead.

A run in crawl_runs is 'running' until its command finishes it. When the process is killed, the next
ingest, import-warc or reprocess marks it interrupted (runlog.mark_stale_runs_interrupted): at once
on the same host (its pid is gone), after STALE_AFTER of silence from another one. A long import or
reprocess must therefore beat: without it, a second machine would mark a live run interrupted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from storage import runlog
from storage.db import session_scope

log = logging.getLogger(__name__)


@contextmanager
def heartbeat_while(engine: Engine, run_ids: Iterable[int], every: float = runlog.HEARTBEAT_SECONDS) -> Iterator[None]:
    """Refresh the runs' heartbeat every ``every`` seconds while the block runs."""
    ids = list(run_ids)
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            try:
                with session_scope(engine) as session:
                    runlog.heartbeat(session, ids)
            except Exception as exc:  # a missed beat is not worth failing the run for
                log.warning("heartbeat not recorded: %s", exc)

    thread = threading.Thread(target=beat, name="dangjian-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
