"""The crawl's DNS resolver: refuses a public host name that resolves to a non-public address.

The DNS-rebinding decision (issue #13): the origin policy (crawlers/middlewares.py) checks names, but a
name is only as good as what it resolves to. A registry entry naming ``www.example.gov.cn`` must never get
the crawler to connect to 127.0.0.1, 10.x, 169.254.169.254 (cloud metadata) or any other address that is
not globally routable, whether the site's DNS was hijacked or an attacker controls a subdomain. So:

- an address that is not ``is_global`` (loopback, private, link-local, reserved, multicast, unspecified,
  shared 100.64/10, …) is refused, with a fetch-error record "host … resolves to non-public address …";
- unless the registry entry sets ``allow_private_addresses: true`` (intranet portals), which is also the
  default when every allowed domain is itself a loopback or private IP literal or ``localhost`` (the
  loopback replicas): the operator then asked for exactly that;
- the probe allows at most loopback and private addresses (``probe --allow-private``), never link-local
  or cloud metadata (``DANGJIAN_ADDRESS_RULE`` = ``private``);
- IP literals never reach a resolver (Twisted connects to them directly): the origin policy refuses them
  with the same rule (sites/origin.py); the check below holds for them too, should one arrive.

Checked after every lookup, cached or not, so a name whose answer changes mid-crawl is checked again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, cast, get_args

from scrapy.crawler import Crawler
from scrapy.resolver import CachingThreadedResolver
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

from sites.origin import AddressRule, address_allowed, address_kind

log = logging.getLogger(__name__)


# Names refused in this process → the address they resolved to. Twisted's name resolution turns any
# resolver failure into "could not be resolved" before Scrapy sees it (CannotResolveHostError), so the
# spider's errback looks the host up here to record the real reason (see refusal_reason).
REFUSED: dict[str, str] = {}


def refusal_reason(host: str) -> str | None:
    """The one-line reason if ``host`` was refused here for resolving to a non-public address."""
    address = REFUSED.get(host.lower().rstrip("."))
    if address is None:
        return None
    return f"host {host!r} resolves to non-public address {address}: refused (DNS rebinding)"


class PrivateAddressRefused(DNSLookupError):
    """A host name resolved to an address the site may not use; no connection was made.

    A DNSLookupError, so that Twisted's resolver machinery treats it as a failed lookup (a quiet
    "could not be resolved") instead of logging an unexpected exception at CRITICAL level.
    """

    def __init__(self, name: str, address: str) -> None:
        self.name = name
        self.address = address
        REFUSED[name.lower().rstrip(".")] = address
        super().__init__(refusal_reason(name))

    def __str__(self) -> str:
        return refusal_reason(self.name) or "refused (DNS rebinding)"


def non_public(address: str) -> bool:
    """Whether an address is anything but globally routable (an unparseable one counts as non-public)."""
    return address_kind(address) != "public"


ALLOW_SETTING = "DANGJIAN_ALLOW_PRIVATE_ADDRESSES"  # set by crawlers/run.py from the site's registry entry
RULE_SETTING = "DANGJIAN_ADDRESS_RULE"  # an AddressRule; set by the probe, wins over ALLOW_SETTING


def address_rule(settings: Any) -> AddressRule:
    """The process's address rule: RULE_SETTING if set, else any (ALLOW_SETTING true) or public."""
    rule = settings.get(RULE_SETTING) or ("any" if settings.getbool(ALLOW_SETTING, False) else "public")
    if rule not in get_args(AddressRule):
        raise ValueError(f"{RULE_SETTING} must be one of {get_args(AddressRule)}, got {rule!r}")
    return cast(AddressRule, rule)


class PublicAddressResolver(CachingThreadedResolver):
    """Scrapy's caching threaded resolver with the address check above (``TWISTED_DNS_RESOLVER``).

    Scrapy installs it once per process, from the process's settings (``crawler`` is the
    CrawlerProcess, not a Crawler): one crawl process crawls one site, so crawlers/run.py puts that
    site's ``allow_private_addresses`` into the settings as ``DANGJIAN_ALLOW_PRIVATE_ADDRESSES``.
    The refusal is counted by the spider's errback (stat dangjian/refused_private_address).
    """

    rule: AddressRule = "public"

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> PublicAddressResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.rule = address_rule(crawler.settings)
        return resolver

    def _lookup(self, name: str, timeout: Sequence[int]) -> Deferred[str]:
        """The real lookup (a resolver stub in tests overrides only this)."""
        return super().getHostByName(name, timeout)

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        deferred = self._lookup(name, timeout)
        deferred.addCallback(self._check, name)
        return deferred

    def _check(self, address: str, name: str) -> str:
        # No exception for IP literals: the origin policy refuses them by the same rule, this is the backstop.
        kind = address_kind(address)
        if kind is None or not address_allowed(kind, self.rule):
            log.warning("host %s resolves to non-public address %s: refused", name, address)
            raise PrivateAddressRefused(name, address)
        return address
