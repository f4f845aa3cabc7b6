"""Measure the store dashboard with many pages listening while the simulator writes: the simulator's rate, the
events each page gets, and how fast they arrive beside a plain change stream. Writes simulated activity into the
configured database: point it at a scratch one."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from common import ConfigError, connected
from zava.cli import base_parser, cli
from zava.console import say, table
from zava.dashboard.viewers import DASHBOARD, measure_pages


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--pages", type=int, nargs="+", default=[5, 50], help="pages listening, one run each (5 50; 0: none)"
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds of simulated activity (30)")
    parser.add_argument("--rate", type=float, default=20.0, help="simulator events per second (20)")
    parser.add_argument("--store", default="store_seattle", help="the store (store_seattle)")
    parser.add_argument("--script", type=Path, default=DASHBOARD, help="the dashboard script (this kit's)")
    parser.add_argument("--json", action="store_true", help="one JSON object per run instead of a table")
    args = parser.parse_args(argv)
    if min(args.pages) < 0 or not args.seconds > 0 or not args.rate > 0:
        raise ConfigError("--pages must be 0 or more, --seconds and --rate above 0")
    rows = []
    with connected(args) as (config, client):
        for pages in args.pages:
            say(f"{pages} pages, {args.rate:g} events/s for {args.seconds:g} s ...")
            rows.append(
                measure_pages(config, client[config.database], pages, args.seconds, args.rate, args.store, args.script)
            )
            if args.json:
                print(json.dumps(rows[-1]))
    if not args.json:
        print(table(list(rows[0]), [["-" if v is None else v for v in r.values()] for r in rows]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
