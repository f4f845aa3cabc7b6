"""Generate the Zava DIY retail dataset into MongoDB (or JSON-lines files, or nowhere with --dry-run)."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

from common import load_config
from zava.cli import base_parser, cli
from zava.console import ok, peak_memory_mb, say, table
from zava.generation.load import LoadRequest, load_dataset
from zava.generation.parallel import MAX_AUTO_WORKERS
from zava.generation.parts import Part


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


@cli
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = load_config(args)
    part = Part.parse(args.part) if args.part else None
    request = LoadRequest(part, args.out, args.dry_run, args.embeddings, args.yes, args.quiet)
    result = load_dataset(config, request)
    print(table(["collection", "documents", "seconds", "docs/s"], result.stats.rows(result.expected)))
    if result.digest:
        say(f"encoded {result.encoded_bytes / 1e6:,.1f} MB of BSON, digest {result.digest}")
    if result.rebuilt_indexes:
        say(f"rebuilt the {result.rebuilt_indexes} indexes set aside for the load in {result.rebuild_seconds:.1f} s")
    last_day = (config.end - timedelta(days=1)).date()
    workers = result.workers
    ok(
        f"{result.stats.total:,} documents generated into {result.where} in {result.stats.wall_seconds:.1f} s "
        f"(seed {config.seed}, orders dated {config.start.date()} to {last_day}{f', part {part}' if part else ''}; "
        f"{workers} worker{'s' if workers > 1 else ''}; peak memory {peak_memory_mb():.0f} MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
