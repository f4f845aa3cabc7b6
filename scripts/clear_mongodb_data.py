"""Delete every document of the project's nine collections, keeping their indexes and options."""

from __future__ import annotations

import sys
import time

from common import connected
from zava.cli import base_parser, cli
from zava.console import confirm, ok, say, table
from zava.ditto.connector import LEFT_TO_THE_CONNECTOR
from zava.mongo.admin import clear_collections, existing_counts


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__)
    parser.add_argument("--yes", action="store_true", help="delete without asking")
    args = parser.parse_args(argv)
    with connected(args) as (config, client):
        db = client[config.database]
        counts = existing_counts(db)
        if not any(counts.values()):
            ok(f"nothing to delete: the project's collections on {config.database!r} are empty or absent")
            return 0
        say(table(["collection", "documents"], counts.items()))
        say(LEFT_TO_THE_CONNECTOR)
        confirm(
            f"All {sum(counts.values()):,} documents above will be deleted from {config.database!r} "
            "(indexes and collection options stay).",
            "DELETE ALL DATA",
            args.yes,
        )
        began = time.perf_counter()
        rows = clear_collections(db, counts)
        print(table(["collection", "deleted", "seconds"], rows))
        seconds = time.perf_counter() - began
        ok(f"deleted {sum(counts.values()):,} documents in {seconds:.1f} s; every collection is empty")
        return 0


if __name__ == "__main__":
    sys.exit(main())
