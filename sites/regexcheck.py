"""Refuse registry patterns that could freeze the crawl by backtracking.

Why: Python's ``re`` backtracks, runs in C holding the GIL, and cannot be interrupted: a pattern such as
``/(a+)+$`` against a 36-character link took the crawl to 100% CPU with SIGTERM ignored (issue #13).
There is no linear-time engine in the lock, so a pattern is checked when the registry loads, cheapest and
surest first, so that the check itself never runs a pattern long enough to hang:

1. statically, on its parse tree (:mod:`re._parser`):

   - a repeat whose body can itself match in more than one way (a nested variable repeat like ``(a+)+``,
     or alternatives inside a repeat like ``(a|ab)*``) is exponential;
   - repeats in one sequence whose characters overlap, with only optional items or items matching those
     same characters between them (``\\.*\\.*x``, ``\\S*\\.\\S*\\.x``, ``[A-Z]*[A-Z]*!``, ``a?`` × 20),
     split a run of a shared character in too many ways: k unbounded ones cost about n**k steps on an
     n-character link (issue #24: 9–24 s on 241 characters, hours on 2,000);

2. empirically, on probe URLs built from the pattern itself (what precedes each repeat, then a long run of
   the characters that repeat takes, then a character that breaks the match) and a few fixed shapes, at
   lengths doubling from 8 to 2048 characters: a pattern whose search time passes the budget, or whose
   growth predicts it will at the next length, is refused before any crawl starts.
"""

from __future__ import annotations

import functools
import importlib
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

# Python 3.11+ keeps the regex parser in re._parser (sre_parse is a deprecated alias of it).
_p: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT}
# Probe URLs: what a hostile list page can put in an href, at every length up to URLLENGTH_LIMIT.
PROBE_LENGTHS = tuple(2**k for k in range(3, 12))  # 8 … 2048: start short, grow
PROBE_BUDGET_S = 0.05  # per probe search; a sane URL pattern takes microseconds
# The longest run a URL can hold: an unbounded repeat takes up to this many characters of it.
RUN = PROBE_LENGTHS[-1]
# How many ways the repeats of one sequence may divide a run of one character: twice what one unbounded
# repeat has (0 … RUN characters; its searches cost ~RUN**2 steps, a few ms), so \d+\d? and 12 of a? pass;
# two unbounded ones (RUN**2 ways), \d+_?\d? or 13 of a? do not.
MAX_SPLITS = 2 * (RUN + 1)
# Characters tried besides those the pattern names: ASCII, Latin-1, and a few classes of their own.
_BASE_UNIVERSE = "".join(map(chr, range(0x100))) + "\u0100\u2028\u3000\u4e2d\uff10\U0001f600"
_FLAG_MASK = re.IGNORECASE | re.ASCII | re.DOTALL
_CATEGORIES = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
}


class UnsafePattern(ValueError):
    """The pattern can backtrack catastrophically; the message says which construct."""


# --- 1a. exponential: nested variable repeats, alternatives under a repeat ---------------------------


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


# --- 1b. polynomial: repeats in one sequence that can split one run ---------------------------------


@dataclass(frozen=True)
class _Item:
    """One element of a sequence, as far as splitting a run of one character is concerned.

    ``accepts``: characters c such that the item can match a run of c alone (``\\d{8}``: the digits);
    ``pumps``: characters of which it can take runs of varying length, up to ``slack`` more than its
    minimum (``\\S*``: every non-space, RUN; ``\\d{2,4}``: the digits, 2);
    ``pinned``: an anchor, atomic group or possessive repeat: no split crosses it;
    ``sample``: a shortest string it matches, and ``unit`` one turn of its repeat (probes are built of them);
    ``skip``: on the first item of an optional group ``(…)?``, how many items the group spans (all or none).
    """

    min_width: int
    accepts: frozenset[str] = frozenset()
    pumps: frozenset[str] = frozenset()
    slack: int = 0
    pinned: bool = False
    sample: str = ""
    unit: str = ""
    skip: int = 0


@dataclass
class _Analysis:
    """Character sets are computed by ``re`` itself over a finite universe: the base characters plus every
    literal and range end the pattern names, so any two classes that overlap share a tried character."""

    named: str
    sequences: list[list[_Item]]

    def single(self, regex: str, flags: int) -> _Item:
        flags &= _FLAG_MASK
        accepts = _base_chars(regex, flags) | frozenset(re.findall(regex, self.named, flags))
        return _Item(1, accepts, sample=_pick(accepts, self.named) if accepts else "")


@functools.lru_cache(maxsize=1024)
def _base_chars(regex: str, flags: int) -> frozenset[str]:
    """The base characters a one-character regex matches: the same few classes recur in every pattern."""
    return frozenset(re.findall(regex, _BASE_UNIVERSE, flags))


def _named_chars(items: Any) -> Iterable[str]:
    for op, arg in items:
        if op in (_c.LITERAL, _c.NOT_LITERAL):
            yield chr(arg)
        elif op is _c.RANGE:
            yield from (chr(arg[0]), chr(arg[1]))
        elif op is _c.IN:
            yield from _named_chars(arg)
        elif op is _c.BRANCH:
            for branch in arg[1]:
                yield from _named_chars(branch)
        elif op is _c.SUBPATTERN or op in _REPEATS or op.name in ("POSSESSIVE_REPEAT", "ATOMIC_GROUP"):
            yield from _named_chars(arg if op.name == "ATOMIC_GROUP" else arg[-1])
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            yield from _named_chars(arg[1])


def _class_regex(entries: Any) -> str:
    """The character class an IN node came from, written back as a regex."""
    out = []
    for op, arg in entries:
        if op is _c.NEGATE:
            out.append("^")
        elif op is _c.LITERAL:
            out.append(re.escape(chr(arg)))
        elif op is _c.RANGE:
            out.append(f"{re.escape(chr(arg[0]))}-{re.escape(chr(arg[1]))}")
        elif op is _c.CATEGORY:
            out.append(_CATEGORIES.get(arg.name, r"\n"))
    return "[" + "".join(out) + "]"


@functools.lru_cache(maxsize=1024)
def _pick(chars: frozenset[str], named: str = "") -> str:
    """A representative: one the pattern names if possible, else printable ASCII, else the lowest."""
    return min(chars, key=lambda ch: (ch not in named, not (ch.isascii() and ch.isprintable()), ord(ch)))


def _required(items: Sequence[_Item]) -> list[bool]:
    """Which items every match of the sequence goes through (not optional, not inside an optional group)."""
    out, optional_until = [], 0
    for index, item in enumerate(items):
        if item.skip:
            optional_until = max(optional_until, index + item.skip)
        out.append(bool(item.min_width) and index >= optional_until)
    return out


def _summary(items: Sequence[_Item]) -> _Item:
    """A whole sequence as one item: it matches a run of c only if every required item does."""
    required = [i.accepts for i, needed in zip(items, _required(items), strict=True) if needed]
    accepts = frozenset.intersection(*required) if required else frozenset().union(*(i.accepts for i in items))
    pumps = frozenset().union(*(i.pumps for i in items))
    if required:
        pumps &= accepts
    sample = "".join(i.sample for i in items)
    slack = min(RUN, sum(i.slack for i in items))
    return _Item(sum(i.min_width for i in items), accepts, pumps, slack, sample=sample, unit=sample)


def _repeat(a: _Analysis, op: Any, arg: Any, flags: int) -> list[_Item]:
    low, high, body = arg
    items = _sequence(a, body, flags)
    if (low, high) == (0, 1) and len(items) > 1 and op.name != "POSSESSIVE_REPEAT":  # (…)?: inlined
        return [replace(items[0], skip=len(items)), *items[1:]]
    inner = _summary(items)
    if op.name == "POSSESSIVE_REPEAT":
        return [_Item(low * inner.min_width, inner.accepts, pinned=True, sample=inner.sample * low)]
    widest = RUN if high == _c.MAXREPEAT else high * (inner.min_width + inner.slack)
    slack = min(RUN, widest - low * inner.min_width)
    pumps = inner.pumps | (inner.accepts if low != high else frozenset())
    return [_Item(low * inner.min_width, inner.accepts, pumps, slack, sample=inner.sample * low, unit=inner.unit)]


def _branch(a: _Analysis, branches: Sequence[Any], flags: int) -> _Item:
    alts = [_summary(_sequence(a, b, flags)) for b in branches]
    low = min(x.min_width for x in alts)
    slack = min(RUN, max(x.min_width + x.slack for x in alts) - low)
    accepts = frozenset().union(*(x.accepts for x in alts))
    pumps = frozenset().union(*(x.pumps for x in alts)) | (accepts if slack else frozenset())
    return _Item(low, accepts, pumps, slack, sample=min((x.sample for x in alts), key=len))


def _node(a: _Analysis, op: Any, arg: Any, flags: int) -> list[_Item]:
    """The items one parse node contributes to its sequence (groups are inlined)."""
    if op is _c.LITERAL:
        return [a.single(re.escape(chr(arg)), flags)]
    if op is _c.NOT_LITERAL:
        return [a.single(f"[^{re.escape(chr(arg))}]", flags)]
    if op is _c.IN:
        return [a.single(_class_regex(arg), flags)]
    if op is _c.ANY:
        return [a.single(".", flags)]
    if op is _c.SUBPATTERN:
        _group, add, remove, body = arg
        return _sequence(a, body, (flags | add) & ~remove)
    if op in _REPEATS or op.name == "POSSESSIVE_REPEAT":
        return _repeat(a, op, arg, flags)
    if op is _c.BRANCH:
        return [_branch(a, arg[1], flags)]
    if op is _c.GROUPREF_EXISTS:
        return [_branch(a, [arg[1], arg[2] or []], flags)]
    if op.name == "ATOMIC_GROUP":
        inner = _summary(_sequence(a, arg, flags))
        return [_Item(inner.min_width, inner.accepts, pinned=True, sample=inner.sample)]
    if op in (_c.ASSERT, _c.ASSERT_NOT):
        _sequence(a, arg[1], flags)  # checked on its own; zero-width here
        return [_Item(0)]
    return [_Item(0, pinned=True)]  # AT (^ $ \b \A \Z), GROUPREF: a fixed position or unknown


def _sequence(a: _Analysis, nodes: Any, flags: int) -> list[_Item]:
    items = [item for op, arg in nodes for item in _node(a, op, arg, flags)]
    a.sequences.append(items)
    return items


def _ways(
    items: Sequence[_Item], index: int, shared: frozenset[str], memo: dict[Any, Any]
) -> tuple[int, frozenset[str]]:
    """How many ways the items from ``index`` on can divide a run of a character of ``shared`` (summed over
    the two ways through each optional group, capped past MAX_SPLITS), and the characters of the run where
    they vary. The run ends at an anchor or at an item that cannot match it."""
    key = (index, shared)
    if key in memo:
        return memo[key]
    found: tuple[int, frozenset[str]] = (1, shared)
    item = items[index] if index < len(items) else None
    if item is not None and not item.pinned and (not item.min_width or shared & item.accepts):
        found = (0, shared)
        if item.skip:
            found = _ways(items, index + item.skip, shared, memo)
            group = _summary([replace(item, skip=0), *items[index + 1 : index + item.skip]])
        if not item.skip or shared & group.accepts:
            rest, where = _ways(items, index + 1, shared & item.accepts if item.min_width else shared, memo)
            if common := shared & item.pumps:
                rest, where = rest * (item.slack + 1), (where & common) or common
            found = (min(found[0] + rest, MAX_SPLITS + 1), where if rest >= found[0] else found[1])
    memo[key] = found
    return found


def _overlap(items: Sequence[_Item]) -> str | None:
    """A character whose run the repeats of the sequence can split in more than MAX_SPLITS ways."""
    memo: dict[Any, Any] = {}
    for start, first in enumerate(items):
        run = first.pumps
        if first.skip:  # an optional group: taken or not, on a run it can match
            run |= _summary([replace(first, skip=0), *items[start + 1 : start + first.skip]]).accepts
        if run and (found := _ways(items, start, run, memo))[0] > MAX_SPLITS:
            return _pick(found[1])
    return None


def _analyse(pattern: re.Pattern[str]) -> tuple[_Analysis, list[_Item]]:
    """The static checks; the parsed top-level sequence for the probes."""
    tree = _p.parse(pattern.pattern, pattern.flags & ~re.UNICODE)
    _walk(tree, inside_repeat=False)
    named = "".join(dict.fromkeys(_named_chars(tree)))
    a = _Analysis(named, [])
    top = _sequence(a, tree, tree.state.flags)
    for items in a.sequences:
        if found := _overlap(items):
            raise UnsafePattern(
                f"repeats that can share a run of {found!r} (with only optional or matching items between them) "
                "split a long run in too many ways: too slow on a long URL"
            )
    return a, top


# --- 2. timing probes built from the pattern ----------------------------------------------------------


def _fixed_probes(n: int) -> list[str]:
    return [
        "/" + "a" * n,
        "/" + "1" * n,
        "/" * n,
        "/" + "a/" * (n // 2),
        "/t" + "1" * n + "_",
        "/" + "-1" * (n // 2) + "!",
    ]


def _probe_shapes(a: _Analysis, top: Sequence[_Item]) -> list[tuple[str, str, str]]:
    """(prefix, unit, end): ``prefix + unit * k + end`` reaches each repeat, drives it over a long run of
    what it takes, then fails the match (at the end of the string, or on a character no repeat takes)."""
    every_pump = frozenset().union(*(i.pumps for items in a.sequences for i in items))
    breakers = ["", *[ch for ch in "!\x00#?/ \n\u2028" if ch not in every_pump][:1]]
    shapes = []
    for index, item in enumerate(top):
        if item.slack and (item.pumps or item.unit):  # a varying repeat, of one character or more (ab)*
            prefix = "".join(i.sample for i in top[:index])
            units = {item.unit} | ({_pick(item.pumps, a.named), _pick(item.pumps)} if item.pumps else set())
            units.discard("")
            shapes += [(prefix, unit, end) for unit in sorted(units) for end in breakers]
    return shapes


def _probes(shapes: Sequence[tuple[str, str, str]], n: int) -> list[str]:
    return _fixed_probes(n) + [prefix + unit * max(1, n // len(unit)) + end for prefix, unit, end in shapes]


def _search_time(pattern: re.Pattern[str], probe: str) -> float:
    started = time.perf_counter()
    pattern.search(probe)
    return time.perf_counter() - started


def _slowest(pattern: re.Pattern[str], probes: Iterable[str]) -> float:
    """The longest search among ``probes``, stopping at the first one over the budget. One over it runs
    again and counts its faster time: on a busy machine a sane pattern can lose the CPU for a moment, a
    backtracking one is as slow the second time."""
    slowest = 0.0
    for probe in probes:
        if (elapsed := _search_time(pattern, probe)) > PROBE_BUDGET_S:
            elapsed = min(elapsed, _search_time(pattern, probe))
        slowest = max(slowest, elapsed)
        if slowest > PROBE_BUDGET_S:
            break
    return slowest


def _growing_too_fast(elapsed: float, previous: float) -> bool:
    """At this growth rate the next, twice as long probe would take over 20 budgets."""
    return elapsed > PROBE_BUDGET_S / 10 and previous > 0 and elapsed * (elapsed / previous) > 20 * PROBE_BUDGET_S


def check_pattern(pattern: re.Pattern[str]) -> None:
    """Raise UnsafePattern if ``pattern`` can backtrack catastrophically on a URL."""
    a, top = _analyse(pattern)
    shapes = _probe_shapes(a, top)
    previous = 0.0
    for n in PROBE_LENGTHS:
        probes = _probes(shapes, n)
        elapsed = _slowest(pattern, probes)
        if elapsed > PROBE_BUDGET_S:
            raise UnsafePattern(f"too slow on a {n}-character URL ({elapsed * 1000:.0f} ms): simplify it")
        if _growing_too_fast(elapsed, previous):  # a moment without the CPU looks like growth: time it again
            elapsed = min(elapsed, _slowest(pattern, probes), _slowest(pattern, probes))
        # Growing faster than the budget allows: the next length could run far too long to wait for it.
        if _growing_too_fast(elapsed, previous):
            raise UnsafePattern(
                f"too slow: {elapsed * 1000:.0f} ms on a {n}-character URL, {elapsed / previous:.0f} times the time "
                "at half that length: simplify it"
            )
        previous = max(elapsed, PROBE_BUDGET_S / 50)  # below 1 ms, timer noise is no growth rate
