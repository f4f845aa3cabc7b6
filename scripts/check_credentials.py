"""Check the MongoDB connection string in .env without connecting: parts, encoding, SRV vs standard."""

from __future__ import annotations

import sys

from common import mask_uri, read_settings
from zava.cli import base_parser, cli
from zava.console import ok, say, warn
from zava.mongo.credentials import inspect_uri


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
