"""Expected outcomes of a run, and keeping them one line in Prefect's logs.

A run whose every site failed, or which was rejected before it started (bad parameters, an unusable
database), ends Failed with its reason as the state message. In a deployed run Prefect's engine then
reads the final state's result, which raises the state's exception, and logs it with a traceback
("Engine execution exited with unexpected exception") although nothing unexpected happened. The
filter below drops exactly those records, for exceptions of this module's kind only: any other
exception keeps its traceback.
"""

from __future__ import annotations

import logging
from typing import Any


class ExpectedFailure(Exception):
    """An outcome the run reports in its final state's message: no traceback belongs with it."""


class RunRejected(ExpectedFailure, ValueError):
    """The run cannot start: bad parameters, an unknown site, a database that cannot be used."""


class AllSitesFailed(ExpectedFailure):
    """Every site of the run failed: the data of the run's Failed state, carrying the per-site results
    (a Failed state's data must be an exception, or Prefect raises a TypeError when it is read)."""

    def __init__(self, message: str, results: dict[str, dict[str, Any]]) -> None:
        super().__init__(message)
        self.results = results


class SiteFailed(ExpectedFailure):
    """The data of a failed site's ``finish-<site>`` task run: why the site failed."""


FINISH_TASK_PREFIX = "finish-"  # the task run that shows a site's outcome in the run graph (flows/ingest)


def _echo_of_a_failed_site(record: logging.LogRecord) -> bool:
    """Prefect's two lines about a ``finish-<site>`` task that returned the site's Failed state: the flow
    has said why the site failed in one line already ("site X failed: …"), and the run graph shows it."""
    task_run = str(getattr(record, "task_run_name", "") or "")
    message = record.getMessage()
    return task_run.startswith(FINISH_TASK_PREFIX) and (
        message.startswith("Task run failed with state") or message.startswith("Finished in state Failed")
    )


class _ExpectedOutcomes(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info == (None, None, None):
            # Prefect logs a task run that *returned* a Failed state with exc_info=True outside any
            # except block, which prints "NoneType: None" under the line.
            record.exc_info = None
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ExpectedFailure) and not _echo_of_a_failed_site(record)


_FILTER = _ExpectedOutcomes()


def keep_expected_outcomes_one_line() -> None:
    """Install the filter on the loggers of Prefect's flow runs, task runs and engine (idempotent)."""
    for name in ("prefect.flow_runs", "prefect.task_runs", "prefect.engine"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
