"""A real HTTP server on loopback that records the JSON bodies POSTed to it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookReceiver:
    def __init__(self, path: str = "/hook") -> None:
        posts: list[dict] = []
        self.posts = posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server hook
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                posts.append(json.loads(body or b"{}"))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{path}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
