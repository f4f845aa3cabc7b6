"""Simulate live store activity (orders, restocks, status moves, cancellations, shelf moves) for sync demos."""

from __future__ import annotations

import math
import sys

import numpy as np

from common import ConfigError, connected
from zava.cli import base_parser, cli
from zava.console import ok, say, table, warn
from zava.generation.activity import Simulator, Tally, chosen_stores, run, stop_on_signals


def _status(tally: Tally) -> None:
    sys.stderr.write(f"\r{tally.line()}\033[K")
    sys.stderr.flush()


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__)
    parser.add_argument("--rate", type=float, default=5.0, metavar="EVENTS_PER_S", help="events per second (5)")
    parser.add_argument("--duration", type=float, default=60.0, metavar="SECONDS", help="seconds (60); 0: until Ctrl-C")
    parser.add_argument("--stores", metavar="a,b", help="comma-separated store ids (default: all stores)")
    parser.add_argument("--seed", type=int, metavar="N", help="repeat the same choices of events, stores and products")
    args = parser.parse_args(argv)
    stores = chosen_stores(args.stores)
    if not (0 < args.rate < math.inf):
        raise ConfigError(f"--rate must be a number of events per second above 0, got {args.rate:g}")
    if not (0 <= args.duration < math.inf):
        raise ConfigError(f"--duration must be 0 (until Ctrl-C) or more seconds, got {args.duration:g}")
    with connected(args) as (config, client):
        simulator = Simulator(client[config.database], stores, np.random.default_rng(args.seed))
        live = not args.quiet and sys.stderr.isatty()
        if not args.quiet:
            span = f"for {args.duration:g} s" if args.duration else "until Ctrl-C"
            say(f"simulating {args.rate:g} events/s at {len(stores)} stores {span} (Ctrl-C stops with the summary)")
        with stop_on_signals() as stopping:
            tally = run(simulator.step, args.rate, args.duration, stopping, _status if live else None)
        if live:
            sys.stderr.write("\r\033[K")
        print(table(["event", "count"], tally.rows()))
        ok(f"{tally.events:,} events in {tally.seconds:.1f} s: {tally.rate:.1f} events/s (asked for {args.rate:g})")
        if tally.rate < 0.9 * args.rate and tally.seconds >= 1:
            warn("the server could not keep up with the requested rate")
        return 0


if __name__ == "__main__":
    sys.exit(main())
