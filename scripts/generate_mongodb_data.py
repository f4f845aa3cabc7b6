"""Generate the Zava DIY retail dataset into MongoDB (or JSON-lines files, or nowhere with --dry-run)."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

from pymongo.errors import PyMongoError

from common import Config, Interrupted, KitError, connect, describe_mongo_error, load_config, server_errors
from zava.catalog.embeddings import provider_from_settings
from zava.catalog.loader import load_catalog
from zava.cli import base_parser, cli
from zava.console import confirm, ok, peak_memory_mb, say, table
from zava.generation.dataset import Dataset, DatasetSpec
from zava.generation.loader import DigestSink, JsonLinesSink, LoadStats, MongoSink, Sink, load, written
from zava.generation.parallel import MAX_AUTO_WORKERS, WorkerDied, Workers, choose_workers
from zava.generation.parts import Part, written_by
from zava.mongo import reload
from zava.mongo.server import server_info

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
    scale = parser.add_argument_group("scale (the documents are the same whatever these say)")
    scale.add_argument(
        "--workers",
        help="processes that generate and encode documents (WORKERS; default 0 = automatic: 1 when the server is "
        f"on this machine, which it shares; otherwise one per core, at most {MAX_AUTO_WORKERS})",
    )
    scale.add_argument("--part", metavar="K/N", help="load only the K-th of N disjoint slices of the dataset")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--dry-run", action="store_true", help="generate and BSON-encode everything, write nothing")
    target.add_argument("--out", type=Path, metavar="DIR", help="write one JSON-lines file per collection, no server")
    parser.add_argument("--embeddings", metavar="PROVIDER", help="local or azure (EMBEDDING_PROVIDER, default local)")
    parser.add_argument("--yes", action="store_true", help="replace existing data without asking")
    return parser.parse_args(argv)


def prepare_mongo(config: Config, filters: reload.Filters | None, assume_yes: bool, quiet: bool) -> reload.Room:
    """Connect, then make room for the load (after confirmation when it replaces documents)."""
    db = connect(config, quiet)[config.database]
    with server_errors(config.mongo_uri):
        kind = server_info(db.client).describe()
        replaced = reload.present(db, filters)
        if replaced:
            listing = ", ".join(f"{name} {n:,}" for name, n in replaced.items())
            confirm(
                f"Database {config.database!r} already holds {'data' if filters is None else 'this part'} "
                f"({listing}); it will be replaced (collections, their options and indexes are kept).",
                "REPLACE DATA",
                assume_yes,
            )
        room = reload.make_room(db, filters, replaced)
    if not quiet:
        say(f"Loading into database {config.database!r} on {kind}")
        if room.index_note():
            say(room.index_note())
    return room


def incomplete(stats: LoadStats, where: str, rerun: str, room: reload.Room | None, after: str = "") -> str:
    """What a stopped load leaves behind and the command that completes it."""
    also = ""
    if room and room.set_aside and room.set_aside.dropped:
        also = f" (it rebuilds the {len(room.set_aside.dropped)} indexes set aside for the load)"
    return (
        f"the load is incomplete: {where} holds {written(stats)} documents of a partial dataset. "
        f"Run `{rerun}`{after} to complete it{also}."
    )


@cli
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = load_config(args)
    catalog = load_catalog()
    provider = args.embeddings or config.get("EMBEDDING_PROVIDER", "local")
    dataset = Dataset(
        DatasetSpec.from_config(config), catalog, provider_from_settings(provider, config.values, catalog)
    )
    part = Part.parse(args.part) if args.part else None
    tasks = part.select(dataset.tasks()) if part else dataset.tasks()
    filters = [f for task in tasks for f in written_by(task)] if part else None
    expected = dataset.counts_of(tasks) if part else dataset.expected_counts()
    to_server = not (args.dry_run or args.out)
    workers = choose_workers(config.workers, config.mongo_uri if to_server else None)
    sink: Sink | None = DigestSink() if args.dry_run else JsonLinesSink(args.out) if args.out else None
    where = "nowhere (dry run)" if args.dry_run else f"JSON-lines files in {args.out}"
    rerun = RERUN + (f" --part {part}" if part else "")
    room, stats = None, LoadStats()
    with Workers(dataset, sink.encoding if sink else MongoSink.encoding, workers) as pool:
        if to_server:
            try:
                room = prepare_mongo(config, filters, args.yes, args.quiet)
            except KeyboardInterrupt:
                raise Interrupted(
                    f"interrupted before the load; database {config.database!r} may be partly emptied. "
                    f"Run `{rerun}` to load a complete dataset."
                ) from None
            sink, where = MongoSink(room.db, config.batch_size), f"database {config.database!r}"
        try:
            load(pool.batches(tasks), sink, expected, args.quiet, stats)
        except KeyboardInterrupt:
            raise Interrupted(f"interrupted; {incomplete(stats, where, rerun, room)}") from None
        except WorkerDied as exc:
            raise KitError(f"{exc}; {incomplete(stats, where, rerun, room)}") from None
        except PyMongoError as exc:
            problem = describe_mongo_error(exc, config.mongo_uri)
            raise KitError(f"{problem}; {incomplete(stats, where, rerun, room, ' when the server is back')}") from None
    if room:
        try:
            with server_errors(config.mongo_uri):
                rebuilt = reload.restore_indexes(room, server_info(room.db.client))
                reload.verify(room.db, filters, expected)
        except KeyboardInterrupt:
            raise Interrupted(
                "interrupted while rebuilding the indexes set aside for the load; the data is complete. "
                "Run `python scripts/create_indexes.py` to finish them."
            ) from None
    print(table(["collection", "documents", "seconds", "docs/s"], stats.rows(expected)))
    if isinstance(sink, DigestSink):
        say(f"encoded {sink.bytes / 1e6:,.1f} MB of BSON, digest {sink.digest}")
    if room and room.set_aside and room.set_aside.dropped:
        say(f"rebuilt the {len(room.set_aside.dropped)} indexes set aside for the load in {rebuilt:.1f} s")
    last_day = (config.end - timedelta(days=1)).date()
    ok(
        f"{stats.total:,} documents generated into {where} in {stats.wall_seconds:.1f} s (seed {config.seed}, "
        f"orders dated {config.start.date()} to {last_day}{f', part {part}' if part else ''}; "
        f"{workers} worker{'s' if workers > 1 else ''}; peak memory {peak_memory_mb():.0f} MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
