"""The dashboard's HTTP side, on the standard library: the page, a JSON API, writes and the live feed.

    GET  /                                   the page (static/index.html; ?store=ID picks the store)
    GET  /static/NAME                        app.js, style.css
    GET  /api/stores                         the chain's stores, the one shown first, whether writes are served
    GET  /api/stores/ID                      everything the page shows first: figures, inventory, orders
    GET  /api/stores/ID/summary              the key figures and the 30-day revenue series
    GET  /api/stores/ID/events               the live feed (text/event-stream)
    GET  /api/orders/ID/items                an order's items
    POST /api/stores/ID/inventory/PRODUCT    {"stock_level": N}             (not with read_only)
    POST /api/orders/ID/status               {"status": "shipped" | "completed"}  (not with read_only)

Every request must name the Host the server serves (zava/dashboard/access.py); with a token, every /api/ request
carries it; a write must be JSON from the page's own origin. Every answer carries the security headers and no
CORS header. A refused request gets 4xx or 503 with {"error": message} and writes nothing. One thread serves each
connection, at most max_viewers + SPARE_CONNECTIONS at once; a listening page holds one, and shares its store's
change streams with the store's other pages (live.py).
"""

from __future__ import annotations

import contextlib
import json
import re
import select
import socket
import threading
from collections.abc import Callable, Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from pymongo.errors import PyMongoError

from zava.dashboard.access import SECURITY_HEADERS, Gate
from zava.dashboard.data import Dashboard, Rejected, store_list
from zava.dashboard.live import MAX_VIEWERS, RETRY_MS, Channel, Hub, feed, mongo_error

STATIC = Path(__file__).resolve().parent / "static"
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css"}
MAX_BODY = 10_000  # bytes of a write request
SPARE_CONNECTIONS = 50  # connections beyond the live pages, for the page's other requests
ID = r"([A-Za-z0-9_-]{1,64})"


class DashboardServer(ThreadingHTTPServer):
    """A threaded HTTP server holding the dashboard, its gate, its live channels and a flag that ends them."""

    daemon_threads = True
    request_queue_size = 128  # connections waiting to be accepted: many pages reconnect at once after a restart

    def __init__(
        self,
        address: tuple[str, int],
        dashboard: Dashboard,
        default_store: str = "store_seattle",
        token: str | None = None,
        read_only: bool = False,
        max_viewers: int = MAX_VIEWERS,
    ) -> None:
        super().__init__(address, Handler)
        self.dashboard = dashboard
        self.default_store = default_store
        self.read_only = read_only
        self.gate = Gate(address[0], self.server_address[1], token)
        self.stopping = threading.Event()
        self.hub = Hub(dashboard, self.stopping, max_viewers)
        self.max_connections = max_viewers + SPARE_CONNECTIONS
        self.connections = 0
        self._count = threading.Lock()

    def shutdown(self) -> None:
        self.stopping.set()
        super().shutdown()

    def url(self, store_id: str | None = None) -> str:
        """The page's address (of one store), with the token when there is one: the one place it is shown."""
        query = [f"store={store_id}"] if store_id else []
        query += [f"token={self.gate.token}"] if self.gate.token else []
        return f"http://{self.gate.shown_host()}:{self.gate.port}/" + ("?" + "&".join(query) if query else "")

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._count:
            admitted = self.connections < self.max_connections
            self.connections += admitted
        if admitted:
            super().process_request(request, client_address)
            return
        head = "".join(f"{k}: {v}\r\n" for k, v in SECURITY_HEADERS.items())  # answered here, without a thread
        body = b'{"error":"this dashboard has too many connections open: try again later"}'
        with contextlib.suppress(OSError):
            request.sendall(
                f"HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\n{head}"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
        self.shutdown_request(request)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._count:
                self.connections -= 1


class Handler(BaseHTTPRequestHandler):
    server: DashboardServer
    server_version = "ZavaDashboard"
    timeout = 30  # seconds a connection may stall reading a request or taking an event

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # quiet: the script prints one line when it starts

    # ------------------------------------------------------------ answers

    def end_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        super().end_headers()

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
            self._json(503, {"error": mongo_error(exc)})
        else:
            self._json(status, result)

    def _static(self, name: str) -> None:
        path = STATIC / name
        if path.suffix not in CONTENT_TYPES or not path.is_file():
            self._json(404, {"error": f"no such page {self.path[:100]}"})
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

    def _refuse(self, exc: Rejected) -> None:
        """Answer a refusal after reading what the client sent (unread, closing could reset the answer away)."""
        length = self.headers.get("Content-Length") or "0"
        if length.isdigit() and int(length) <= MAX_BODY:
            self.rfile.read(int(length))
        self._json(exc.status, {"error": str(exc)})

    def _admitted(self, path: str, query: dict[str, list[str]], write: bool) -> bool:
        """Whether the gate lets the request through; otherwise it has been answered."""
        gate = self.server.gate
        try:
            host = gate.check_host(self.headers.get("Host"))
            if path.startswith("/api/"):
                gate.check_token(self.headers, query.get("token", [None])[0])
            if write:
                gate.check_write(self.headers, host)
        except Rejected as exc:
            self._refuse(exc)
            return False
        return True

    # ------------------------------------------------------------ routes

    def _target(self) -> tuple[str, dict[str, list[str]]]:
        parts = urlsplit(self.path)
        return unquote(parts.path), parse_qs(parts.query)

    def do_GET(self) -> None:  # noqa: N802 - the base class's name
        path, query = self._target()
        if not self._admitted(path, query, write=False):
            return
        dashboard = self.server.dashboard
        if path in ("/", "/index.html"):
            self._static("index.html")
        elif m := re.fullmatch(r"/static/([a-z]+\.[a-z]+)", path):
            self._static(m.group(1))
        elif path == "/favicon.ico":
            self._send(204, b"", "image/x-icon")
        elif path == "/api/stores":
            stores = {"default_store": self.server.default_store, "stores": store_list()}
            self._json(200, {**stores, "read_only": self.server.read_only})
        elif m := re.fullmatch(rf"/api/stores/{ID}", path):
            self._answer(lambda: dashboard.page(m.group(1)))
        elif m := re.fullmatch(rf"/api/stores/{ID}/summary", path):
            self._answer(lambda: dashboard.summary(m.group(1)))
        elif m := re.fullmatch(rf"/api/stores/{ID}/events", path):
            self._events(m.group(1), self.headers.get("Last-Event-ID") or query.get("last_event_id", [None])[0])
        elif m := re.fullmatch(rf"/api/orders/{ID}/items", path):
            self._answer(lambda: dashboard.order_items(m.group(1)))
        else:
            self._json(404, {"error": f"no such page {path[:100]}"})

    def do_POST(self) -> None:  # noqa: N802 - the base class's name
        path, query = self._target()
        if self.server.read_only:
            if self._admitted(path, query, write=False):
                self._refuse(Rejected(405, "this dashboard is read-only: it serves no writes"))
            return
        if not self._admitted(path, query, write=True):
            return
        dashboard = self.server.dashboard
        if m := re.fullmatch(rf"/api/stores/{ID}/inventory/{ID}", path):
            store_id, product_id = m.groups()
            self._answer(lambda: dashboard.set_stock(store_id, product_id, self._body().get("stock_level")))
        elif m := re.fullmatch(rf"/api/orders/{ID}/status", path):
            self._answer(lambda: dashboard.move_order(m.group(1), self._body().get("status")))
        else:
            self._refuse(Rejected(404, f"no such page {path[:100]}"))

    def _not_allowed(self) -> None:
        """Any other method, a CORS preflight (OPTIONS) included: refused, with no CORS header."""
        self._refuse(Rejected(405, f"{self.command} is not served here"))

    do_OPTIONS = do_PUT = do_PATCH = do_DELETE = _not_allowed  # noqa: N815 - the base class's names

    # ------------------------------------------------------------ the live feed

    def _events(self, store_id: str, last_event_id: str | None) -> None:
        """The live feed; it resumes after the browser's Last-Event-ID (or ?last_event_id= from a new page)."""
        try:
            with self.server.hub.join(store_id) as channel:
                self._stream(channel, last_event_id)
        except Rejected as exc:
            self._json(exc.status, {"error": str(exc)})

    def _stream(self, channel: Channel, last_event_id: str | None) -> None:
        chunks: Iterator[bytes] = feed(channel, last_event_id, self.server.stopping.is_set)
        try:
            first = next(chunks)
        except PyMongoError as exc:
            self._json(503, {"error": mongo_error(exc)})
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            self.wfile.write(f"retry: {RETRY_MS}\n\n".encode() + first)
            self.wfile.flush()
            for chunk in chunks:
                if chunk:
                    self.wfile.write(chunk)
                    self.wfile.flush()
                elif self._gone():
                    break
        except OSError:
            pass  # the page went away or stalled: the browser reconnects and resumes
        finally:
            chunks.close()

    def _gone(self) -> bool:
        """Whether the browser closed the connection (it sends nothing more on a live feed)."""
        if not select.select([self.connection], [], [], 0)[0]:
            return False
        try:
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True
