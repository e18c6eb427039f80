"""The registry's ReDoS check (sites/regexcheck.py) against the patterns that got past it (issue #24):
overlapping repeats side by side are refused on the parse tree, before any probe runs, in well under a
second; what escapes the static check meets probes built from the pattern's own characters. Real
registry entries, real ``re``; no mocks."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from sites.regexcheck import UnsafePattern, check_pattern
from sites.registry import DEFAULT_LIST_PATTERNS, RegistryError, parse_site

ROOT = Path(__file__).resolve().parent.parent
ENTRY: dict[str, Any] = {
    "name": "demo",
    "start_urls": ["http://portal.example.cn/djgz/index.html"],
    "article_url_patterns": [r"/djgz/\d{6}/t\d{8}_\d+\.html$"],
}

# The red team's three (issue #24: 9–24 s each on a 241-character path) and variants of the same shape.
ADJACENT_OVERLAPS = [
    r"\.*\.*\.*\.*\.*x",
    r"\S*\.\S*\.\S*\.\S*\.xyz$",
    r"[A-Z]*" * 5 + "!",
    r"\.*\.*x",  # two are enough: n**2 ways per start
    r"\S+@\S+\.\S+$",  # separated by a character both repeats take
    r"\d+(?:-\d+)?\d*",  # separated by an optional group
    r"[ab]*a?b*c",  # separated by an optional item
    r"(?i)[a-z]*[A-Z]*!",  # overlapping through the flag
    r".*?.*?x",  # lazy repeats backtrack the same
    r"x\d{1,1000}\d{1,1000}",  # bounded, but as long as a URL
    r"[\u4e00-\u9fff]*[\u4e00-\u9fa5]*!",  # classes beyond ASCII
    "(?:a)?" * 40 + "x",  # forty optional characters: 2**40 ways (the old check ran 8 s on 8 characters)
    "(?:aa)?" * 40 + "x",
]


def _site(**extra: Any) -> Any:
    return parse_site({**ENTRY, **extra})


@pytest.mark.parametrize("pattern", ADJACENT_OVERLAPS)
def test_overlapping_repeats_are_refused_at_once_naming_the_pattern(pattern: str) -> None:
    started = time.perf_counter()
    with pytest.raises(RegistryError) as err:
        _site(article_url_patterns=[pattern])
    elapsed = time.perf_counter() - started
    message = str(err.value)
    assert elapsed < 0.5, f"{elapsed:.2f} s to refuse {pattern!r}"
    assert "\n" not in message
    assert f"site 'demo', field 'article_url_patterns': regular expression {pattern!r}" in message
    assert "too many ways" in message  # the static reason: no probe ran


@pytest.mark.parametrize(("pattern", "shared"), [(r"\S*\.\S*\.xyz$", "'.'"), ("[A-Z]*[A-Z]*!", "'A'")])
def test_the_reason_names_a_character_whose_run_splits(pattern: str, shared: str) -> None:
    with pytest.raises(UnsafePattern, match=f"share a run of {re.escape(shared)}"):
        check_pattern(re.compile(pattern))


@pytest.mark.parametrize("pattern", [r"(?:%2)*(?:%2)*!", r"(?:ab)*(?:ab)*c"])
def test_probes_are_built_from_what_the_pattern_repeats(pattern: str) -> None:
    """Repeats of a group share no single character, so the static pass lets them by; a URL of 'abab…'
    (or '%2%2…'), which no fixed probe holds, shows the polynomial search."""
    started = time.perf_counter()
    with pytest.raises(UnsafePattern, match="too slow"):
        check_pattern(re.compile(pattern))
    assert time.perf_counter() - started < 5


def _shipped_patterns() -> set[str]:
    patterns = set(DEFAULT_LIST_PATTERNS)
    registries = [ROOT / "sites" / "sites.yaml", *sorted((ROOT / "replica").glob("**/*sites.yaml"))]
    for path in registries:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in data if isinstance(data, list) else data["sites"]:
            for key in ("article_url_patterns", "list_url_patterns"):
                value = entry.get(key) or []
                patterns.update([value] if isinstance(value, str) else value)
    return patterns


def test_every_shipped_pattern_passes_quickly() -> None:
    patterns = _shipped_patterns()
    assert len(patterns) >= 20
    started = time.perf_counter()
    for pattern in sorted(patterns):
        check_pattern(re.compile(pattern))
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    "pattern",
    [
        r"/bad/[^?#]*t\d{8}_\d+\.html(?:[?#].*)?$",  # overlapping sets, but 't' and '_' stand between
        r"/(?:index(?:_\d+)?\.html)?$",
        r"/GB/457278/index\d*\.html$",
        r"\d+-\d+",
        r"/\d{2,4}\d{2,4}/",  # bounded and short: a few ways only
        r"\d+\d?",  # one unbounded repeat and one optional digit
    ],
)
def test_repeats_that_cannot_split_a_run_many_ways_pass(pattern: str) -> None:
    check_pattern(re.compile(pattern))
