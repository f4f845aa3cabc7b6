"""Serve a live dashboard of one store: key figures, inventory, recent orders, revenue, changes as they happen.

It answers only under its own address, takes writes only from its own page, and asks for a token (printed once,
in the page's address) when it serves beyond this machine (--host) or DASHBOARD_TOKEN is set."""

from __future__ import annotations

import errno
import sys

from common import ConfigError, KitError, connected, read_settings
from zava.cli import base_parser, cli
from zava.console import ok, say
from zava.dashboard.access import TOKEN_SETTING, is_loopback, new_token, token_setting
from zava.dashboard.data import Dashboard, has_inventory, store_list
from zava.dashboard.server import DashboardServer


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__)
    parser.add_argument("--store", default="store_seattle", metavar="ID", help="the store shown first (store_seattle)")
    parser.add_argument("--port", type=int, default=8000, help="port to serve on (8000)")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        metavar="ADDRESS",
        help="address to serve on (127.0.0.1: this machine only; any other asks for a token)",
    )
    parser.add_argument(
        "--read-only", action="store_true", help="serve the page and its live feed without any write (a big screen)"
    )
    args = parser.parse_args(argv)
    stores = [s["store_id"] for s in store_list()]
    if args.store not in stores:
        raise ConfigError(f"--store: unknown store {args.store!r}; choose from {', '.join(stores)}")
    if not 0 < args.port < 65536:
        raise ConfigError(f"--port must be between 1 and 65535, got {args.port}")
    token = token_setting(read_settings(args.env_file).get(TOKEN_SETTING))
    if token is None and not is_loopback(args.host):
        token = new_token()
    with connected(args) as (config, client):
        db = client[config.database]
        if not has_inventory(db, args.store):
            raise KitError(
                f"no inventory for {args.store} in database '{config.database}': load the dataset first "
                "(python scripts/generate_mongodb_data.py)"
            )
        try:
            server = DashboardServer((args.host, args.port), Dashboard(db), args.store, token, args.read_only)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise KitError(f"port {args.port} on {args.host} is in use: choose another with --port") from None
            raise KitError(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}") from None
        with server:
            mode = ", read-only" if args.read_only else ""
            ok(f"dashboard of {args.store} at {server.url(args.store)}{mode} (Ctrl-C stops)")
            if not args.quiet and not is_loopback(args.host):
                reach = "see the stores" if args.read_only else "see the stores and change stock and orders"
                say(f"listening on {args.host}: whoever has this address, token included, can {reach}")
            try:
                server.serve_forever(poll_interval=0.2)
            except KeyboardInterrupt:
                server.stopping.set()
                say("stopped")
        return 0


if __name__ == "__main__":
    sys.exit(main())
