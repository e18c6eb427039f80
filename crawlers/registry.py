"""The portal registry: sites as data, validated when loaded.

A site entry says where its party-building columns start, how article links
and list-page links look, and how politely to crawl it. Adding a portal is
editing YAML, not writing a spider. A bad entry fails loading with an error
that names the entry and the field, before any request is made.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

DEFAULT_REGISTRY = Path(__file__).resolve().parent / "sites.yaml"
# TRS CMS column pages: index.html, index_1.html, … (also .htm/.shtml).
DEFAULT_LIST_PATTERNS = (r"/index(?:_\d+)?\.s?html?$",)
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")


class RegistryError(ValueError):
    """A registry entry is unusable; the message names the entry and the field."""


@dataclass(frozen=True)
class SiteConfig:
    name: str
    title: str
    start_urls: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    article_url_patterns: tuple[re.Pattern[str], ...]
    list_url_patterns: tuple[re.Pattern[str], ...]
    max_pages: int = 500
    download_delay: float = 1.0
    body_xpath: str | None = None
    title_xpath: str | None = None
    enabled: bool = True
    notes: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def is_article_url(self, url: str) -> bool:
        return any(p.search(url) for p in self.article_url_patterns)

    def is_list_url(self, url: str) -> bool:
        return any(p.search(url) for p in self.list_url_patterns)

    def to_dict(self) -> dict[str, Any]:
        """Plain data, e.g. to pass the entry to a crawl subprocess or print it."""
        return {
            "name": self.name,
            "title": self.title,
            "start_urls": list(self.start_urls),
            "allowed_domains": list(self.allowed_domains),
            "article_url_patterns": [p.pattern for p in self.article_url_patterns],
            "list_url_patterns": [p.pattern for p in self.list_url_patterns],
            "max_pages": self.max_pages,
            "download_delay": self.download_delay,
            "body_xpath": self.body_xpath,
            "title_xpath": self.title_xpath,
            "enabled": self.enabled,
            "notes": self.notes,
        }


def _fail(entry: str, fieldname: str, problem: str) -> RegistryError:
    return RegistryError(f"site {entry!r}, field {fieldname!r}: {problem}")


def _str_list(entry: str, raw: Mapping[str, Any], key: str, *, required: bool) -> list[str]:
    value = raw.get(key)
    if value is None:
        if required:
            raise _fail(entry, key, "is required")
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(entry, key, "must be a list of non-empty strings")
    if required and not value:
        raise _fail(entry, key, "must not be empty")
    return [v.strip() for v in value]


def _patterns(entry: str, key: str, values: list[str]) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for v in values:
        try:
            compiled.append(re.compile(v))
        except re.error as exc:
            raise _fail(entry, key, f"bad regular expression {v!r}: {exc}") from exc
    return tuple(compiled)


def parse_site(raw: Any, variables: Mapping[str, str] | None = None, index: int = 0) -> SiteConfig:
    """Validate one registry entry; ``{base_url}``-style placeholders are filled from ``variables``."""
    if not isinstance(raw, Mapping):
        raise RegistryError(f"site #{index + 1}: must be a mapping, got {type(raw).__name__}")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise _fail(
            str(name) if name else f"#{index + 1}",
            "name",
            "must be lowercase letters, digits and dashes, starting with a letter or digit",
        )
    known = {
        "name",
        "title",
        "start_urls",
        "allowed_domains",
        "article_url_patterns",
        "list_url_patterns",
        "max_pages",
        "download_delay",
        "body_xpath",
        "title_xpath",
        "enabled",
        "notes",
    }
    unknown = sorted(set(raw) - known)
    if unknown:
        raise _fail(name, unknown[0], f"unknown field (known: {', '.join(sorted(known))})")

    def fill(s: str) -> str:
        try:
            return s.format_map(dict(variables or {}))
        except KeyError as exc:
            raise _fail(name, "start_urls", f"placeholder {exc} has no value") from exc

    start_urls = [fill(u) for u in _str_list(name, raw, "start_urls", required=True)]
    for u in start_urls:
        parts = urlsplit(u)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _fail(name, "start_urls", f"{u!r} is not an http(s) URL")
    domains = [fill(d) for d in _str_list(name, raw, "allowed_domains", required=False)]
    if not domains:
        domains = sorted({urlsplit(u).hostname or "" for u in start_urls})
    for u in start_urls:
        host = urlsplit(u).hostname or ""
        if not any(host == d or host.endswith("." + d) for d in domains):
            raise _fail(name, "allowed_domains", f"does not cover the start URL {u!r}")
    articles = _patterns(name, "article_url_patterns", _str_list(name, raw, "article_url_patterns", required=True))
    lists = _patterns(
        name,
        "list_url_patterns",
        _str_list(name, raw, "list_url_patterns", required=False) or list(DEFAULT_LIST_PATTERNS),
    )
    max_pages = raw.get("max_pages", 500)
    if not isinstance(max_pages, int) or isinstance(max_pages, bool) or max_pages < 1:
        raise _fail(name, "max_pages", "must be a positive integer")
    delay = raw.get("download_delay", 1.0)
    if not isinstance(delay, int | float) or isinstance(delay, bool) or delay < 0:
        raise _fail(name, "download_delay", "must be a number of seconds >= 0")
    for key in ("title", "body_xpath", "title_xpath", "notes"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raise _fail(name, key, "must be a string")
    if not isinstance(raw.get("enabled", True), bool):
        raise _fail(name, "enabled", "must be true or false")
    return SiteConfig(
        name=name,
        title=raw.get("title") or name,
        start_urls=tuple(start_urls),
        allowed_domains=tuple(domains),
        article_url_patterns=articles,
        list_url_patterns=lists,
        max_pages=max_pages,
        download_delay=float(delay),
        body_xpath=raw.get("body_xpath"),
        title_xpath=raw.get("title_xpath"),
        enabled=raw.get("enabled", True),
        notes=raw.get("notes") or "",
    )


def parse_placeholders(pairs: Sequence[str]) -> dict[str, str]:
    """``["base_url=http://127.0.0.1:8000"]`` (the CLIs' ``--var``) → placeholder values."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise RegistryError(f"--var expects NAME=VALUE, got {pair!r}")
        out[key] = value
    return out


def load_registry(path: Path | str | None = None, variables: Mapping[str, str] | None = None) -> dict[str, SiteConfig]:
    """Load and validate every entry of a registry file; names must be unique."""
    path = Path(path) if path else DEFAULT_REGISTRY
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryError(f"cannot read registry {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise RegistryError(f"registry {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, Mapping) or not isinstance(data.get("sites"), list):
        raise RegistryError(f"registry {path}: expected a top-level 'sites:' list")
    sites: dict[str, SiteConfig] = {}
    for i, raw in enumerate(data["sites"]):
        site = parse_site(raw, variables, i)
        if site.name in sites:
            raise _fail(site.name, "name", "is used by more than one entry")
        sites[site.name] = site
    return sites


def select_sites(registry: Mapping[str, SiteConfig], names: list[str] | None) -> list[SiteConfig]:
    """The sites to run: the named ones (unknown names are an error), else every enabled one."""
    if not names:
        return [s for s in registry.values() if s.enabled]
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise RegistryError(f"unknown site(s): {', '.join(unknown)}; known: {', '.join(sorted(registry))}")
    return [registry[n] for n in names]
