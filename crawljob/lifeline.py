"""Child processes that die with their parent: no crawl, forkserver or pool worker outlives its run.

Why (issue #13): killing an ingest (SIGKILL) or a ``dangjian crawl`` (SIGTERM) left the crawl
subprocess running — it went on sending requests — and the analysis pool's forkserver, workers and
resource tracker alive (~100 MB each) minutes later. Two mechanisms, each where it is safe:

- :func:`set_parent_death_signal` (Linux ``prctl(PR_SET_PDEATHSIG)``): the kernel signals the child
  when the *thread* that started it exits. Right for the crawl subprocess (its parent thread blocks in
  ``subprocess.run`` for as long as the crawl runs), for pool workers (forked by the forkserver's
  only thread) and for Prefect's temporary API server, started from the main thread
  (:func:`death_signal_preexec`, flows/temporary_api.py).
- :func:`exit_when_parent_dies`, a watchdog thread polling ``getppid()``: for the forkserver, which is
  started from whichever thread first submits work (a Prefect task thread that may end while the flow
  process lives on), so a death signal tied to that thread would kill it too early.

The pool's resource tracker needs neither: it exits when the last process holding its pipe is gone.
"""

from __future__ import annotations

import ctypes
import functools
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import cast

PR_SET_PDEATHSIG = 1  # linux/prctl.h
# Set by process/run.py to its own pid before it starts the analysis pool: the forkserver (a direct child
# of that pid) starts its watchdog when it preloads this module.
POOL_PARENT_ENV = "DANGJIAN_POOL_PARENT"


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """libc's prctl, looked up once: a ``preexec_fn`` then makes only the system call between fork and exec
    (loading a library there, with other threads in the parent, could wait on a lock no thread will free)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return cast("Callable[..., int]", ctypes.CDLL(None, use_errno=True).prctl)
    except (OSError, AttributeError):
        return None


def set_parent_death_signal(sig: int = signal.SIGKILL) -> bool:
    """Have the kernel send ``sig`` to this process when its parent (thread) dies; False if unsupported.

    If the parent is already gone when this runs (reparented to init or a subreaper), exit at once.
    """
    parent = os.getppid()
    prctl = _prctl()
    if prctl is None or prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        return False
    if parent == 1 or os.getppid() != parent:
        os._exit(1)
    return True


def death_signal_preexec() -> Callable[[], object]:
    """A ``preexec_fn`` for :class:`subprocess.Popen`: the child gets SIGKILL when the calling thread ends.
    Call it in the parent (it looks prctl up there, before the fork)."""
    _prctl()
    return set_parent_death_signal


def exit_when_parent_dies(parent: int, interval_s: float = 0.5) -> threading.Thread:
    """A daemon thread that ends this process (``os._exit``) once ``parent`` is no longer its parent."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval_s)
        os._exit(1)

    thread = threading.Thread(target=watch, name="lifeline", daemon=True)
    thread.start()
    return thread


def _guard_forkserver() -> None:
    """Import-time hook: in the forkserver (a direct child of the process named by POOL_PARENT_ENV),
    start the watchdog. Anywhere else (the flow process, pool workers, tests) it does nothing."""
    parent = os.environ.get(POOL_PARENT_ENV, "")
    in_forkserver = "multiprocessing.forkserver" in sys.modules  # other children (the crawl) inherit the env
    if in_forkserver and parent.isdigit() and int(parent) != os.getpid() and os.getppid() == int(parent):
        exit_when_parent_dies(int(parent))


_guard_forkserver()
