"""Simulate live store activity (orders, restocks, status moves, cancellations, shelf moves) for sync demos.

It starts by repairing what a simulator stopped mid-order left behind (one line says what it fixed)."""

from __future__ import annotations

import math
import sys

import numpy as np

from common import ConfigError, connected
from zava.cli import base_parser, cli
from zava.console import ok, say, table, warn
from zava.simulation.activity import Simulator, Tally, chosen_stores, run, stop_on_signals, uses_transactions
from zava.simulation.repair import repair


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
    parser.add_argument(
        "--repair-only", action="store_true", help="only repair what a stopped simulator left half-written, then exit"
    )
    args = parser.parse_args(argv)
    stores = chosen_stores(args.stores)
    if not (0 < args.rate < math.inf):
        raise ConfigError(f"--rate must be a number of events per second above 0, got {args.rate:g}")
    if not (0 <= args.duration < math.inf):
        raise ConfigError(f"--duration must be 0 (until Ctrl-C) or more seconds, got {args.duration:g}")
    with connected(args) as (config, client), client.start_session() as session, stop_on_signals() as stopping:
        repaired = repair(client[config.database])
        if not args.quiet or repaired.items or repaired.headers:
            say(repaired.line())
        if args.repair_only:
            return stopping.exit_code
        transactions = uses_transactions(client)
        rng = np.random.default_rng(args.seed)
        simulator = Simulator(client[config.database], stores, rng, session if transactions else None)
        live = not args.quiet and sys.stderr.isatty()
        if not args.quiet:
            span = f"for {args.duration:g} s" if args.duration else "until Ctrl-C"
            each = "each event in a transaction" if transactions else "crash-safe write order"
            say(f"simulating {args.rate:g} events/s at {len(stores)} stores {span}, {each} (Ctrl-C stops, summarised)")
        tally = run(simulator.step, args.rate, args.duration, stopping, _status if live else None)
        if live:
            sys.stderr.write("\r\033[K")
        print(table(["event", "count"], tally.rows()))
        ok(f"{tally.events:,} events in {tally.seconds:.1f} s: {tally.rate:.1f} events/s (asked for {args.rate:g})")
        if tally.rate < 0.9 * args.rate and tally.seconds >= 1:
            warn("the server could not keep up with the requested rate")
        if stopping():
            say(f"stopped by {stopping.name} after the event under way (exit code {stopping.exit_code})")
        return stopping.exit_code


if __name__ == "__main__":
    sys.exit(main())
