"""Measure the generator against the server's own insert ceiling, and peak memory.

Prints generation speed (with BSON encoding, no server) with one worker and with --workers, the raw
insert_many ceiling of the same pre-encoded documents into a scratch database, the real end-to-end
load command and their ratio, a reload over the indexed data against the fresh load, and the peak
memory of the load; with --dry-run-orders, memory and time per document of a big dry run; with
--report-orders, the time and peak memory of the data report over the loaded data and over a bigger
load. Scratch databases are dropped afterwards.
"""

from __future__ import annotations

import json
import sys

from common import connect, load_config
from zava.benchmark import SCRATCH_CEILING, SCRATCH_LOAD, measure
from zava.cli import base_parser, cli
from zava.console import table


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000, help="orders to generate (default %(default)s)")
    parser.add_argument("--scale-orders", type=int, default=0, help="also load this many orders to compare memory")
    parser.add_argument(
        "--report-orders",
        type=int,
        default=0,
        help="also run data_report.py on the loaded data and on a load of this many orders, to compare its memory",
    )
    parser.add_argument(
        "--dry-run-orders",
        type=int,
        default=0,
        help="also dry-run this many orders with one worker, to compare memory and time per document",
    )
    parser.add_argument("--workers", type=int, default=2, help="workers to compare with one (default %(default)s)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    config = load_config(args)
    client = connect(config, quiet=True)
    try:
        results = measure(
            client, config, args.orders, args.scale_orders, args.report_orders, args.dry_run_orders, args.workers
        )
    finally:
        for scratch in (SCRATCH_CEILING, SCRATCH_LOAD):
            client.drop_database(scratch)
    if args.json:
        print(json.dumps(results))
    else:
        print(table(["measure", "value"], [(k, v) for k, v in results.items()]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
