"""Drop every index of the project's collections except _id_ and those a shard key needs (the data stays)."""

from __future__ import annotations

import sys
import time

from common import connected
from zava.cli import base_parser, cli
from zava.console import confirm, ok, say, table
from zava.mongo.indexing import droppable


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__)
    parser.add_argument("--yes", action="store_true", help="drop without asking")
    args = parser.parse_args(argv)
    with connected(args) as (config, client):
        db = client[config.database]
        targets = droppable(db)
        if not targets:
            ok(f"no indexes to drop on {config.database!r} (only _id_)")
            return 0
        say(table(["collection", "index"], targets))
        confirm(
            f"{len(targets)} indexes on {config.database!r} will be dropped (documents and _id_ stay).",
            "DROP INDEXES",
            args.yes,
        )
        began = time.perf_counter()
        for collection, name in targets:
            db[collection].drop_index(name)
        seconds = time.perf_counter() - began
        ok(f"dropped {len(targets)} indexes in {seconds:.1f} s; Atlas Search indexes are not touched")
        return 0


if __name__ == "__main__":
    sys.exit(main())
