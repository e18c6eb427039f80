"""Datasette plugin for the web view: the query folding of `dangjian search`, and links between pages.

- ``dangjian_fold(q)``: the phrase folded like the stored texts (steps.normalize.normalize_text), so the
  search page finds a simplified text from a traditional query and the reverse;
- ``dangjian_fts_phrase(q)``: the same, quoted as one FTS5 phrase (storage.search.fts5_phrase);
- cells of an ``article`` column link to that article's reading page (dangjian/reading.py, two routes),
  ``month`` cells to that month's articles;
- a refused request (a write or invalid SQL on the query page, a 403, a 404) is one line in the server's
  log. Datasette's own handler prints every exception with rich, locals included (~130 lines for one
  refused query: anyone who can reach the page floods the log); ``quiet_refusals`` turns that off, and a
  real server error (500) still gets Python's plain traceback from the same handler.
"""

from __future__ import annotations

import sys
from typing import Any
from urllib.parse import urlencode

from datasette import Forbidden, NotFound, Response, hookimpl
from markupsafe import Markup, escape

from dangjian import reading
from dangjian.terminal import line
from steps.normalize import normalize_text
from storage.search import fts5_phrase


def fold(query: str | None) -> str:
    if not query:
        return ""
    return normalize_text(query).text_normalized.replace("\n", " ").strip()


def fts_phrase(query: str | None) -> str:
    return fts5_phrase(fold(query))


@hookimpl
def prepare_connection(conn: Any) -> None:
    conn.create_function("dangjian_fold", 1, fold, deterministic=True)
    conn.create_function("dangjian_fts_phrase", 1, fts_phrase, deterministic=True)


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Markup | None:
    if table is not None:  # only the canned queries' columns
        return None
    base = datasette.urls.database(database)
    if column == "article" and isinstance(value, int):
        return Markup(f'<a href="{base}/read/{value}">{value}</a>')
    # sqlite3.Row: `in row` looks at the values, `row.keys()` at the column names.
    if column == "month" and isinstance(value, str) and "site" in row.keys():  # noqa: SIM118
        query = urlencode({"site": row["site"], "month": value})
        return Markup(f'<a href="{base}/by_month?{query}">{escape(value)}</a>')
    return None


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/(?P<database>[^/]+)/read/(?P<id>[0-9]+)$", read_article),
        (r"^/(?P<database>[^/]+)/read/(?P<site>[^/]+)/(?P<month>[0-9]{4}-[0-9]{2}|undated)$", read_month),
    ]


async def _database(datasette: Any, request: Any) -> tuple[str, Any]:
    name = request.url_vars["database"]
    try:
        db = datasette.get_database(name)
    except KeyError as exc:
        raise NotFound(f"no database {name}") from exc
    if not await datasette.permission_allowed(request.actor, "view-database", name, default=True):
        raise Forbidden("view-database")
    return name, db


async def _render(datasette: Any, request: Any, name: str, page: reading.ReadingPage) -> Response:
    context = {**page.context, "database": name}
    return Response.html(await datasette.render_template(page.template, context, request=request))


async def read_article(datasette: Any, request: Any) -> Response:
    name, db = await _database(datasette, request)
    page = await reading.article_page(db, int(request.url_vars["id"]))
    if page is None:
        raise NotFound(f"no article {request.url_vars['id']}")
    return await _render(datasette, request, name, page)


async def read_month(datasette: Any, request: Any) -> Response:
    name, db = await _database(datasette, request)
    page = await reading.month_page(db, request.url_vars["site"], request.url_vars["month"])
    return await _render(datasette, request, name, page)


def quiet_refusals() -> None:
    """Stop Datasette's default exception handler printing rich tracebacks with locals (it checks its
    module's ``rich`` at each call); refusals are then logged by ``handle_exception`` below."""
    import datasette.handle_exception as default_handler

    default_handler.rich = None


@hookimpl
def handle_exception(datasette: Any, request: Any, exception: BaseException) -> None:
    """One log line per refused request; the default handler (called after this one) renders the page."""
    status = getattr(exception, "status", 500)
    if not isinstance(status, int) or status >= 500:
        return None  # a bug: the default handler prints its traceback
    message = getattr(exception, "message", None) or (exception.args[0] if exception.args else type(exception).__name__)
    query = f"?{request.query_string}" if request.query_string else ""
    print(
        f"refused {request.method} {line(request.path + query)}: {status} {line(message)}", file=sys.stderr, flush=True
    )
    return None
