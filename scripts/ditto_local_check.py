"""Load one store manager's data from MongoDB into a real local Ditto store (the optional Ditto Python SDK),
run the sample DQL queries and updates there, and compare every answer with MongoDB's."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from pymongo.database import Database

from common import ConfigError, KitError, connected
from zava.cli import base_parser, cli
from zava.console import ok, progress, say, table, warn
from zava.ditto.local_store import DEFAULT_DIR, SdkUnavailable, load_sdk, open_store
from zava.verify.ditto_local import checks, choose_subset, load, read_subset, run_check, unchecked


async def run(sdk: Any, db: Database, args: argparse.Namespace) -> int:
    subset = choose_subset(db, args.store, args.days, args.orders)
    docs = read_subset(db, subset)
    to_run = checks(db, subset)
    store = await open_store(sdk, args.dir)
    try:
        with progress(sum(map(len, docs.values())), "ditto insert", args.quiet) as bar:
            loaded = await load(store, docs, args.batch, bar.update)
        outcomes = [await run_check(store, check) for check in to_run]
    finally:
        await store.close()
    total, seconds = sum(r[1] for r in loaded), sum(r[2] for r in loaded)
    print(
        table(
            ["collection", "documents", "seconds", "docs/s"],
            [(c, n, s, round(n / s) if s else 0) for c, n, s in loaded],
        )
    )
    ok(
        f"loaded {total:,} documents of {subset.store_id} (orders since {subset.since}) into {args.dir} "
        f"in {seconds:.2f} s: {total / seconds:,.0f} docs/s, {args.batch} per INSERT"
    )
    print(
        table(
            ["query", "ditto rows", "mongo rows", "match", "ms"],
            [(o.name, o.ditto_rows, o.mongo_rows, o.match, o.ms) for o in outcomes],
        )
    )
    for outcome in outcomes:
        for problem in outcome.problems:
            warn(f"{outcome.name}: {problem}")
    if not args.quiet:
        say(f"not run: {', '.join(unchecked(to_run))} (customers are not in the store manager's subscriptions)")
    failed = [o.name for o in outcomes if not o.match]
    if failed:
        raise KitError(f"{len(failed)} of {len(outcomes)} Ditto answers differ from MongoDB's: {', '.join(failed)}")
    ok(f"all {len(outcomes)} Ditto answers match MongoDB's (Ditto SDK {sdk.__version__})")
    return 0


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__)
    parser.add_argument(
        "--store", default="store_seattle", help="the store whose data the app holds (default %(default)s)"
    )
    parser.add_argument(
        "--days", type=int, default=90, help="orders of the last N days before the store's latest (default %(default)s)"
    )
    parser.add_argument("--orders", type=int, help="at most about N most recent orders of those days")
    parser.add_argument("--batch", type=int, default=500, help="documents per INSERT statement (default %(default)s)")
    parser.add_argument(
        "--dir", type=Path, default=DEFAULT_DIR, help="the local Ditto store's folder (default .ditto-local/)"
    )
    args = parser.parse_args(argv)
    for flag in ("days", "orders", "batch"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise ConfigError(f"--{flag} must be at least 1, got {value}")
    try:
        sdk = load_sdk()
    except SdkUnavailable as exc:
        warn(str(exc))
        return 0
    with connected(args) as (config, client):
        return asyncio.run(run(sdk, client[config.database], args))


if __name__ == "__main__":
    sys.exit(main())
