"""Start, stop or check the project's local MongoDB-compatible server (nx-27017 on SQLite).

Data, log and pid files live under .local-server/ in the project (git-ignored).
"""

from __future__ import annotations

import sys
from pathlib import Path

from common import LOCAL_SERVER_HOST, LOCAL_SERVER_PORT, load_config
from zava.cli import base_parser, cli
from zava.console import ok, say
from zava.mongo.local_server import STATE_DIR, LocalServer


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "command",
        choices=["start", "stop", "status", "auto"],
        help="auto: start only when MONGODB_CONNECTION_STRING is not set",
    )
    parser.add_argument("--port", type=int, default=LOCAL_SERVER_PORT, help="port (default: %(default)s)")
    parser.add_argument("--data-dir", type=Path, default=STATE_DIR, help="folder for data, log and pid files")
    args = parser.parse_args(argv)
    server = LocalServer(args.data_dir.resolve(), LOCAL_SERVER_HOST, args.port)
    if args.command == "auto" and not load_config(args).uses_local_server:
        say("MONGODB_CONNECTION_STRING is set; the local server is not needed")
        return 0
    if args.command in ("start", "auto"):
        was_running = server.pid()
        pid = server.start()
        state = "already running" if was_running else "running"
        ok(f"local server {state} at {server.uri} (pid {pid}, files in {server.root})")
    elif args.command == "stop":
        ok("local server stopped" if server.stop() else "local server was not running")
    else:
        found = server.record()
        if found is None or found[1] != server.port:
            elsewhere = f"; it runs on port {found[1]}" if found else ""
            say(f"local server is not running on port {server.port} (files in {server.root}){elsewhere}")
            return 1
        pid = found[0]
        ok(f"local server running at {server.uri} (pid {pid}){'' if server.answers() else ' but not answering ping'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
