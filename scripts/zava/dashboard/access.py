"""Who may talk to the dashboard: only under the Host it serves, writes only from its own page, a token off loopback.

Any web page can make the user's browser send a "simple" POST (text/plain, no preflight) to a local server, and a
DNS-rebinding page reaches it under the attacker's host name. So every request must name a Host the server serves
(a loopback name, the bound address, or on a wildcard address one of this machine's own addresses or names, with
the port), a write must be JSON (cross-site, that needs a preflight, which is never granted) from the page's own
origin (Origin, else Referer), and a server reachable from other machines asks for a token on every API request.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import re
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from zava.dashboard.data import Rejected
from zava.errors import ConfigError

TOKEN_SETTING = "DASHBOARD_TOKEN"
TOKEN_CHARACTERS = re.compile(r"[A-Za-z0-9._~-]{16,256}")  # characters a URL carries as they are
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
WILDCARDS = ("", "0.0.0.0", "::")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def is_loopback(host: str) -> bool:
    """Whether an address to serve on is reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def token_setting(value: str | None) -> str | None:
    """DASHBOARD_TOKEN checked (None when unset); ConfigError that never shows the value."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if not TOKEN_CHARACTERS.fullmatch(value):
        raise ConfigError(
            f"{TOKEN_SETTING} must be 16 to 256 letters, digits, '-', '_', '.' or '~' (got {len(value)} characters)"
        )
    return value


def new_token() -> str:
    """A fresh random token (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)


@functools.lru_cache(maxsize=256)
def _is_own_address(host: str) -> bool:
    """Whether an IP literal is an address of this machine: a socket can bind to it."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    if address.is_unspecified:  # 0.0.0.0 reaches this machine, but names no interface of it
        return False
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.bind((str(address), 0))
    except OSError:
        return False
    return True


def _host_name(address: str) -> str:
    """An address as a Host header names it: IPv6 literals in brackets, lower case."""
    address = address.lower()
    return f"[{address}]" if ":" in address and not address.startswith("[") else address


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else None


@dataclass(frozen=True)
class Gate:
    """The checks for a server bound to `host`:`port`; `token` None: no token asked."""

    host: str
    port: int
    token: str | None = None

    @functools.cached_property
    def names(self) -> tuple[str, ...]:
        """The host names the server answers to (besides its own addresses when bound to a wildcard)."""
        if self.host in WILDCARDS:
            return (*LOOPBACK_NAMES, socket.gethostname().lower(), socket.getfqdn().lower())
        return (*LOOPBACK_NAMES, _host_name(self.host))

    def shown_host(self) -> str:
        """The host of the page's address as printed: the bound one, or for a wildcard this machine's address on
        its network (the one its outgoing traffic uses; no packet is sent to find it)."""
        if self.host not in WILDCARDS:
            return _host_name(self.host)
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.connect(("192.0.2.1", 9))
                return probe.getsockname()[0]
        except OSError:
            return socket.gethostname().lower()

    def check_host(self, header: str | None) -> str:
        """The request's Host when the server serves it; Rejected (403) otherwise."""
        host = (header or "").strip().lower()
        name, _, port = host.rpartition(":") if not host.endswith("]") else (host, "", "")
        if not name:
            name, port = host, ""
        ours = name in self.names or (self.host in WILDCARDS and _is_own_address(name))
        if not ours or (port or "80") != str(self.port):
            shown = re.sub(r"[^\w.:\[\]-]", "?", host)[:100] or "none"
            raise Rejected(403, f"this dashboard answers only at its own address (port {self.port}), not Host {shown}")
        return host

    def check_token(self, headers: Mapping[str, str], query_token: str | None) -> None:
        """Rejected (401) unless the request carries the token (Authorization: Bearer, else ?token=)."""
        if self.token is None:
            return
        scheme, _, bearer = (headers.get("Authorization") or "").partition(" ")
        given = bearer.strip() if scheme == "Bearer" else query_token or ""
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            raise Rejected(401, "this dashboard needs its token: open the address it printed when it started")

    def check_write(self, headers: Mapping[str, str], host: str) -> None:
        """Rejected (403) unless a write is JSON from the page's own origin (Origin, else Referer)."""
        content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise Rejected(403, "a write must be sent as Content-Type: application/json from the dashboard's page")
        origin = (headers.get("Origin") or "").lower() or _origin(headers.get("Referer"))
        if not origin:
            raise Rejected(403, "a write must come from the dashboard's own page (this one named no Origin or Referer)")
        if origin != f"http://{host}":
            shown = re.sub(r"[^\w.:/\[\]-]", "?", origin)[:100]
            raise Rejected(403, f"a write must come from the dashboard's own page, not from {shown}")
