"""A real HTTP server for the replica portal, on 127.0.0.1 and a free port.

Serves replica/site/ as static files, like the web server in front of a TRS
CMS, with the per-path overrides of routes.json (a status code to answer with,
a Content-Type to send — that is how the GBK page gets its ``charset=GBK``
header and how one listed article fails with 500). It counts requests per path
so tests can see what the crawler fetched and, as important, what it did not.

``python -m replica.server [--port N] [--root DIR]`` serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from collections import Counter
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Self
from urllib.parse import unquote, urlsplit

HERE = Path(__file__).resolve().parent
DEFAULT_ROOT = HERE / "site"
DEFAULT_ROUTES = HERE / "routes.json"
HTML_TYPE = "text/html; charset=utf-8"


def load_routes(path: Path | None) -> dict[str, dict[str, Any]]:
    """routes.json: ``{"/path": {"status": 500} | {"content_type": "text/html; charset=GBK"}}``."""
    if path is None or not path.exists():
        return {}
    table: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return table


class _Handler(SimpleHTTPRequestHandler):
    server: _ReplicaHTTPServer

    def __init__(self, request: Any, client_address: Any, server: _ReplicaHTTPServer) -> None:
        super().__init__(request, client_address, server, directory=str(server.root))

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read request_counts instead of stderr

    def guess_type(self, path: Any) -> str:
        guessed = super().guess_type(path)
        return HTML_TYPE if guessed == "text/html" else guessed

    def list_directory(self, path: Any) -> None:
        # A CMS front end does not list directories; an unknown path is simply not there.
        self.send_error(HTTPStatus.NOT_FOUND, "File not found")
        return None

    def send_head(self) -> BinaryIO | None:
        path = unquote(urlsplit(self.path).path)
        self.server.count(path)
        route = self.server.routes.get(path, {})
        if "status" in route:
            status = HTTPStatus(int(route["status"]))
            self.send_error(status, status.phrase)
            return None
        if "content_type" in route:
            file = Path(self.translate_path(self.path))
            if file.is_file():
                data = file.read_bytes()
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", str(route["content_type"]))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                return BytesIO(data)
        head: BinaryIO | None = super().send_head()
        return head


class _ReplicaHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], root: Path, routes: dict[str, dict[str, Any]]) -> None:
        self.root = root
        self.routes = routes
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        super().__init__(address, _Handler)

    def count(self, path: str) -> None:
        with self.lock:
            self.counts[path] += 1


class BackgroundServer:
    """An HTTP server on a daemon thread: bound when constructed, served from ``start()`` until ``stop()``.

    Binding at construction makes ``base_url`` known before ``start()``; the daemon
    thread means a test that forgets ``stop()`` cannot hang the interpreter.
    """

    def __init__(self, httpd: ThreadingHTTPServer, name: str) -> None:
        self._httpd = httpd
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=name, daemon=True)
        self._started = False
        self._stopped = False

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        if not self._started:
            self._started = True
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket; safe to call twice or before start()."""
        if self._stopped:
            return
        self._stopped = True
        if self._started:
            self._httpd.shutdown()  # returns once serve_forever has left its loop
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def wait(self) -> None:
        """Block until the server is stopped (Ctrl-C in the commands that serve it)."""
        while self._thread.is_alive():
            self._thread.join(timeout=0.5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class ReplicaServer(BackgroundServer):
    """``with ReplicaServer() as srv: srv.base_url`` — the replica portal, served until the block ends.

    Binds ``host`` (127.0.0.1) on ``port`` (0: a free one, chosen by the OS) when
    constructed, so ``base_url`` is known before ``start()``; serves from a daemon
    thread, so a test that forgets ``stop()`` cannot hang the interpreter.
    """

    def __init__(
        self,
        root: Path = DEFAULT_ROOT,
        host: str = "127.0.0.1",
        port: int = 0,
        routes: Path | None = DEFAULT_ROUTES,
    ) -> None:
        self.root = Path(root)
        self._httpd: _ReplicaHTTPServer = _ReplicaHTTPServer((host, port), self.root, load_routes(routes))
        super().__init__(self._httpd, "replica-server")

    @property
    def request_counts(self) -> dict[str, int]:
        """Requests per URL path so far (a snapshot; GET and HEAD alike, whatever the answer was)."""
        with self._httpd.lock:
            return dict(self._httpd.counts)

    def reset_counts(self) -> None:
        with self._httpd.lock:
            self._httpd.counts.clear()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the replica party-building portal on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (0: any free port); default 8000")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="directory to serve; default replica/site")
    args = parser.parse_args(argv)
    server = ReplicaServer(args.root, port=args.port).start()
    # `kill` (SIGTERM, e.g. from a CI job or a Makefile) stops it as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: server.stop())
    print(server.base_url, flush=True)
    print(f"serving {args.root} — start page {server.base_url}/djgz/index.html (Ctrl-C stops)", flush=True)
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
