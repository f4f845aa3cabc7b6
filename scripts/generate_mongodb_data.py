"""Generate the Zava DIY retail dataset into MongoDB (or JSON-lines files, or nowhere with --dry-run)."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

from pymongo.errors import PyMongoError

from common import Config, Interrupted, KitError, connect, describe_mongo_error, load_config, server_errors
from zava.cli import base_parser, cli
from zava.console import confirm, ok, peak_memory_mb, say, table
from zava.generation.dataset import Dataset, DatasetSpec
from zava.generation.loader import EncodeSink, JsonLinesSink, LoadStats, MongoSink, Sink, load, verify_counts, written
from zava.model.catalog import load_catalog
from zava.mongo.admin import empty_collections, existing_counts
from zava.mongo.server import server_info
from zava.reads.embeddings import provider_from_settings

RERUN = "python scripts/generate_mongodb_data.py --yes"


def parse_args(argv: list[str] | None):
    parser = base_parser(__doc__)
    sizes = parser.add_argument_group("dataset (flags override .env and the environment)")
    sizes.add_argument("--customers", help="number of customers (NUM_CUSTOMERS, default 25000)")
    sizes.add_argument("--orders", help="number of orders (NUM_ORDERS, default 100000)")
    sizes.add_argument("--seed", help="random seed (SEED, default 42)")
    sizes.add_argument("--start-date", help="first order day, YYYY-MM-DD (START_DATE, default END_DATE minus 3 years)")
    sizes.add_argument("--end-date", help="day after the last order, YYYY-MM-DD (END_DATE, default today UTC)")
    sizes.add_argument("--batch-size", help="documents per insert_many (BATCH_SIZE, default 10000)")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--dry-run", action="store_true", help="generate and BSON-encode everything, write nothing")
    target.add_argument("--out", type=Path, metavar="DIR", help="write one JSON-lines file per collection, no server")
    parser.add_argument("--embeddings", metavar="PROVIDER", help="local or azure (EMBEDDING_PROVIDER, default local)")
    parser.add_argument("--yes", action="store_true", help="replace existing data without asking")
    return parser.parse_args(argv)


def prepare_mongo(config: Config, assume_yes: bool, quiet: bool) -> MongoSink:
    """Connect, and empty the project's collections (keeping indexes and options) after confirmation."""
    client = connect(config, quiet)
    db = client[config.database]
    with server_errors(config.mongo_uri):
        kind = server_info(client).describe()
        existing = {name: n for name, n in existing_counts(db).items() if n}
        if existing:
            listing = ", ".join(f"{name} {n:,}" for name, n in existing.items())
            confirm(
                f"Database {config.database!r} already holds data ({listing}); it will be replaced "
                "(indexes and collection options are kept).",
                "REPLACE DATA",
                assume_yes,
            )
            empty_collections(db)
    if not quiet:
        say(f"Loading into database {config.database!r} on {kind}")
    return MongoSink(db, config.batch_size)


@cli
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = load_config(args)
    catalog = load_catalog()
    provider = args.embeddings or config.get("EMBEDDING_PROVIDER", "local")
    dataset = Dataset(
        DatasetSpec.from_config(config), catalog, provider_from_settings(provider, config.values, catalog)
    )
    expected = dataset.expected_counts()
    sink: Sink
    if args.dry_run:
        sink, where = EncodeSink(), "nowhere (dry run)"
    elif args.out:
        sink, where = JsonLinesSink(args.out), f"JSON-lines files in {args.out}"
    else:
        try:
            sink = prepare_mongo(config, args.yes, args.quiet)
        except KeyboardInterrupt:
            raise Interrupted(
                f"interrupted before the load; database {config.database!r} may be partly emptied. "
                f"Run `{RERUN}` to load a complete dataset."
            ) from None
        where = f"database {config.database!r}"
    stats = LoadStats()
    try:
        load(dataset.batches(), sink, expected, args.quiet, stats)
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted after {written(stats)} documents; {where} holds a partial dataset. "
            f"Run `{RERUN}` to replace it with a complete one."
        ) from None
    except PyMongoError as exc:
        raise KitError(
            f"{describe_mongo_error(exc, config.mongo_uri)}; the load is incomplete "
            f"({written(stats)} documents written). Run `{RERUN}` when the server is back."
        ) from None
    if isinstance(sink, MongoSink):
        verify_counts(sink, expected)
    print(table(["collection", "documents", "seconds", "docs/s"], stats.rows()))
    if isinstance(sink, EncodeSink):
        say(f"encoded {sink.bytes / 1e6:,.1f} MB of BSON")
    last_day = (config.end - timedelta(days=1)).date()
    ok(
        f"{stats.total:,} documents generated into {where} in {stats.wall_seconds:.1f} s (seed {config.seed}, "
        f"orders dated {config.start.date()} to {last_day}; peak memory {peak_memory_mb():.0f} MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
