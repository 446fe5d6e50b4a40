"""A stand-in for the stack's web server: serves web/dist and proxies /api/* to the API with the prefix stripped.

Used only while `LocalStack` has no `web_url` of its own (the serving contract); same behaviour: SPA fallback to
index.html for unknown non-/api paths.
"""

from __future__ import annotations

import mimetypes
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-encoding", "content-length", "host"}


def make_handler(dist: Path, api_url: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet test output
            pass

        def _proxy(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            try:
                # A fresh connection per request: chalice local answers kept-alive connections slowly.
                upstream = requests.request(
                    self.command, api_url + self.path[len("/api") :], data=body, headers=headers, timeout=60
                )
            except requests.RequestException:
                self.send_error(502)
                return
            payload = upstream.content
            self.send_response(upstream.status_code)
            for key, value in upstream.headers.items():
                if key.lower() not in HOP_HEADERS:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _static(self) -> None:
            path = self.path.split("?", 1)[0]
            target = (dist / path.lstrip("/")).resolve()
            if not target.is_file() or dist.resolve() not in target.parents:
                target = dist / "index.html"
            payload = target.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", mimetypes.guess_type(target.name)[0] or "application/octet-stream")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-store" if target.name == "index.html" else "max-age=3600")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        def _route(self) -> None:
            if self.path == "/api" or self.path.startswith("/api/"):
                self._proxy()
            else:
                self._static()

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _route

    return Handler


class WebServer:
    def __init__(self, dist: Path, api_url: str) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(dist, api_url))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> WebServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
