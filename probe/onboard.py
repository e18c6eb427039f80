"""Onboard a column and watch it: ``probe`` turns a list page into a registry entry, ``check`` re-validates
existing entries against the live portals and says what drifted.

Both run crawlers.probe_run in a subprocess (one reactor per process) under a hard time limit, then read
its Findings. Nothing here talks to the network itself.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from probe.findings import Findings, ProbeTarget, read_findings, write_targets
from sites.origin import AddressRule, address_kind, probe_origin
from sites.registry import DEFAULT_REGISTRY, RegistryError, SiteConfig, load_registry, parse_site
from storage.atomic import atomic_write

ROOT = Path(__file__).resolve().parent.parent
PROCESS_TIMEOUT_S = 120.0  # the whole subprocess; each target is also bounded by probe_run.TIME_BUDGET_S
DEFAULT_DELAY = 2.0  # seconds between requests, for the probe and in the entry it writes (as sites.yaml)
DEFAULT_MAX_PAGES = 300
_PLAIN_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")  # a registry name YAML reads as itself, unquoted
_GENERIC_LABELS = {"www", "gov", "cn", "com", "org", "net", "edu"}


class ProbeError(RuntimeError):
    """The probe could not run at all (subprocess crash or time limit); the message says why."""


def run_targets(targets: list[ProbeTarget], timeout: float = PROCESS_TIMEOUT_S) -> list[Findings]:
    """Run crawlers.probe_run on the targets; one Findings per target, in order."""
    with tempfile.TemporaryDirectory(prefix="dangjian-probe-") as tmp:
        spec, out = Path(tmp) / "targets.json", Path(tmp) / "findings.json"
        write_targets(spec, targets)
        cmd = [sys.executable, "-m", "crawlers.probe_run", "--targets", str(spec), "--out", str(out)]
        try:
            proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=os.environ.copy())
        except subprocess.TimeoutExpired as exc:
            raise ProbeError(f"the probe did not finish within {timeout:.0f} s") from exc
        if proc.returncode != 0 or not out.exists():
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise ProbeError(f"the probe process failed: {last}")
        found = read_findings(out)
    for f in found:
        if f.status is None and not f.reason:
            f.reason = "the list page could not be fetched (time or page budget used up)"
    return found


# --- probe ----------------------------------------------------------------------------------------


@dataclass
class ProbeResult:
    findings: Findings
    entry: dict[str, Any] | None = None  # the registry entry, as data
    unsure: dict[str, str] = field(default_factory=dict)  # field → what the probe is unsure of
    yaml: str = ""  # the entry as registry YAML, with comments

    @property
    def reason(self) -> str | None:
        return self.findings.reason


def probe(url: str, name: str | None = None, delay: float = DEFAULT_DELAY, allow_private: bool = False) -> ProbeResult:
    """Probe one column list page and build its registry entry (ProbeResult.reason: why not)."""
    return probe_many([(url, name)], delay, allow_private)[0]


def probe_many(
    columns: list[tuple[str, str | None]], delay: float = DEFAULT_DELAY, allow_private: bool = False
) -> list[ProbeResult]:
    """Probe several columns (URL, wished-for name) in one crawl process: one start-up instead of many.

    ``allow_private``: the columns may be on loopback or private addresses (never link-local or cloud
    metadata); without it, such an address is refused before the probe process starts."""
    rule: AddressRule = "private" if allow_private else "public"
    for url, _ in columns:
        preflight(url, rule)
    names = [name or default_name(url) for url, name in columns]
    targets = [
        ProbeTarget(url, "probe", n, delay=delay, addresses=rule) for (url, _), n in zip(columns, names, strict=True)
    ]
    results = []
    for findings, name in zip(run_targets(targets, PROCESS_TIMEOUT_S + 30.0 * len(targets)), names, strict=True):
        result = ProbeResult(findings)
        if not findings.reason and findings.article_pattern:
            result.entry, result.unsure = build_entry(findings, name, delay)
            result.yaml = render_entry(result.entry, result.unsure)
            parse_site(yaml.safe_load("sites:\n" + result.yaml)["sites"][0])  # the YAML is what the loader accepts
        results.append(result)
    return results


def preflight(url: str, rule: AddressRule) -> None:
    """Refuse, before anything starts, a URL the probe's origin check refuses (ProbeError, one line)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProbeError(f"{url!r} is not an http(s) URL")
    refused = probe_origin(url, None, rule).refusal(url)
    if refused is None:
        return
    hint = ""
    if refused.kind == "address":
        never = address_kind(refused.host) == "link-local"
        hint = ": never probed" if never else ": pass --allow-private to probe a loopback or intranet host"
    raise ProbeError(refused.reason + hint)


def default_name(url: str) -> str:
    """``http://nm.cma.gov.cn/xwzx/djgz/jczs/`` → ``nm-cma-jczs``."""
    parts = urlsplit(url)
    labels = [x for x in (parts.hostname or "site").split(".") if x not in _GENERIC_LABELS] or ["site"]
    segments = [s for s in parts.path.split("/") if s]
    last = re.sub(r"\.[a-z]+$", "", segments[-1]) if segments else ""
    if last.startswith("index") and len(segments) > 1:
        last = segments[-2]
    name = re.sub(r"[^a-z0-9]+", "-", "-".join([*labels, last]).lower()).strip("-")
    return name[:100] or "site"


def build_entry(f: Findings, name: str, delay: float) -> tuple[dict[str, Any], dict[str, str]]:
    """The registry entry for a probed column, and a note per field the probe is unsure of."""
    start = f.final_url or f.url
    host = urlsplit(start).hostname or ""
    domain = host.removeprefix("www.")  # covers www. and the bare host; the probe crawled under the same
    unsure: dict[str, str] = {}
    best = f.groups[0]
    if best.dated < best.links:
        unsure["article_url_patterns"] = f"only {best.dated} of {best.links} links of this shape carry a date"
    if len(f.groups) > 1 and f.groups[1].score >= 0.8 * best.score and f.groups[1].links >= 2:
        other = f.groups[1]
        unsure["article_url_patterns"] = f"another group looks like a list too: {other.shape} ({other.links} links)"
    bad = [a for a in f.articles if not a.complete]
    if bad:
        what = "; ".join(f"{a.url}: {a.reason or 'no title' if not a.title else a.reason or 'no date'}" for a in bad)
        unsure["article_url_patterns"] = f"{len(bad)} of {len(f.articles)} sample articles did not extract: {what}"
    if not f.list_patterns:
        unsure["list_url_patterns"] = "no further list page found: only the start page will be crawled"
    elif f.page2_article_links == 0 or f.page2_reason:
        unsure["list_url_patterns"] = f"the second list page {f.page2_url} showed no article of this shape"
    elif len(f.list_patterns) > 1:
        unsure["list_url_patterns"] = "some list pages lie outside the column's folder"
    entry: dict[str, Any] = {
        "name": name,
        "title": f.column_name or f.page_title or name,
        "start_urls": [start],
        "allowed_domains": [domain],
        "article_url_patterns": [f.article_pattern],
        "list_url_patterns": f.list_patterns or [],
        "max_pages": DEFAULT_MAX_PAGES,
        "download_delay": delay,
    }
    if not entry["list_url_patterns"]:
        del entry["list_url_patterns"]
    if f.feeds and f.feed_articles:
        entry["feed_urls"] = f.feeds[:1]
    if f.sitemaps:
        unsure["sitemap_urls"] = f"robots.txt lists sitemaps ({', '.join(f.sitemaps[:2])}); " + (
            f"{f.sitemap_articles} column articles in the first" if f.sitemap_articles is not None else "not read"
        )
    day = datetime.now(UTC).date().isoformat()
    found = ", ".join(f.pagination_kinds) or "none"
    entry["notes"] = (
        f"probed {day} by `dangjian probe`: {best.links} article links shaped {best.shape} ({best.dated} dated), "
        f"pagination: {found}; {sum(a.complete for a in f.articles)} of {len(f.articles)} sample articles "
        "extracted with title and date."
    )
    return entry, unsure


# Unicode categories never written raw into the registry: controls (C0, C1 with NEL \x85), format
# characters (bidi overrides, BOM), line and paragraph separators (YAML line breaks: U+2028 ended a ``#``
# comment and what followed became a second entry), private-use, surrogates, unassigned.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})


def _unsafe(char: str) -> bool:
    return unicodedata.category(char) in _UNSAFE_CATEGORIES


def _escape(char: str) -> str:
    """A character as a YAML double-quoted escape (``\\x1b``, ``\\u2028``); also how a comment shows it."""
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def yaml_scalar(value: str, *, pattern: bool = False) -> str:
    """``value`` as one YAML flow scalar that reads back as exactly ``value`` and cannot end its line.

    Double-quoted with every unsafe character escaped; a regular expression in single quotes when it
    holds no unsafe character (backslashes then stay as they are, as in the hand-written entries)."""
    if pattern and not any(_unsafe(c) for c in value):
        return "'" + value.replace("'", "''") + "'"
    body = "".join("\\" + c if c in '"\\' else _escape(c) if _unsafe(c) else c for c in value)
    return f'"{body}"'


def yaml_comment(text: str) -> str:
    """``# text`` as one comment line: tabs become spaces, every other unsafe character shows escaped."""
    return "# " + "".join(" " if c == "\t" else _escape(c) if _unsafe(c) else c for c in text)


def _value(key: str, value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_value(key, v) for v in value) + "]"
    if isinstance(value, str):
        if key == "name" and _PLAIN_NAME.fullmatch(value):
            return value  # as the hand-written entries have it
        return yaml_scalar(value, pattern="pattern" in key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"registry field {key!r}: cannot render {type(value).__name__}")
    return repr(value)


def render_entry(entry: dict[str, Any], unsure: dict[str, str]) -> str:
    """The entry in the registry's own layout (two-space list item, flow lists, regexes in single quotes),
    with an ``# unsure:`` comment above each field the probe is unsure of.

    Every value and comment goes through :func:`yaml_scalar` / :func:`yaml_comment`: the entry's text comes
    from crawled pages (titles, feed links, URLs), and whatever a page holds stays inside its own field."""
    lines: list[str] = []
    for key, value in entry.items():
        if key in unsure:
            lines.append("    " + yaml_comment(f"unsure: {unsure[key]}"))
        lines.append(f"    {key}: {_value(key, value)}")
    for key, note in unsure.items():
        if key not in entry:
            lines.append("    " + yaml_comment(f"{key}: {note}"))
    lines[0] = "  - " + lines[0][4:]  # name comes first and is never unsure: the list item starts there
    return "\n".join(lines) + "\n"


def append_entry(text: str, registry: Path | str | None = None, variables: dict[str, str] | None = None) -> str:
    """Append a rendered entry to the registry after validating the result; returns the entry's name.

    Refuses a name already in the registry; the file is replaced atomically, so a bad entry never lands."""
    path = Path(registry) if registry else DEFAULT_REGISTRY
    entry = yaml.safe_load("sites:\n" + text)["sites"][0]
    existing = load_registry(path, variables)
    if entry["name"] in existing:
        raise RegistryError(f"site {entry['name']!r} is already in {path}: choose another --name")
    current = path.read_text(encoding="utf-8")
    new = current + ("" if current.endswith("\n") else "\n") + "\n" + text
    with atomic_write(path) as part:  # a registry that does not load is never renamed into place
        part.write_text(new, encoding="utf-8")
        load_registry(part, variables)
    return str(entry["name"])


# --- check ----------------------------------------------------------------------------------------


@dataclass
class CheckResult:
    site: str
    url: str
    problems: list[str]  # empty: the entry still works
    findings: Findings

    @property
    def ok(self) -> bool:
        return not self.problems


def check(sites: list[SiteConfig]) -> list[CheckResult]:
    """Re-validate entries against their live portals: list page reachable, article links found with the
    entry's patterns, pagination found, sample articles extract with title and date."""
    targets = [ProbeTarget(s.start_urls[0], "check", s.name, site=s, delay=s.download_delay) for s in sites]
    found = run_targets(targets, timeout=PROCESS_TIMEOUT_S + 30.0 * len(sites)) if targets else []
    return [CheckResult(s.name, s.start_urls[0], drift(f), f) for s, f in zip(sites, found, strict=True)]


def drift(f: Findings) -> list[str]:
    """What no longer works in an entry, one line each (empty: nothing drifted)."""
    if f.reason:
        return [f"list page unreachable: {f.reason.removeprefix('list page: ')}"]
    problems = []
    if not f.article_urls:
        now = f" (the page's largest dated link group is now {f.article_pattern})" if f.article_pattern else ""
        problems.append(f"no article link matches article_url_patterns{now}")
    if not f.entry_list_links:
        problems.append("no pagination found: no link matches list_url_patterns, no 下一页 link, no createPageHTML")
    elif f.page2_reason:
        problems.append(f"second list page: {f.page2_reason}")
    elif f.article_urls and f.page2_article_links == 0:
        problems.append(f"no article link on the second list page {f.page2_url}")
    for a in f.articles:
        if a.reason:
            problems.append(f"article {a.url}: {a.reason}")
        elif not a.title or not a.published:
            missing = " and ".join(x for x, v in (("title", a.title), ("date", a.published)) if not v)
            problems.append(f"article {a.url}: no {missing} extracted")
    return problems
