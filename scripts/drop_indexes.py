"""Drop every index of the project's collections except _id_ (the data stays)."""

from __future__ import annotations

import sys
import time

from common import COLLECTION_NAMES, base_parser, cli, confirm, connect_from_args, ok, say, table


def droppable(db) -> list[tuple[str, str]]:
    """(collection, index name) of every index but _id_ on the project's collections."""
    present = set(db.list_collection_names())
    return [
        (name, ix["name"])
        for name in COLLECTION_NAMES
        if name in present
        for ix in db[name].list_indexes()
        if ix["name"] != "_id_"
    ]


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__)
    parser.add_argument("--yes", action="store_true", help="drop without asking")
    args = parser.parse_args(argv)
    config, client = connect_from_args(args)
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
    ok(f"dropped {len(targets)} indexes in {time.perf_counter() - began:.1f} s; Atlas Search indexes are not touched")
    return 0


if __name__ == "__main__":
    sys.exit(main())
