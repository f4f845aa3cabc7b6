"""Check that MongoDB answers: server kind and version, database stats, and the project's collections."""

from __future__ import annotations

import sys

from common import connected, mask_uri
from zava.cli import base_parser, cli
from zava.console import ok, say, table
from zava.model.collections import COLLECTIONS
from zava.mongo.admin import existing_counts
from zava.mongo.server import server_info


@cli
def main(argv: list[str] | None = None) -> int:
    args = base_parser(__doc__).parse_args(argv)
    with connected(args) as (config, client):
        info = server_info(client)
        ok(f"connected to {mask_uri(config.mongo_uri)}: {info.describe()}")
        db = client[config.database]
        stats = db.command("dbstats")
        say(
            f"database {config.database!r}: {stats.get('collections', 0)} collections, "
            f"{stats.get('dataSize', 0) / 1e6:,.1f} MB of data, {stats.get('indexes', 0)} indexes"
        )
        counts = existing_counts(db)
        rows = [(c.name, counts.get(c.name, 0), c.synced, "yes" if c.name in counts else "no") for c in COLLECTIONS]
        print(table(["collection", "documents", "synced to Ditto", "exists"], rows))
        if info.is_local:
            say("This is the local server: change-stream pre-images, Atlas Search and replica sets need real MongoDB.")
        return 0


if __name__ == "__main__":
    sys.exit(main())
