"""A real HTTP server for the replica portal, on 127.0.0.1 and a free port.

Serves replica/site/ as files, with the per-path overrides of routes.json
(a status code to answer with, a Content-Type to send), and counts requests
per path so tests can see what the crawler fetched and what it did not.
"""

from __future__ import annotations

import argparse
import json
import threading
from collections import Counter
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
DEFAULT_ROOT = HERE / "site"
DEFAULT_ROUTES = HERE / "routes.json"


class _Handler(SimpleHTTPRequestHandler):
    server: _ReplicaHTTPServer

    def __init__(self, request: Any, client_address: Any, server: _ReplicaHTTPServer) -> None:
        super().__init__(request, client_address, server, directory=str(server.root))

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read request_counts instead

    def guess_type(self, path: Any) -> str:
        guessed = super().guess_type(path)
        if guessed == "text/html":
            return "text/html; charset=utf-8"
        return guessed

    def send_head(self) -> Any:
        path = urlsplit(self.path).path
        self.server.count(path)
        route = self.server.routes.get(path, {})
        if "status" in route:
            self.send_error(int(route["status"]), HTTPStatus(int(route["status"])).phrase)
            return None
        if "content_type" in route:
            file = Path(self.translate_path(self.path))
            if file.is_file():
                data = file.open("rb")
                self.send_response(200)
                self.send_header("Content-Type", route["content_type"])
                self.send_header("Content-Length", str(file.stat().st_size))
                self.end_headers()
                return data
        return super().send_head()


class _ReplicaHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], root: Path, routes: dict[str, dict[str, Any]]) -> None:
        self.root = root
        self.routes = routes
        self.request_counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        super().__init__(address, _Handler)

    def count(self, path: str) -> None:
        with self._lock:
            self.request_counts[path] += 1


class ReplicaServer:
    """``with ReplicaServer() as srv: srv.base_url`` — the replica portal, served until the block ends."""

    def __init__(
        self, root: Path = DEFAULT_ROOT, host: str = "127.0.0.1", port: int = 0, routes: Path | None = DEFAULT_ROUTES
    ) -> None:
        table = json.loads(routes.read_text(encoding="utf-8")) if routes and routes.exists() else {}
        self._httpd = _ReplicaHTTPServer((host, port), root, table)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="replica-server", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def request_counts(self) -> Counter[str]:
        with self._httpd._lock:
            return Counter(self._httpd.request_counts)

    def start(self) -> ReplicaServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ReplicaServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the replica portal on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    args = parser.parse_args(argv)
    server = ReplicaServer(args.root, port=args.port).start()
    print(f"serving {args.root} at {server.base_url}/djgz/index.html (Ctrl-C stops)")
    try:
        server._thread.join()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
