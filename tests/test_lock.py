"""The environment is the lock: what runs is exactly what constraints.txt (written by `make lock`) says.

A dependency added to pyproject.toml without `make lock`, or a hand-installed upgrade, makes a fresh
machine differ from the one the tests passed on; that is how SQLAlchemy 2.1 slipped in and silently
stopped Prefect's scheduler.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_LOCKED = {"dangjian-ingest", "setuptools", "wheel"}  # the project itself; what builds it


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            pins[_norm(name)] = version
    return pins


def test_every_installed_distribution_is_the_locked_version() -> None:
    pins = locked()
    installed = {_norm(d.metadata["Name"]): d.version for d in metadata.distributions()}
    unlocked = sorted(set(installed) - set(pins) - NOT_LOCKED)
    assert not unlocked, f"installed but not in constraints.txt (run `make lock`): {unlocked}"
    differ = {n: (installed[n], pins[n]) for n in pins if n in installed and installed[n] != pins[n]}
    assert not differ, f"installed version differs from the lock (installed, locked): {differ}"


def test_the_known_breaking_versions_stay_out() -> None:
    pins = locked()
    assert pins["sqlalchemy"].startswith("2.0."), "SQLAlchemy 2.1 breaks Prefect 3.8's scheduler"
    assert tuple(int(x) for x in pins["fastapi"].split(".")[:2]) < (0, 151), "fastapi >= 0.151 breaks prefect deploy"
    assert pins["prefect"].startswith("3.8."), "Prefect 3.9 cannot be installed from this registry"
