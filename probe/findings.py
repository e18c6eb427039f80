"""What a probe or check crawl is asked to do (ProbeTarget) and what it found (Findings): the two records
that cross the process boundary.

The probe spider runs in its own process (the Twisted reactor cannot restart inside one, and `dangjian
check` runs from a long-lived Prefect worker); probe/onboard.py writes the targets as JSON, the process
writes one Findings per target as JSON, and probe/onboard.py reads them back to build a registry entry or a
drift report.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from sites.origin import AddressRule
from sites.registry import SiteConfig, parse_site

Mode = Literal["probe", "check"]


@dataclass(frozen=True)
class ProbeTarget:
    """One column for the probe process: a new column's list page to probe, or a registry entry to check."""

    url: str
    mode: Mode = "probe"
    name: str | None = None
    site: SiteConfig | None = None  # the entry a check validates (its patterns, pagination, addresses)
    delay: float = 1.0  # seconds between requests: the entry's download_delay, or the probe's own
    addresses: AddressRule = "public"  # a probe's: where its host names may resolve (a check's is its entry's)

    @property
    def rule(self) -> AddressRule:
        """The addresses the target may reach: a checked entry's allow_private_addresses, else the probe's
        own ``addresses``; at most private ones, never link-local."""
        if self.site is not None:
            return "private" if self.site.allow_private_addresses else "public"
        return "private" if self.addresses in ("private", "any") else "public"

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}  # not asdict: it would copy the SiteConfig
        return data | {"site": self.site.to_dict() if self.site else None}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ProbeTarget:
        site = raw.get("site")
        return cls(**(raw | {"site": parse_site(site) if site else None}))


def write_targets(path: Path, targets: list[ProbeTarget]) -> None:
    path.write_text(json.dumps([t.to_dict() for t in targets], ensure_ascii=False), encoding="utf-8")


def read_targets(path: Path) -> list[ProbeTarget]:
    return [ProbeTarget.from_dict(raw) for raw in json.loads(path.read_text(encoding="utf-8"))]


@dataclass
class ArticleSample:
    """One article fetched and run through the real extraction (steps.decode + steps.extract)."""

    url: str
    status: int | None = None
    reason: str | None = None  # why it could not be fetched, decoded or extracted
    title: str | None = None
    published: str | None = None  # ISO 8601
    source: str | None = None
    lines: list[str] = field(default_factory=list)  # the first lines of the main text

    @property
    def complete(self) -> bool:
        """Title and date extracted: what a crawl of this column needs from its articles."""
        return self.reason is None and bool(self.title) and bool(self.published)


@dataclass
class GroupSummary:
    """A group of same-shaped links on the list page (crawlers.discovery.LinkGroup), for the report."""

    shape: str
    links: int
    dated: int
    mean_text: float
    score: float
    examples: list[str] = field(default_factory=list)


@dataclass
class Findings:
    """One target (a list page to probe, or a registry entry to check) and what its crawl found."""

    mode: Mode
    url: str  # the list page asked about
    name: str | None = None  # the entry's (check) or the wished-for (probe) name
    status: int | None = None
    final_url: str | None = None
    reason: str | None = None  # the list page could not be read: why
    page_title: str | None = None
    column_name: str | None = None  # <meta name="ColumnName">, what TRS sites put there
    groups: list[GroupSummary] = field(default_factory=list)  # best first
    article_urls: list[str] = field(default_factory=list)  # the article links chosen on the list page
    article_pattern: str | None = None  # inferred (probe)
    offsite_article_links: int = 0  # links of the article shape on other hosts (not followed)
    pagination_pages: list[str] = field(default_factory=list)
    pagination_kinds: list[str] = field(default_factory=list)
    list_patterns: list[str] = field(default_factory=list)  # inferred (probe)
    entry_list_links: int | None = None  # check: further list pages the entry's own rules find
    page2_url: str | None = None
    page2_reason: str | None = None
    page2_article_links: int | None = None  # article links on the second list page
    sitemaps: list[str] = field(default_factory=list)  # from robots.txt Sitemap: lines
    sitemap_articles: int | None = None  # column articles in the first sitemap
    feeds: list[str] = field(default_factory=list)  # announced by <link rel="alternate">
    feed_articles: int | None = None  # column articles in the first feed
    articles: list[ArticleSample] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Findings:
        data = dict(raw)
        data["groups"] = [GroupSummary(**g) for g in data.get("groups", [])]
        data["articles"] = [ArticleSample(**a) for a in data.get("articles", [])]
        return cls(**data)


def write_findings(path: Path, findings: list[Findings]) -> None:
    path.write_text(json.dumps([f.to_dict() for f in findings], ensure_ascii=False, indent=1), encoding="utf-8")


def read_findings(path: Path) -> list[Findings]:
    return [Findings.from_dict(raw) for raw in json.loads(path.read_text(encoding="utf-8"))]
