"""Check the MongoDB connection string in .env without connecting: parts, encoding, SRV vs standard."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote

from common import base_parser, cli, mask_uri, ok, read_settings, say, uri_problem, warn

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


@cli
def main(argv: list[str] | None = None) -> int:
    args = base_parser(__doc__).parse_args(argv)
    uri = read_settings(args.env_file).get("MONGODB_CONNECTION_STRING", "").strip()
    if not uri:
        ok("MONGODB_CONNECTION_STRING is not set: scripts use the local server (python scripts/local_server.py start)")
        return 0
    say(f"MONGODB_CONNECTION_STRING = {mask_uri(uri)}")
    findings = inspect_uri(uri)
    for finding in findings:
        (ok if finding.ok else warn)(finding.message)
    problems = sum(not f.ok for f in findings)
    if problems:
        warn(f"{problems} problem(s) found; fix them in .env")
        return 1
    ok("the connection string looks right; run python scripts/test_connection.py to try it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
