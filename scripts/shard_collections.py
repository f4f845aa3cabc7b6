"""Shard the synced collections on a sharded cluster (through its mongos), each on a key fitted to how it is read."""

from __future__ import annotations

import argparse
import sys
import textwrap

from common import connected
from zava.cli import base_parser, cli
from zava.console import confirm, ok, table
from zava.model.sharding import SHARD_KEYS, UNSHARDED, format_key, kit_unique_blockers, mongosh_script
from zava.mongo.sharding import plan, require_mongos, shard


def _epilog() -> str:
    def item(text: str) -> str:
        return textwrap.fill(text, 100, initial_indent="  ", subsequent_indent="    ")

    keys = [item(f"{s.collection} {format_key(s.key)}: {s.why}.") for s in SHARD_KEYS]
    kept = [item(f"{name}: {why}.") for name, why in UNSHARDED.items()]
    blockers = [f"{s.collection}.{name}" for s in SHARD_KEYS for name in kit_unique_blockers(s)]
    unique = item(
        "a sharded collection keeps a unique index only when it starts with the shard key, so these indexes "
        f"of create_indexes.py become plain indexes of the same name and fields: {', '.join(blockers)}; "
        "ids stay distinct through _id, emails are no longer checked unique by the server."
    )
    return "\n".join(["shard keys:", *keys, "", "not sharded, on purpose:", *kept, "", "unique indexes:", unique])


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _epilog()
    parser.add_argument("--emit-js", action="store_true", help="print the same steps as a mongosh script and exit")
    parser.add_argument("--yes", action="store_true", help="shard without asking")
    args = parser.parse_args(argv)
    if args.emit_js:
        sys.stdout.write(mongosh_script())
        return 0
    with connected(args) as (config, client):
        require_mongos(client, config.mongo_uri)
        db = client[config.database]
        steps = plan(db)
        todo = [s.spec.collection for s in steps if not s.sharded]
        if todo:
            confirm(
                f"{', '.join(todo)} of {config.database!r} will be sharded; before MongoDB 8.0 (unshardCollection) "
                "that cannot be undone.",
                "SHARD COLLECTIONS",
                args.yes,
            )
        done = shard(db, steps)
        rows = [
            (
                s.spec.collection,
                format_key(s.spec.key),
                f"{s.index}{' (created)' if s.create_index else ''}",
                status,
                s.spec.why,
            )
            for s, status in done
        ]
        rows += [(name, "-", "-", "unsharded", why) for name, why in UNSHARDED.items()]
        print(table(["collection", "shard key", "supporting index", "status", "why"], rows))
        ok(f"{len(done)} collections of {config.database!r} sharded ({len(todo)} now); {len(UNSHARDED)} left unsharded")
        return 0


if __name__ == "__main__":
    sys.exit(main())
