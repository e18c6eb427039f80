"""Refuse registry patterns that could freeze the crawl by backtracking.

Why: Python's ``re`` backtracks, runs in C holding the GIL, and cannot be interrupted: a pattern such as
``/(a+)+$`` against a 36-character link took the crawl to 100% CPU with SIGTERM ignored (issue #13).
There is no linear-time engine in the lock, so a pattern is checked twice when the registry loads:

1. statically, on its parse tree: a repeat whose body can itself match in more than one way (a nested
   variable repeat like ``(a+)+``, or alternatives inside a repeat like ``(a|ab)*``) is exponential;
2. empirically, on long probe URLs of growing length (16 … 2048 characters): a pattern whose search time
   passes the budget (polynomial blow-ups such as ``.*.*.*x``) is refused before any crawl starts.
"""

from __future__ import annotations

import importlib
import re
import time
from typing import Any

# Python 3.11+ keeps the regex parser in re._parser (sre_parse is a deprecated alias of it).
_p: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT}
# Probe URLs: what a hostile list page can put in an href, at every length up to URLLENGTH_LIMIT.
PROBE_LENGTHS = (16, 64, 256, 1024, 2048)
PROBE_BUDGET_S = 0.05  # per pattern and length; a sane URL pattern takes microseconds


class UnsafePattern(ValueError):
    """The pattern can backtrack catastrophically; the message says which construct."""


def _variable(items: Any) -> bool:
    """Whether a parsed (sub)pattern can match strings of different lengths."""
    low, high = items.getwidth() if hasattr(items, "getwidth") else _p.SubPattern(_p.State(), items).getwidth()
    return bool(low != high)


def _walk(items: Any, inside_repeat: bool) -> None:
    for op, arg in items:
        if op in _REPEATS or op.name == "POSSESSIVE_REPEAT":
            low, high, body = arg
            if op.name == "POSSESSIVE_REPEAT":
                continue  # possessive: never backtracks into its body
            unbounded = high == _c.MAXREPEAT or high > 1
            if inside_repeat and unbounded and low != high:
                raise UnsafePattern("nested repetition (a repeated group contains a variable repeat, e.g. (a+)+)")
            _walk(body, inside_repeat or (unbounded and _variable(body)))
        elif op is _c.SUBPATTERN:
            _walk(arg[-1], inside_repeat)
        elif op is _c.BRANCH:
            if inside_repeat:
                raise UnsafePattern("alternation inside a repeated group (e.g. (a|ab)*)")
            for branch in arg[1]:
                _walk(branch, inside_repeat)
        elif op.name in ("ATOMIC_GROUP", "ASSERT", "ASSERT_NOT"):
            body = arg if op.name == "ATOMIC_GROUP" else arg[1]
            _walk(body, inside_repeat and op.name != "ATOMIC_GROUP")
        elif op is _c.GROUPREF_EXISTS:
            _walk(arg[1], inside_repeat)
            if arg[2] is not None:
                _walk(arg[2], inside_repeat)


def _probes(n: int) -> list[str]:
    return [
        "/" + "a" * n,
        "/" + "1" * n,
        "/" * n,
        "/" + "a/" * (n // 2),
        "/t" + "1" * n + "_",
        "/" + "-1" * (n // 2) + "!",
    ]


def check_pattern(pattern: re.Pattern[str]) -> None:
    """Raise UnsafePattern if ``pattern`` can backtrack catastrophically on a URL."""
    _walk(_p.parse(pattern.pattern, pattern.flags & ~re.UNICODE), inside_repeat=False)
    for n in PROBE_LENGTHS:
        started = time.perf_counter()
        for probe in _probes(n):
            pattern.search(probe)
        elapsed = time.perf_counter() - started
        if elapsed > PROBE_BUDGET_S:
            raise UnsafePattern(f"too slow on a {n}-character URL ({elapsed * 1000:.0f} ms): simplify it")
