"""Create every index of the dataset that is missing (and the Atlas vector index where Atlas Search exists)."""

from __future__ import annotations

import sys
import time

from common import connected
from zava.cli import base_parser, cli
from zava.console import ok, table, warn
from zava.model.indexes import (
    mongosh_script,
)
from zava.mongo.indexing import create_indexes
from zava.mongo.server import server_info


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__)
    parser.add_argument("--emit-js", action="store_true", help="print the same indexes as a mongosh script and exit")
    args = parser.parse_args(argv)
    if args.emit_js:
        sys.stdout.write(mongosh_script())
        return 0
    with connected(args) as (config, client):
        db = client[config.database]
        began = time.perf_counter()
        results = create_indexes(db, server_info(client))
        print(
            table(
                ["collection", "index", "status", "seconds"],
                [(r.collection, r.name, r.status, r.seconds) for r in results],
            )
        )
        for r in results:
            if r.status == "skipped":
                warn(f"vector index {r.name} skipped: {r.detail}")
        created = sum(r.status == "created" for r in results)
        existing = sum(r.status == "existing" for r in results)
        skipped = sum(r.status == "skipped" for r in results)
        ok(
            f"{len(results)} indexes on {config.database!r}: {created} created, {existing} already there, "
            f"{skipped} skipped ({time.perf_counter() - began:.1f} s)"
        )
        return 0


if __name__ == "__main__":
    sys.exit(main())
