"""Touch every document of the synced collections so a running Ditto connector picks them all up.

Needed only when the connector was started without its own initial sync over data that was
already in MongoDB: it streams changes, and untouched documents would never reach Ditto.
"""

from __future__ import annotations

import sys

from common import Interrupted, connected
from zava.cli import base_parser, cli
from zava.console import confirm, ok, say, table
from zava.mongo.admin import existing_counts
from zava.mongo.initial_sync import MARKER_FIELD, SyncState, chosen_collections, touch_all


@cli
def main(argv: list[str] | None = None) -> int:
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--collections", help="comma-separated synced collections (default: all eight)")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run where it stopped")
    parser.add_argument("--yes", action="store_true", help="touch the documents without asking")
    args = parser.parse_args(argv)
    names = chosen_collections(args.collections)
    with connected(args) as (config, client):
        db = client[config.database]
        state = SyncState.load(config.database) if args.resume else None
        if args.resume and state is None:
            say("nothing to resume: starting a new run")
        counts = existing_counts(db)
        if state is None:
            state = SyncState.start()
            confirm(
                f"{sum(counts.get(n, 0) for n in names):,} documents in {', '.join(names)} will get "
                f"{MARKER_FIELD} = {state.marker}.",
                "TRIGGER SYNC",
                args.yes,
            )
        try:
            rows = touch_all(db, names, state, config.database, args.quiet, counts)
        except KeyboardInterrupt:
            raise Interrupted(
                f"interrupted after {sum(state.touched.values()):,} documents; "
                "run python scripts/trigger_initial_sync.py --resume to continue"
            ) from None
        print(table(["collection", "documents", "touched", "seconds", "rate"], rows))
        ok(
            f"{sum(state.touched.values()):,} documents touched with {MARKER_FIELD} = {state.marker}; "
            "the connector now streams them to Ditto"
        )
        return 0


if __name__ == "__main__":
    sys.exit(main())
