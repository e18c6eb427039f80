"""The portal registry: sites as data, validated when loaded.

A site entry says where its party-building columns start, how article links
and list-page links look, and how politely to crawl it. Adding a portal is
editing YAML, not writing a spider. A bad entry fails loading with an error
that names the entry and the field, before any request is made.

Fields (only ``name``, ``start_urls`` and ``article_url_patterns`` are required):

- ``name``: lowercase letters, digits, dashes; ``title``; ``enabled`` (default true); ``notes``.
- ``start_urls``: the party-building column pages (http/https; ``{base_url}`` placeholders allowed).
- ``allowed_domains``: hosts (and their subdomains) the crawl may contact; default: the start URLs' hosts.
- ``article_url_patterns``: regular expressions searched in absolute article URLs.
- ``list_url_patterns``: regular expressions for column/list pages; default :data:`DEFAULT_LIST_PATTERNS`
  (TRS ``index.html``, ``index_1.html`` … and people.cn ``index.html``, ``index2.html`` …).
  Links whose anchor text is one of ``next_page_texts`` are followed as list pages too.
- ``next_page_texts``: anchor texts of pagination links on list pages (default :data:`DEFAULT_NEXT_PAGE_TEXTS`,
  下一页/尾页/…); such links are followed whatever their URL looks like, at most ``max_pages`` of them.
- ``sitemap_urls``: sitemap.xml (or sitemap index, .xml.gz) URLs whose article URLs are crawled like list links.
- ``sitemaps_from_robots``: also read the ``Sitemap:`` lines of the start hosts' robots.txt (default false).
- ``feed_urls``: RSS 2.0 / Atom feed URLs whose item links are crawled like list links.
- ``max_pages``: responses per run (default 500); ``max_bytes``: downloaded bytes per run (default: no limit);
  the crawl stops cleanly when either is reached, keeping what it already has.
- ``download_delay``: seconds between requests to the site (default 1.0, at most :data:`MAX_DOWNLOAD_DELAY`).
- ``body_xpath`` / ``title_xpath``: extraction fallbacks (XPath 1.0, compiled when the registry loads).
- ``allowed_ports``: ports the crawl may connect to on the allowed hosts; default: the ports of the start,
  sitemap and feed URLs, plus 80 and 443 when one of them is on 80 or 443 (http → https upgrades).
- ``allow_private_addresses``: connect to a loopback, private, link-local or otherwise non-public address,
  named by an IP literal or resolved from a host name (default: false, unless every allowed domain is itself
  a loopback or private IP literal or ``localhost``; never by default for link-local / cloud-metadata
  literals such as 169.254.169.254). For intranet portals; see sites/origin.py and crawlers/resolver.py.

URL patterns are matched against the path and query of a URL, never its scheme, host or fragment, and are
refused when they can backtrack catastrophically (sites/regexcheck.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

import yaml
from lxml import etree

from sites.origin import address_kind, default_ports, effective_port, host_in_domains
from sites.regexcheck import UnsafePattern, check_pattern

DEFAULT_REGISTRY = Path(__file__).resolve().parent / "sites.yaml"
# TRS CMS column pages: index.html, index_1.html, … (also .htm/.shtml).
# people.cn CMS column pages (旗帜网 /GB/NNN/index.html, index2.html, …) too.
DEFAULT_LIST_PATTERNS = (r"/index(?:_?\d+)?\.s?html?$",)
# Anchor texts of "next"/"last" pagination links on list pages (compared without spaces and brackets).
DEFAULT_NEXT_PAGE_TEXTS = ("下一页", "下页", "后一页", "尾页", "末页", "最后一页")
MAX_DOWNLOAD_DELAY = 300.0  # seconds; a larger delay (or inf/nan) would make the crawl fetch nothing
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")


class RegistryError(ValueError):
    """A registry entry is unusable; the message names the entry and the field."""


Level = Literal["central", "ministry", "provincial", "city", "county", "township"]
LEVELS: tuple[Level, ...] = get_args(Level)
GROUP_FIELDS = ("province", "level", "kind")


@dataclass(frozen=True)
class SiteGroup:
    """Where a site stands in the field: its province (or None for central sites), its administrative
    level, and its kind (党建网, 机关党建, 纪检 …, free text). Runs, reports and ``--group`` select by it."""

    province: str | None = None
    level: Level | None = None
    kind: str | None = None

    def label(self) -> str:
        return "/".join(v for v in (self.province, self.level, self.kind) if v) or "-"

    def matches(self, selector: str) -> bool:
        """``selector``: comma-separated terms, all of which must hold; ``key=value`` compares one field,
        a bare ``value`` any of them (``anhui``, ``level=city``, ``anhui,county``)."""
        values = {key: getattr(self, key) for key in GROUP_FIELDS}
        for term in (t.strip() for t in selector.split(",") if t.strip()):
            key, sep, value = term.partition("=")
            if sep and values.get(key.strip()) != value.strip():
                return False
            if not sep and term not in values.values():
                return False
        return True


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
    next_page_texts: tuple[str, ...] = DEFAULT_NEXT_PAGE_TEXTS
    sitemap_urls: tuple[str, ...] = ()
    sitemaps_from_robots: bool = False
    feed_urls: tuple[str, ...] = ()
    max_bytes: int | None = None
    allowed_ports: tuple[int, ...] = (80, 443)
    allow_private_addresses: bool = False
    group: SiteGroup = SiteGroup()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def is_article_url(self, url: str) -> bool:
        target = match_target(url)
        return any(p.search(target) for p in self.article_url_patterns)

    def is_list_url(self, url: str) -> bool:
        target = match_target(url)
        return any(p.search(target) for p in self.list_url_patterns)

    def to_dict(self) -> dict[str, Any]:
        """Plain data in registry form (patterns as their text, tuples as lists), e.g. to print the entry."""
        data: dict[str, Any] = {}
        for name in registry_fields():
            value = getattr(self, name)
            if isinstance(value, SiteGroup):
                value = {k: v for k, v in asdict(value).items() if v is not None}
            elif isinstance(value, tuple):
                value = [v.pattern if isinstance(v, re.Pattern) else v for v in value]
            data[name] = value
        return data


def match_target(url: str) -> str:
    """What URL patterns see: the path and query, never scheme, host or fragment.

    Why: matched against the whole URL, ``file://<host>/etc/passwd#/202401/t20240101_7.html`` satisfied an
    unanchored article pattern through its fragment (issue #13).
    """
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def _loopback_or_private_literal(host: str) -> bool:
    """A loopback or private IP literal (or ``localhost``): a link-local or metadata one never counts, so
    that an entry naming 169.254.169.254 is refused unless it sets allow_private_addresses itself."""
    return address_kind(host) == "private"


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


@lru_cache(maxsize=4096)
def _checked_pattern(text: str) -> re.Pattern[str]:
    """The compiled pattern once it passed the backtracking check (re.error or UnsafePattern if not).

    Cached by its text: the check runs the pattern on probe URLs (~0.8 ms), and a registry of 3,000 sites
    repeats a few dozen CMS patterns (and the default list patterns) thousands of times."""
    pattern = re.compile(text)
    check_pattern(pattern)
    return pattern


def _patterns(entry: str, key: str, values: list[str]) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for v in values:
        try:
            pattern = _checked_pattern(v)
        except re.error as exc:
            raise _fail(entry, key, f"bad regular expression {v!r}: {exc}") from exc
        except UnsafePattern as exc:
            raise _fail(entry, key, f"regular expression {v!r} can backtrack catastrophically: {exc}") from exc
        compiled.append(pattern)
    return tuple(compiled)


def _xpath(entry: str, key: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(entry, key, "must be a non-empty string")
    try:
        etree.XPath(value)
    except etree.XPathError as exc:
        raise _fail(entry, key, f"invalid XPath {value!r}: {exc}") from exc
    return value


def _ports(entry: str, raw: Mapping[str, Any], urls: Sequence[str]) -> tuple[int, ...]:
    value = raw.get("allowed_ports")
    if value is None:
        return default_ports(urls)
    if not isinstance(value, list) or not value:
        raise _fail(entry, "allowed_ports", "must be a non-empty list of port numbers")
    for port in value:
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            raise _fail(entry, "allowed_ports", f"{port!r} is not a port number (1-65535)")
    missing = sorted({p for p in (effective_port(u) for u in urls) if p} - set(value))
    if missing:
        raise _fail(entry, "allowed_ports", f"does not include port(s) {missing} of the start/sitemap/feed URLs")
    return tuple(sorted(set(value)))


def _delay(entry: str, raw: Mapping[str, Any]) -> float:
    delay = raw.get("download_delay", 1.0)
    if (
        not isinstance(delay, int | float)
        or isinstance(delay, bool)
        or not math.isfinite(delay)
        or not 0 <= delay <= MAX_DOWNLOAD_DELAY
    ):
        raise _fail(entry, "download_delay", f"must be a number of seconds from 0 to {MAX_DOWNLOAD_DELAY:g}")
    return float(delay)


def registry_fields() -> tuple[str, ...]:
    """The fields an entry may have: SiteConfig's own, so a new field is declared once (``extra`` is
    not one: it holds what a caller adds, never what sites.yaml says)."""
    return tuple(f.name for f in fields(SiteConfig) if f.name != "extra")


def _entry_name(raw: Any, index: int) -> str:
    if not isinstance(raw, Mapping):
        raise RegistryError(f"site #{index + 1}: must be a mapping, got {type(raw).__name__}")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise _fail(
            str(name) if name else f"#{index + 1}",
            "name",
            "must be lowercase letters, digits and dashes, starting with a letter or digit",
        )
    known = registry_fields()
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise _fail(name, unknown[0], f"unknown field (known: {', '.join(sorted(known))})")
    return name


@dataclass(frozen=True)
class _Places:
    """Where an entry may go: its start, sitemap and feed URLs, all inside its allowed domains."""

    start_urls: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    sitemap_urls: tuple[str, ...]
    feed_urls: tuple[str, ...]


def _places(name: str, raw: Mapping[str, Any], variables: Mapping[str, str]) -> _Places:
    def fill(s: str, key: str) -> str:
        try:
            return s.format_map(dict(variables))
        except KeyError as exc:
            raise _fail(name, key, f"placeholder {exc} has no value") from exc

    def urls(key: str, *, required: bool) -> tuple[str, ...]:
        values = tuple(fill(u, key) for u in _str_list(name, raw, key, required=required))
        for u in values:
            parts = urlsplit(u)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise _fail(name, key, f"{u!r} is not an http(s) URL")
        return values

    start_urls = urls("start_urls", required=True)
    domains = tuple(fill(d, "allowed_domains") for d in _str_list(name, raw, "allowed_domains", required=False))
    domains = domains or tuple(sorted({urlsplit(u).hostname or "" for u in start_urls}))
    for u in start_urls:
        if not host_in_domains(urlsplit(u).hostname or "", domains):
            raise _fail(name, "allowed_domains", f"does not cover the start URL {u!r}")
    sitemaps, feeds = urls("sitemap_urls", required=False), urls("feed_urls", required=False)
    for key, values in (("sitemap_urls", sitemaps), ("feed_urls", feeds)):
        for u in values:
            if not host_in_domains(urlsplit(u).hostname or "", domains):
                raise _fail(name, key, f"{u!r} is outside allowed_domains")
    return _Places(start_urls, domains, sitemaps, feeds)


def _positive_int(name: str, raw: Mapping[str, Any], key: str, default: int | None, unit: str = "") -> int | None:
    value = raw.get(key, default)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _fail(name, key, f"must be a positive integer{unit}")
    return value


def _checked_types(name: str, raw: Mapping[str, Any]) -> None:
    for key in ("title", "notes"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raise _fail(name, key, "must be a string")
    for key in ("sitemaps_from_robots", "enabled", "allow_private_addresses"):
        if not isinstance(raw.get(key, True), bool):
            raise _fail(name, key, "must be true or false")


def _group(name: str, raw: Mapping[str, Any]) -> SiteGroup:
    value = raw.get("group")
    if value is None:
        return SiteGroup()
    if not isinstance(value, Mapping) or set(value) - set(GROUP_FIELDS):
        raise _fail(name, "group", f"must be a mapping of {', '.join(GROUP_FIELDS)}")
    if any(v is not None and (not isinstance(v, str) or not v.strip()) for v in value.values()):
        raise _fail(name, "group", "values must be non-empty strings")
    level = value.get("level")
    if level is not None and level not in LEVELS:
        raise _fail(name, "group", f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    return SiteGroup(province=value.get("province"), level=level, kind=value.get("kind"))


def parse_site(raw: Any, variables: Mapping[str, str] | None = None, index: int = 0) -> SiteConfig:
    """Validate one registry entry; ``{base_url}``-style placeholders are filled from ``variables``."""
    name = _entry_name(raw, index)
    places = _places(name, raw, variables or {})
    # absent: the defaults; an explicit empty list switches anchor-text pagination off
    next_texts = None if raw.get("next_page_texts") is None else _str_list(name, raw, "next_page_texts", required=False)
    max_bytes = _positive_int(name, raw, "max_bytes", None, " (bytes)")
    _checked_types(name, raw)
    articles = _patterns(name, "article_url_patterns", _str_list(name, raw, "article_url_patterns", required=True))
    given_lists = _str_list(name, raw, "list_url_patterns", required=False)
    lists = _patterns(name, "list_url_patterns", given_lists or list(DEFAULT_LIST_PATTERNS))
    max_pages = _positive_int(name, raw, "max_pages", 500)
    assert max_pages is not None  # it has a default
    ports = _ports(name, raw, [*places.start_urls, *places.sitemap_urls, *places.feed_urls])
    private = raw.get("allow_private_addresses")
    if private is None:
        private = all(_loopback_or_private_literal(d) for d in places.allowed_domains)
    return SiteConfig(
        name=name,
        title=raw.get("title") or name,
        article_url_patterns=articles,
        list_url_patterns=lists,
        max_pages=max_pages,
        download_delay=_delay(name, raw),
        body_xpath=_xpath(name, "body_xpath", raw.get("body_xpath")),
        title_xpath=_xpath(name, "title_xpath", raw.get("title_xpath")),
        enabled=raw.get("enabled", True),
        notes=raw.get("notes") or "",
        next_page_texts=DEFAULT_NEXT_PAGE_TEXTS if next_texts is None else tuple(next_texts),
        sitemaps_from_robots=raw.get("sitemaps_from_robots", False),
        max_bytes=max_bytes,
        allowed_ports=ports,
        allow_private_addresses=private,
        group=_group(name, raw),
        **asdict(places),
    )


MAX_PAGES_LIMIT = 1_000_000


def validate_max_pages(value: object) -> int:
    """A max-pages override (CLI ``--max-pages``, the flow's ``max_pages``): an integer from 1 to
    MAX_PAGES_LIMIT. 0 and negatives were accepted by ingest and silently meant "the registry's"."""
    try:
        number = int(str(value).strip()) if not isinstance(value, bool) else 0
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_PAGES_LIMIT:
        raise RegistryError(f"max pages must be an integer from 1 to {MAX_PAGES_LIMIT}, got {value!r}")
    return number


def parse_placeholders(pairs: Sequence[str]) -> dict[str, str]:
    """``["base_url=http://127.0.0.1:8000"]`` (the CLIs' ``--var``) → placeholder values."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise RegistryError(f"--var expects NAME=VALUE, got {pair!r}")
        out[key] = value
    return out


# libyaml's loader where PyYAML was built with it (5× faster on 3,000 entries), the same safe subset.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_registry(path: Path | str | None = None, variables: Mapping[str, str] | None = None) -> dict[str, SiteConfig]:
    """Load and validate every entry of a registry file; names must be unique."""
    path = Path(path) if path else DEFAULT_REGISTRY
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
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


def in_groups(sites: Iterable[SiteConfig], groups: Sequence[str]) -> list[SiteConfig]:
    """The sites whose group matches every selector (SiteGroup.matches); all of them without selectors."""
    return [s for s in sites if all(s.group.matches(g) for g in groups)]


def select_sites(
    registry: Mapping[str, SiteConfig], names: list[str] | None, groups: list[str] | None = None
) -> list[SiteConfig]:
    """The sites to run: the named ones (unknown names are an error), else every enabled one; with
    ``groups``, only those whose group matches every selector (see SiteGroup.matches)."""
    if names:
        unknown = [n for n in names if n not in registry]
        if unknown:
            raise RegistryError(f"unknown site(s): {', '.join(unknown)}; known: {', '.join(sorted(registry))}")
        chosen = [registry[n] for n in names]
    else:
        chosen = [s for s in registry.values() if s.enabled]
    if not groups:
        return chosen
    matching = in_groups(chosen, groups)
    if not matching:
        raise RegistryError(f"no {'named' if names else 'enabled'} site is in group {' and '.join(groups)}")
    return matching
