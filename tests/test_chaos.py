"""Crash safety: SIGKILL the ingest at random points three times, rerun, and audit the database."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

_spec = importlib.util.spec_from_file_location(
    "chaos_bench", Path(__file__).resolve().parent.parent / "bench" / "chaos.py"
)
assert _spec and _spec.loader
chaos_bench: Any = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(chaos_bench)


def test_killed_runs_then_a_rerun_lose_and_duplicate_nothing(prefect_api: None, db_url: str) -> None:
    from prefect.settings import PREFECT_API_URL

    result = chaos_bench.chaos(runs=3, seed=7, db_url=db_url, api_url=str(PREFECT_API_URL.value()))
    assert result["killed"] >= 1, result  # the test must actually kill something
    assert result["final_exit"] == 0
    assert result["articles"] == 12
    assert (result["lost"], result["duplicated"], result["inconsistent"]) == (0, 0, 0), result
