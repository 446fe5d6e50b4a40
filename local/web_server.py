"""The local stand-in for CloudFront: the built web app and the API behind one origin.

`/api/*` is forwarded to the Chalice API with the `/api` prefix removed (on AWS the API Gateway stage is named
`api`, so CloudFront forwards the same paths unchanged); every other GET serves a file from `web/dist`, and paths
that name no file get `index.html` so the single-page app's own routes survive a reload.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import mimetypes
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

API_PREFIX = "/api"
# Hop-by-hop headers (RFC 9110 7.6.1) are never forwarded; the proxy sets its own framing.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}
MAX_BODY = 20 * 1024 * 1024


def make_handler(root: Path, api_url: str) -> type[BaseHTTPRequestHandler]:
    api = urlsplit(api_url)
    root = root.resolve()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in {**SECURITY_HEADERS, **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _proxy(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._send(  # the status and code the API gives a body over its own limit (docs/API.md)
                    400,
                    b'{"error":{"code":"request.body_too_large","message":"The request body is too large."}}',
                    {"Content-Type": "application/json"},
                )
                return
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            connection = http.client.HTTPConnection(api.hostname, api.port, timeout=60)
            try:
                connection.request(self.command, self.path[len(API_PREFIX) :] or "/", body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                forwarded = {k: v for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP}
            except OSError:
                payload = b'{"error":{"code":"api.unreachable","message":"The API is not reachable."}}'
                self._send(502, payload, {"Content-Type": "application/json"})
                return
            finally:
                connection.close()
            self._send(response.status, payload, forwarded)

        def _static(self) -> None:
            path = urlsplit(self.path).path
            candidate = (root / path.lstrip("/")).resolve()
            if not candidate.is_relative_to(root) or not candidate.is_file():
                candidate = root / "index.html"
            if not candidate.is_file():
                self._send(503, b"The web app is not built: run `make web`.", {"Content-Type": "text/plain"})
                return
            content_type = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
            # Vite names built assets by content hash: cache them for good, never the page that lists them.
            cache = "public, max-age=31536000, immutable" if "/assets/" in path else "no-cache"
            self._send(200, candidate.read_bytes(), {"Content-Type": content_type, "Cache-Control": cache})

        def _route(self) -> None:
            if self.path == API_PREFIX or self.path.startswith(API_PREFIX + "/"):
                self._proxy()
            elif self.command in ("GET", "HEAD"):
                self._static()
            else:
                self._send(405, b"", {"Allow": "GET, HEAD"})

        do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _route

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api", required=True, help="the Chalice API's base URL")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1] / "web" / "dist")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(args.root, args.api))
    server.daemon_threads = True
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C in `make run` stops the whole group quietly
        server.serve_forever()


if __name__ == "__main__":
    main()
