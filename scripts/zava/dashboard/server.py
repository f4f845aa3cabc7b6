"""The dashboard's HTTP side, on the standard library: the page, a JSON API, writes and the live feed.

    GET  /                                   the page (static/index.html; ?store=ID picks the store)
    GET  /static/NAME                        app.js, style.css
    GET  /api/stores                         the chain's stores and the one shown first
    GET  /api/stores/ID                      everything the page shows first: figures, inventory, orders
    GET  /api/stores/ID/summary              the key figures and the 30-day revenue series
    GET  /api/stores/ID/events               the live feed (text/event-stream)
    GET  /api/orders/ID/items                an order's items
    POST /api/stores/ID/inventory/PRODUCT    {"stock_level": N}
    POST /api/orders/ID/status               {"status": "shipped" | "completed"}

Every answer is JSON; a refused request gets 400, 404 or 409 with {"error": message} and writes
nothing. One thread serves each request, so each listening page holds one thread and its streams.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from pymongo.errors import PyMongoError

from zava.dashboard.data import Dashboard, Rejected, store_list
from zava.dashboard.live import RETRY_MS, store_feed

STATIC = Path(__file__).resolve().parent / "static"
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css"}
MAX_BODY = 10_000  # bytes of a write request
ID = r"([A-Za-z0-9_-]{1,64})"


class DashboardServer(ThreadingHTTPServer):
    """A threaded HTTP server that holds the dashboard and a flag that ends the live feeds."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], dashboard: Dashboard, default_store: str = "store_seattle") -> None:
        super().__init__(address, Handler)
        self.dashboard = dashboard
        self.default_store = default_store
        self.stopping = threading.Event()

    def shutdown(self) -> None:
        self.stopping.set()
        super().shutdown()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"


class Handler(BaseHTTPRequestHandler):
    server: DashboardServer
    server_version = "ZavaDashboard"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # quiet: the script prints one line when it starts

    # ------------------------------------------------------------ answers

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload, separators=(",", ":")).encode(), "application/json")

    def _answer(self, work: Callable[[], Any], status: int = 200) -> None:
        try:
            result = work()
        except Rejected as exc:
            self._json(exc.status, {"error": str(exc)})
        except PyMongoError as exc:
            self._json(503, {"error": f"MongoDB error: {str(exc).splitlines()[0][:200]}"})
        else:
            self._json(status, result)

    def _static(self, name: str) -> None:
        path = STATIC / name
        if path.suffix not in CONTENT_TYPES or not path.is_file():
            self._json(404, {"error": f"no such page {self.path}"})
            return
        self._send(200, path.read_bytes(), CONTENT_TYPES[path.suffix])

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_BODY:
            raise Rejected(400, "send a JSON object as the request body")
        try:
            body = json.loads(self.rfile.read(length))
        except (ValueError, UnicodeDecodeError):
            raise Rejected(400, "the request body is not JSON") from None
        if not isinstance(body, dict):
            raise Rejected(400, "send a JSON object as the request body")
        return body

    # ------------------------------------------------------------ routes

    def do_GET(self) -> None:  # noqa: N802 - the base class's name
        path = unquote(urlsplit(self.path).path)
        dashboard = self.server.dashboard
        if path in ("/", "/index.html"):
            self._static("index.html")
        elif m := re.fullmatch(r"/static/([a-z]+\.[a-z]+)", path):
            self._static(m.group(1))
        elif path == "/favicon.ico":
            self._send(204, b"", "image/x-icon")
        elif path == "/api/stores":
            self._json(200, {"default_store": self.server.default_store, "stores": store_list()})
        elif m := re.fullmatch(rf"/api/stores/{ID}", path):
            self._answer(lambda: dashboard.page(m.group(1)))
        elif m := re.fullmatch(rf"/api/stores/{ID}/summary", path):
            self._answer(lambda: dashboard.summary(m.group(1)))
        elif m := re.fullmatch(rf"/api/stores/{ID}/events", path):
            self._events(m.group(1), parse_qs(urlsplit(self.path).query).get("last_event_id", [None])[0])
        elif m := re.fullmatch(rf"/api/orders/{ID}/items", path):
            self._answer(lambda: dashboard.order_items(m.group(1)))
        else:
            self._json(404, {"error": f"no such page {path}"})

    def do_POST(self) -> None:  # noqa: N802 - the base class's name
        path = unquote(urlsplit(self.path).path)
        dashboard = self.server.dashboard
        if m := re.fullmatch(rf"/api/stores/{ID}/inventory/{ID}", path):
            store_id, product_id = m.groups()
            self._answer(lambda: dashboard.set_stock(store_id, product_id, self._body().get("stock_level")))
        elif m := re.fullmatch(rf"/api/orders/{ID}/status", path):
            self._answer(lambda: dashboard.move_order(m.group(1), self._body().get("status")))
        else:
            self._json(404, {"error": f"no such page {path}"})

    def _events(self, store_id: str, last_event_id: str | None) -> None:
        """The live feed; it resumes after the browser's Last-Event-ID (or ?last_event_id= from a new page)."""
        resume = self.headers.get("Last-Event-ID") or last_event_id
        feed = store_feed(self.server.dashboard, store_id, resume, self.server.stopping.is_set)
        try:
            first = next(feed)
        except Rejected as exc:
            self._json(exc.status, {"error": str(exc)})
            return
        except PyMongoError as exc:
            self._json(503, {"error": f"MongoDB error: {str(exc).splitlines()[0][:200]}"})
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            self.wfile.write(f"retry: {RETRY_MS}\n\n".encode() + first.encode())
            self.wfile.flush()
            for event in feed:
                self.wfile.write(event.encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, PyMongoError):
            pass  # the page went away, or the server did: the browser reconnects and resumes
        finally:
            feed.close()
