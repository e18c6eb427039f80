"""Which extraction code made a text: stored with every text reprocess writes (articles.extraction_version).

A digest of every source that shapes an article's text, title, date or flags, and of trafilatura's and
htmldate's versions, so any change of a rule or of a library gives a new version by itself; nobody has to
remember to bump a number. The sources are found, not listed: a hand list missed steps/blocks.py,
steps/dates.py, steps/furniture.py and steps/urldates.py, and the commits that changed them left the stamp
(and so ``dangjian reprocess``) blind. They are every ``steps/*.py`` by glob, plus every project module
in the import closure of process/analyze.py (read from the sources' import statements, so the set does not
depend on what else the running process happened to import).
"""

from __future__ import annotations

import ast
import hashlib
import tomllib
from functools import lru_cache
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _packages(root: Path) -> tuple[str, ...]:
    """The project's top-level packages, in pyproject.toml's setuptools ``include`` order (the data flow's,
    which docs/layout.md keeps)."""
    with (root / "pyproject.toml").open("rb") as fh:
        include = tomllib.load(fh)["tool"]["setuptools"]["packages"]["find"]["include"]
    return tuple(name.rstrip("*") for name in include)


PACKAGES = _packages(ROOT)
ENTRY = "process/analyze.py"  # the pure steps of processing a page start here
LIBRARIES = ("trafilatura", "htmldate")


def _module_file(root: Path, name: str) -> Path | None:
    """The project file of an absolute module name, or None for a library or a name that is no module."""
    if name.split(".")[0] not in PACKAGES:
        return None
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(root: Path, path: Path) -> set[Path]:
    """Project files that ``path`` imports (``import a.b``, ``from a.b import c``, where ``c`` may be a
    module), including imports inside functions and the packages' ``__init__`` files on the way."""
    found: set[Path] = set()
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        for name in names:
            parts = name.split(".")
            for i in range(1, len(parts) + 1):
                if (file := _module_file(root, ".".join(parts[:i]))) is not None:
                    found.add(file)
    return found


def source_files(root: Path = ROOT) -> list[Path]:
    """Every file the stamp hashes, sorted: ``steps/*.py`` and the import closure of ENTRY."""
    todo = [root / ENTRY, *sorted((root / "steps").glob("*.py"))]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        todo.extend(_imports(root, path) - seen)
        if (package := path.parent / "__init__.py").is_file():  # importing a module runs its package first
            todo.append(package)
    return sorted(seen)


def _library_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def version_of(root: Path) -> str:
    """``<trafilatura>-<htmldate>-<12 hex digits of the sources>``, at most 40 characters."""
    digest = hashlib.sha256()
    for path in source_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")  # a file renamed is a change too
        digest.update(path.read_bytes() + b"\0")
    libraries = "-".join(_library_version(name) for name in LIBRARIES)
    return f"{libraries}-{digest.hexdigest()[:12]}"[:40]


@lru_cache(maxsize=1)
def extraction_version() -> str:
    """The version of the extraction code this process runs (computed once)."""
    return version_of(ROOT)
