"""Write a file under ``NAME.part`` and rename it over ``NAME`` when complete: the one place that does it.

A reader (or a glob of the nightly files) then never sees half a file. The rename is also what makes
the write dangerous, so this refuses, before a byte is written, the targets it must not replace:

- anything that exists and is not a regular file: ``--out /dev/null`` run as root renamed a regular
  file over the device node (a FIFO, a socket or a directory the same);
- the SQLite database being read, and its ``-wal``, ``-journal`` and ``-shm`` siblings: ``--out`` naming
  the database renamed the export over the corpus (a stray ``-journal`` would be rolled back into it).

The ``.part`` file is removed on any failure (a full disk, an exception, Ctrl-C), never left behind.
Standard library only: the crawl process (crawlers/run.py) uses it without SQLAlchemy.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

SQLITE_SIBLINGS = ("", "-wal", "-journal", "-shm")


class UnsafeTarget(ValueError):
    """A target this module refuses to replace: a one-line user error (the CLI exits 2)."""


def part_path(target: Path) -> Path:
    return target.with_name(target.name + ".part")


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _same(a: Path, b: Path) -> bool:
    """Same file: the same inode when both exist (hard links, symlinks), else the same resolved path."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def check_target(target: Path, protect: Iterable[Path] = ()) -> None:
    """Raise UnsafeTarget when writing ``target`` (through its ``.part``) could destroy something."""
    for path in (target, part_path(target)):
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None and not stat.S_ISREG(mode):
            raise UnsafeTarget(f"{path} is {_kind(mode)}, not a regular file: refusing to replace it")
        for database in protect:
            for sibling in (database.with_name(database.name + s) for s in SQLITE_SIBLINGS):
                if _same(path, sibling):
                    raise UnsafeTarget(f"{path} is the database being read ({database}): refusing to replace it")


@contextmanager
def atomic_write(target: Path, protect: Iterable[Path] = ()) -> Iterator[Path]:
    """Yield the ``.part`` path to write; on success it is renamed over ``target``, on failure removed.

    ``protect``: files that must survive (the SQLite database the data comes from). The checks run on
    entry, so ``with atomic_write(a) as pa, atomic_write(b) as pb:`` refuses either before writing any.
    """
    protected = list(protect)
    check_target(target, protected)
    part = part_path(target)
    try:
        yield part
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
