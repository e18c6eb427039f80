"""Alerts through Prefect's own machinery: a webhook notification block and two automations.

- the nightly deployment's run ends Failed → a notification naming the run and its reason;
- a site brings nothing new for ``DANGJIAN_QUIET_RUNS`` completed runs in a row (its portal may have
  been redesigned) → the flow emits a ``dangjian.site.quiet`` event, and a notification follows.

``dangjian alerts --webhook-url URL`` (or ``make alerts WEBHOOK_URL=…``) creates or replaces them on the
server of PREFECT_API_URL. The webhook receives JSON ``{"subject": …, "body": …}``: chat tools
(DingTalk, WeCom, Feishu, Slack) take such posts through their incoming-webhook adapters.

The webhook is where Prefect's server will post, so it is checked like a crawl target (sites/origin.py):
http(s), no credentials, a host that is and resolves to public addresses only (loopback or private ones with
``allow_private``, link-local / cloud metadata never). The URL (its ``access_token=…`` or path token: the chat
tools' secret) goes into the block's secret field, which Prefect's API returns obfuscated; its query values
are masked in whatever is printed.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import cast
from urllib.parse import parse_qsl, urlsplit, urlunsplit
from uuid import UUID

from prefect.automations import Automation, EventTrigger, Posture
from prefect.blocks.notifications import CustomWebhookNotificationBlock
from prefect.client.orchestration import get_client
from prefect.events import emit_event
from prefect.events.actions import SendNotification
from prefect.types import SecretDict

from sites.origin import AddressRule, address_refusal, authority_refusal, effective_port, normal_host

BLOCK_NAME = "dangjian-alerts"
NIGHTLY_DEPLOYMENT = "ingest/nightly"
QUIET_EVENT = "dangjian.site.quiet"
FAILED_AUTOMATION = "dangjian: nightly run failed"
QUIET_AUTOMATION = "dangjian: site quiet"


def quiet_runs_threshold() -> int:
    """Completed runs in a row without a new article after which a site counts as quiet (default 3)."""
    return max(1, int(os.environ.get("DANGJIAN_QUIET_RUNS", "3") or 3))


def emit_site_quiet(site: str, runs: int) -> None:
    """The event the quiet-site automation reacts to; emitted from inside the flow run, which Prefect
    adds as a related resource."""
    emit_event(
        event=QUIET_EVENT,
        resource={"prefect.resource.id": f"dangjian.site.{site}", "prefect.resource.name": site},
        payload={"site": site, "runs": runs},
    )


URL_SECRET = "dangjian_webhook_url"  # the block's secret holding the whole webhook URL


class WebhookRefused(ValueError):
    """The webhook URL is not one Prefect's server may be told to post to; the message says why."""


def masked(url: str) -> str:
    """``url`` with every query value (and any fragment) replaced by ``***``: safe to print or log."""
    parts = urlsplit(url)
    query = "&".join(f"{key}=***" for key, _ in parse_qsl(parts.query, keep_blank_values=True))
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, query, "***" if parts.fragment else ""))


def _addresses(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal: itself, no lookup)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise WebhookRefused(f"webhook host {host!r} does not resolve: {exc.strerror or exc}") from exc
    return sorted({str(info[4][0]) for info in infos})


def check_webhook(url: str, allow_private: bool = False) -> None:
    """Refuse (WebhookRefused) a webhook that is not http(s), carries credentials or is, or resolves to,
    a non-public address; ``allow_private``: loopback and private addresses pass (never link-local)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookRefused(f"--webhook-url must be an http(s) URL, got {masked(url)!r}")
    ambiguous = authority_refusal(parts)
    if ambiguous:
        raise WebhookRefused(f"--webhook-url: {ambiguous}")
    port = effective_port(url)
    if port is None:
        raise WebhookRefused(f"--webhook-url has an invalid port: {masked(url)!r}")
    rule: AddressRule = "private" if allow_private else "public"
    host = normal_host(parts.hostname)
    for address in _addresses(host, port):
        what = address_refusal(address, rule)
        if what:
            hint = "" if "link-local" in what else " (pass --allow-private for a receiver on this machine or intranet)"
            shown = host if address == host else f"{host} ({address})"
            raise WebhookRefused(f"webhook host {shown} is {what}: refused{hint}")


def _block(webhook_url: str, allow_private: bool) -> CustomWebhookNotificationBlock:
    """The notification block. The whole URL lives in its secrets and its url is only the placeholder,
    substituted when it posts: chat tools put the token in the query (DingTalk ``access_token``, WeCom
    ``key``) or in the path (Feishu, Slack), and Prefect's API shows secrets obfuscated."""
    url = "{{" + URL_SECRET + "}}"
    secrets = {URL_SECRET: webhook_url}
    return CustomWebhookNotificationBlock(
        name=BLOCK_NAME,
        url=url,
        method="POST",
        json_data={"subject": "{{subject}}", "body": "{{body}}"},
        headers=None,
        cookies=None,
        secrets=SecretDict(secrets),
        allow_private_urls=allow_private,  # Prefect checks (and pins) the address again when it posts
    )


@dataclass
class AlertsSetup:
    block_id: UUID
    automation_ids: list[UUID]


def setup_alerts(webhook_url: str, allow_private: bool = False) -> AlertsSetup:
    """Create (or replace) the notification block and both automations; idempotent.

    The webhook is checked first (WebhookRefused), before anything is sent to the Prefect server."""
    check_webhook(webhook_url, allow_private)
    block = _block(webhook_url, allow_private)
    # Prefect's sync/async dispatch hides the sync return types from mypy: these calls are synchronous here.
    block_id = cast(UUID, block.save(BLOCK_NAME, overwrite=True))
    with get_client(sync_client=True) as client:
        nightly = client.read_deployment_by_name(NIGHTLY_DEPLOYMENT)
        for name in (FAILED_AUTOMATION, QUIET_AUTOMATION):
            for old in client.read_automations_by_name(name):
                client.delete_automation(old.id)
    failed = _create(
        Automation(
            name=FAILED_AUTOMATION,
            description="The nightly ingest run ended Failed (every site failed, or the run was rejected).",
            trigger=EventTrigger(
                expect={"prefect.flow-run.Failed"},
                match_related={"prefect.resource.id": f"prefect.deployment.{nightly.id}"},
                posture=Posture.Reactive,
                threshold=1,
            ),
            actions=[
                SendNotification(
                    block_document_id=block_id,
                    subject="dangjian-ingest: nightly run {{ flow_run.name }} failed",
                    body="{{ flow_run.name }} ended Failed: {{ flow_run.state.message }}",
                )
            ],
        )
    )
    quiet = _create(
        Automation(
            name=QUIET_AUTOMATION,
            description="A site brought nothing new for several completed runs in a row: has its portal changed?",
            trigger=EventTrigger(
                expect={QUIET_EVENT},
                match={"prefect.resource.id": "dangjian.site.*"},
                posture=Posture.Reactive,
                threshold=1,
            ),
            actions=[
                SendNotification(
                    block_document_id=block_id,
                    subject="dangjian-ingest: {{ event.payload.site }} quiet for {{ event.payload.runs }} runs",
                    body="{{ event.payload.site }}: {{ event.payload.runs }} completed runs in a row without a new "
                    "article. Check its list page with `dangjian crawl --site {{ event.payload.site }}`.",
                )
            ],
        )
    )
    return AlertsSetup(block_id, [failed, quiet])


def _create(automation: Automation) -> UUID:
    created = cast(Automation, automation.create())
    assert created.id is not None
    return created.id
