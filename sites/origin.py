"""The origin policy: which URLs belong to a site, and which addresses a request may go to (issue #13, #24).

One check, shared by the crawl (crawlers/middlewares.py, the portal spider), the probe
(crawlers/spiders/probe.py) and import-warc's attribution (dangjian/importwarc.py), so that a URL the crawl
would refuse is neither probed nor attributed to a site. No Scrapy here: import-warc and the CLI use it too.

A URL passes when, in this order:

- its scheme is http or https;
- its authority is unambiguous: no credentials (``user:pass@``: a crawler must not send them, and a
  stored URL must not carry them) and no backslash (WHATWG parsers read ``http://evil.example\\@10.0.0.1/``
  as host ``evil.example``, Python's urlsplit as ``10.0.0.1``: browsers and the crawler would disagree);
- its host, lowercased, without trailing dot, IPv4 literals in any form (``2852039166``, ``0xa9.254.0.1``)
  read as dotted quads, is one of the allowed domains or a subdomain of one;
- its host, when it is an IP literal or ``localhost``, is an address the site may use (:data:`AddressRule`);
- its port (explicit, else the scheme's default) is one of the allowed ports.

Host *names* are checked for the addresses they resolve to by crawlers/resolver.py, with the same
:func:`address_kind`.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Literal, NamedTuple, Protocol
from urllib.parse import SplitResult, urlsplit

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}

RefusalKind = Literal["scheme", "authority", "host", "address", "port"]
AddressKind = Literal["public", "private", "link-local"]
# public: only globally routable addresses; private: also loopback, private, CGNAT, reserved …, but never
# link-local / cloud metadata; any: every address (an entry that sets allow_private_addresses: true).
AddressRule = Literal["public", "private", "any"]

# Cloud metadata services outside the link-local ranges (169.254.0.0/16 and fe80::/10 are link-local).
METADATA_ADDRESSES = frozenset(
    {
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
        ipaddress.ip_address("fd00:ec2::254"),  # AWS, over IPv6
    }
)
_ENDS_IN_NUMBER = re.compile(r"(?:^|\.)(?:\d+|0x[0-9a-f]*)\.?$")


class Refusal(NamedTuple):
    """Why a URL is refused: the kind (for counting), the host as read, a one-line reason."""

    kind: RefusalKind
    host: str
    reason: str


def normal_host(host: str) -> str:
    """A host as compared: lowercased, trailing dot stripped, an IPv4 literal in any form the socket
    layer (and WHATWG URL parsers) accept read as its dotted quad, an IPv6 literal compressed.

    Why: ``http://2852039166/`` and ``http://169.254.169.254/`` are the same address to getaddrinfo."""
    host = host.lower().rstrip(".")
    if ":" in host:
        try:
            return str(ipaddress.IPv6Address(host.strip("[]")))
        except ValueError:
            return host
    if _ENDS_IN_NUMBER.search(host):
        try:
            return socket.inet_ntoa(socket.inet_aton(host))  # a parse, never a lookup
        except OSError:
            return host  # not an address: the lookup fails later, and no allowed domain matches it
    return host


def host_in_domains(host: str, domains: Iterable[str]) -> bool:
    """``host`` is one of ``domains`` or a subdomain of one (an IP literal only matches itself).

    The one place this is decided (crawl, probe, import-warc, the registry's own checks). Not Scrapy's
    ``url_is_from_any_domain``: it compares the netloc, port included, so a replica on ``127.0.0.1:8123``
    would never match an allowed ``127.0.0.1``; ports are :class:`Origin`'s."""
    host = normal_host(host)
    for domain in domains:
        domain = normal_host(domain)
        if host == domain or (not _is_ip(domain) and host.endswith("." + domain)):
            return True
    return False


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def address_kind(host: str) -> AddressKind | None:
    """What kind of address an IP literal (or ``localhost``) is; None for a host name (resolved later)."""
    host = normal_host(host.strip("[]"))
    if host == "localhost" or host.endswith(".localhost"):
        return "private"  # RFC 6761: always loopback
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    mapped = getattr(ip, "ipv4_mapped", None) or getattr(ip, "sixtofour", None)
    ip = mapped or ip
    if ip.is_link_local or ip in METADATA_ADDRESSES:
        return "link-local"
    return "public" if ip.is_global else "private"


def address_allowed(kind: AddressKind | None, rule: AddressRule) -> bool:
    """Whether an address of ``kind`` may be connected to under ``rule`` (None: a name, not decided here)."""
    if kind is None or kind == "public" or rule == "any":
        return True
    return rule == "private" and kind == "private"


def address_refusal(host: str, rule: AddressRule) -> str | None:
    """What ``host`` (an IP literal, ``localhost`` or a resolved address) is, if ``rule`` refuses it."""
    kind = address_kind(host)
    if address_allowed(kind, rule):
        return None
    return "a link-local or cloud-metadata address" if kind == "link-local" else "a non-public address"


def authority_refusal(parts: SplitResult) -> str | None:
    """Why a URL's authority is ambiguous or secret-bearing (credentials, a backslash), else None."""
    if "\\" in parts.netloc:
        return f"refused URL with a backslash in its host part {parts.netloc[:80]!r} (browsers read another host)"
    if "@" in parts.netloc:
        return f"refused URL with credentials in it (host {parts.hostname or ''!r})"
    return None


class SiteOrigin(Protocol):
    """What :meth:`Origin.of_site` reads of a registry entry (sites.registry.SiteConfig)."""

    @property
    def allowed_domains(self) -> tuple[str, ...]: ...
    @property
    def allowed_ports(self) -> tuple[int, ...]: ...
    @property
    def allow_private_addresses(self) -> bool: ...


@dataclass(frozen=True)
class Origin:
    """Where a site's crawl may connect: http/https only, to the allowed hosts, on the allowed ports,
    never to a non-public IP literal its ``addresses`` rule does not allow.

    ``domains`` / ``ports`` None: any host / any port (a spider without allowed_domains or without a
    registry entry, e.g. in a component test); the scheme, authority and address rules always hold.
    """

    domains: tuple[str, ...] | None
    ports: Collection[int] | None = None
    addresses: AddressRule = "public"

    @classmethod
    def of_site(cls, site: SiteOrigin) -> Origin:
        """The origin of a registry entry: its hosts, its ports, any address if it allows private ones."""
        return cls(site.allowed_domains, site.allowed_ports, "any" if site.allow_private_addresses else "public")

    def refusal(self, url: str) -> Refusal | None:
        """Why ``url`` must not be fetched (or attributed to this origin's site), else None."""
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 -- raises ValueError for an invalid port
        except ValueError:
            return Refusal("port", "", "refused URL with an invalid host or port")
        scheme = parts.scheme.lower()
        host = normal_host(parts.hostname or "")
        if scheme not in ALLOWED_SCHEMES:
            return Refusal("scheme", host, f"refused {scheme or 'scheme-less'}: URL (only http and https are fetched)")
        ambiguous = authority_refusal(parts)
        if ambiguous:
            return Refusal("authority", host, ambiguous)
        if self.domains is not None and not host_in_domains(host, self.domains):
            return Refusal("host", host, f"refused offsite request to {host!r} (not in allowed_domains)")
        what = address_refusal(host, self.addresses)
        if what:
            return Refusal("address", host, f"refused request to {host!r}, {what}")
        port = parts.port or DEFAULT_PORTS[scheme]
        if self.ports is not None and port not in self.ports:
            allowed = ", ".join(str(p) for p in sorted(self.ports))
            return Refusal("port", host, f"refused request to port {port} of {host!r} (allowed ports: {allowed})")
        return None

    def allows(self, url: str) -> bool:
        return self.refusal(url) is None


def probe_origin(url: str, site: SiteOrigin | None = None, addresses: AddressRule = "public") -> Origin:
    """Where ``dangjian probe`` / ``check`` may go: the crawl's own origin check, with the hosts and ports
    of the entry the probe writes (the start URL's domain without ``www.``, so that a redirect from x.gov.cn
    to www.x.gov.cn or back is followed; the start URL's port, 80 and 443 together), or of the entry checked.

    Never a link-local or cloud-metadata address, whatever is allowed: a probe fetches pages for a person
    to read, and 169.254.169.254 answers with the machine's credentials."""
    if site is not None:
        rule: AddressRule = "private" if site.allow_private_addresses else "public"
        return Origin(site.allowed_domains, site.allowed_ports, rule)
    domain = normal_host(urlsplit(url).hostname or "").removeprefix("www.")
    return Origin((domain,), default_ports([url]), "public" if addresses == "public" else "private")


def default_ports(urls: Iterable[str]) -> tuple[int, ...]:
    """The ports a site may use when its entry names none: its URLs' ports, plus 80 and 443 when one of
    them is on 80 or 443 (http → https upgrades)."""
    ports = {p for p in (effective_port(u) for u in urls) if p}
    if ports & {80, 443}:
        ports |= {80, 443}
    return tuple(sorted(ports))


def effective_port(url: str) -> int | None:
    """The TCP port a URL connects to (its explicit port, else the scheme's default); None if unknown."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    return port or DEFAULT_PORTS.get(parts.scheme.lower())
