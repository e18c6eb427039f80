"""Alerts through Prefect's own machinery: a webhook notification block and two automations.

- the nightly deployment's run ends Failed → a notification naming the run and its reason;
- a site brings nothing new for ``DANGJIAN_QUIET_RUNS`` completed runs in a row (its portal may have
  been redesigned) → the flow emits a ``dangjian.site.quiet`` event, and a notification follows.

``dangjian alerts --webhook-url URL`` (or ``make alerts WEBHOOK_URL=…``) creates or replaces them on the
server of PREFECT_API_URL. The webhook receives JSON ``{"subject": …, "body": …}``: chat tools
(DingTalk, WeCom, Feishu, Slack) take such posts through their incoming-webhook adapters.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import cast
from uuid import UUID

from prefect.automations import Automation, EventTrigger, Posture
from prefect.blocks.notifications import CustomWebhookNotificationBlock
from prefect.client.orchestration import get_client
from prefect.events import emit_event
from prefect.events.actions import SendNotification

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


@dataclass
class AlertsSetup:
    block_id: UUID
    automation_ids: list[UUID]


def setup_alerts(webhook_url: str) -> AlertsSetup:
    """Create (or replace) the notification block and both automations; idempotent."""
    block = CustomWebhookNotificationBlock(
        name=BLOCK_NAME,
        url=webhook_url,
        method="POST",
        json_data={"subject": "{{subject}}", "body": "{{body}}"},
        headers=None,
        cookies=None,
    )
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
