"""`dangjian alerts`: notify a webhook when the nightly fails or a site goes quiet (Prefect)."""

from __future__ import annotations

import argparse
import os

from dangjian.commands.common import PrefectUnavailable


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("alerts", help="notify a webhook when the nightly fails or a site goes quiet (Prefect)")
    p.add_argument("--webhook-url", required=True, help="URL that receives POSTed JSON {subject, body}")
    p.add_argument(
        "--allow-private",
        action="store_true",
        help="allow a webhook on a loopback or private address (never link-local/metadata)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Create the alert notification block and automations on the Prefect server of PREFECT_API_URL."""
    api = os.environ.get("PREFECT_API_URL")
    if not api:
        raise ValueError(
            "alerts live on a Prefect server: start `make server` and set PREFECT_API_URL (or `make alerts`)"
        )
    import httpx
    from prefect.exceptions import ObjectNotFound

    from flows.alerts import masked, setup_alerts

    try:
        done = setup_alerts(args.webhook_url, allow_private=args.allow_private)
    except ObjectNotFound as exc:
        raise ValueError("the nightly deployment is not on this server: run `make deploy` first") from exc
    except httpx.TransportError as exc:  # connection refused, DNS, timeout: a sentence, not 87 lines
        raise PrefectUnavailable(f"no Prefect server answers at PREFECT_API_URL={api} ({exc})") from exc
    print(f"notification block dangjian-alerts ({done.block_id}) posts to {masked(args.webhook_url)}")
    print(f"automations: {', '.join(str(i) for i in done.automation_ids)} (nightly failed, site quiet)")
    return 0
