"""The one name for China time: portals date their pages in it, the nightly runs at 02:00 in it, and
everything shown to a user (reports, exports, `dangjian show`) is converted to it. Storage keeps UTC."""

from __future__ import annotations

from zoneinfo import ZoneInfo

CHINA_TZ = ZoneInfo("Asia/Shanghai")
