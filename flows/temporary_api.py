"""Prefect's temporary API server dies with the run that started it.

Why (issue #24): with no PREFECT_API_URL, Prefect 3.8 serves its API for the run from a uvicorn child
(:class:`prefect.server.api.server.SubprocessASGIServer`) that only an ``atexit`` hook stops; a SIGKILLed
``dangjian ingest`` runs no hook, and the server lived on, holding its port and Prefect's database.

Here it is started before the flow, from the main thread, with a parent-death signal
(crawljob/lifeline.py): the kernel kills it when the main thread, that is the process, ends, however it
ends. The signal is tied to the thread that forks, which is why Prefect is not left to start it itself
(it may do so from a worker thread that ends before the run). ``SubprocessASGIServer()`` is one instance
per port, so every later caller in Prefect gets this server, already running.
"""

from __future__ import annotations

import functools
import subprocess
import threading
from types import ModuleType
from typing import Any

from prefect.server.api import server as prefect_server
from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

from crawljob.lifeline import death_signal_preexec


class _MortalSubprocess(ModuleType):
    """``subprocess`` as Prefect's server module sees it while it starts uvicorn: Popen with the death
    signal, everything else the real module."""

    def __init__(self) -> None:
        super().__init__("subprocess")
        self.__dict__.update(vars(subprocess))
        self.Popen = functools.partial(subprocess.Popen, preexec_fn=death_signal_preexec())


class MortalServer(prefect_server.SubprocessASGIServer):
    """Prefect's own server, command and environment; only its process gets the death signal."""

    def _run_uvicorn_command(self) -> subprocess.Popen[Any]:
        saved = prefect_server.subprocess
        prefect_server.subprocess = _MortalSubprocess()
        try:
            return super()._run_uvicorn_command()
        finally:
            prefect_server.subprocess = saved


def start_temporary_api() -> None:
    """Start the temporary API now if this run will use one (no PREFECT_API_URL, ephemeral mode on).

    Raises Prefect's RuntimeError ("Timed out while attempting to connect to ephemeral Prefect API
    server") if it does not come up in PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.
    """
    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return
    if threading.current_thread() is not threading.main_thread():
        return  # the signal would come when this thread ends; let Prefect start it as it does
    MortalServer().start()
