"""Connection-string credentials: inspecting a URI's parts and percent-encoding a password."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote

from zava.settings import uri_problem

RESERVED = set(":/?#[]@")


@dataclass(frozen=True)
class Finding:
    ok: bool
    message: str


def inspect_uri(uri: str) -> list[Finding]:
    """Everything worth knowing about a connection string, good and bad (never the password)."""
    found: list[Finding] = []
    scheme, sep, rest = uri.partition("://")
    if not sep or scheme not in ("mongodb", "mongodb+srv"):
        return [Finding(False, "must start with mongodb:// or mongodb+srv://")]
    srv = scheme == "mongodb+srv"
    found.append(Finding(True, "SRV record (Atlas style): hosts come from DNS" if srv else "standard host list"))
    at = rest.rfind("@")
    userinfo, hostpart = (rest[:at], rest[at + 1 :]) if at >= 0 else ("", rest)
    hosts, _, tail = hostpart.partition("/")
    path, _, query = tail.partition("?")
    if not hosts:
        found.append(Finding(False, "no host after the credentials"))
    elif srv and ("," in hosts or re.search(r":\d+$", hosts)):
        found.append(Finding(False, "mongodb+srv:// takes one host name without a port"))
    else:
        found.append(Finding(True, f"host(s): {hosts}"))
    if not userinfo:
        found.append(Finding(True, "no credentials (fine for a local server; Atlas needs a user)"))
    else:
        user, colon, password = userinfo.partition(":")
        found.append(Finding(bool(user), f"user: {unquote(user)}" if user else "empty user name"))
        if not colon or not password:
            found.append(Finding(False, "no password after the user name"))
        else:
            raw = set(password) & RESERVED
            if raw:
                chars = " ".join(sorted(raw))
                found.append(Finding(False, f"password holds unencoded {chars}: run python scripts/encode_password.py"))
            elif re.search(r"%(?![0-9A-Fa-f]{2})", password):
                found.append(Finding(False, "password has a % not followed by two hex digits: encode it"))
            else:
                found.append(Finding(True, f"password present ({len(unquote(password))} characters, hidden)"))
    if path:
        found.append(Finding(True, f"default database in the path: {path} (MONGODB_DATABASE decides where data goes)"))
    problem = uri_problem(uri)
    if problem and all(f.ok for f in found):
        found.append(Finding(False, f"the driver rejects it: {problem}"))
    options = parse_qs(query)
    if srv and "retryWrites" not in options:
        found.append(Finding(True, "retryWrites not set (Atlas defaults to true)"))
    if "authSource" in options:
        found.append(Finding(True, f"authSource={options['authSource'][0]}"))
    return found


def encode_password(password: str) -> str:
    """RFC 3986 percent-encoding: every character outside A-Z a-z 0-9 - . _ ~ is escaped."""
    return quote(password, safe="")
