"""`dangjian show URL|ID|SEED`: an article (or a seed file) and every copy folded into it, as plain text.

Read-only: it never migrates the database. A database behind the code's schema is reported with the
command that brings it up to date, since the queries would otherwise fail on a missing table.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from dangjian.terminal import line
from steps.chinatime import CHINA_TZ
from steps.urls import canonical_url, storage_key
from storage.clusters import Cluster, find_cluster
from storage.db import database_url, make_engine, session_scope
from storage.migrate import alembic_config, current_revision


class ShowError(ValueError):
    """An expected user error: printed as one line by the CLI."""


def china_time(value: datetime | None, with_time: bool = True) -> str:
    if value is None:
        return "-"
    local = value.astimezone(CHINA_TZ)
    return local.strftime("%Y-%m-%d %H:%M +08:00") if with_time else local.strftime("%Y-%m-%d")


def check_schema(url: str) -> None:
    """Refuse (with what to run) a database that does not exist or is behind this code's schema."""
    resolved = make_url(url)
    is_file = resolved.get_backend_name() == "sqlite" and resolved.database not in (None, "", ":memory:")
    if is_file and not Path(str(resolved.database)).exists():
        raise ShowError(f"no database at {resolved.database}: run `dangjian db upgrade` or an ingest first")
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    current = current_revision(url)
    if current != head:
        raise ShowError(f"database at schema revision {current}, this version needs {head}: run `dangjian db upgrade`")


def format_cluster(cluster: Cluster) -> str:
    """The cluster as lines of text; every crawled field through terminal.line (it is printed as is)."""
    c = cluster.canonical
    if c.kind == "article":
        lines = [
            f"{line(c.label)}  {line(c.title or '(no title)')}",
            f"  published  {china_time(c.published_at, with_time=False)} (China time)",
            f"  site       {line(c.site)}",
            f"  source     {line(c.source or '-')}",
            f"  url        {line(c.url)}",
            f"  stored     {china_time(c.fetched_at)}",
        ]
    else:
        lines = [f"seed file {line(c.label)}", f"  indexed    {china_time(c.fetched_at)}"]
    lines.append(f"folded into it: {len(cluster.copies)} cop{'y' if len(cluster.copies) == 1 else 'ies'}")
    for copy in cluster.copies:
        lines.append(
            f"  - {line(copy.url)}" + (f"  {line(copy.title)}" if copy.title else "") + "\n"
            f"      site {line(copy.site)}  layer {copy.layer}  similarity {copy.similarity:.2f}  "
            f"recorded {china_time(copy.recorded_at)}"
            + (f"  run {copy.run_id}" if copy.run_id else "")
            + (f"\n      matched {line(copy.detail)}" if copy.detail else "")
        )
    return "\n".join(lines)


def show(key: str, url: str | None = None) -> str:
    """The cluster of ``key`` (article id, article or copy URL, seed file name) as text; ShowError if unknown."""
    url = database_url(url)
    check_schema(url)
    stored_key = None
    if "://" in key:
        try:
            stored_key = storage_key(canonical_url(key))
        except ValueError:
            stored_key = None
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            cluster = find_cluster(session, key.strip(), stored_key)
    finally:
        engine.dispose()
    if cluster is None:
        raise ShowError(f"no article, duplicate or seed file known as {key}")
    return format_cluster(cluster)
