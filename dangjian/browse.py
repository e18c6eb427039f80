"""`dangjian browse` (`make browse`): Datasette over the SQLite corpus, read-only, on 127.0.0.1.

Datasette already does what a researcher's browser needs (tables with facets, canned queries with
forms, CSV/JSON of every page, SQL for those who want it); this module only points it at the database
with the project's queries (dangjian/browse.yaml) and plugin (dangjian/datasette_plugin.py).

Read-only: Datasette opens a database file it may not treat as immutable with ``mode=ro`` and offers no
write queries here. ``--immutable`` (Datasette's ``-i``) is for a copy that nothing writes to any more:
SQLite then skips locking, and also the WAL file, so on the live database (WAL mode, a nightly writer)
it would miss recent articles.

Datasette reads SQLite only: with PostgreSQL, see the README ("Browsing the corpus").
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from pathlib import Path

import yaml
from sqlalchemy.engine import make_url

from storage.db import database_url

METADATA_TEMPLATE = Path(__file__).with_name("browse.yaml")
TEMPLATES = Path(__file__).with_name("templates")  # overrides of Datasette's own templates
SQL_TIME_LIMIT_MS = 5000  # a one- or two-character search scans the texts (README: ~1 s at 100k articles)


def sqlite_file(url: str | None) -> Path:
    """The SQLite file behind ``url``, checked: it exists and carries the search index (migration 0006)."""
    resolved = make_url(database_url(url))
    if resolved.get_backend_name() != "sqlite":
        backend = resolved.get_backend_name()
        raise ValueError(f"the web view reads a SQLite file, not {backend}: see the README, 'Browsing the corpus'")
    path = Path(resolved.database or "")
    if not path.is_file():
        raise ValueError(f"no database at {path}: run `dangjian db upgrade` and an ingest first")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        has_index = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'articles_fts'").fetchone()
    if not has_index:
        raise ValueError(f"{path} has no search index: run `dangjian db upgrade`")
    return path


def metadata(path: Path) -> dict[str, object]:
    """browse.yaml under the name Datasette gives the database (the file's stem)."""
    template = yaml.safe_load(METADATA_TEMPLATE.read_text(encoding="utf-8"))
    name = path.stem
    description = template.pop("description_html").replace("{db}", f"/{name}")
    return {
        "title": template.pop("title"),
        "description_html": description,
        "databases": {name: template},
    }


def datasette_args(path: Path, metadata_file: Path, host: str, port: int, immutable: bool) -> list[str]:
    args = ["serve", "-i" if immutable else "", str(path), "--host", host, "--port", str(port)]
    args += ["--metadata", str(metadata_file), "--setting", "sql_time_limit_ms", str(SQL_TIME_LIMIT_MS)]
    args += ["--template-dir", str(TEMPLATES)]
    return [a for a in args if a]


def serve(url: str | None, host: str, port: int, immutable: bool = False) -> int:
    """Run Datasette in this process until interrupted."""
    from datasette.cli import cli
    from datasette.plugins import pm

    from dangjian import datasette_plugin

    path = sqlite_file(url)
    if not pm.is_registered(datasette_plugin):
        pm.register(datasette_plugin, name="dangjian")
    datasette_plugin.quiet_refusals()
    with tempfile.TemporaryDirectory(prefix="dangjian-browse-") as tmp:
        meta = Path(tmp) / "metadata.json"
        meta.write_text(json.dumps(metadata(path), ensure_ascii=False), encoding="utf-8")
        print(f"serving {path} read-only on http://{host}:{port}/{path.stem} (Ctrl-C stops)", flush=True)
        cli.main(datasette_args(path, meta, host, port, immutable), prog_name="datasette", standalone_mode=False)
    return 0
