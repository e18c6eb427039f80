"""Which extraction code made a text: stored with every text reprocess writes (articles.extraction_version).

A digest of the sources that shape the text (decode, extract, clean, normalize, the dedup fingerprint,
process/analyze.py) and of trafilatura's version, so any change of a rule or of the library gives a new
version by itself; nobody has to remember to bump a number.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import process.analyze
import steps.clean
import steps.decode
import steps.dedup
import steps.extract
import steps.normalize

_SOURCES = (steps.decode, steps.extract, steps.clean, steps.normalize, steps.dedup, process.analyze)


@lru_cache(maxsize=1)
def extraction_version() -> str:
    """``<trafilatura version>-<12 hex digits of the sources>``, at most 40 characters."""
    digest = hashlib.sha256()
    for module in _SOURCES:
        digest.update(Path(str(module.__file__)).read_bytes())
    try:
        trafilatura = metadata.version("trafilatura")
    except metadata.PackageNotFoundError:
        trafilatura = "unknown"
    return f"{trafilatura}-{digest.hexdigest()[:12]}"[:40]
