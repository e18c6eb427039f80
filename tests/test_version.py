"""The extraction version sees every module that shapes an article: found by glob and by imports, not listed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from process.version import PACKAGES, ROOT, extraction_version, source_files, version_of

CLOSURE = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
import process.analyze
for name, module in sorted(sys.modules.items()):
    if name.split(".")[0] in {PACKAGES!r} and getattr(module, "__file__", None):
        print(module.__file__)
"""


def test_every_steps_module_and_every_module_the_analysis_imports_is_hashed() -> None:
    """A module added to steps/ or imported by the analysis without being hashed fails here: the set the
    running interpreter loads for process.analyze (sys.modules, in a fresh process) is inside the stamp's."""
    hashed = set(source_files())
    assert set((ROOT / "steps").glob("*.py")) <= hashed
    loaded = subprocess.run([sys.executable, "-c", CLOSURE], capture_output=True, text=True, check=True).stdout
    modules = {Path(line).resolve() for line in loaded.split()}
    assert ROOT / "steps" / "dates.py" in modules  # the probe sees the analysis' imports
    assert modules <= hashed


def copy_tree(to: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, to / package, ignore=shutil.ignore_patterns("__pycache__"))
    return to


def test_a_changed_or_new_steps_module_changes_the_version(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path / "tree")
    before = version_of(tree)
    assert before == extraction_version()  # the copy is the same code
    urldates = tree / "steps" / "urldates.py"
    urldates.write_bytes(urldates.read_bytes() + b"\n# a rule changed\n")
    changed = version_of(tree)
    assert changed != before
    (tree / "steps" / "newrule.py").write_text('"""A rule nobody imports yet."""\n', "utf-8")
    assert version_of(tree) not in (before, changed)


def test_the_version_names_both_libraries() -> None:
    from importlib import metadata

    version = extraction_version()
    assert version.startswith(f"{metadata.version('trafilatura')}-{metadata.version('htmldate')}-")
    assert len(version) <= 40
