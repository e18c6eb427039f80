"""The README's commands work as written, offline, on a clean copy of the repository.

Why: the README is what a newcomer follows; a command that drifted from the code (a missing ``--registry``,
a renamed option) is found by the first user instead of by the suite. Blocks fenced as ```` ```sh offline ````
are the ones that need no internet; they run in a copy of the tracked files, with this checkout's ``.venv``,
a temporary Prefect home and data directory, each line with a timeout.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
OFFLINE_BLOCK = re.compile(r"^```sh offline\n(.*?)^```", re.MULTILINE | re.DOTALL)
DOC_LINK = re.compile(r"\]\(((?:docs/[^)#\s]+|bench/README)\.md)(?:#[^)]*)?\)")
TIMEOUT_S = 120


def offline_commands(text: str) -> list[str]:
    """Each command of the offline-safe blocks, continuation lines joined, comments dropped."""
    commands: list[str] = []
    for block in OFFLINE_BLOCK.findall(text):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            line = line.split("  #", 1)[0].strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def copy_tracked_files(dest: Path) -> None:
    """The files a clean clone has, with their times kept (so make sees the venv's stamp as up to date)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    (dest / ".venv").symlink_to(ROOT / ".venv")


def test_readme_marks_offline_blocks() -> None:
    commands = offline_commands(README.read_text(encoding="utf-8"))
    assert "make demo" in commands


def test_readme_links_to_docs_resolve() -> None:
    text = README.read_text(encoding="utf-8")
    links = DOC_LINK.findall(text)
    assert "bench/README.md" in links
    assert any(link.startswith("docs/") for link in links)
    missing = [link for link in links if not (ROOT / link).is_file()]
    assert not missing, f"README links to missing files: {missing}"


@pytest.mark.slow
def test_readme_offline_commands_run(tmp_path: Path) -> None:
    if not (ROOT / ".venv" / ".installed-stamp").exists():
        pytest.skip("needs `make install` in the checkout")
    repo = tmp_path / "clone"
    repo.mkdir()
    copy_tracked_files(repo)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PREFECT_", "DANGJIAN_")) and key != "DATABASE_URL"
    }
    env.update(
        PATH=f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        PREFECT_HOME=str(tmp_path / "prefect"),
        DANGJIAN_DATA_DIR=str(repo / "data"),
    )
    for command in offline_commands(README.read_text(encoding="utf-8")):
        done = subprocess.run(command, shell=True, cwd=repo, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"{command!r} exited {done.returncode}:\n{output[-3000:]}"
        assert "Traceback" not in output, f"{command!r} printed a traceback:\n{output[-3000:]}"
