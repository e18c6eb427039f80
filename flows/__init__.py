"""The Prefect layer: flows, tasks, deployments' entry points. The work itself is in process/ and crawlers/.

Prefect reads its settings once, when it is first imported, so the defaults the project needs are set
here, before any module of this package imports it (an explicit environment variable still wins).
"""

import os

# No telemetry from a crawler of government sites, and none of its failed lookups on a machine offline.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# Without a server (`make run`, `dangjian ingest`), Prefect starts a temporary API and waits 20 s for it
# by default; on a busy 2-core machine it was measured starting in 21.5 s, and a first run then died with
# "Timed out while attempting to connect to ephemeral Prefect API server".
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
